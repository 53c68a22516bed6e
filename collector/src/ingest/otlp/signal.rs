//! What one OTLP signal brings to the receiver both transports share: its
//! paths, its decoders (protobuf, JSON; one pass, each record judged), how
//! its records are accepted into the pipeline, and its partial-success
//! answer. Traces are one (`traces/`), logs another (`logs/`); a signal's
//! queue is waited for and filled the same way ([`wait_for_room`],
//! [`queue_records`]).

use std::future::Future;

use super::Otlp;
use crate::ingest::IngestError;
use crate::pipeline::Queue;
use crate::telemetry::outcome::{RejectReason, Rejections, Signal as Records};

/// The outcome of an accepted export: everything valid was queued.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    /// Records rejected, for OTLP's partial success.
    pub rejected: u64,
    /// What OTLP's partial success says: why records were rejected, or a
    /// warning (dropped links) with none rejected. `None`: all was taken.
    pub message: Option<String>,
}

impl Accepted {
    /// Whether the answer carries a partial success: records were
    /// rejected, or there is a warning.
    pub fn partial(&self) -> bool {
        self.rejected > 0 || self.message.is_some()
    }
}

pub trait Signal: Send + Sync + 'static {
    /// `POST` path of OTLP/HTTP.
    const HTTP_PATH: &'static str;
    /// The gRPC service, whose one method is `Export`.
    const GRPC_SERVICE: &'static str;
    /// The protobuf message a request is, for refusals.
    const REQUEST: &'static str;
    /// The partial success's count in OTLP/JSON (`rejectedSpans`).
    const REJECTED_FIELD: &'static str;
    /// Decoded and judged records.
    type Judged: Send;
    /// The export answer (prost), for gRPC and OTLP/HTTP protobuf.
    type Response: prost::Message + Default + Send + 'static;

    fn decode_protobuf(otlp: &Otlp, body: &[u8]) -> Result<Self::Judged, IngestError>;
    fn decode_json(otlp: &Otlp, body: &[u8]) -> Result<Self::Judged, IngestError>;

    /// Waits (within `ingest.queue_wait_ms`) for room in the signal's
    /// queue, before a body is read.
    fn wait_for_room(otlp: &Otlp) -> impl Future<Output = Result<(), IngestError>> + Send;

    /// Queues the valid records; a queue that stays full refuses the whole
    /// request, so the client retries it whole.
    fn accept(
        otlp: &Otlp,
        judged: Self::Judged,
    ) -> impl Future<Output = Result<Accepted, IngestError>> + Send;

    /// The answer, with a partial success when `accepted` needs one.
    fn response(accepted: Accepted) -> Self::Response;
}

/// Waits (within `ingest.queue_wait_ms`) for room in `queue`.
pub(super) async fn wait_for_room<T>(otlp: &Otlp, queue: &Queue<T>) -> Result<(), IngestError> {
    queue
        .wait_for_room(otlp.shared.config.queue_wait())
        .await
        .map_err(IngestError::from)
}

/// Queues one request's valid `records` of `signal` and counts them with
/// the request's `rejections`; the number rejected, for the answer. A
/// queue that stays full refuses the whole request so the client retries
/// it whole, and nothing is half-accepted.
pub(super) async fn queue_records<T>(
    otlp: &Otlp,
    queue: &Queue<T>,
    signal: Records,
    records: Vec<T>,
    mut rejections: Rejections,
) -> Result<u64, IngestError> {
    let shared = &otlp.shared;
    let accepted = records.len() as u64;
    let submitted = queue
        .submit_within(records, shared.config.queue_wait())
        .await;
    if let Err(error) = &submitted {
        rejections.add(signal, RejectReason::from(error), accepted);
    }
    shared.stats.records_rejected(&rejections);
    submitted?;
    shared.stats.records_accepted(signal, accepted);
    Ok(rejections.total())
}
