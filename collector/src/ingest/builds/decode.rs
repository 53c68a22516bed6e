//! The JSON body of `POST /v1/builds` → [`Build`]. Every refusal names the
//! field and what is wrong with it.
//!
//! Times are RFC 3339 strings (`2026-11-23T10:00:00Z`, fractions and
//! `+02:00` offsets allowed) or Unix milliseconds (a JSON integer).

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::model::build::{Build, BuildKind, BuildStatus, Stage};

/// Longest id, pipeline and commit accepted.
const MAX_TEXT: usize = 200;
/// 2000-01-01T00:00:00Z: earlier times are taken for a unit mistake
/// (seconds sent as milliseconds).
const EARLIEST_MILLIS: i64 = 946_684_800_000;
/// How far ahead of the collector's clock a time may be.
const MAX_AHEAD_MILLIS: i64 = 24 * 3_600_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Wire {
    id: String,
    pipeline: String,
    #[serde(default)]
    kind: Option<String>,
    status: String,
    #[serde(default)]
    commit: Option<String>,
    started_at: Value,
    #[serde(default)]
    finished_at: Option<Value>,
    #[serde(default)]
    stages: Option<BTreeMap<String, Value>>,
}

/// Decodes and checks one event received at `received_at_millis`. An
/// event that finished before `oldest_millis` (the retention) is refused:
/// ClickHouse would drop it at once.
pub fn decode(bytes: &[u8], received_at_millis: i64, oldest_millis: i64) -> Result<Build, String> {
    let wire: Wire = serde_json::from_slice(bytes)
        .map_err(|e| format!("body is not a valid build event: {e}"))?;
    let kind = match wire.kind.as_deref() {
        None => BuildKind::Build,
        Some(text) => BuildKind::parse(text)
            .ok_or_else(|| format!("'kind' must be build or deploy, got '{}'", shown(text)))?,
    };
    let status = BuildStatus::parse(&wire.status).ok_or_else(|| {
        format!(
            "'status' must be success, failed, cancelled or running, got '{}'",
            shown(&wire.status)
        )
    })?;
    let started_at = time("started_at", &wire.started_at, received_at_millis)?;
    let finished_at = match (wire.finished_at.filter(|v| !v.is_null()), status) {
        (None, BuildStatus::Running) => started_at,
        (Some(_), BuildStatus::Running) => {
            return Err("'finished_at' must be absent while 'status' is running".into())
        }
        (None, _) => {
            return Err(format!(
                "'finished_at' is required for a {} {}",
                status.as_str(),
                kind.as_str()
            ))
        }
        (Some(value), _) => time("finished_at", &value, received_at_millis)?,
    };
    if finished_at < started_at {
        return Err("'finished_at' is before 'started_at'".into());
    }
    if finished_at < oldest_millis {
        return Err(
            "the event finished longer ago than the retention (clickhouse.ttl_days) and would not be kept"
                .into(),
        );
    }
    Ok(Build {
        id: text("id", wire.id, true)?,
        pipeline: text("pipeline", wire.pipeline, true)?,
        kind,
        status,
        commit: text("commit", wire.commit.unwrap_or_default(), false)?,
        started_at_millis: started_at,
        finished_at_millis: finished_at,
        stages: stages(wire.stages.unwrap_or_default())?,
        received_at_millis,
    })
}

fn text(field: &str, value: String, required: bool) -> Result<String, String> {
    if required && value.trim().is_empty() {
        return Err(format!("'{field}' must not be empty"));
    }
    if value.chars().count() > MAX_TEXT {
        return Err(format!("'{field}' is longer than {MAX_TEXT} characters"));
    }
    if value.chars().any(char::is_control) {
        return Err(format!("'{field}' contains control characters"));
    }
    Ok(value)
}

fn stages(wire: BTreeMap<String, Value>) -> Result<BTreeMap<Stage, u64>, String> {
    wire.into_iter()
        .map(|(name, value)| {
            let stage = Stage::parse(&name).ok_or_else(|| {
                format!("unknown stage '{}' (known: {})", shown(&name), Stage::NAMES)
            })?;
            let millis = value.as_u64().ok_or_else(|| {
                format!("stage '{name}' must be whole milliseconds (an integer ≥ 0), got {value}")
            })?;
            Ok((stage, millis))
        })
        .collect()
}

