//! `/api/alerts` (what is pending or firing now, and its history) and
//! `/api/silences` (list, create, expire). Alert state is read from
//! ClickHouse, where the evaluating collector saves it, so every collector
//! answers the same.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::{Deserialize, Serialize};

use super::{ApiError, ApiState};
use crate::alert::engine::{Matcher, Phase, Silence};
use crate::alert::service::AlertTables;
use crate::clock::now_millis;
use crate::model::alert::LabelSet;
use crate::store::queries::HistoryEntry;

const MAX_HISTORY: u32 = 10_000;

fn store(state: &ApiState) -> Result<&AlertTables, ApiError> {
    state.alerts.as_ref().ok_or_else(disabled)
}

fn disabled() -> ApiError {
    ApiError::NotFound("alerting is disabled on this collector (alert.enabled = false)".into())
}

#[derive(Serialize)]
pub struct ActiveAlert {
    pub fingerprint: String,
    /// `pending` (breaching, not yet for the rule's `for`) or `firing`.
    pub state: &'static str,
    pub labels: LabelSet,
    pub annotations: LabelSet,
    pub value: f64,
    pub threshold: String,
    pub starts_at_millis: i64,
    pub example_trace_id: Option<String>,
    /// Muted by an active silence.
    pub silenced: bool,
}

#[derive(Serialize)]
pub struct ActiveAlerts {
    pub alerts: Vec<ActiveAlert>,
}

pub async fn active(State(state): State<ApiState>) -> Result<Json<ActiveAlerts>, ApiError> {
    let alerts = active_alerts(store(&state)?).await?;
    Ok(Json(ActiveAlerts { alerts }))
}

/// What is pending or firing now, by labels, each marked when a silence
/// mutes it (the API's and the web UI's list).
pub(crate) async fn active_alerts(store: &AlertTables) -> Result<Vec<ActiveAlert>, ApiError> {
    let now = now_millis();
    let saved = store.load_state().await?.unwrap_or_default();
    let silences = store.silences(now).await?;
    let mut alerts: Vec<ActiveAlert> = saved
        .alerts
        .into_values()
        .filter_map(|tracked| {
            let state = match tracked.phase {
                Phase::Pending => "pending",
                Phase::Firing => "firing",
                Phase::Resolved => return None,
            };
            let alert = tracked.alert;
            Some(ActiveAlert {
                silenced: Silence::mutes(&silences, &alert.labels, now),
                fingerprint: alert.fingerprint,
                state,
                labels: alert.labels,
                annotations: alert.annotations,
                value: alert.value,
                threshold: alert.threshold,
                starts_at_millis: alert.starts_at_millis,
                example_trace_id: alert.example_trace_id,
            })
        })
        .collect();
    alerts.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(alerts)
}

#[derive(Deserialize)]
pub struct HistoryParams {
    limit: Option<String>,
    alertname: Option<String>,
}

#[derive(Serialize)]
pub struct History {
    pub events: Vec<HistoryEntry>,
}

pub async fn history(
    State(state): State<ApiState>,
    Query(params): Query<HistoryParams>,
) -> Result<Json<History>, ApiError> {
    let store = store(&state)?;
    let limit = match params.limit.as_deref() {
        None => 100,
        Some(text) => text
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_HISTORY).contains(n))
            .ok_or_else(|| {
                ApiError::BadParameter(format!(
                    "limit '{text}' must be a whole number from 1 to {MAX_HISTORY}"
                ))
            })?,
    };
    let events = store
        .history(limit, params.alertname.as_deref().filter(|n| !n.is_empty()))
        .await?;
    Ok(Json(History { events }))
}

#[derive(Serialize)]
pub struct RuleView {
    pub name: String,
    pub group: String,
    pub file: String,
    pub line: usize,
    /// The rule in words, as `jamscope rules check` prints it.
    pub description: String,
}

#[derive(Serialize)]
pub struct Rules {
    pub rules: Vec<RuleView>,
}

/// The rules being evaluated now (after the latest reload that loaded).
pub async fn rules(State(state): State<ApiState>) -> Result<Json<Rules>, ApiError> {
    let current = state.rules.as_ref().ok_or_else(disabled)?;
    let set = std::sync::Arc::clone(&current.borrow());
    let rules = set
        .rules
        .iter()
        .map(|rule| RuleView {
            name: rule.name.clone(),
            group: rule.group.clone(),
            file: rule.file.display().to_string(),
            line: rule.line,
            description: rule.describe(),
        })
        .collect();
    Ok(Json(Rules { rules }))
}

