//! OTLP/HTTP: `POST` of one signal's export request, protobuf or JSON, as
//! a [`Receiver`]. Answers use the request's own encoding, as the OTLP
//! specification asks: the export response (with its partial success) on
//! success, a `google.rpc.Status` on refusal.

use std::marker::PhantomData;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;

use super::decode::{decode, Encoding};
use super::signal::{Accepted, Signal};
use super::Otlp;
use crate::ingest::edge::{BodyLimits, MediaType};
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::IngestError;
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// The OTLP/HTTP receiver of signal `S`.
pub struct OtlpHttp<S> {
    otlp: Otlp,
    signal: PhantomData<fn() -> S>,
}

impl<S> OtlpHttp<S> {
    pub fn new(otlp: Otlp) -> Self {
        Self {
            otlp,
            signal: PhantomData,
        }
    }
}

impl<S> Clone for OtlpHttp<S> {
    fn clone(&self) -> Self {
        Self::new(self.otlp.clone())
    }
}

impl<S: Signal> Receiver for OtlpHttp<S> {
    const NAME: ReceiverName = ReceiverName::OtlpHttp;
    // OTLP: an empty request is answered with success. Zero bytes are the
    // protobuf encoding of one; JSON gets the same leniency.
    const EMPTY_BODY_IS_EMPTY_REQUEST: bool = true;
    type Format = Encoding;
    type Decoded = S::Judged;
    type Accepted = Accepted;

    fn stats(&self) -> &IngestStats {
        self.otlp.stats()
    }

    fn body_limits(&self) -> BodyLimits {
        self.otlp.config().body_limits()
    }

    fn admit(&self, incoming: &Incoming) -> Result<Encoding, IngestError> {
        Encoding::of(&MediaType::of(&incoming.parts.headers))
    }

    async fn wait_for_room(&self) -> Result<(), IngestError> {
        S::wait_for_room(&self.otlp).await
    }

    fn decode(
        &self,
        _: &Incoming,
        encoding: Encoding,
        body: &[u8],
    ) -> Result<S::Judged, IngestError> {
        decode::<S>(&self.otlp, encoding, body)
    }

    async fn accept(&self, _: &Incoming, judged: S::Judged) -> Result<Accepted, IngestError> {
        S::accept(&self.otlp, judged).await
    }

    fn answer(&self, encoding: Encoding, accepted: Accepted) -> Response {
        let body = match encoding {
            Encoding::Protobuf => S::response(accepted).encode_to_vec(),
            // ProtoJSON spells int64 as a string.
            Encoding::Json => match accepted.partial() {
                true => serde_json::json!({
                    "partialSuccess": {
                        S::REJECTED_FIELD: accepted.rejected.to_string(),
                        "errorMessage": accepted.message.unwrap_or_default(),
                    }
                }),
                false => serde_json::json!({}),
            }
            .to_string()
            .into_bytes(),
        };
        (
            StatusCode::OK,
            [(header::CONTENT_TYPE, encoding.content_type())],
            body,
        )
            .into_response()
    }

    fn refusal(&self, encoding: Option<Encoding>, error: &IngestError) -> Response {
        let grpc_code = error.grpc_status().code() as i32;
        let message = error.to_string();
        let (content_type, body) = match encoding {
            Some(Encoding::Protobuf) => (
                "application/x-protobuf",
                RpcStatus {
                    code: grpc_code,
                    message,
                }
                .encode_to_vec(),
            ),
            Some(Encoding::Json) => (
                "application/json",
                serde_json::json!({ "code": grpc_code, "message": message })
                    .to_string()
                    .into_bytes(),
            ),
            None => ("text/plain; charset=utf-8", message.into_bytes()),
        };
        error.with_retry_after(
            (
                error.http_status(),
                [(header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response(),
        )
    }
}

/// `google.rpc.Status`, the error body OTLP/HTTP specifies.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}
