//! `/ui/alerts`: what is pending or firing (as `GET /api/alerts`), the
//! silences not over yet and the newest history. A "silence 1h" button per
//! alert and an "expire" button per silence call `/api/silences` from
//! `app.js`, then reload.

mod active;

pub use active::{alert_name, alert_summary};

use axum::extract::State;
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{empty, page, scroll_table, Nav};
use super::{format, Page};
use crate::alert::engine::Silence;
use crate::api::{active_alerts, ActiveAlert, ApiError, ApiState};
use crate::clock::now_millis;
use crate::store::queries::HistoryEntry;

const HISTORY_SHOWN: u32 = 50;

/// Everything the page shows, when alerting is on.
pub struct Alerts {
    pub active: Vec<ActiveAlert>,
    pub silences: Vec<Silence>,
    pub history: Vec<HistoryEntry>,
    pub now_millis: i64,
}

pub async fn show(State(state): State<ApiState>) -> Page {
    let Some(store) = &state.alerts else {
        return Ok(Html(render(None)));
    };
    let now = now_millis();
    let (active, silences, history) = tokio::try_join!(
        active_alerts(store),
        async { Ok::<_, ApiError>(store.silences(now).await?) },
        async { Ok::<_, ApiError>(store.history(HISTORY_SHOWN, None).await?) },
    )?;
    Ok(Html(render(Some(&Alerts {
        active,
        silences,
        history,
        now_millis: now,
    }))))
}

pub fn render(alerts: Option<&Alerts>) -> String {
    let body = html! {
        h1 { "Alerts" }
        p id="action-status" role="status" {}
        @if let Some(alerts) = alerts {
            h2 { "Active" }
            (active::render(&alerts.active))
            h2 { "Silences" }
            (silences(&alerts.silences, alerts.now_millis))
            h2 { "History" }
            (history(&alerts.history))
        } @else {
            (empty("Alerting is off on this collector (alert.enabled = false)."))
        }
    };
    page("Alerts", Nav::Alerts, body)
}

fn silences(silences: &[Silence], now: i64) -> Markup {
    if silences.is_empty() {
        return empty("No silences.");
    }
    let head = html! {
        th { "Matchers" } th { "State" } th class="wide" { "From" } th { "Until" }
        th class="wide" { "Comment" } th {}
    };
    let rows = html! {
        @for silence in silences {
            tr data-silence-id=(silence.id) {
                td {
                    @for matcher in &silence.matchers {
                        span class="chip plain" { (matcher) }
                    }
                }
                td { @if silence.is_active(now) { "active" } @else { "starts later" } }
                td class="wide" { (format::time(silence.starts_at_millis)) }
                td { (format::time(silence.ends_at_millis)) }
                td class="wide" { (silence.comment) }
                td {
                    button type="button" class="secondary" data-action="expire"
                        data-silence-id=(silence.id) { "Expire" }
                }
            }
        }
    };
    scroll_table("silences", head, rows)
}

fn history(events: &[HistoryEntry]) -> Markup {
    if events.is_empty() {
        return empty("No alert has changed state yet.");
    }
    let head = html! {
        th { "Time" } th { "Event" } th { "Alert" } th class="wide" { "Severity" }
        th class="num wide" { "Value" }
    };
    let rows = html! {
        @for event in events {
            tr {
                td { (format::time(event.time_millis)) }
                td { (event.event) }
                td { (event.alertname) }
                td class="wide" { (event.severity) }
                td class="num wide" { (format::number(event.value)) }
            }
        }
    };
    scroll_table("history", head, rows)
}

#[cfg(test)]
mod tests {
    use super::active::matchers_for;
    use super::*;

    fn alert(labels: &[(&str, &str)]) -> ActiveAlert {
        ActiveAlert {
            fingerprint: "f1".into(),
            state: "firing",
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            annotations: [("summary".to_owned(), "<b>5 %</b> fail".to_owned())].into(),
            value: 5.0,
            threshold: "> 1".into(),
            starts_at_millis: 1_763_892_000_000,
            example_trace_id: Some("4bf92f3577b34da6a3ce929d0e0e4736".into()),
            silenced: false,
        }
    }

    #[test]
    fn off_and_quiet_show_empty_states() {
        assert!(render(None).contains("Alerting is off"));
        let html = render(Some(&Alerts {
            active: Vec::new(),
            silences: Vec::new(),
            history: Vec::new(),
            now_millis: 0,
        }));
        assert!(html.contains("Nothing is pending or firing."));
        assert!(html.contains("No silences."));
        assert!(html.contains("No alert has changed state yet."));
    }

    #[test]
    fn an_alert_can_be_silenced_by_its_exact_labels() {
        let firing = alert(&[
            ("alertname", "GatewayErrors"),
            ("service", "api\"<x>"),
            ("odd", "~v"),
        ]);
        assert_eq!(
            matchers_for(&firing.labels),
            ["alertname=GatewayErrors", "odd=~\\~v", "service=api\"<x>"]
        );
        for matcher in matchers_for(&firing.labels) {
            let parsed: crate::alert::engine::Matcher = matcher.parse().unwrap();
            assert!(parsed.matches(&firing.labels), "{matcher}");
        }
        let html = render(Some(&Alerts {
            active: vec![firing],
            silences: Vec::new(),
            history: Vec::new(),
            now_millis: 0,
        }));
        assert!(html.contains(
            "data-matchers=\"[&quot;alertname=GatewayErrors&quot;,&quot;odd=~\\\\~v&quot;,&quot;service=api\\&quot;&lt;x&gt;&quot;]\""
        ));
        assert!(html.contains("&lt;b&gt;5 %&lt;/b&gt; fail"));
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
    }

    #[test]
    fn silences_have_an_expire_button() {
        let silence = Silence {
            id: "00ab".into(),
            matchers: vec!["alertname=GatewayErrors".parse().unwrap()],
            starts_at_millis: 0,
            ends_at_millis: 10_000,
            comment: "deploying <now>".into(),
        };
        let html = render(Some(&Alerts {
            active: Vec::new(),
            silences: vec![silence],
            history: Vec::new(),
            now_millis: 5_000,
        }));
        assert!(html.contains("data-action=\"expire\" data-silence-id=\"00ab\""));
        assert!(html.contains("<td>active</td>"));
        assert!(html.contains("deploying &lt;now&gt;"));
    }
}
