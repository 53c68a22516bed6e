//! How numbers and times read on a page: durations, percentages, UTC
//! times. Text, spliced into pages like any other (maud escapes it).

use std::time::{Duration, UNIX_EPOCH};

use maud::{html, Markup};

use crate::model::{format_number, Precision};

/// A duration: `0.42 ms`, `245.0 ms`, `2.45 s`.
pub fn duration(ms: f64) -> String {
    if !ms.is_finite() {
        "–".to_owned()
    } else if ms >= 1_000.0 {
        format!("{:.2} s", ms / 1_000.0)
    } else if ms >= 1.0 || ms == 0.0 {
        format!("{ms:.1} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// Milliseconds with one decimal, always in ms (tables whose rows are
/// compared with each other).
pub fn ms(ms: f64) -> String {
    format!("{ms:.1} ms")
}

/// `part` of `whole` as a percentage, `–` when the whole is zero.
pub fn percent(part: f64, whole: f64) -> String {
    if whole > 0.0 {
        format!("{:.1} %", part / whole * 100.0)
    } else {
        "–".to_owned()
    }
}

/// A Web Vital's value: CLS is unitless, the rest are milliseconds.
pub fn vital(metric: &str, value: f64) -> String {
    if metric.eq_ignore_ascii_case("CLS") {
        format!("{value:.3}")
    } else if value >= 1_000.0 {
        format!("{:.2} s", value / 1_000.0)
    } else {
        format!("{value:.0} ms")
    }
}

/// A KPI or alert value in a table: whole numbers plainly, others to two
/// decimals, or three significant digits below 1.
pub fn number(value: f64) -> String {
    format_number(value, Precision::TABLE).unwrap_or_else(|| "–".to_owned())
}

/// `n` and the noun, singular or plural: `1 error`, `3 errors`.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// A Unix-millisecond time as `<time>`, in UTC to the second.
pub fn time(millis: i64) -> Markup {
    let rfc3339 = u64::try_from(millis)
        .ok()
        .and_then(|ms| UNIX_EPOCH.checked_add(Duration::from_millis(ms)))
        .map(|t| humantime::format_rfc3339_seconds(t).to_string());
    html! {
        @if let Some(text) = rfc3339 {
            time datetime=(text) { (text.replacen('T', " ", 1).replace('Z', " UTC")) }
        } @else {
            "–"
        }
    }
}

/// `snake_case` KPI names as words: `cache_hit_ratio` → `Cache hit ratio`.
pub fn words(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_values_and_times_read_well() {
        assert_eq!(duration(245.0), "245.0 ms");
        assert_eq!(duration(0.42), "0.42 ms");
        assert_eq!(duration(2_450.0), "2.45 s");
        assert_eq!(ms(2_450.04), "2450.0 ms");
        assert_eq!(percent(1.0, 4.0), "25.0 %");
        assert_eq!(percent(1.0, 0.0), "–");
        assert_eq!(vital("CLS", 0.1234), "0.123");
        assert_eq!(vital("LCP", 3_200.0), "3.20 s");
        assert_eq!(vital("INP", 180.4), "180 ms");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.456), "0.456");
        assert_eq!(number(12.345), "12.35");
        assert_eq!(number(4.0 / 3600.0), "0.00111");
        assert_eq!(count(1, "error", "errors"), "1 error");
        assert_eq!(count(0, "error", "errors"), "0 errors");
        assert_eq!(
            time(1_763_892_000_000).into_string(),
            "<time datetime=\"2025-11-23T10:00:00Z\">2025-11-23 10:00:00 UTC</time>"
        );
        assert_eq!(time(-5).into_string(), "–");
        assert_eq!(words("cache_hit_ratio"), "Cache hit ratio");
    }
}
