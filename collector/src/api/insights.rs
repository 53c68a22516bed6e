//! The overview endpoints: layer KPIs with the browser's share of time,
//! Web Vitals, and one page view with its events and traces.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::params::{self, Params};
use super::{browser_share, ApiError, ApiState};
use crate::store::queries::{Buckets, VitalGrouping};

const MINUTE: Duration = Duration::from_secs(60);

/// `GET /api/layers?window=5m`: the layers' KPIs, and the browser's share
/// of the traces browsers started, per page route.
pub async fn layers(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["window", "from", "to"])?;
    let range = params.range(5 * MINUTE)?;
    let queries = &state.queries;
    let (kpis, browser_spans) = tokio::try_join!(
        queries.layer_kpis(range),
        queries.browser_trace_spans(range, browser_share::MAX_TRACES)
    )?;
    Ok(Json(json!({
        "from_ms": range.from_millis,
        "to_ms": range.to_millis,
        "kpis": kpis,
        "browser": browser_share::browser_share(browser_spans),
    })))
}

/// `GET /api/vitals?window=1h&group_by=page`
pub async fn vitals(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["window", "from", "to", "group_by"])?;
    let range = params.range(60 * MINUTE)?;
    let grouping = match params.text("group_by")? {
        None => VitalGrouping::Page,
        Some(text) => VitalGrouping::parse(&text).ok_or_else(|| {
            ApiError::BadParameter(format!(
                "parameter 'group_by' must be {}, got '{}'",
                VitalGrouping::NAMES,
                text.chars().take(40).collect::<String>()
            ))
        })?,
    };
    let groups = state.queries.vitals(range, grouping).await?;
    Ok(Json(
        json!({ "from_ms": range.from_millis, "to_ms": range.to_millis, "vitals": groups }),
    ))
}

/// Buckets a series is cut into when `buckets=` is not given, and at most.
pub const DEFAULT_BUCKETS: u32 = 24;
const MAX_BUCKETS: u64 = 1_000;

/// `GET /api/vitals/series?window=24h&buckets=24`: per metric, the p75
/// over the range and per time bucket (what the web UI's sparklines draw).
pub async fn vitals_series(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["window", "from", "to", "buckets"])?;
    let range = params.range(60 * MINUTE)?;
    let count = params
        .number("buckets", MAX_BUCKETS)?
        .map_or(DEFAULT_BUCKETS, |n| n as u32);
    if count == 0 {
        return Err(ApiError::BadParameter(format!(
            "parameter 'buckets' must be from 1 to {MAX_BUCKETS}"
        )));
    }
    let buckets = Buckets::over(range, count);
    let series = state.queries.vitals_series(range, buckets).await?;
    Ok(Json(json!({
        "from_ms": range.from_millis,
        "to_ms": range.to_millis,
        "step_ms": buckets.step_ms,
        "buckets": buckets.count,
        "series": series,
    })))
}

/// `GET /api/page-views/{id}`: a page view, its vitals, errors and traces.
pub async fn page_view(
    State(state): State<ApiState>,
    Path(page_view_id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let page_view_id = params::page_view_id(&page_view_id)?;
    let found = state.queries.page_view(page_view_id).await?;
    let linked = found
        .ok_or_else(|| ApiError::NotFound(format!("no page view '{page_view_id}' is stored")))?;
    Ok(Json(json!(linked)))
}
