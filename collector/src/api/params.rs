//! Query-string parameters: parsed and checked before any query runs, each
//! refusal naming the parameter. Unknown parameters are refused too, so a
//! typo (`servce=`) is an error, not a silently wider answer.

use crate::clock::now_millis;
use std::collections::HashMap;
use std::time::Duration;

use super::ApiError;
use crate::model::{Layer, TraceId};
use crate::store::queries::TimeRange;

/// The query string of one request.
pub struct Params {
    values: HashMap<String, String>,
}

/// The longest window or range a query may cover.
const MAX_RANGE: Duration = Duration::from_secs(90 * 24 * 3600);

impl Params {
    /// Takes the parameters, refusing any not in `known`.
    pub fn new(values: HashMap<String, String>, known: &[&str]) -> Result<Self, ApiError> {
        if let Some(unknown) = values.keys().find(|k| !known.contains(&k.as_str())) {
            return Err(ApiError::BadParameter(format!(
                "unknown parameter '{}' (known: {})",
                shown(unknown),
                known.join(", ")
            )));
        }
        Ok(Self { values })
    }

    /// A non-empty string, when given.
    pub fn text(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.values.get(name) {
            None => Ok(None),
            Some(v) if v.is_empty() => Ok(None),
            Some(v) if v.len() > 200 => Err(ApiError::BadParameter(format!(
                "parameter '{name}' is longer than 200 characters"
            ))),
            Some(v) => Ok(Some(v.clone())),
        }
    }

    pub fn number(&self, name: &str, max: u64) -> Result<Option<u64>, ApiError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        match text.parse::<u64>() {
            Ok(n) if n <= max => Ok(Some(n)),
            _ => Err(ApiError::BadParameter(format!(
                "parameter '{name}' must be a whole number from 0 to {max}, got '{}'",
                shown(&text)
            ))),
        }
    }

    /// A layer by any of its names (`layer=edge` is the CDN), when given.
    pub fn layer(&self) -> Result<Option<Layer>, ApiError> {
        self.text("layer")?
            .map(|text| {
                text.parse::<Layer>().map_err(|problem| {
                    ApiError::BadParameter(format!("parameter 'layer': {problem}"))
                })
            })
            .transpose()
    }

    /// `window=5m` (ending now), or `from=`/`to=` (RFC 3339 or Unix ms);
    /// `default_window` when none is given.
    pub fn range(&self, default_window: Duration) -> Result<TimeRange, ApiError> {
        let now = now_millis();
        let window = self.text("window")?;
        let (from, to) = (self.time("from")?, self.time("to")?);
        if window.is_some() && (from.is_some() || to.is_some()) {
            return Err(ApiError::BadParameter(
                "give either 'window' or 'from'/'to', not both".into(),
            ));
        }
        let range = match window {
            Some(text) => {
                let window = humantime::parse_duration(&text).map_err(|_| {
                    ApiError::BadParameter(format!(
                        "parameter 'window' must be a duration such as 5m, 1h or 7d, got '{}'",
                        shown(&text)
                    ))
                })?;
                TimeRange {
                    from_millis: now - millis(window),
                    to_millis: now,
                }
            }
            None => {
                let to = to.unwrap_or(now);
                TimeRange {
                    from_millis: from.unwrap_or(to - millis(default_window)),
                    to_millis: to,
                }
            }
        };
        if range.from_millis > range.to_millis {
            return Err(ApiError::BadParameter("'from' is after 'to'".into()));
        }
        if range.to_millis - range.from_millis > millis(MAX_RANGE) {
            return Err(ApiError::BadParameter(
                "the time range is longer than 90 days".into(),
            ));
        }
        Ok(range)
    }

    fn time(&self, name: &str) -> Result<Option<i64>, ApiError> {
        let Some(text) = self.text(name)? else {
            return Ok(None);
        };
        if let Ok(ms) = text.parse::<i64>() {
            return Ok(Some(ms));
        }
        crate::clock::parse_rfc3339_millis(&text)
            .map(Some)
            .ok_or_else(|| {
                ApiError::BadParameter(format!(
                    "parameter '{name}' must be RFC 3339 (2026-11-23T10:00:00Z) or Unix milliseconds, got '{}'",
                    shown(&text)
                ))
            })
    }
}

/// A trace id from a path: 32 hex digits, not all zero.
pub fn trace_id(text: &str) -> Result<TraceId, ApiError> {
    TraceId::from_hex(text).ok_or_else(|| {
        ApiError::BadParameter(format!(
            "trace id must be 32 hex digits and not all zero, got '{}'",
            shown(text)
        ))
    })
}

/// A page view id from a path: 1 to 128 letters, digits or `-_.:`.
pub fn page_view_id(text: &str) -> Result<&str, ApiError> {
    if text.is_empty()
        || text.len() > 128
        || !text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.:".contains(c))
    {
        return Err(ApiError::BadParameter(
            "page view id must be 1 to 128 letters, digits or -_.:".into(),
        ));
    }
    Ok(text)
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Request text echoed in a message, cut short.
fn shown(text: &str) -> String {
    text.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)], known: &[&str]) -> Result<Params, ApiError> {
        Params::new(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            known,
        )
    }

    #[test]
    fn unknown_and_malformed_parameters_are_named() {
        let error = params(&[("servce", "x")], &["service"]).err().unwrap();
        assert!(error.to_string().contains("'servce'"));
        let p = params(
            &[("limit", "lots"), ("window", "soon")],
            &["limit", "window"],
        )
        .unwrap();
        assert!(p
            .number("limit", 1000)
            .unwrap_err()
            .to_string()
            .contains("'limit'"));
        assert!(p
            .range(Duration::from_secs(60))
            .unwrap_err()
            .to_string()
            .contains("'window'"));
        let p = params(&[("limit", "5000")], &["limit"]).unwrap();
        assert!(p.number("limit", 1000).is_err());
    }

    #[test]
    fn ranges_come_from_a_window_or_from_and_to() {
        let p = params(&[("window", "5m")], &["window"]).unwrap();
        let r = p.range(Duration::from_secs(3600)).unwrap();
        assert_eq!(r.to_millis - r.from_millis, 300_000);
        let p = params(
            &[("from", "2025-11-23T10:00:00Z"), ("to", "1763895600000")],
            &["from", "to"],
        )
        .unwrap();
        let r = p.range(Duration::from_secs(3600)).unwrap();
        assert_eq!(r.from_millis, 1_763_892_000_000);
        assert_eq!(r.to_millis, 1_763_895_600_000);
        let p = params(&[("window", "1h"), ("from", "0")], &["window", "from"]).unwrap();
        assert!(p.range(Duration::from_secs(60)).is_err());
        let p = params(&[("window", "365d")], &["window"]).unwrap();
        assert!(p.range(Duration::from_secs(60)).is_err());
    }

    #[test]
    fn trace_ids_are_checked() {
        assert!(trace_id("4bf92f3577b34da6a3ce929d0e0e4736").is_ok());
        assert!(trace_id("4bf92f35").is_err());
        assert!(trace_id("00000000000000000000000000000000").is_err());
        assert!(trace_id("' OR 1=1 --").is_err());
    }

    #[test]
    fn page_view_ids_are_checked() {
        assert_eq!(page_view_id("p-0123.ab:c_d").unwrap(), "p-0123.ab:c_d");
        assert!(page_view_id("").is_err());
        assert!(page_view_id("<script>").is_err());
        assert!(page_view_id(&"a".repeat(129)).is_err());
    }
}
