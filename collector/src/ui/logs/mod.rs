//! `/ui/logs`: log search with the parameters of `GET /api/logs` (words
//! of the body, service, layer, lowest severity, trace, window or
//! from/to, limit); newest first, each record with its service, layer and
//! a link to its trace.

mod form;
mod record;

pub use form::Asked;
pub use record::{body_and_attributes, severity_badge};

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{empty, layer_chip, page, scroll_table, Nav};
use super::link::trace_page;
use super::{format, Page};
use crate::api::params::Params;
use crate::api::{log_filter_from, ApiState, LogView, LOG_PARAMS};

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let params = Params::new(query, &LOG_PARAMS)?;
    let filter = log_filter_from(&params)?;
    let asked = Asked {
        service: params.text("service")?.unwrap_or_default(),
        layer: filter.layer.clone().unwrap_or_default(),
        severity: params
            .text("severity")?
            .unwrap_or_default()
            .to_ascii_lowercase(),
        q: params.text("q")?.unwrap_or_default(),
        trace_id: params.text("trace_id")?.unwrap_or_default(),
        window: params.text("window")?.unwrap_or_default(),
    };
    let logs: Vec<LogView> = state
        .queries
        .search_logs(&filter)
        .await?
        .into_iter()
        .map(LogView::from)
        .collect();
    Ok(Html(render(&asked, &logs)))
}

pub fn render(asked: &Asked, logs: &[LogView]) -> String {
    let body = html! {
        h1 { "Logs" }
        (form::render(asked))
        @if logs.is_empty() {
            (empty("No log records match this search in this time range."))
        } @else {
            p class="muted" { (format::count(logs.len() as u64, "log record", "log records")) ", newest first." }
            (table(logs))
        }
    };
    page("Logs", Nav::Logs, body)
}

fn table(logs: &[LogView]) -> Markup {
    let head = html! {
        th class="wide" { "Time" } th { "Severity" } th { "Service" } th { "Body" } th { "Trace" }
    };
    let rows = html! {
        @for log in logs {
            @let stored = &log.stored;
            tr class="log" data-trace-id=(stored.trace_id) data-span-id=(stored.span_id) {
                td class="wide nowrap" {
                    (format::time(i64::try_from(stored.time_unix_nano / 1_000_000).unwrap_or(i64::MAX)))
                }
                td { (severity_badge(log)) }
                td class="nowrap" { (stored.service) " " (layer_chip(&stored.layer)) }
                td class="log-cell" { (body_and_attributes(log)) }
                td {
                    @if !stored.trace_id.is_empty() {
                        a class="trace-link mono" href=(trace_page(&stored.trace_id)) {
                            (stored.trace_id.get(..8).unwrap_or(&stored.trace_id)) "…"
                        }
                    }
                }
            }
        }
    };
    scroll_table("logs", head, rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::StoredLog;

    fn log(body: &str, severity_number: u8, trace_id: &str) -> LogView {
        LogView::from(StoredLog {
            time_unix_nano: 1_763_892_000_000_000_000,
            trace_id: trace_id.into(),
            span_id: String::new(),
            severity_text: String::new(),
            severity_number,
            service: "cms-strapi".into(),
            layer: "cms".into(),
            body: body.into(),
            attributes: [("code.function".to_owned(), "<checkout>".to_owned())].into(),
            event_name: String::new(),
        })
    }

    #[test]
    fn no_records_is_an_empty_state_with_the_form() {
        let html = render(&Asked::default(), &[]);
        assert!(html.contains("No log records match"));
        assert!(html.contains("<form class=\"filters panel\" method=\"get\" action=\"/ui/logs\">"));
        assert!(html.contains("<a href=\"/ui/logs\" aria-current=\"page\">Logs</a>"));
    }

    #[test]
    fn records_show_severity_body_and_trace_escaped() {
        let html = render(
            &Asked {
                q: "\"><script>".into(),
                severity: "error".into(),
                ..Asked::default()
            },
            &[
                log(
                    "<img src=x onerror=alert(1)> declined",
                    17,
                    "4bf92f3577b34da6a3ce929d0e0e4736",
                ),
                log("served", 9, ""),
            ],
        );
        assert!(html.contains("2 log records, newest first."));
        assert!(html.contains("<span class=\"badge sev-error\">ERROR</span>"));
        assert!(html.contains("<span class=\"badge sev-info\">INFO</span>"));
        assert!(html.contains("&lt;img src=x onerror=alert(1)&gt; declined"));
        assert!(!html.contains("<img"));
        assert!(html.contains("<dd>&lt;checkout&gt;</dd>"));
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(html.contains("<option value=\"error\" selected>ERROR and above</option>"));
        assert_eq!(html.matches("class=\"trace-link").count(), 1);
    }
}
