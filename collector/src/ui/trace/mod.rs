//! `/ui/traces/{id}`: one trace as `GET /api/traces/{id}` answers it (the
//! same `api::trace_view`): the per-layer breakdown as a bar and a table
//! (the API's numbers), the waterfall (one row per span, indented by depth,
//! coloured by layer, the critical path marked, attributes and log records
//! on click), the trace's log records that name none of its spans, and the
//! page views the trace rendered.

mod breakdown;
mod waterfall;

use axum::extract::{Path, State};
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{page, rating_class, Nav};
use super::link::page_view_page;
use super::{format, Page, UiError};
use crate::api::params;
use crate::api::{trace_view, ApiState, TraceView};
use crate::store::queries::LinkedRum;

pub async fn show(State(state): State<ApiState>, Path(trace_id): Path<String>) -> Page {
    let trace_id = params::trace_id(&trace_id)?;
    let view = trace_view(&state.queries, trace_id)
        .await?
        .ok_or_else(|| UiError::not_found(format!("no trace {trace_id} is stored")))?;
    Ok(Html(render(&view)))
}

pub fn render(view: &TraceView) -> String {
    let title = view.spans.first().map_or_else(
        || view.trace_id.clone(),
        |root| format!("{}: {}", root.service, root.name),
    );
    let errors = view.spans.iter().filter(|s| s.status == "Error").count();
    let started_millis = i64::try_from(view.start_unix_nano / 1_000_000).unwrap_or(i64::MAX);
    let body = html! {
        p class="muted" {
            a href="/ui/traces" { "Traces" } " › " span class="mono" { (view.trace_id) }
        }
        h1 { (title) }
        div class="facts" {
            span { (format::duration(view.total_ms)) " total" }
            span { (format::count(view.spans.len() as u64, "span", "spans")) }
            span { (format::count(errors as u64, "error", "errors")) }
            @let logs = view.logs.len() + view.spans.iter().map(|s| s.logs.len()).sum::<usize>();
            @if logs > 0 {
                span { (format::count(logs as u64, "log record", "log records")) }
            }
            span { "started " (format::time(started_millis)) }
            @if view.duplicates > 0 {
                span { (view.duplicates) " duplicate spans dropped" }
            }
        }
        p { (view.summary) }
        (breakdown::render(view))
        (waterfall::render(view))
        @if !view.logs.is_empty() {
            h2 { "Log records outside any span of this trace" }
            div class="panel" { (waterfall::log_lines(view, &view.logs)) }
        }
        (page_views(&view.rum))
    };
    page(&title, Nav::Traces, body)
}