#[derive(Serialize)]
pub struct Silences {
    pub silences: Vec<Silence>,
}

/// Silences not over yet (active or starting later).
pub async fn list_silences(State(state): State<ApiState>) -> Result<Json<Silences>, ApiError> {
    let silences = store(&state)?.silences(now_millis()).await?;
    Ok(Json(Silences { silences }))
}

/// `POST /api/silences` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewSilence {
    matchers: Vec<String>,
    /// RFC 3339; default now.
    starts_at: Option<String>,
    /// RFC 3339, or give `duration` instead.
    ends_at: Option<String>,
    /// `30m`, `2h`, ... from `starts_at`.
    duration: Option<String>,
    #[serde(default)]
    comment: String,
    #[serde(default)]
    created_by: String,
}

pub async fn create_silence(
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let store = store(&state)?;
    let request: NewSilence = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadParameter(format!("the silence is not valid JSON: {e}")))?;
    let now = now_millis();
    let silence = silence_from(request, now)?;
    store.save_silence(&silence.0, now, &silence.1).await?;
    Ok((StatusCode::CREATED, Json(silence.0)))
}

fn silence_from(request: NewSilence, now: i64) -> Result<(Silence, String), ApiError> {
    let bad = |m: String| ApiError::BadParameter(m);
    if request.matchers.is_empty() {
        return Err(bad(
            "matchers must name at least one label=value or label=~regex".into(),
        ));
    }
    let matchers = request
        .matchers
        .iter()
        .map(|m| m.parse::<Matcher>())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| bad(e.to_string()))?;
    let starts_at = match &request.starts_at {
        Some(text) => rfc3339_millis("starts_at", text)?,
        None => now,
    };
    let ends_at = match (&request.ends_at, &request.duration) {
        (Some(text), None) => rfc3339_millis("ends_at", text)?,
        (None, Some(text)) => {
            let duration = crate::alert::duration::Millis::parse(text)
                .map_err(|e| bad(format!("duration: {e}")))?;
            starts_at.saturating_add(duration.0)
        }
        _ => {
            return Err(bad(
                "give exactly one of ends_at (RFC 3339) and duration (e.g. 2h)".into(),
            ))
        }
    };
    if ends_at <= starts_at.max(now) {
        return Err(bad(
            "the silence must end after it starts and after now".into()
        ));
    }
    let id = format!("{:016x}", fastrand::u64(..));
    Ok((
        Silence {
            id,
            matchers,
            starts_at_millis: starts_at,
            ends_at_millis: ends_at,
            comment: request.comment,
        },
        request.created_by,
    ))
}

fn rfc3339_millis(field: &str, text: &str) -> Result<i64, ApiError> {
    crate::clock::parse_rfc3339_millis(text).ok_or_else(|| {
        ApiError::BadParameter(format!(
            "{field} '{text}' is not an RFC 3339 time (e.g. 2026-11-24T10:00:00Z)"
        ))
    })
}

/// `DELETE /api/silences/{id}`: the silence ends now.
pub async fn expire_silence(
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<Silence>, ApiError> {
    let store = store(&state)?;
    let now = now_millis();
    let Some(mut silence) = store.silence(&id).await? else {
        return Err(ApiError::NotFound(format!("no silence with id '{id}'")));
    };
    if silence.ends_at_millis > now {
        silence.ends_at_millis = now.max(silence.starts_at_millis);
        store.save_silence(&silence, now, "").await?;
    }
    Ok(Json(silence))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: &str) -> NewSilence {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn silences_need_matchers_and_an_end_after_now() {
        let now = 1_764_000_000_000;
        let (silence, _) = silence_from(
            request(r#"{"matchers":["service=~api.*"],"duration":"2h","comment":"deploy"}"#),
            now,
        )
        .unwrap();
        assert_eq!(silence.starts_at_millis, now);
        assert_eq!(silence.ends_at_millis, now + 7_200_000);
        for (json, expected) in [
            (r#"{"matchers":[],"duration":"2h"}"#, "at least one"),
            (r#"{"matchers":["nope"],"duration":"2h"}"#, "label=value"),
            (r#"{"matchers":["a=b"]}"#, "exactly one"),
            (
                r#"{"matchers":["a=b"],"ends_at":"2020-01-01T00:00:00Z"}"#,
                "after",
            ),
            (r#"{"matchers":["a=b"],"ends_at":"tomorrow"}"#, "RFC 3339"),
        ] {
            let error = silence_from(request(json), now).unwrap_err().to_string();
            assert!(error.contains(expected), "{json}: {error}");
        }
    }
}