fn time(field: &str, value: &Value, received_at_millis: i64) -> Result<i64, String> {
    let millis = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => crate::clock::parse_rfc3339_millis(s),
        _ => None,
    }
    .ok_or_else(|| {
        format!(
            "'{field}' must be RFC 3339 (2026-11-23T10:00:00Z) or Unix milliseconds, got {}",
            shown(&value.to_string())
        )
    })?;
    if millis < EARLIEST_MILLIS {
        return Err(format!(
            "'{field}' is before 2000 (Unix seconds instead of milliseconds?)"
        ));
    }
    if millis > received_at_millis.saturating_add(MAX_AHEAD_MILLIS) {
        return Err(format!(
            "'{field}' is more than a day ahead of the collector's clock"
        ));
    }
    Ok(millis)
}

/// Request text echoed in a message, cut short.
fn shown(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_428_000_000; // 2026-11-23T10:00:00Z

    fn decoded(json: &str) -> Result<Build, String> {
        decode(json.as_bytes(), NOW, NOW - 30 * 86_400_000)
    }

    #[test]
    fn a_full_event_decodes() {
        let build = decoded(
            r#"{"id":"42","pipeline":"site","kind":"deploy","status":"success","commit":"abc123",
                "started_at":"2026-11-23T09:50:00Z","finished_at":1795427700000,
                "stages":{"install":1200,"cache_invalidation":300}}"#,
        )
        .expect("valid");
        assert_eq!(build.kind, BuildKind::Deploy);
        assert_eq!(build.status, BuildStatus::Success);
        assert_eq!(build.started_at_millis, NOW - 600_000);
        assert_eq!(build.finished_at_millis, NOW - 300_000);
        assert_eq!(build.stages.get(&Stage::Install), Some(&1200));
        assert_eq!(build.stages.get(&Stage::CacheInvalidation), Some(&300));
        assert_eq!(build.received_at_millis, NOW);
    }

    #[test]
    fn defaults_and_running_builds() {
        let build =
            decoded(r#"{"id":"1","pipeline":"p","status":"running","started_at":1795427000000}"#)
                .expect("valid");
        assert_eq!(build.kind, BuildKind::Build);
        assert_eq!(build.finished_at_millis, build.started_at_millis);
        assert!(build.stages.is_empty());
        assert_eq!(build.commit, "");
    }

    #[test]
    fn offsets_and_fractions_are_read() {
        assert_eq!(
            crate::clock::parse_rfc3339_millis("2026-11-23T11:00:00+01:00"),
            Some(NOW)
        );
        assert_eq!(
            crate::clock::parse_rfc3339_millis("2026-11-23T07:30:00-02:30"),
            Some(NOW)
        );
        assert_eq!(
            crate::clock::parse_rfc3339_millis("2026-11-23T10:00:00.250Z"),
            Some(NOW + 250)
        );
        assert_eq!(crate::clock::parse_rfc3339_millis("2026-11-23 10:00"), None);
        assert_eq!(
            crate::clock::parse_rfc3339_millis("2026-11-23T10:00:00+1:00"),
            None
        );
    }

    #[test]
    fn every_refusal_names_what_is_wrong() {
        let cases = [
            (
                r#"{"id":"1","pipeline":"p","status":"failed","started_at":1795427000000,"finished_at":1795427000001,"stages":{"compile":5}}"#,
                "unknown stage 'compile'",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"failed","started_at":1795427000000,"finished_at":1795427000001,"stages":{"build":-5}}"#,
                "stage 'build'",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"failed","started_at":1795427000000}"#,
                "'finished_at' is required",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"done","started_at":1795427000000}"#,
                "'status'",
            ),
            (
                r#"{"id":"1","pipeline":"p","kind":"release","status":"running","started_at":1795427000000}"#,
                "'kind'",
            ),
            (
                r#"{"id":"","pipeline":"p","status":"running","started_at":1795427000000}"#,
                "'id' must not be empty",
            ),
            (
                r#"{"id":"1","status":"running","started_at":1795427000000}"#,
                "missing field `pipeline`",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":"yesterday"}"#,
                "'started_at' must be RFC 3339",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":1795427000}"#,
                "before 2000",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":1895427000000}"#,
                "ahead",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"success","started_at":1795427000000,"finished_at":1795426000000}"#,
                "before 'started_at'",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":1795427000000,"finished_at":1795427000000}"#,
                "absent while",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":1795427000000,"branch":"main"}"#,
                "unknown field `branch`",
            ),
            (
                r#"{"id":"1","pipeline":"p","status":"running","started_at":"2026-10-01T00:00:00Z"}"#,
                "retention",
            ),
            (r#"[1,2]"#, "not a valid build event"),
        ];
        for (json, expected) in cases {
            let error = decoded(json).expect_err(json);
            assert!(error.contains(expected), "{json}: {error}");
        }
    }
}
