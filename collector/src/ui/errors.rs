//! `/ui/errors`: error groups of every layer (browser, CDN, gateway, CMS,
//! functions), as `GET /api/errors` reads them and with its filters:
//! state, counts, first and last seen, releases, the sample's stack (with
//! source context where a map gave it) and trace, and for browser errors
//! the sample's page view. Buttons resolve, ignore or reopen a group
//! through the API (`assets/app.js`).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{empty, layer_chip, page, Nav};
use super::link::{error_group_anchor, page_view_page, query_value, trace_page};
use super::{format, Page};
use crate::api::params::Params;
use crate::api::{group_filter, ApiState, ERROR_PARAMS};
use crate::clock::now_millis;
use crate::model::error::{Frame, GroupState};
use crate::model::Layer;
use crate::store::queries::{ErrorGroup, GroupFilter};

const WINDOWS: [&str; 4] = ["1h", "24h", "7d", "30d"];
const DEFAULT_WINDOW: &str = "24h";
const SHOWN: u32 = 100;

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let params = Params::new(query, &ERROR_PARAMS)?;
    let range = params.range(Duration::from_secs(24 * 3600))?;
    let window = params
        .text("window")?
        .unwrap_or_else(|| DEFAULT_WINDOW.to_owned());
    let filter = group_filter(&params)?;
    let groups = state
        .queries
        .error_groups(range, &filter, SHOWN, now_millis())
        .await?;
    Ok(Html(render(&window, &filter, &groups)))
}

pub fn render(window: &str, filter: &GroupFilter, groups: &[ErrorGroup]) -> String {
    let body = html! {
        h1 { "Errors" }
        p class="muted" {
            "Every layer's errors, grouped by fingerprint, most frequent first, over the last "
            (window) " (counted in whole hours)."
        }
        (filters(window, filter))
        p id="action-status" class="muted" role="status" {}
        @if groups.is_empty() {
            (empty("No errors in this window."))
        } @else {
            div class="stack-list" id="errors" {
                @for group in groups {
                    (group_panel(group))
                }
            }
        }
    };
    page("Errors", Nav::Errors, body)
}

/// A labelled `<select>` of `values`, `chosen` selected; with `any`, an
/// "any" option (no filter) first.
fn select<'a>(
    label: &str,
    name: &str,
    any: bool,
    values: impl IntoIterator<Item = &'a str>,
    chosen: &str,
) -> Markup {
    html! {
        label {
            (label)
            select name=(name) {
                @if any {
                    option value="" selected[chosen.is_empty()] { "any" }
                }
                @for value in values {
                    option value=(value) selected[chosen == value] { (value) }
                }
            }
        }
    }
}

fn filters(window: &str, filter: &GroupFilter) -> Markup {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let layer = text(&filter.layer);
    let state = filter.state.map_or("", GroupState::as_str);
    html! {
        form class="filters panel" method="get" action="/ui/errors" {
            (select("Layer", "layer", true, Layer::ALL.map(Layer::as_str), &layer))
            label { "Service or app" input name="service" value=(text(&filter.service)) placeholder="any"; }
            label { "Release" input name="release" value=(text(&filter.release)) placeholder="any"; }
            (select("State", "state", true, GroupState::ALL.map(GroupState::as_str), state))
            (select("Window", "window", false, WINDOWS, window))
            button type="submit" { "Show" }
        }
    }
}

fn group_panel(group: &ErrorGroup) -> Markup {
    let releases: Vec<&str> = group
        .releases
        .iter()
        .map(String::as_str)
        .filter(|release| !release.is_empty())
        .collect();
    let traces = format::count(group.traces, "trace", "traces");
    html! {
        article class="panel" id=(error_group_anchor(&group.fingerprint))
            data-fingerprint=(group.fingerprint) data-state=(group.state.as_str()) {
            h3 { (group.error_type) ": " (group.message) }
            div class="facts" {
                span class={ "chip state-" (group.state.as_str()) } { (group.state.as_str()) }
                (layer_chip(&group.layer))
                span { (group.service) }
                span { strong { (format::count(group.count, "time", "times")) } }
                @if group.layer == Layer::Browser.as_str() {
                    span { (format::count(group.sessions, "session", "sessions")) }
                } @else {
                    span { (traces) }
                }
                span { "first " (format::time(group.first_seen_ever_ms)) }
                span { "last " (format::time(group.last_seen_ms)) }
                @if group.regressed_at_ms > 0 {
                    span { "regressed " (format::time(group.regressed_at_ms)) }
                }
                @if !releases.is_empty() {
                    span { "releases " (releases.join(", ")) }
                }
                span class="mono" { (group.fingerprint) }
                @if !group.sample_trace_id.is_empty() {
                    a class="trace-link" href=(trace_page(&group.sample_trace_id)) {
                        "a trace with this error"
                    }
                }
                @if !group.sample_page_view_id.is_empty() {
                    a href=(page_view_page(&group.sample_page_view_id)) { "its page view" }
                }
            }
            (decision_buttons(group))
            @if !group.sample_frames.is_empty() {
                details {
                    summary { "Sample stack" }
                    @if !group.symbolication.is_empty() {
                        p class="muted" { "Source maps: " (group.symbolication) }
                    }
                    pre { (group.sample_stack.join("\n")) }
                    (frames_with_source(&group.sample_frames))
                }
            }
            a href={ "/ui/errors?service=" (query_value(&group.service)) } class="muted" {
                "this service's errors"
            }
        }
    }
}

