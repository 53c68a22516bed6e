//! `/ui/page-views/{id}`: one page view as `GET /api/page-views/{id}`
//! answers it: where and on what it was seen, its Web Vitals with their
//! ratings, its JavaScript errors and the traces that rendered it.

use axum::extract::{Path, State};
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{empty, page, rating_class, rating_words, Nav};
use super::{format, Page, UiError};
use crate::api::params;
use crate::api::ApiState;
use crate::store::queries::LinkedRum;

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
    let fact = |name: &str, value: &str| {
        if value.is_empty() {
            String::new()
        } else {
            format!("<dt>{name}</dt><dd>{}</dd>", Esc(value))
        }
    };
    let mut body = format!(
        "<p class=\"muted\">Page view <span class=\"mono\">{}</span></p><h1>{}</h1>\
         <dl class=\"meta panel\">{}{}{}{}{}{}<dt>Seen</dt><dd>{}</dd></dl>",
        Esc(&view.page_view_id),
        Esc(shown_path),
        fact("App", &view.app),
        fact("Route", &view.route),
        fact("Browser", &view.browser),
        fact("Device", &view.device),
        fact("Country", &view.country),
        fact("Session", &view.session_id),
        format::time(view.timestamp_ms),
    );
    body.push_str("<h2>Web Vitals</h2>");
    if linked.vitals.is_empty() {
        body.push_str(&empty("This page view reported no Web Vitals."));
    } else {
        body.push_str("<div class=\"grid\" id=\"vitals\">");
        for vital in &linked.vitals {
            body.push_str(&format!(
                "<section class=\"card {class}\" data-metric=\"{name}\" data-value=\"{value}\">\
                 <div class=\"label\">{name}</div><div class=\"value\">{shown}</div>\
                 <div class=\"rating\">{words}</div></section>",
                class = rating_class(&vital.rating),
                name = Esc(&vital.name),
                value = vital.value,
                shown = Esc(&format::vital(&vital.name, vital.value)),
                words = rating_words(&vital.rating),
            ));
        }
        body.push_str("</div>");
    }
    body.push_str("<h2>Errors</h2>");
    if linked.errors.is_empty() {
        body.push_str(&empty("No JavaScript errors on this page view."));
    } else {
        body.push_str("<div class=\"stack-list\" id=\"errors\">");
        for error in &linked.errors {
            body.push_str(&format!(
                "<article class=\"panel\"><h3>{}: {}</h3><div class=\"facts\"><span>{}</span>\
                 <a href=\"/ui/errors#fp-{}\">all of this error</a></div></article>",
                Esc(&error.error_type),
                Esc(&error.message),
                format::time(error.timestamp_ms),
                path_segment(&error.fingerprint),
            ));
        }
        body.push_str("</div>");
    }
    body.push_str("<h2>Traces</h2>");
    if view.trace_ids.is_empty() {
        body.push_str(&empty(
            "No trace is linked: the page had no traceparent meta tag or Server-Timing header.",
        ));
    } else {
        body.push_str("<ul class=\"panel\" id=\"traces\">");
        for trace_id in &view.trace_ids {
            body.push_str(&format!(
                "<li><a class=\"trace-link mono\" href=\"/ui/traces/{}\">{}</a></li>",
                path_segment(trace_id),
                Esc(trace_id)
            ));
        }
        body.push_str("</ul>");
    }
    page(&format!("Page view {shown_path}"), Nav::None, &body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::{LinkedError, LinkedPageView, LinkedVital};

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
}
