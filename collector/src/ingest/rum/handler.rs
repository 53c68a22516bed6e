//! The beacon receiver: `POST /v1/rum` as every receiver takes a request
//! (`ingest::receiver`): its content type, the body, the events decoded and
//! judged one by one (spans once the page's context is known), the valid
//! ones queued per table.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::Query;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::client::client_info;
use super::decode::{cap, decode, Decoded};
use super::spans::judge;
use super::urls::QueryAllowlist;
use super::RumQueues;
use crate::ingest::edge::{BodyLimits, MediaType};
use crate::ingest::otlp::SpanRules;
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::tap::Tap;
use crate::ingest::IngestError;
use crate::model::rum::PageContext;
use crate::model::rum::RumRecord;
use crate::model::{Attributes, Span};
use crate::pipeline::{Queue, SubmitError};
use crate::telemetry::outcome::{RejectReason, Signal};
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// What the receiver holds.
pub(super) struct Settings {
    pub queues: RumQueues,
    /// The span queue (`otel_traces`).
    pub spans: Queue<Span>,
    pub span_rules: SpanRules,
    pub max_events: usize,
    /// Largest body, as sent and inflated: browsers cap beacons at 64 KiB.
    pub max_body_bytes: usize,
    /// The query parameters stored URLs keep.
    pub urls: QueryAllowlist,
    /// How long events wait for room in a full queue.
    pub queue_wait: Duration,
    pub stats: IngestStats,
    pub tap: Tap,
}

/// The beacon receiver; a cheap clone. Faro's receiver and OTLP from
/// browsers store their vitals and errors through it too
/// ([`RumReceiver::context_of`], then `accept`).
#[derive(Clone)]
pub(crate) struct RumReceiver(Arc<Settings>);

impl RumReceiver {
    pub(super) fn new(settings: Settings) -> Self {
        Self(Arc::new(settings))
    }
}

#[derive(Deserialize, Default)]
struct RumQuery {
    /// Names the app for beacons whose body does not (the hand-written one).
    app: Option<String>,
}

impl RumQuery {
    /// `?key=` (the edge's) and `?app=`; anything else is ignored.
    fn of(incoming: &Incoming) -> Result<Self, IngestError> {
        Query::<RumQuery>::try_from_uri(&incoming.parts.uri)
            .map(|query| query.0)
            .map_err(|e| IngestError::BadRequest(format!("invalid query string: {e}")))
    }
}

/// The answer people debugging a page read.
#[derive(Debug, Serialize, PartialEq)]
pub(crate) struct Outcome {
    pub accepted: u64,
    pub rejected: u64,
    pub errors: Vec<String>,
}

impl Receiver for RumReceiver {
    const NAME: ReceiverName = ReceiverName::Rum;
    type Format = ();
    type Decoded = (Decoded, Arc<PageContext>);
    type Accepted = Outcome;

    fn stats(&self) -> &IngestStats {
        &self.0.stats
    }

    fn body_limits(&self) -> BodyLimits {
        BodyLimits::both(self.0.max_body_bytes)
    }

    /// `sendBeacon` sends a string as `text/plain` (which needs no CORS
    /// preflight), so JSON arrives as text/plain, application/json or
    /// untyped.
    fn admit(&self, incoming: &Incoming) -> Result<(), IngestError> {
        RumQuery::of(incoming)?;
        match MediaType::of(&incoming.parts.headers) {
            MediaType::Absent => Ok(()),
            named if named.is("text/plain") || named.is("application/json") => Ok(()),
            other => Err(IngestError::UnsupportedMediaType(format!(
                "Content-Type '{}' is not supported: send JSON as text/plain (what sendBeacon sends for a string) or application/json",
                other.shown()
            ))),
        }
    }

    fn decode(
        &self,
        incoming: &Incoming,
        (): (),
        body: &[u8],
    ) -> Result<(Decoded, Arc<PageContext>), IngestError> {
        let settings = &self.0;
        let mut decoded = decode(body, settings.max_events, incoming.received_at_millis)?;
        let context = self.context_of(&mut decoded, incoming)?;
        judge(&mut decoded, &context, &settings.span_rules);
        if decoded.accepted() == 0 {
            settings.stats.rum_events(0, decoded.rejected());
            settings.stats.records_rejected(&decoded.rejections);
            return Err(IngestError::BadRequest(format!(
                "no valid event ({} rejected): {}",
                decoded.rejected(),
                decoded.reasons.join("; ")
            )));
        }
        Ok((decoded, context))
    }

    async fn accept(
        &self,
        _: &Incoming,
        (mut decoded, context): (Decoded, Arc<PageContext>),
    ) -> Result<Outcome, IngestError> {
        let settings = &self.0;
        let stats = &settings.stats;
        if let Some(tap) = &settings.tap {
            tap.vitals(&context, &decoded.vitals);
            tap.spans(&decoded.spans.kept);
        }
        stats.spans_truncated(decoded.spans.truncated, &decoded.spans.truncation);
        // Before the queues add theirs: what was refused as invalid.
        let invalid_spans = decoded.rejections.of(Signal::Spans);
        let (queued, refused) = settings.submit(&mut decoded, &context).await;
        let accepted = queued.iter().map(|(_, count)| count).sum();
        for (signal, count) in queued {
            stats.records_accepted(signal, count);
            if signal == Signal::Spans {
                stats.spans_acknowledged(count, invalid_spans);
            }
        }
        stats.records_rejected(&decoded.rejections);
        stats.rum_events(accepted, decoded.rejected());
        match refused {
            // Nothing fit: a client that can retry (fetch) is told to.
            Some(error) if accepted == 0 => Err(error.into()),
            _ => Ok(Outcome {
                accepted,
                rejected: decoded.rejected(),
                errors: decoded.reasons,
            }),
        }
    }

