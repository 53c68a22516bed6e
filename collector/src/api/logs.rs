//! `GET /api/logs?service=&layer=&severity=&q=&trace_id=&window=`: log
//! records, newest first (the web UI's logs page takes the same
//! parameters); and a trace's records put under the spans that emitted
//! them, for `GET /api/traces/{id}`.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use super::params::{self, Params};
use super::{ApiError, ApiState, TraceView};
use crate::model::{severity_label, Severity, MAX_SEVERITY_NUMBER};
use crate::store::queries::{words, LogFilter, StoredLog};

/// The parameters of a log search.
pub const LOG_PARAMS: [&str; 9] = [
    "service", "layer", "severity", "q", "trace_id", "from", "to", "window", "limit",
];

/// Records shown when `limit` is not given, and the most it may ask for.
const DEFAULT_LIMIT: u64 = 100;
const MAX_LIMIT: u64 = 1_000;

/// One log record as the API shows it: as stored, with its severity in
/// words (the sender's text, else its number's range).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogView {
    #[serde(flatten)]
    pub stored: StoredLog,
    pub severity: String,
}

impl From<StoredLog> for LogView {
    fn from(stored: StoredLog) -> Self {
        let severity = severity_label(&stored.severity_text, stored.severity_number);
        Self { stored, severity }
    }
}

/// The filter `GET /api/logs` and the logs page share; an hour back when
/// no window is given.
pub fn log_filter_from(params: &Params) -> Result<LogFilter, ApiError> {
    let q = params.text("q")?;
    let words = q.as_deref().map(words).unwrap_or_default();
    if q.is_some() && words.is_empty() {
        return Err(ApiError::BadParameter(
            "parameter 'q' must hold a word (letters or digits)".into(),
        ));
    }
    Ok(LogFilter {
        range: params.range(Duration::from_secs(3600))?,
        service: params.text("service")?,
        layer: params.layer()?.map(|layer| layer.as_str().to_owned()),
        min_severity: params
            .text("severity")?
            .map(|text| min_severity(&text))
            .transpose()?,
        trace_id: params
            .text("trace_id")?
            .map(|text| params::trace_id(&text))
            .transpose()?,
        words,
        limit: params.number("limit", MAX_LIMIT)?.unwrap_or(DEFAULT_LIMIT) as u32,
    })
}

/// `severity=error` (that range and above) or a `SeverityNumber`.
fn min_severity(text: &str) -> Result<u8, ApiError> {
    if let Ok(number) = text.parse::<u8>() {
        if (1..=MAX_SEVERITY_NUMBER).contains(&number) {
            return Ok(number);
        }
    }
    text.parse::<Severity>()
        .map(Severity::lowest_number)
        .map_err(|problem| {
            ApiError::BadParameter(format!(
                "parameter 'severity': {problem}, or a number from 1 to {MAX_SEVERITY_NUMBER}"
            ))
        })
}

/// `GET /api/logs?service=&layer=&severity=&q=&trace_id=&from=&to=&window=&limit=`
pub async fn search(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &LOG_PARAMS)?;
    let filter = log_filter_from(&params)?;
    let found = state.queries.search_logs(&filter).await?;
    let logs: Vec<LogView> = found.into_iter().map(LogView::from).collect();
    Ok(Json(json!({
        "from_ms": filter.range.from_millis,
        "to_ms": filter.range.to_millis,
        "logs": logs,
    })))
}

/// Puts each of a trace's records under the span that emitted it; those
/// naming no span of the trace stay with the trace.
pub(crate) fn attach(view: &mut TraceView, logs: Vec<StoredLog>) {
    for stored in logs {
        let log = LogView::from(stored);
        match view
            .spans
            .iter_mut()
            .find(|span| span.span_id == log.stored.span_id)
        {
            Some(span) => span.logs.push(log),
            None => view.logs.push(log),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> Result<LogFilter, ApiError> {
        let values = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        log_filter_from(&Params::new(values, &LOG_PARAMS)?)
    }

    #[test]
    fn a_search_reads_every_parameter() {
        let filter = params(&[
            ("service", "cms"),
            ("layer", "origin"),
            ("severity", "warning"),
            ("q", "Payment declined!"),
            ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
            ("window", "15m"),
            ("limit", "20"),
        ])
        .unwrap();
        assert_eq!(filter.service.as_deref(), Some("cms"));
        assert_eq!(filter.layer.as_deref(), Some("cms"));
        assert_eq!(filter.min_severity, Some(13));
        assert_eq!(filter.words, ["payment", "declined"]);
        assert!(filter.trace_id.is_some());
        assert_eq!(filter.range.to_millis - filter.range.from_millis, 900_000);
        assert_eq!(filter.limit, 20);
        let defaults = params(&[]).unwrap();
        assert_eq!(
            (defaults.limit, defaults.min_severity, defaults.words.len()),
            (100, None, 0)
        );
        assert_eq!(
            params(&[("severity", "17")]).unwrap().min_severity,
            Some(17)
        );
    }

    #[test]
    fn bad_parameters_are_named() {
        for (pairs, named) in [
            (vec![("severity", "loud")], "'severity'"),
            (vec![("severity", "25")], "'severity'"),
            (vec![("q", "?!")], "'q'"),
            (vec![("trace_id", "abc")], "trace id"),
            (vec![("layer", "mainframe")], "'layer'"),
            (vec![("limit", "5000")], "'limit'"),
            (vec![("servce", "x")], "'servce'"),
        ] {
            let error = params(&pairs).unwrap_err().to_string();
            assert!(error.contains(named), "{pairs:?}: {error}");
        }
    }
}
