//! `GET /api/traces/{trace_id}`: one trace assembled from its span rows
//! (tree, per-layer breakdown, critical path) with its log records under
//! the spans that emitted them and its linked page views (the one its
//! document rendered, the one whose browser span started it);
//! `GET /api/traces?...`: search over the trace index. [`trace_view`] is
//! also what `jamscope trace` prints.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use super::logs::{self, LogView};
use super::params::{self, Params};
use super::{ApiError, ApiState};
use crate::correlate::{self, SpanTiming};
use crate::model::rum::PAGE_VIEW_ATTRIBUTE;
use crate::model::{Layer, SpanId, TraceId};
use crate::store::queries::{LinkedRum, Queries, StoredSpan, TraceFilter};

/// One trace as the API and the CLI show it. Times in ms (f64, exact to
/// the nanosecond below 2^53 ns), offsets from the trace's start.
#[derive(Debug, Clone, Serialize)]
pub struct TraceView {
    pub trace_id: String,
    pub start_unix_nano: u64,
    pub total_ms: f64,
    /// Every instant of the trace, attributed to the deepest span active
    /// then; all seven parts, always, adding up to `total_ms`.
    pub breakdown: Vec<LayerMs>,
    /// Per layer, the time any of its spans was active.
    pub inclusive: Vec<LayerMs>,
    pub summary: String,
    pub critical_path: Vec<String>,
    /// Depth-first, children by start: a waterfall, top to bottom.
    pub spans: Vec<SpanView>,
    /// Copies of spans stored more than once, not counted.
    pub duplicates: usize,
    /// Log records of the trace that name none of its spans.
    pub logs: Vec<LogView>,
    pub rum: Vec<LinkedRum>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LayerMs {
    pub layer: &'static str,
    pub ms: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct SpanView {
    pub span_id: String,
    pub parent_span_id: String,
    pub depth: usize,
    pub service: String,
    pub name: String,
    pub kind: String,
    pub layer: String,
    pub start_ms: f64,
    pub duration_ms: f64,
    pub status: String,
    pub status_message: String,
    /// Its parent is not in the trace: shown under the trace's root.
    pub orphan: bool,
    /// Time cut off because it started before or ended after its parent
    /// (clock skew between machines).
    pub clamped_ms: f64,
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The log records this span emitted, oldest first.
    pub logs: Vec<LogView>,
}

fn ms(nanos: u64) -> f64 {
    nanos as f64 / 1e6
}

/// Assembles one trace from its stored spans, with its log records and
/// page views.
pub async fn trace_view(
    queries: &Queries,
    trace_id: TraceId,
) -> Result<Option<TraceView>, ApiError> {
    let Some(bounds) = queries.trace_bounds(trace_id).await? else {
        return Ok(None);
    };
    // The page views are found from the spans; the log records need only
    // the id and the bounds, so they are read meanwhile.
    let spans_and_rum = async {
        let stored = queries.trace_spans(trace_id, bounds).await?;
        let rum = queries
            .rum_for_trace(trace_id, &page_views_of(&stored))
            .await?;
        Ok::<_, ApiError>((stored, rum))
    };
    let logs_read = async { Ok::<_, ApiError>(queries.trace_logs(trace_id, bounds).await?) };
    let ((stored, rum), log_rows) = tokio::try_join!(spans_and_rum, logs_read)?;
    let mut view = assemble(trace_id, stored, rum);
    if let Some(view) = &mut view {
        logs::attach(view, log_rows);
    }
    Ok(view)
}

/// The page views the trace's browser spans name: the page views that
/// started it (or whose page load continued it).
fn page_views_of(stored: &[StoredSpan]) -> Vec<String> {
    let mut ids: Vec<String> = stored
        .iter()
        .filter(|span| span.layer == Layer::Browser.as_str())
        .filter_map(|span| span.attributes.get(PAGE_VIEW_ATTRIBUTE))
        .filter(|id| !id.is_empty())
        .cloned()
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// The view of stored span rows (and page views) of one trace.
pub(crate) fn assemble(
    trace_id: TraceId,
    stored: Vec<StoredSpan>,
    rum: Vec<LinkedRum>,
) -> Option<TraceView> {
    let by_id: HashMap<String, StoredSpan> = stored
        .iter()
        .map(|span| (span.span_id.clone(), span.clone()))
        .collect();
    let timings: Vec<SpanTiming> = stored
        .iter()
        .filter_map(|span| {
            Some(SpanTiming {
                span_id: SpanId::from_hex(&span.span_id)?,
                parent_span_id: SpanId::from_hex(&span.parent_span_id),
                service: span.service.clone(),
                name: span.name.clone(),
                layer: span.layer.parse().unwrap_or(Layer::Other),
                start_unix_nanos: span.start_ns,
                end_unix_nanos: span.start_ns.saturating_add(span.duration_ns),
                is_error: span.status_code == "Error",
            })
        })
        .collect();
    let trace = correlate::assemble(trace_id, timings)?;
    let start = trace.start_unix_nanos;
    let spans = trace
        .spans
        .iter()
        .map(|node| {
            let id = node.span.span_id.to_string();
            let row = by_id.get(&id);
            SpanView {
                parent_span_id: row.map(|r| r.parent_span_id.clone()).unwrap_or_default(),
                depth: node.depth,
                service: node.span.service.clone(),
                name: node.span.name.clone(),
                kind: row.map(|r| r.kind.clone()).unwrap_or_default(),
                layer: node.span.layer.to_string(),
                start_ms: ms(node.effective_start_unix_nanos.saturating_sub(start)),
                duration_ms: ms(node
                    .effective_end_unix_nanos
                    .saturating_sub(node.effective_start_unix_nanos)),
                status: row.map(|r| r.status_code.clone()).unwrap_or_default(),
                status_message: row.map(|r| r.status_message.clone()).unwrap_or_default(),
                orphan: node.flags.orphan,
                clamped_ms: ms(node.flags.start_clamped_nanos + node.flags.end_clamped_nanos),
                attributes: row.map(|r| r.attributes.clone()).unwrap_or_default(),
                logs: Vec::new(),
                span_id: id,
            }
        })
        .collect();
    let layer_ms = |parts: &correlate::LayerNanos| -> Vec<LayerMs> {
        parts
            .iter()
            .map(|(part, nanos)| LayerMs {
                layer: part.as_str(),
                ms: ms(nanos),
            })
            .collect()
    };
    Some(TraceView {
        trace_id: trace_id.to_string(),
        start_unix_nano: start,
        total_ms: ms(trace.wall_nanos),
        breakdown: layer_ms(&trace.breakdown),
        inclusive: layer_ms(&trace.inclusive),
        summary: correlate::summary(&trace.breakdown),
        critical_path: trace
            .critical_path
            .iter()
            .map(ToString::to_string)
            .collect(),
        spans,
        duplicates: trace.anomalies.duplicates_dropped,
        logs: Vec::new(),
        rum,
    })
}

/// `GET /api/traces/{trace_id}`
pub async fn one(
    State(state): State<ApiState>,
    Path(trace_id): Path<String>,
) -> Result<Json<TraceView>, ApiError> {
    let trace_id = params::trace_id(&trace_id)?;
    trace_view(&state.queries, trace_id)
        .await?
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("no trace {trace_id} is stored")))
}

/// The filter `GET /api/traces` and `jamscope traces` share.
pub fn filter_from(params: &Params) -> Result<TraceFilter, ApiError> {
    let errors_only = match params.text("status")?.as_deref() {
        None | Some("any") => false,
        Some("error") => true,
        Some(other) => {
            return Err(ApiError::BadParameter(format!(
                "parameter 'status' must be 'error' or 'any', got '{}'",
                other.chars().take(40).collect::<String>()
            )))
        }
    };
    Ok(TraceFilter {
        range: Some(params.range(Duration::from_secs(24 * 3600))?),
        service: params.text("service")?,
        layer: params.layer()?.map(|layer| layer.as_str().to_owned()),
        route: params.text("route")?,
        min_duration_ms: params.number("min_duration_ms", u64::MAX / 1_000_000)?,
        errors_only,
        slowest: false,
        limit: params.number("limit", 1000)?.unwrap_or(50) as u32,
    })
}

/// The parameters of a trace search (the web UI's search page takes them too).
pub const SEARCH_PARAMS: [&str; 9] = [
    "service",
    "layer",
    "route",
    "min_duration_ms",
    "status",
    "from",
    "to",
    "window",
    "limit",
];

/// `GET /api/traces?service=&layer=&route=&min_duration_ms=&status=error&from=&to=&window=&limit=`
pub async fn search(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &SEARCH_PARAMS)?;
    let filter = filter_from(&params)?;
    let found = state.queries.search_traces(&filter).await?;
    let traces: Vec<Value> = found
        .into_iter()
        .map(|t| {
            let layer_span_ms: serde_json::Map<String, Value> = t
                .layer_span_ns
                .iter()
                .map(|(layer, nanos)| (layer.clone(), json!(ms(*nanos))))
                .collect();
            json!({
                "trace_id": t.trace_id,
                "start_unix_nano": t.start_ns,
                "duration_ms": ms(t.duration_ns),
                "spans": t.spans,
                "errors": t.errors,
                "root_service": t.root_service,
                "root_name": t.root_name,
                "services": t.services,
                "layers": t.layers,
                "routes": t.routes,
                "layer_span_ms": layer_span_ms,
            })
        })
        .collect();
    Ok(Json(json!({ "traces": traces })))
}
