//! Error groups of every layer: `GET /api/errors` lists them (filtered by
//! layer, service, release and state) and `POST /api/errors/{fingerprint}/state`
//! records a decision (resolve, ignore, reopen), behind the API key like
//! every `/api` route.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::params::Params;
use super::{ApiError, ApiState};
use crate::clock::now_millis;
use crate::errors::sourcemaps::Symbolicator;
use crate::model::error::{Decision, Fingerprint, GroupDecision, GroupState};
use crate::model::Layer;
use crate::store::queries::GroupFilter;
use crate::store::rows::ErrorDecisionTable;
use crate::store::writer::{insert_now, InsertTarget};

/// What the error endpoints write with.
#[derive(Clone)]
pub struct ErrorWrites {
    pub target: InsertTarget,
    /// Told when a release's maps change; `None` when nothing symbolicates.
    pub symbolicator: Option<Arc<Symbolicator>>,
    pub max_map_bytes: usize,
    /// Releases whose maps an app keeps (0: all).
    pub keep_releases: u32,
}

/// The parameters `GET /api/errors` and the errors page take.
pub const ERROR_PARAMS: [&str; 8] = [
    "window", "from", "to", "limit", "layer", "service", "release", "state",
];

/// The filter of a request's `layer`, `service`, `release` and `state`.
pub fn group_filter(params: &Params) -> Result<GroupFilter, ApiError> {
    let layer = params.text("layer")?;
    if let Some(layer) = &layer {
        if !Layer::ALL.iter().any(|known| known.as_str() == layer) {
            return Err(ApiError::BadParameter(format!(
                "parameter 'layer' must be one of {}",
                Layer::ALL.map(Layer::as_str).join(", ")
            )));
        }
    }
    let state = match params.text("state")? {
        None => None,
        Some(text) => Some(GroupState::parse(&text).ok_or_else(|| {
            ApiError::BadParameter(format!(
                "parameter 'state' must be one of {}",
                GroupState::ALL.map(GroupState::as_str).join(", ")
            ))
        })?),
    };
    Ok(GroupFilter {
        layer,
        service: params.text("service")?,
        release: params.text("release")?,
        state,
    })
}

/// `GET /api/errors?window=24h&limit=50&layer=&service=&release=&state=`
pub async fn list(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &ERROR_PARAMS)?;
    let range = params.range(Duration::from_secs(24 * 3600))?;
    let limit = params.number("limit", 1000)?.unwrap_or(50) as u32;
    let filter = group_filter(&params)?;
    let groups = state
        .queries
        .error_groups(range, &filter, limit, now_millis())
        .await?;
    Ok(Json(
        json!({ "from_ms": range.from_millis, "to_ms": range.to_millis, "errors": groups }),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewDecision {
    /// `resolved`, `ignored` or `open` (reopen).
    state: String,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    by: String,
}

/// `POST /api/errors/{fingerprint}/state` with `{"state": "resolved"}`.
pub async fn decide(
    State(state): State<ApiState>,
    Path(fingerprint): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let writes = writes(&state)?;
    let fingerprint = Fingerprint::parse(&fingerprint)
        .ok_or_else(|| ApiError::BadParameter("a fingerprint is 16 lowercase hex digits".into()))?;
    let asked: NewDecision = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadParameter(format!("the decision is not valid JSON: {e}")))?;
    let decision = Decision::parse(&asked.state).ok_or_else(|| {
        ApiError::BadParameter(format!(
            "'state' must be resolved, ignored or open, got '{}'",
            asked.state.chars().take(40).collect::<String>()
        ))
    })?;
    let releases = state
        .queries
        .error_group_releases(&fingerprint.to_string())
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no error group {fingerprint} is stored")))?;
    let record = GroupDecision {
        fingerprint,
        decision,
        resolved_releases: match decision {
            Decision::Resolved => releases,
            Decision::Open | Decision::Ignored => Vec::new(),
        },
        decided_at_millis: now_millis(),
        decided_by: cut(asked.by, 200),
        comment: cut(asked.comment, 2000),
    };
    insert_now::<ErrorDecisionTable>(&writes.target, std::slice::from_ref(&record)).await?;
    Ok(Json(json!({
        "fingerprint": record.fingerprint.to_string(),
        "decision": record.decision.as_str(),
        "resolved_releases": record.resolved_releases,
        "decided_at_ms": record.decided_at_millis,
    })))
}

pub(super) fn writes(state: &ApiState) -> Result<&ErrorWrites, ApiError> {
    state
        .errors
        .as_ref()
        .ok_or_else(|| ApiError::NotFound("this collector does not store errors".into()))
}

fn cut(text: String, chars: usize) -> String {
    text.chars().take(chars).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Params {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Params::new(values, &ERROR_PARAMS).unwrap()
    }

    #[test]
    fn filters_are_checked_and_named() {
        let filter = group_filter(&params(&[
            ("layer", "gateway"),
            ("state", "regressed"),
            ("release", "1.2"),
        ]))
        .unwrap();
        assert_eq!(filter.layer.as_deref(), Some("gateway"));
        assert_eq!(filter.state, Some(GroupState::Regressed));
        assert_eq!(filter.release.as_deref(), Some("1.2"));
        let bad_layer = group_filter(&params(&[("layer", "moon")])).unwrap_err();
        assert!(bad_layer
            .to_string()
            .contains("'layer' must be one of browser"));
        let bad_state = group_filter(&params(&[("state", "fixed")])).unwrap_err();
        assert!(bad_state
            .to_string()
            .contains("new, ongoing, resolved, regressed, ignored"));
    }
}
