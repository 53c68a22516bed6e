//! `/ui/errors`: JavaScript errors grouped by fingerprint (one bug across
//! browsers, releases and page views), as `GET /api/errors` reads them:
//! counts, sessions, first and last seen, releases, a sample stack and a
//! sample trace.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{empty, page, window_links, Nav};
use super::{format, Page};
use crate::api::params::Params;
use crate::api::ApiState;
use crate::store::queries::ErrorGroup;

const WINDOWS: [&str; 4] = ["1h", "24h", "7d", "30d"];
const DEFAULT_WINDOW: &str = "24h";
const SHOWN: u32 = 100;

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let params = Params::new(query, &["window"])?;
    let window = params
        .text("window")?
        .unwrap_or_else(|| DEFAULT_WINDOW.to_owned());
    // The default range is DEFAULT_WINDOW's day.
    let range = params.range(Duration::from_secs(24 * 3600))?;
    let groups = state.queries.error_groups(range, SHOWN).await?;
    Ok(Html(render(&window, &groups)))
}

pub fn render(window: &str, groups: &[ErrorGroup]) -> String {
    let mut body = format!(
        "<h1>JavaScript errors</h1><p class=\"muted\">Grouped by fingerprint, most frequent first, \
         over the last {}.</p>{}",
        Esc(window),
        window_links("/ui/errors", window, &WINDOWS)
    );
    if groups.is_empty() {
        body.push_str(&empty("No JavaScript errors in this window."));
        return page("Errors", Nav::Errors, &body);
    }
    body.push_str("<div class=\"stack-list\" id=\"errors\">");
    for group in groups {
        let stack = if group.sample_stack.is_empty() {
            String::new()
        } else {
            format!(
                "<details><summary>Sample stack</summary><pre>{}</pre></details>",
                Esc(&group.sample_stack.join("\n"))
            )
        };
        let trace = if group.sample_trace_id.is_empty() {
            String::new()
        } else {
            format!(
                "<a class=\"trace-link\" href=\"/ui/traces/{}\">a trace with this error</a>",
                path_segment(&group.sample_trace_id)
            )
        };
        let releases = if group.releases.iter().all(String::is_empty) {
            String::new()
        } else {
            format!(
                "<span>releases {}</span>",
                Esc(&group
                    .releases
                    .iter()
                    .filter(|r| !r.is_empty())
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "))
            )
        };
        body.push_str(&format!(
            "<article class=\"panel\" id=\"fp-{id}\" data-fingerprint=\"{fingerprint}\">\
             <h3>{kind}: {message}</h3><div class=\"facts\"><span><strong>{count}</strong></span>\
             <span>{sessions}</span><span>first {first}</span><span>last {last}</span>\
             {releases}<span class=\"mono\">{fingerprint}</span>{trace}</div>{stack}</article>",
            id = path_segment(&group.fingerprint),
            fingerprint = Esc(&group.fingerprint),
            kind = Esc(&group.error_type),
            message = Esc(&group.message),
            count = format::count(group.count, "time", "times"),
            sessions = format::count(group.sessions, "session", "sessions"),
            first = format::time(group.first_seen_ms),
            last = format::time(group.last_seen_ms),
        ));
    }
    body.push_str("</div>");
    page("Errors", Nav::Errors, &body)
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
