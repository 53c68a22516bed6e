//! `/ui/errors`: JavaScript errors grouped by fingerprint (one bug across
//! browsers, releases and page views), as `GET /api/errors` reads them:
//! counts, sessions, first and last seen, releases, a sample stack and a
//! sample trace.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::html;

use super::layout::{empty, page, Nav};
use super::link::{error_group_anchor, trace_page};
use super::window::WindowChoice;
use super::{format, Page};
use crate::api::ApiState;
use crate::store::queries::ErrorGroup;

const WINDOWS: WindowChoice = WindowChoice {
    path: "/ui/errors",
    options: &["1h", "24h", "7d", "30d"],
    default: "24h",
    default_length: Duration::from_secs(24 * 3600),
};
const SHOWN: u32 = 100;

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let window = WINDOWS.asked_in(query)?;
    let groups = state.queries.error_groups(window.range, SHOWN).await?;
    Ok(Html(render(&window.name, &groups)))
}

pub fn render(window: &str, groups: &[ErrorGroup]) -> String {
    let body = html! {
        h1 { "JavaScript errors" }
        p class="muted" {
            "Grouped by fingerprint, most frequent first, over the last " (window) "."
        }
        (WINDOWS.links(window))
        @if groups.is_empty() {
            (empty("No JavaScript errors in this window."))
        } @else {
            div class="stack-list" id="errors" {
                @for group in groups {
                    @let releases: Vec<&str> = group
                        .releases
                        .iter()
                        .map(String::as_str)
                        .filter(|release| !release.is_empty())
                        .collect();
                    article class="panel" id=(error_group_anchor(&group.fingerprint))
                        data-fingerprint=(group.fingerprint) {
                        h3 { (group.error_type) ": " (group.message) }
                        div class="facts" {
                            span { strong { (format::count(group.count, "time", "times")) } }
                            span { (format::count(group.sessions, "session", "sessions")) }
                            span { "first " (format::time(group.first_seen_ms)) }
                            span { "last " (format::time(group.last_seen_ms)) }
                            @if !releases.is_empty() {
                                span { "releases " (releases.join(", ")) }
                            }
                            span class="mono" { (group.fingerprint) }
                            @if !group.sample_trace_id.is_empty() {
                                a class="trace-link" href=(trace_page(&group.sample_trace_id)) {
                                    "a trace with this error"
                                }
                            }
                        }
                        @if !group.sample_stack.is_empty() {
                            details {
                                summary { "Sample stack" }
                                pre { (group.sample_stack.join("\n")) }
                            }
                        }
                    }
                }
            }
        }
    };
    page("Errors", Nav::Errors, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_errors_is_an_empty_state() {
        let html = render("24h", &[]);
        assert!(html.contains("No JavaScript errors in this window."));
        assert!(html.contains("<a href=\"/ui/errors?window=24h\" aria-current=\"true\">24h</a>"));
    }

    #[test]
    fn groups_show_counts_stack_and_trace_escaped() {
        let html = render(
            "24h",
            &[ErrorGroup {
                fingerprint: "0123456789abcdef".into(),
                error_type: "Error".into(),
                message: "<img src=x onerror=alert(1)>".into(),
                count: 12,
                sessions: 3,
                first_seen_ms: 1_763_892_000_000,
                last_seen_ms: 1_763_895_600_000,
                releases: vec!["1.4.2".into()],
                sample_stack: vec!["checkout (https://x/app.js:1:2)".into()],
                sample_trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            }],
        );
        assert!(html.contains("id=\"fp-0123456789abcdef\""));
        assert!(html.contains("Error: &lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.contains("<img"));
        assert!(html.contains("<strong>12 times</strong>"));
        assert!(html.contains("<span>3 sessions</span>"));
        assert!(html.contains("releases 1.4.2"));
        assert!(html.contains("checkout (https://x/app.js:1:2)"));
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
    }
}
