//! What every message shows the same way: times (RFC 3339 for machines,
//! `2026-11-23 10:00:00 UTC` for people), values, the title, the link to
//! an alert's example trace. Pure functions.

use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use crate::model::alert::{Alert, AlertStatus, Notification};

const HUMAN_UTC: &[BorrowedFormatItem<'_>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second] UTC");

pub use crate::clock::format_rfc3339_millis as rfc3339_millis;

/// `2026-11-23 10:00:00 UTC`: what a person reads in an email or chat.
pub fn human_utc(millis: i64) -> String {
    // Cannot fail: a UTC date-time has every component the format names.
    crate::clock::utc(millis)
        .format(HUMAN_UTC)
        .unwrap_or_default()
}

/// `{external_url}/api/traces/{trace_id}` when the alert has an example
/// trace and a URL to build on. Only hex ids are linked: the id came from
/// stored data and ends up in URLs and HTML.
pub fn trace_link(notification: &Notification, alert: &Alert) -> Option<String> {
    let id = alert.example_trace_id.as_deref()?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let base = notification.external_url.trim_end_matches('/');
    if base.is_empty() {
        return None;
    }
    Some(format!("{base}/api/traces/{id}"))
}

/// A value as people read it in a message.
pub fn format_value(value: f64) -> String {
    crate::model::format_number(value, crate::model::Precision::MESSAGE)
        .unwrap_or_else(|| value.to_string())
}

/// `[FIRING:2] GatewayErrorRate critical` or `[RESOLVED] GatewayErrorRate
/// critical`: the alert name and severity the group shares (else its group
/// labels' values).
pub fn title(notification: &Notification) -> String {
    let common = notification.common_labels();
    let mut words = Vec::new();
    match common.get("alertname") {
        Some(name) => {
            words.push(name.clone());
            if let Some(severity) = common.get("severity") {
                words.push(severity.clone());
            }
        }
        None => words.extend(notification.group_labels.values().cloned()),
    }
    let state = match notification.status {
        AlertStatus::Firing => format!(
            "[FIRING:{}]",
            notification
                .alerts
                .iter()
                .filter(|a| a.status == AlertStatus::Firing)
                .count()
        ),
        AlertStatus::Resolved => "[RESOLVED]".to_owned(),
    };
    if words.is_empty() {
        state
    } else {
        format!("{state} {}", words.join(" "))
    }
}

/// The `severity` label, `none` without one.
pub fn severity_of(alert: &Alert) -> &str {
    alert.labels.get("severity").map_or("none", String::as_str)
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn times_render_in_utc() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(STARTS + 5), "2026-11-23T10:00:00.005Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(human_utc(STARTS), "2026-11-23 10:00:00 UTC");
        // Extreme values do not panic.
        let _ = rfc3339_millis(i64::MIN);
        let _ = rfc3339_millis(i64::MAX);
    }

    #[test]
    fn times_beyond_the_calendar_show_its_bounds() {
        assert_eq!(rfc3339_millis(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(rfc3339_millis(i64::MIN), "-9999-01-01T00:00:00.000Z");
        assert_eq!(human_utc(i64::MAX), "9999-12-31 23:59:59 UTC");
    }

    #[test]
    fn titles_count_firing_alerts() {
        assert_eq!(
            title(&notification(AlertStatus::Firing)),
            "[FIRING:1] GatewayErrorRate critical"
        );
        assert_eq!(
            title(&notification(AlertStatus::Resolved)),
            "[RESOLVED] GatewayErrorRate critical"
        );
    }

    #[test]
    fn trace_links_need_a_hex_id_and_a_base() {
        let mut n = notification(AlertStatus::Firing);
        let alert = n.alerts[0].clone();
        assert_eq!(
            trace_link(&n, &alert).as_deref(),
            Some("https://jamscope.example/api/traces/4bf92f3577b34da6a3ce929d0e0e4736")
        );
        let mut odd = alert.clone();
        odd.example_trace_id = Some("<script>".into());
        assert_eq!(trace_link(&n, &odd), None);
        n.external_url.clear();
        assert_eq!(trace_link(&n, &alert), None);
    }

    #[test]
    fn values_are_short() {
        assert_eq!(format_value(0.034), "0.034");
        assert_eq!(format_value(250.0), "250");
        assert_eq!(format_value(1.5), "1.5");
        assert_eq!(format_value(1e-9), "0.000000001");
    }
}
