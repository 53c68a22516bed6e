//! The Faro receiver: `POST /collect` as every receiver takes a request
//! (`ingest::receiver`): the content type (as beacons: JSON, text or none),
//! the body (gzip too) within `rum.max_sdk_body_bytes`, the payload decoded
//! (`decode.rs`, `logs.rs`), each part stored where it belongs, and `202`
//! as Faro's own receiver answers, with what was kept and why not.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::decode::{payload, rum_batch};
use super::logs;
use crate::ingest::browser_otlp::FromPages;
use crate::ingest::edge::BodyLimits;
use crate::ingest::otlp::logs::ConvertedLogs;
use crate::ingest::otlp::traces::ConvertedTraces;
use crate::ingest::otlp::{Logs, Otlp, Signal, Traces};
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::rum::decode::Decoded as RumBatch;
use crate::ingest::rum::handler::Outcome;
use crate::ingest::rum::{Rum, RumReceiver};
use crate::ingest::IngestError;
use crate::model::rum::PageContext;
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// What one payload holds, decoded and judged.
pub(super) struct Collected {
    rum: RumBatch,
    page: Arc<PageContext>,
    spans: Option<ConvertedTraces>,
    logs: Option<ConvertedLogs>,
}

/// The Faro receiver; a cheap clone.
#[derive(Clone)]
pub(super) struct FaroReceiver {
    rum: RumReceiver,
    /// Decides every layer as the browser's.
    otlp: Otlp,
    limits: BodyLimits,
}

impl FaroReceiver {
    pub(super) fn new(rum: &Rum, otlp: Otlp) -> Self {
        Self {
            rum: rum.receiver(),
            otlp,
            limits: rum.sdk_body_limits(),
        }
    }
}

/// A refusal of a part passed on by an OTLP decoder, named by its field.
fn in_field(field: &str) -> impl Fn(IngestError) -> IngestError + '_ {
    move |error| match error {
        IngestError::BadRequest(message) => IngestError::BadRequest(format!("{field}: {message}")),
        other => other,
    }
}

impl Receiver for FaroReceiver {
    const NAME: ReceiverName = ReceiverName::Faro;
    type Format = ();
    type Decoded = Collected;
    type Accepted = Outcome;

    fn stats(&self) -> &IngestStats {
        self.otlp.stats()
    }

    fn body_limits(&self) -> BodyLimits {
        self.limits
    }

    /// Faro sends `application/json`; what beacons may send is taken too.
    fn admit(&self, incoming: &Incoming) -> Result<(), IngestError> {
        self.rum.admit(incoming)
    }

    fn decode(&self, incoming: &Incoming, (): (), body: &[u8]) -> Result<Collected, IngestError> {
        let mut payload = payload(body)?;
        let mut rum = rum_batch(&mut payload, incoming.received_at_millis);
        let page = self.rum.context_of(&mut rum, incoming)?;
        let spans = payload
            .traces
            .as_ref()
            .map(|traces| Traces::decode_json(&self.otlp, traces.get().as_bytes()))
            .transpose()
            .map_err(in_field("traces"))?;
        let logs = logs::request(&payload.meta, &payload.logs, &payload.events)
            .map(|request| Logs::decode_json(&self.otlp, &request))
            .transpose()
            .map_err(in_field("logs"))?;
        Ok(Collected {
            rum,
            page,
            spans,
            logs,
        })
    }

    /// Vitals and errors, then spans, then log records, each queued as its
    /// own receiver queues it; what was refused is told in the answer.
    async fn accept(
        &self,
        incoming: &Incoming,
        collected: Collected,
    ) -> Result<Outcome, IngestError> {
        let stats = self.stats();
        let Collected {
            rum,
            page,
            spans,
            logs,
        } = collected;
        let mut outcome = Outcome {
            accepted: 0,
            rejected: 0,
            errors: Vec::new(),
        };
        if rum.accepted() + rum.rejected() > 0 {
            outcome = self.rum.accept(incoming, (rum, page)).await?;
        }
        if let Some(mut spans) = spans {
            Traces::scrub_urls(&mut spans, |attributes| self.rum.scrub_urls(attributes));
            stats.browser_layer_overridden(Traces::RECORDS, Traces::claiming_other_layers(&spans));
            let sent = spans.spans.len() as u64 + spans.rejected();
            let accepted = Traces::accept(&self.otlp, spans).await?;
            outcome.add(sent, accepted.rejected, accepted.message);
        }
        if let Some(mut logs) = logs {
            Logs::scrub_urls(&mut logs, |attributes| self.rum.scrub_urls(attributes));
            let sent = logs.records.len() as u64 + logs.rejected();
            let accepted = Logs::accept(&self.otlp, logs).await?;
            outcome.add(sent, accepted.rejected, accepted.message);
        }
        Ok(outcome)
    }

    fn answer(&self, (): (), outcome: Outcome) -> Response {
        (StatusCode::ACCEPTED, Json(outcome)).into_response()
    }
}
