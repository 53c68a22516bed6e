//! `/ui/page-views/{id}`: one page view as `GET /api/page-views/{id}`
//! answers it: where and on what it was seen, its Web Vitals with their
//! ratings, its JavaScript errors and its traces: the one that rendered it
//! and those its browser spans started (its page load, its requests).

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{empty, page, rating_class, rating_words, Nav};
use super::link::{error_group_link, trace_page};
use super::{format, Page, UiError};
use crate::api::params;
use crate::api::ApiState;
use crate::store::queries::{LinkedError, LinkedRum, LinkedVital, StartedTrace};

pub async fn show(State(state): State<ApiState>, Path(page_view_id): Path<String>) -> Page {
    let page_view_id = params::page_view_id(&page_view_id)?;
    let linked = state
        .queries
        .page_view(page_view_id)
        .await?
        .ok_or_else(|| UiError::not_found(format!("no page view '{page_view_id}' is stored")))?;
    Ok(Html(render(&linked)))
}

pub fn render(linked: &LinkedRum) -> String {
    let view = &linked.page_view;
    let shown_path = if view.path.is_empty() {
        "(no path)"
    } else {
        &view.path
    };
    let facts = [
        ("App", &view.app),
        ("Route", &view.route),
        ("Browser", &view.browser),
        ("Device", &view.device),
        ("Country", &view.country),
        ("Session", &view.session_id),
    ];
    let body = html! {
        p class="muted" { "Page view " span class="mono" { (view.page_view_id) } }
        h1 { (shown_path) }
        dl class="meta panel" {
            @for (name, value) in facts.iter().filter(|(_, value)| !value.is_empty()) {
                dt { (name) } dd { (value) }
            }
            dt { "Seen" } dd { (format::time(view.timestamp_ms)) }
        }
        h2 { "Web Vitals" }
        (vitals(&linked.vitals))
        h2 { "Errors" }
        (errors(&linked.errors))
        h2 { "Traces" }
        (traces(linked))
    };
    page(&format!("Page view {shown_path}"), Nav::None, body)
}

/// The traces its spans started, first started first, each with what the
/// browser saw of it; then any other trace its rows name.
fn traces(linked: &LinkedRum) -> Markup {
    let ids = &linked.page_view.trace_ids;
    if ids.is_empty() {
        return empty(
            "No trace is linked: the page sent no span and had no traceparent meta tag or Server-Timing header.",
        );
    }
    let started = &linked.traces;
    let others = ids
        .iter()
        .filter(|id| !started.iter().any(|t| &&t.trace_id == id));
    html! {
        ul class="panel" id="traces" {
            @for trace in started {
                (trace_item(&trace.trace_id, Some(trace)))
            }
            @for trace_id in others {
                (trace_item(trace_id, None))
            }
        }
    }
}

fn trace_item(trace_id: &str, started: Option<&StartedTrace>) -> Markup {
    html! {
        li data-trace-id=(trace_id) {
            a class="trace-link mono" href=(trace_page(trace_id)) { (trace_id) }
            @if let Some(trace) = started {
                " " span class="muted" { (trace.name) " · " (format::duration(trace.duration_ms)) }
            }
        }
    }
}

fn vitals(vitals: &[LinkedVital]) -> Markup {
    if vitals.is_empty() {
        return empty("This page view reported no Web Vitals.");
    }
    html! {
        div class="grid" id="vitals" {
            @for vital in vitals {
                section class={ "card " (rating_class(&vital.rating)) } data-metric=(vital.name)
                    data-value=(vital.value) {
                    div class="label" { (vital.name) }
                    div class="value" { (format::vital(&vital.name, vital.value)) }
                    div class="rating" { (rating_words(&vital.rating)) }
                }
            }
        }
    }
}

fn errors(errors: &[LinkedError]) -> Markup {
    if errors.is_empty() {
        return empty("No JavaScript errors on this page view.");
    }
    html! {
        div class="stack-list" id="errors" {
            @for error in errors {
                article class="panel" {
                    h3 { (error.error_type) ": " (error.message) }
                    div class="facts" {
                        span { (format::time(error.timestamp_ms)) }
                        a href=(error_group_link(&error.fingerprint)) { "all of this error" }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::LinkedPageView;

    fn linked() -> LinkedRum {
        LinkedRum {
            page_view: LinkedPageView {
                page_view_id: "p-1".into(),
                session_id: "s-1".into(),
                app: "shop".into(),
                path: "/<b>cart</b>".into(),
                route: String::new(),
                browser: "Chrome".into(),
                device: "mobile".into(),
                country: String::new(),
                timestamp_ms: 1_763_892_000_000,
                trace_ids: Vec::new(),
            },
            vitals: Vec::new(),
            errors: Vec::new(),
            traces: Vec::new(),
        }
    }

    #[test]
    fn a_bare_page_view_shows_empty_states() {
        let html = render(&linked());
        assert!(html.contains("reported no Web Vitals"));
        assert!(html.contains("No JavaScript errors"));
        assert!(html.contains("No trace is linked"));
        assert!(html.contains("<h1>/&lt;b&gt;cart&lt;/b&gt;</h1>"));
    }

    #[test]
    fn vitals_errors_and_traces_are_shown() {
        let mut data = linked();
        data.vitals.push(LinkedVital {
            name: "INP".into(),
            value: 560.0,
            rating: "poor".into(),
        });
        data.errors.push(LinkedError {
            fingerprint: "0123456789abcdef".into(),
            error_type: "TypeError".into(),
            message: "x is <undefined>".into(),
            timestamp_ms: 1_763_892_000_500,
        });
        data.page_view
            .trace_ids
            .push("4bf92f3577b34da6a3ce929d0e0e4736".into());
        let html = render(&data);
        assert!(
            html.contains("<section class=\"card poor\" data-metric=\"INP\" data-value=\"560\">")
        );
        assert!(html.contains("TypeError: x is &lt;undefined&gt;"));
        assert!(html.contains("href=\"/ui/errors#fp-0123456789abcdef\""));
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
    }

    #[test]
    fn traces_the_page_started_come_first_with_what_the_browser_saw() {
        let mut data = linked();
        let (rendered, started) = (
            "0af7651916cd43dd8448eb211c80319c",
            "4bf92f3577b34da6a3ce929d0e0e4736",
        );
        data.page_view.trace_ids = vec![rendered.into(), started.into()];
        data.traces.push(StartedTrace {
            trace_id: started.into(),
            name: "GET /api/<products>/7".into(),
            start_ms: 1_763_892_000_100,
            duration_ms: 84.5,
        });
        let html = render(&data);
        let first = html.find(started).unwrap();
        assert!(first < html.find(rendered).unwrap(), "started traces first");
        assert!(html.contains("GET /api/&lt;products&gt;/7 · "), "{html}");
        assert_eq!(html.matches("class=\"trace-link mono\"").count(), 2);
    }
}