/// The page views this trace rendered, each linked to its page.
fn page_views(rum: &[LinkedRum]) -> Markup {
    if rum.is_empty() {
        return html! {};
    }
    html! {
        h2 { "Page views of this trace" }
        div class="stack-list" {
            @for linked in rum {
                @let view = &linked.page_view;
                article class="panel" {
                    h3 {
                        a class="rum-link" href=(page_view_page(&view.page_view_id)) {
                            @if view.path.is_empty() { (view.page_view_id) } @else { (view.path) }
                        }
                    }
                    div class="facts" {
                        @for fact in [&view.app, &view.browser, &view.device] {
                            @if !fact.is_empty() {
                                span { (fact) }
                            }
                        }
                        span { (format::count(linked.errors.len() as u64, "error", "errors")) }
                        span { (format::time(view.timestamp_ms)) }
                    }
                    p {
                        @for vital in &linked.vitals {
                            span class={ "badge " (rating_class(&vital.rating)) } {
                                (vital.name) " " (format::vital(&vital.name, vital.value))
                            }
                            " "
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::breakdown::breakdown_bars;
    use super::waterfall::waterfall_bars;
    use super::*;
    use crate::model::TraceId;
    use crate::store::queries::{LinkedPageView, LinkedVital, StoredSpan};
    use crate::ui::svg;

    const START: u64 = 1_763_892_000_000_000_000;
    const MS: u64 = 1_000_000;

    fn span(
        id: &str,
        parent: &str,
        layer: &str,
        name: &str,
        from_ms: u64,
        to_ms: u64,
    ) -> StoredSpan {
        StoredSpan {
            span_id: id.into(),
            parent_span_id: parent.into(),
            service: format!("{layer}-svc"),
            name: name.into(),
            kind: "Server".into(),
            layer: layer.into(),
            start_ns: START + from_ms * MS,
            duration_ns: (to_ms - from_ms) * MS,
            status_code: "Unset".into(),
            status_message: String::new(),
            attributes: [("http.route".to_owned(), "/products/:id".to_owned())].into(),
        }
    }

    /// The README's trace: browser 0–245 ms ⊃ cdn 20–215 ⊃ gateway 40–205
    /// ⊃ cms 120–165.
    fn view(cms_name: &str, rum: Vec<LinkedRum>) -> TraceView {
        let trace_id = TraceId::from_hex("4bf92f3577b34da6a3ce929d0e0e4736").unwrap();
        crate::api::assemble_trace(
            trace_id,
            vec![
                span(
                    "00000000000000a1",
                    "",
                    "browser",
                    "page load /products/7",
                    0,
                    245,
                ),
                span(
                    "00000000000000b2",
                    "00000000000000a1",
                    "cdn",
                    "GET /products/7",
                    20,
                    215,
                ),
                span(
                    "00000000000000c3",
                    "00000000000000b2",
                    "gateway",
                    "GET /api/products/:id",
                    40,
                    205,
                ),
                span(
                    "00000000000000d4",
                    "00000000000000c3",
                    "cms",
                    cms_name,
                    120,
                    165,
                ),
            ],
            rum,
        )
        .unwrap()
    }

    #[test]
    fn the_waterfall_and_the_breakdown_span_the_trace_wall_time() {
        let view = view("SELECT products", Vec::new());
        assert_eq!(view.total_ms, 245.0);
        let parts = breakdown_bars(&view);
        assert_eq!(parts.len(), 7);
        assert_eq!(parts[0].x, 0.0);
        assert!((parts.last().unwrap().end() - svg::WIDTH).abs() < 1e-9);
        let shown_ms: f64 = view.breakdown.iter().map(|p| p.ms).sum();
        assert!((shown_ms - view.total_ms).abs() < 1e-9);
        let width: f64 = parts.iter().map(|b| b.width).sum();
        assert!((width - svg::WIDTH).abs() < 1e-9);

        let bars = waterfall_bars(&view);
        assert_eq!(
            bars[0],
            svg::Bar {
                x: 0.0,
                width: svg::WIDTH
            },
            "the root spans the wall time"
        );
        for (bar, span) in bars.iter().zip(&view.spans) {
            assert!(bar.x >= 0.0 && bar.end() <= svg::WIDTH + 1e-9);
            let expected = span.duration_ms / view.total_ms * svg::WIDTH;
            assert!((bar.width - expected).abs() < 1e-9, "{span:?}");
        }
        let cms = &bars[3];
        assert!((cms.x - 120.0 / 245.0 * svg::WIDTH).abs() < 1e-9);
    }

    #[test]
    fn the_page_shows_the_api_breakdown_and_marks_the_critical_path() {
        let view = view("SELECT products", Vec::new());
        let html = render(&view);
        for part in &view.breakdown {
            assert!(
                html.contains(&format!(
                    "data-layer=\"{}\" data-ms=\"{}\"",
                    part.layer, part.ms
                )),
                "{part:?}"
            );
        }
        assert!(html.contains("<tr data-layer=\"gateway\" data-ms=\"120\">"));
        assert_eq!(html.matches("<details class=\"span").count(), 4);
        assert_eq!(html.matches(" crit\"").count(), view.critical_path.len());
        assert!(html.contains("<details class=\"span d3 crit\" data-span-id=\"00000000000000d4\""));
        assert!(!html.contains("Page views of this trace"));
    }

    fn stored_log(span_id: &str, body: &str, at_ms: u64) -> crate::store::queries::StoredLog {
        crate::store::queries::StoredLog {
            time_unix_nano: START + at_ms * MS,
            trace_id: "4bf92f3577b34da6a3ce929d0e0e4736".into(),
            span_id: span_id.into(),
            severity_text: "ERROR".into(),
            severity_number: 17,
            service: "cms-svc".into(),
            layer: "cms".into(),
            body: body.into(),
            attributes: [("db.statement".to_owned(), "SELECT 1".to_owned())].into(),
            event_name: String::new(),
        }
    }

    #[test]
    fn log_records_show_under_the_span_that_emitted_them() {
        let mut view = view("SELECT products", Vec::new());
        crate::api::attach_logs(
            &mut view,
            vec![
                stored_log("00000000000000d4", "pool <exhausted>", 130),
                stored_log("00000000000000ff", "from elsewhere", 10),
            ],
        );
        let cms = view.spans.iter().find(|s| s.span_id == "00000000000000d4");
        assert_eq!(cms.map(|s| s.logs.len()), Some(1));
        assert_eq!(view.logs.len(), 1, "a span not in the trace");
        let html = render(&view);
        assert!(html.contains("<span>2 log records</span>"));
        assert!(html.contains("<span class=\"log-count\">1 log</span>"));
        assert!(html.contains(
            "<li class=\"log\" data-span-id=\"00000000000000d4\"><span class=\"took\">130.0 ms</span> <span class=\"badge sev-error\">ERROR</span> <span class=\"log-body\">pool &lt;exhausted&gt;</span>"
        ));
        assert!(html.contains("Log records outside any span of this trace"));
    }

    #[test]
    fn a_span_name_with_markup_renders_as_text() {
        let view = view("<script>alert(1)</script>", Vec::new());
        let html = render(&view);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert(1)"));
        assert_eq!(
            html.matches("<script").count(),
            1,
            "only the shell's app.js"
        );
    }

    #[test]
    fn linked_page_views_are_links() {
        let rum = vec![LinkedRum {
            page_view: LinkedPageView {
                page_view_id: "p-1\"><b>".into(),
                session_id: "s-1".into(),
                app: "shop".into(),
                path: "/products/7".into(),
                route: String::new(),
                browser: "Chrome".into(),
                device: "desktop".into(),
                country: String::new(),
                timestamp_ms: 1_763_892_000_000,
                trace_ids: vec!["4bf92f3577b34da6a3ce929d0e0e4736".into()],
            },
            vitals: vec![LinkedVital {
                name: "LCP".into(),
                value: 3_200.0,
                rating: "needs-improvement".into(),
            }],
            errors: Vec::new(),
            traces: Vec::new(),
        }];
        let html = render(&view("SELECT products", rum));
        assert!(html.contains("href=\"/ui/page-views/p-1%22%3E%3Cb%3E\">/products/7</a>"));
        assert!(html.contains("<span class=\"badge needs-improvement\">LCP 3.20 s</span>"));
    }
}
