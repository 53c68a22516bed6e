//! `GET /api/builds?limit=50`: the newest build and deploy events.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::params::Params;
use super::{ApiError, ApiState};

pub async fn recent(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["limit"])?;
    let limit = params.number("limit", 1000)?.unwrap_or(50) as u32;
    let builds = state.queries.recent_builds(limit).await?;
    Ok(Json(json!({ "builds": builds })))
}
