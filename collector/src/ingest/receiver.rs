//! The one shape of a receiver over HTTP. Every way in implements
//! [`Receiver`]; [`handle`] runs the same path for all of them, after the
//! edge has checked who may send (`edge`):
//!
//! 1. `admit`: what the request's head decides, before any body byte is
//!    read (its content type, headers it needs); then `wait_for_room`, a
//!    brief wait for room in a full queue;
//! 2. the body, read within its limits and charged to the decoding budget
//!    (`edge::body`), held until its records are queued;
//! 3. `decode`: bytes into `model` records, each judged (kept, cut to the
//!    limits, or rejected with a reason);
//! 4. `accept`: the records handed to the pipeline (or, for the few that
//!    wait for the store, written);
//! 5. `answer` in the receiver's own protocol, or a refusal: every error
//!    is an [`IngestError`], whose status comes from `ingest::error`; the
//!    receiver only chooses how the body of a refusal is written.

use std::future::Future;

use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::response::Response;

use super::edge::{read_body, BodyLimits, Client, ReadBody};
use super::IngestError;
use crate::clock::now_millis;
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// A request as receivers see it: its head, who sent it, when.
pub struct Incoming {
    pub parts: Parts,
    pub client: Client,
    pub received_at_millis: i64,
}

/// One way in. See the module doc for the path every request takes.
pub trait Receiver: Clone + Send + Sync + 'static {
    /// Its label in the metrics.
    const NAME: ReceiverName;
    /// A body of zero bytes is an empty request (OTLP), not bad input.
    const EMPTY_BODY_IS_EMPTY_REQUEST: bool = false;
    /// What the head decided that decoding and answering need (the
    /// encoding, say).
    type Format: Copy + Send + Sync + 'static;
    /// Judged records, ready to queue.
    type Decoded: Send;
    /// What was queued and rejected, for the answer.
    type Accepted: Send;

    fn stats(&self) -> &IngestStats;

    fn body_limits(&self) -> BodyLimits;

    fn admit(&self, incoming: &Incoming) -> Result<Self::Format, IngestError>;

    /// Waits, briefly, for room where the records will go, before the body
    /// is read: a full queue refuses a request before it costs anything.
    fn wait_for_room(&self) -> impl Future<Output = Result<(), IngestError>> + Send {
        std::future::ready(Ok(()))
    }

    fn decode(
        &self,
        incoming: &Incoming,
        format: Self::Format,
        body: &[u8],
    ) -> Result<Self::Decoded, IngestError>;

    fn accept(
        &self,
        incoming: &Incoming,
        decoded: Self::Decoded,
    ) -> impl Future<Output = Result<Self::Accepted, IngestError>> + Send;

    fn answer(&self, format: Self::Format, accepted: Self::Accepted) -> Response;

    /// A refusal's body in this receiver's protocol; `format` is `None`
    /// when the head itself was refused. `{"error": ...}` by default.
    fn refusal(&self, format: Option<Self::Format>, error: &IngestError) -> Response {
        let _ = format;
        error.json_response()
    }
}

/// The axum handler of every receiver.
pub async fn handle<R: Receiver>(State(receiver): State<R>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let incoming = Incoming {
        client: Client::of_request(&parts),
        parts,
        received_at_millis: now_millis(),
    };
    let mut format = None;
    let result = async {
        let admitted = receiver.admit(&incoming)?;
        format = Some(admitted);
        receiver.wait_for_room().await?;
        let body = match read_body(&incoming.parts.headers, body, &receiver.body_limits()).await {
            Ok(body) => body,
            Err(IngestError::EmptyBody) if R::EMPTY_BODY_IS_EMPTY_REQUEST => ReadBody::empty(),
            Err(error) => return Err(error),
        };
        let decoded = receiver.decode(&incoming, admitted, &body)?;
        // The body's share of the decoding budget is held until its
        // records are queued.
        let accepted = receiver.accept(&incoming, decoded).await;
        drop(body);
        accepted.map(|accepted| (admitted, accepted))
    }
    .await;
    match result {
        Ok((format, accepted)) => receiver.answer(format, accepted),
        Err(error) => {
            let status = error.http_status();
            receiver.stats().request_refused(R::NAME, status);
            if status.is_server_error() && error.retry_after_secs().is_none() {
                tracing::warn!(%error, status = status.as_u16(), receiver = R::NAME.as_str(), "request refused");
            } else {
                tracing::debug!(%error, status = status.as_u16(), receiver = R::NAME.as_str(), "request refused");
            }
            receiver.refusal(format, &error)
        }
    }
}