    fn answer(&self, (): (), outcome: Outcome) -> Response {
        (StatusCode::OK, Json(outcome)).into_response()
    }
}

impl RumReceiver {
    /// The page and visitor `decoded`'s events share, once what is kept of
    /// the visitor is decided: URLs scrubbed (`rum.keep_query_params`), the
    /// client from the request.
    pub(crate) fn context_of(
        &self,
        decoded: &mut Decoded,
        incoming: &Incoming,
    ) -> Result<Arc<PageContext>, IngestError> {
        self.0.urls.scrub(decoded);
        let query = RumQuery::of(incoming)?;
        Ok(Arc::new(page_context(decoded, incoming, &query)))
    }

    /// Attribute values that are URLs, as every URL a page sends is kept:
    /// without fragment, and with only `rum.keep_query_params` (a page's
    /// query may hold anything, the RUM key included).
    pub(crate) fn scrub_urls(&self, attributes: &mut Attributes) {
        self.0.urls.scrub_attributes(attributes);
    }
}

impl Outcome {
    /// `sent` records more, of which `rejected` were refused, and why.
    pub(crate) fn add(&mut self, sent: u64, rejected: u64, message: Option<String>) {
        self.accepted += sent.saturating_sub(rejected);
        self.rejected += rejected;
        self.errors.extend(message);
    }
}

/// The page and the visitor a beacon's events share.
fn page_context(decoded: &mut Decoded, incoming: &Incoming, query: &RumQuery) -> PageContext {
    let headers = &incoming.parts.headers;
    let mut page = std::mem::take(&mut decoded.page);
    if page.app.is_empty() {
        page.app = fallback_app(query, headers);
    }
    PageContext {
        page,
        client: client_info(headers, incoming.client),
        received_at_millis: incoming.received_at_millis,
    }
}

/// A beacon that does not name its app is attributed to `?app=`, else to
/// the site that sent it, so hand-written beacons of two sites stay apart.
fn fallback_app(query: &RumQuery, headers: &HeaderMap) -> String {
    let from_origin = || {
        headers
            .get(header::ORIGIN)
            .and_then(|v| v.to_str().ok())
            .and_then(|origin| origin.split_once("://"))
            .map(|(_, host)| host.to_owned())
    };
    cap(query
        .app
        .clone()
        .filter(|app| !app.is_empty())
        .or_else(from_origin)
        .unwrap_or_default())
}

impl Settings {
    /// Queues each table's events, waiting up to `queue_wait` for room in a
    /// full queue: browsers never retry a beacon, so holding one briefly
    /// loses less than refusing it. A queue that stays full refuses only its
    /// own table's events; whatever fits is kept. Returns how many of each
    /// signal were queued and the first refusal.
    async fn submit(
        &self,
        decoded: &mut Decoded,
        context: &Arc<PageContext>,
    ) -> ([(Signal, u64); 4], Option<SubmitError>) {
        let (queues, wait) = (&self.queues, self.queue_wait);
        let results = [
            (
                Signal::RumVitals,
                "vitals",
                enqueue(
                    &queues.vitals,
                    context,
                    std::mem::take(&mut decoded.vitals),
                    wait,
                )
                .await,
            ),
            (
                Signal::RumErrors,
                "errors",
                enqueue(
                    &queues.errors,
                    context,
                    std::mem::take(&mut decoded.errors),
                    wait,
                )
                .await,
            ),
            (
                Signal::RumPageViews,
                "page views",
                enqueue(
                    &queues.page_views,
                    context,
                    std::mem::take(&mut decoded.page_views),
                    wait,
                )
                .await,
            ),
            (
                Signal::Spans,
                "spans",
                submit_counted(&self.spans, std::mem::take(&mut decoded.spans.kept), wait).await,
            ),
        ];
        let mut refused = None;
        let queued = results.map(|(signal, what, result)| match result {
            Ok(count) => (signal, count),
            Err((count, error)) => {
                decoded.reject(
                    signal,
                    RejectReason::from(&error),
                    count,
                    format!("{count} {what} not stored: {error}"),
                );
                refused.get_or_insert(error);
                (signal, 0)
            }
        });
        (queued, refused)
    }
}

/// Queues one table's events, each with the page they came from.
async fn enqueue<T>(
    queue: &Queue<RumRecord<T>>,
    context: &Arc<PageContext>,
    events: Vec<T>,
    wait: Duration,
) -> Result<u64, (u64, SubmitError)> {
    let records = events
        .into_iter()
        .map(|event| RumRecord {
            context: Arc::clone(context),
            event,
        })
        .collect();
    submit_counted(queue, records, wait).await
}

/// Queues `records`: how many, or how many were refused and why.
async fn submit_counted<R>(
    queue: &Queue<R>,
    records: Vec<R>,
    wait: Duration,
) -> Result<u64, (u64, SubmitError)> {
    let count = records.len() as u64;
    queue
        .submit_within(records, wait)
        .await
        .map(|()| count)
        .map_err(|error| (count, error))
}