/// Resolve, ignore or reopen: `app.js` posts to `/api/errors/{fp}/state`.
fn decision_buttons(group: &ErrorGroup) -> Markup {
    let open = matches!(group.state, GroupState::New | GroupState::Ongoing);
    html! {
        div class="actions" {
            @if open || group.state == GroupState::Regressed {
                button type="button" class="secondary" data-action="error-state"
                    data-fingerprint=(group.fingerprint) data-state="resolved" { "Resolve" }
            }
            @if group.state != GroupState::Ignored {
                button type="button" class="secondary" data-action="error-state"
                    data-fingerprint=(group.fingerprint) data-state="ignored" { "Ignore" }
            }
            @if !open {
                button type="button" class="secondary" data-action="error-state"
                    data-fingerprint=(group.fingerprint) data-state="open" { "Reopen" }
            }
        }
    }
}

/// The in-app frames that carry source context, each with its lines.
fn frames_with_source(frames: &[Frame]) -> Markup {
    html! {
        @for frame in frames.iter().filter(|f| f.in_app && (f.context.is_some() || !f.note.is_empty())) {
            div class="frame" {
                p class="mono" { (frame.to_string()) }
                @if !frame.note.is_empty() {
                    p class="muted" { (frame.note) }
                }
                @if let Some(context) = &frame.context {
                    pre class="source" {
                        @for (offset, line) in context.lines.iter().enumerate() {
                            @let number = context.first_line + offset as u32;
                            span class=[(number == frame.line).then_some("here")] {
                                (format!("{number:>5}  {line}")) "\n"
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error::SourceContext;

    fn group() -> ErrorGroup {
        ErrorGroup {
            fingerprint: "0123456789abcdef".into(),
            error_type: "Error".into(),
            message: "<img src=x onerror=alert(1)>".into(),
            count: 12,
            sessions: 3,
            traces: 2,
            first_seen_ms: 1_763_892_000_000,
            last_seen_ms: 1_763_895_600_000,
            first_seen_ever_ms: 1_763_892_000_000,
            releases: vec!["1.4.2".into()],
            layer: "browser".into(),
            service: "shop".into(),
            state: GroupState::New,
            regressed_at_ms: 0,
            sample_stack: vec!["checkout (https://x/app.js:1:2)".into()],
            sample_frames: vec![Frame {
                file: "src/cart.ts".into(),
                function: "checkout".into(),
                line: 3,
                column: 2,
                in_app: true,
                context: Some(SourceContext {
                    first_line: 2,
                    lines: vec!["a()".into(), "throw x".into()],
                }),
                note: String::new(),
            }],
            sample_trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            sample_span_id: String::new(),
            sample_page_view_id: "pv-1".into(),
            symbolication: "symbolicated".into(),
        }
    }

    #[test]
    fn no_errors_is_an_empty_state() {
        let html = render("24h", &GroupFilter::default(), &[]);
        assert!(html.contains("No errors in this window."));
        assert!(html.contains("<option value=\"24h\" selected>24h</option>"));
    }

    #[test]
    fn groups_show_counts_stack_and_trace_escaped() {
        let html = render("24h", &GroupFilter::default(), &[group()]);
        assert!(html.contains("id=\"fp-0123456789abcdef\""));
        assert!(html.contains("Error: &lt;img src=x onerror=alert(1)&gt;"));
        assert!(!html.contains("<img"));
        assert!(html.contains("<strong>12 times</strong>"));
        assert!(html.contains("<span>3 sessions</span>"));
        assert!(html.contains("releases 1.4.2"));
        assert!(html.contains("checkout (https://x/app.js:1:2)"));
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
        assert!(html.contains("href=\"/ui/page-views/pv-1\""));
        assert!(html.contains("<span class=\"here\">    3  throw x\n</span>"));
    }

    #[test]
    fn buttons_follow_the_state() {
        let buttons = |state| {
            let html = decision_buttons(&ErrorGroup { state, ..group() }).into_string();
            ["resolved", "ignored", "open"]
                .into_iter()
                .filter(|s| html.contains(&format!("data-state=\"{s}\"")))
                .collect::<Vec<_>>()
        };
        assert_eq!(buttons(GroupState::New), ["resolved", "ignored"]);
        assert_eq!(buttons(GroupState::Resolved), ["ignored", "open"]);
        assert_eq!(
            buttons(GroupState::Regressed),
            ["resolved", "ignored", "open"]
        );
        assert_eq!(buttons(GroupState::Ignored), ["open"]);
    }
}
