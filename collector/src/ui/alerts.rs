//! `/ui/alerts`: what is pending or firing (as `GET /api/alerts`), the
//! silences not over yet and the newest history. A "silence 1h" button per
//! alert and an "expire" button per silence call `/api/silences` from
//! `app.js`, then reload.

use axum::extract::State;
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{empty, page, Nav};
use super::{format, Page};
use crate::alert::engine::Silence;
use crate::api::{active_alerts, ActiveAlert, ApiError, ApiState};
use crate::clock::now_millis;
use crate::model::alert::LabelSet;
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
    let mut body = String::from("<h1>Alerts</h1><p id=\"action-status\" role=\"status\"></p>");
    let Some(alerts) = alerts else {
        body.push_str(&empty(
            "Alerting is off on this collector (alert.enabled = false).",
        ));
        return page("Alerts", Nav::Alerts, &body);
    };
    body.push_str("<h2>Active</h2>");
    body.push_str(&active(&alerts.active));
    body.push_str("<h2>Silences</h2>");
    body.push_str(&silences(&alerts.silences, alerts.now_millis));
    body.push_str("<h2>History</h2>");
    body.push_str(&history(&alerts.history));
    page("Alerts", Nav::Alerts, &body)
}

/// Matchers selecting exactly this alert's labels (a value that starts
/// with `~` would read as a regex: it is matched as an escaped one).
pub fn matchers_for(labels: &LabelSet) -> Vec<String> {
    labels
        .iter()
        .map(|(label, value)| {
            if value.starts_with('~') {
                format!("{label}=~{}", regex::escape(value))
            } else {
                format!("{label}={value}")
            }
        })
        .collect()
}

fn labels(labels: &LabelSet) -> String {
    labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname")
        .map(|(k, v)| format!("<span class=\"chip plain\">{}={}</span>", Esc(k), Esc(v)))
        .collect()
}

fn active(alerts: &[ActiveAlert]) -> String {
    if alerts.is_empty() {
        return empty("Nothing is pending or firing.");
    }
    let mut out = String::from("<div class=\"stack-list\" id=\"active\">");
    for alert in alerts {
        let name = alert.labels.get("alertname").map_or("", String::as_str);
        let summary = alert.annotations.get("summary").map_or("", String::as_str);
        let silenced = if alert.silenced {
            " <span class=\"badge silenced\">silenced</span>"
        } else {
            ""
        };
        let trace = match &alert.example_trace_id {
            Some(id) if !id.is_empty() => format!(
                "<a class=\"trace-link\" href=\"/ui/traces/{}\">example trace</a>",
                path_segment(id)
            ),
            _ => String::new(),
        };
        let matchers =
            serde_json::to_string(&matchers_for(&alert.labels)).unwrap_or_else(|_| "[]".to_owned());
        let button = if alert.silenced {
            String::new()
        } else {
            format!(
                "<button type=\"button\" data-action=\"silence\" data-matchers=\"{}\">Silence 1h</button>",
                Esc(&matchers)
            )
        };
        out.push_str(&format!(
            "<article class=\"panel\" data-fingerprint=\"{fingerprint}\"><h3>\
             <span class=\"badge {state}\">{state}</span> {name}{silenced}</h3><p>{summary}</p>\
             <div class=\"facts\"><span>value {value}</span><span>threshold {threshold}</span>\
             <span>since {since}</span>{trace}</div><p>{labels}</p>{button}</article>",
            fingerprint = Esc(&alert.fingerprint),
            state = alert.state,
            name = Esc(name),
            summary = Esc(summary),
            value = format::number(alert.value),
            threshold = Esc(&alert.threshold),
            since = format::time(alert.starts_at_millis),
            labels = labels(&alert.labels),
        ));
    }
    out.push_str("</div>");
    out
}

fn silences(silences: &[Silence], now: i64) -> String {
    if silences.is_empty() {
        return empty("No silences.");
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"silences\"><thead><tr><th>Matchers</th><th>State</th>\
         <th class=\"wide\">From</th><th>Until</th><th class=\"wide\">Comment</th><th></th></tr></thead><tbody>",
    );
    for silence in silences {
        let matchers: String = silence
            .matchers
            .iter()
            .map(|m| format!("<span class=\"chip plain\">{}</span>", Esc(&m.to_string())))
            .collect();
        let state = if silence.is_active(now) {
            "active"
        } else {
            "starts later"
        };
        out.push_str(&format!(
            "<tr data-silence-id=\"{id}\"><td>{matchers}</td><td>{state}</td><td class=\"wide\">{from}</td>\
             <td>{until}</td><td class=\"wide\">{comment}</td><td><button type=\"button\" class=\"secondary\" \
             data-action=\"expire\" data-silence-id=\"{id}\">Expire</button></td></tr>",
            id = Esc(&silence.id),
            from = format::time(silence.starts_at_millis),
            until = format::time(silence.ends_at_millis),
            comment = Esc(&silence.comment),
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

fn history(events: &[HistoryEntry]) -> String {
    if events.is_empty() {
        return empty("No alert has changed state yet.");
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"history\"><thead><tr><th>Time</th><th>Event</th><th>Alert</th>\
         <th class=\"wide\">Severity</th><th class=\"num wide\">Value</th></tr></thead><tbody>",
    );
    for event in events {
        out.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td class=\"wide\">{}</td><td class=\"num wide\">{}</td></tr>",
            format::time(event.time_millis),
            Esc(&event.event),
            Esc(&event.alertname),
            Esc(&event.severity),
            format::number(event.value),
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
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
