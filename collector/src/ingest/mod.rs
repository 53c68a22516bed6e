//! Receivers: bytes in, domain records out, handed to the pipeline.
//!
//! One file per wire format. `otlp_http` and `otlp_grpc` only unwrap their
//! transport, decode, and call [`accept_converted`]: `otlp_protobuf` and
//! `otlp_json` decode straight into spans in one pass, ending in
//! `otlp_convert`'s judgement of each span (`otlp_convert::convert_request`,
//! through prost's generated types, is the reference they are tested
//! against); `body` reads and decompresses HTTP bodies within limits;
//! `error` maps every failure to an HTTP status or a gRPC code in one place
//! (`grpc_status` adds the `RetryInfo` OTLP/gRPC clients need to retry).
//! `bounds/` keeps each request within its limits (in flight, bytes being
//! decoded, time); `forwarded` finds the client behind trusted proxies.
//! `rum/` takes browser beacons (with `rum/decode.rs` for their JSON,
//! `rum/origin.rs` for CORS, `rum/client.rs` for who sent them) and serves
//! the SDK (`rum/script.rs`). `builds` takes signed build and deploy events,
//! which wait for the store (through a sink `serve` gives it) instead of a
//! queue. `outcome` names what became of each record (its
//! signal, why it was rejected) for the metrics. Receivers never talk to
//! ClickHouse.

mod body;
pub mod bounds;
pub mod builds;
mod error;
pub mod forwarded;
mod grpc_status;
pub mod otlp_convert;
pub mod otlp_grpc;
pub mod otlp_http;
pub mod otlp_json;
pub mod otlp_protobuf;

pub mod rum;

use std::sync::Arc;
use std::time::Duration;

pub use error::IngestError;

use crate::alert::service::AlertFeed;
use crate::config::IngestConfig;
use crate::model::{LayerRules, Span, SpanLimits, TimeWindow};
use crate::pipeline::Queue;
use crate::telemetry::outcome::{RejectReason, Signal};
use crate::telemetry::Metrics;

/// What every receiver shares.
#[derive(Clone)]
pub struct IngestState {
    pub spans: Queue<Span>,
    pub layers: Arc<LayerRules>,
    pub limits: IngestConfig,
    /// How much of each span is stored.
    pub span_limits: SpanLimits,
    /// How old a span may be: the storage retention unless configured.
    pub max_span_age: Duration,
    pub metrics: Arc<Metrics>,
    /// The alert windows, when alerting is on.
    pub alerts: Option<AlertFeed>,
}

/// The outcome of an accepted export: everything valid was queued.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Accepted {
    pub rejected_spans: u64,
    /// What OTLP's partial success says: why spans were rejected, or a
    /// warning (dropped links) with none rejected. `None`: all was taken.
    pub message: Option<String>,
}

impl IngestState {
    /// How long a request may wait for queue room before it is refused.
    pub fn queue_wait(&self) -> Duration {
        Duration::from_millis(self.limits.queue_wait_ms)
    }

    /// The span times storable now.
    pub fn span_window(&self) -> TimeWindow {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
        let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        TimeWindow::around(
            now,
            nanos(self.max_span_age),
            nanos(Duration::from_secs(self.limits.max_span_ahead_secs)),
        )
    }
}

/// Queues the valid spans of one request. Invalid spans are counted (OTLP
/// partial success); a queue that stays full refuses the whole request so
/// the client retries it whole, and nothing is half-accepted.
pub async fn accept_converted(
    state: &IngestState,
    converted: otlp_convert::ConvertedTraces,
) -> Result<Accepted, IngestError> {
    let message = converted.message();
    state
        .metrics
        .spans_truncated(converted.truncated, &converted.truncation);
    let accepted = converted.spans.len() as u64;
    if let Some(alerts) = &state.alerts {
        alerts.spans(&converted.spans);
    }
    let mut rejections = converted.rejections;
    let submitted = state
        .spans
        .submit_within(converted.spans, state.queue_wait())
        .await;
    if let Err(error) = &submitted {
        rejections.add(Signal::Spans, RejectReason::from(error), accepted);
    }
    state.metrics.records_rejected(&rejections);
    submitted?;
    state.metrics.records_accepted(Signal::Spans, accepted);
    let rejected = rejections.total();
    state.metrics.spans_acknowledged(accepted, rejected);
    Ok(Accepted {
        rejected_spans: rejected,
        message,
    })
}
