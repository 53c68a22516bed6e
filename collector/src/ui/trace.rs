//! `/ui/traces/{id}`: one trace as `GET /api/traces/{id}` answers it (the
//! same `api::trace_view`): the per-layer breakdown as a bar and a table
//! (the API's numbers), the waterfall (one row per span, indented by depth,
//! coloured by layer, the critical path marked, attributes on click), and
//! the page views the trace rendered.

use axum::extract::{Path, State};
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{layer_class, page, rating_class, Nav};
use super::{format, svg, Page, UiError};
use crate::api::params;
use crate::api::{trace_view, ApiState, TraceView};
use crate::store::queries::LinkedRum;

/// Indentation classes go to this depth; deeper spans indent no further.
const MAX_INDENT: usize = 10;

pub async fn show(State(state): State<ApiState>, Path(trace_id): Path<String>) -> Page {
    let trace_id = params::trace_id(&trace_id)?;
    let view = trace_view(&state.queries, trace_id)
        .await?
        .ok_or_else(|| UiError::not_found(format!("no trace {trace_id} is stored")))?;
    Ok(Html(render(&view)))
}

/// Where each span's bar lies, in the waterfall's order: the trace's wall
/// time is `svg::WIDTH`.
pub fn waterfall_bars(view: &TraceView) -> Vec<svg::Bar> {
    view.spans
        .iter()
        .map(|span| svg::bar(span.start_ms, span.duration_ms, view.total_ms))
        .collect()
}

/// The breakdown's parts end to end, in the API's order.
pub fn breakdown_bars(view: &TraceView) -> Vec<svg::Bar> {
    let values: Vec<f64> = view.breakdown.iter().map(|part| part.ms).collect();
    svg::stack(&values, view.total_ms)
}

pub fn render(view: &TraceView) -> String {
    let root = view.spans.first();
    let title = root.map_or_else(
        || view.trace_id.clone(),
        |span| format!("{}: {}", span.service, span.name),
    );
    let errors = view.spans.iter().filter(|s| s.status == "Error").count();
    let mut body = format!(
        "<p class=\"muted\"><a href=\"/ui/traces\">Traces</a> › <span class=\"mono\">{id}</span></p>\
         <h1>{}</h1><div class=\"facts\"><span>{} total</span><span>{}</span>\
         <span>{}</span><span>started {}</span>{}</div>\
         <p>{}</p>",
        Esc(&title),
        format::duration(view.total_ms),
        format::count(view.spans.len() as u64, "span", "spans"),
        format::count(errors as u64, "error", "errors"),
        format::time(i64::try_from(view.start_unix_nano / 1_000_000).unwrap_or(i64::MAX)),
        if view.duplicates > 0 {
            format!("<span>{} duplicate spans dropped</span>", view.duplicates)
        } else {
            String::new()
        },
        Esc(&view.summary),
        id = Esc(&view.trace_id),
    );
    body.push_str(&breakdown(view));
    body.push_str(&waterfall(view));
    body.push_str(&page_views(&view.rum));
    page(&title, Nav::Traces, &body)
}

fn breakdown(view: &TraceView) -> String {
    let titles: Vec<String> = view
        .breakdown
        .iter()
        .map(|part| {
            format!(
                "{} {} ({})",
                part.layer,
                format::ms(part.ms),
                format::percent(part.ms, view.total_ms)
            )
        })
        .collect();
    let segments: Vec<svg::Segment<'_>> = view
        .breakdown
        .iter()
        .zip(breakdown_bars(view))
        .zip(&titles)
        .map(|((part, placed), title)| svg::Segment {
            class: layer_class(part.layer),
            placed,
            title,
        })
        .collect();
    let mut out = format!(
        "<h2>Where the time went</h2><p class=\"muted\">Every instant of the trace goes to the deepest \
         span active then; the parts add up to the trace's {}.</p>{}",
        format::ms(view.total_ms),
        svg::stacked_bar(&segments, "per-layer breakdown")
    );
    out.push_str(
        "<div class=\"scroll\"><table id=\"breakdown\"><thead><tr><th>Layer</th>\
         <th class=\"num\">Exclusive</th><th class=\"num\">Share</th>\
         <th class=\"num wide\">Inclusive</th></tr></thead><tbody>",
    );
    for part in &view.breakdown {
        let inclusive = view
            .inclusive
            .iter()
            .find(|i| i.layer == part.layer)
            .map_or(0.0, |i| i.ms);
        out.push_str(&format!(
            "<tr data-layer=\"{layer}\" data-ms=\"{ms}\"{zero}><td><span class=\"swatch {class}\"></span>{layer}</td>\
             <td class=\"num\">{shown}</td><td class=\"num\">{share}</td>\
             <td class=\"num wide\">{inclusive}</td></tr>",
            layer = Esc(part.layer),
            ms = part.ms,
            zero = if part.ms == 0.0 { " class=\"zero\"" } else { "" },
            class = layer_class(part.layer),
            shown = format::ms(part.ms),
            share = format::percent(part.ms, view.total_ms),
            inclusive = format::ms(inclusive),
        ));
    }
    out.push_str(&format!(
        "</tbody><tfoot><tr><th>total</th><th class=\"num\" id=\"total-ms\" data-ms=\"{}\">{}</th>\
         <th class=\"num\">100 %</th><th class=\"wide\"></th></tr></tfoot></table></div>",
        view.total_ms,
        format::ms(view.total_ms)
    ));
    out
}

fn page_views(rum: &[LinkedRum]) -> String {
    if rum.is_empty() {
        return String::new();
    }
    let mut out = String::from("<h2>Page views of this trace</h2><div class=\"stack-list\">");
    for linked in rum {
        let view = &linked.page_view;
        let vitals: String = linked
            .vitals
            .iter()
            .map(|v| {
                format!(
                    "<span class=\"badge {}\">{} {}</span> ",
                    rating_class(&v.rating),
                    Esc(&v.name),
                    Esc(&format::vital(&v.name, v.value))
                )
            })
            .collect();
        out.push_str(&format!(
            "<article class=\"panel\"><h3><a class=\"rum-link\" href=\"/ui/page-views/{href}\">{path}</a></h3>\
             <div class=\"facts\">{facts}<span>{errors}</span><span>{time}</span></div><p>{vitals}</p></article>",
            href = path_segment(&view.page_view_id),
            path = Esc(if view.path.is_empty() {
                &view.page_view_id
            } else {
                &view.path
            }),
            facts = [&view.app, &view.browser, &view.device]
                .iter()
                .filter(|fact| !fact.is_empty())
                .map(|fact| format!("<span>{}</span>", Esc(fact)))
                .collect::<String>(),
            errors = format::count(linked.errors.len() as u64, "error", "errors"),
            time = format::time(view.timestamp_ms),
        ));
    }
    out.push_str("</div>");
    out
}

fn waterfall(view: &TraceView) -> String {
    let total = view.total_ms;
    let mut legend: Vec<&str> = Vec::new();
    for span in &view.spans {
        if !legend.contains(&span.layer.as_str()) {
            legend.push(&span.layer);
        }
    }
    let legend: String = legend
        .iter()
        .map(|layer| {
            format!(
                "<span><span class=\"swatch {}\"></span>{}</span>",
                layer_class(layer),
                Esc(layer)
            )
        })
        .collect();
    let mut out = format!(
        "<h2>Waterfall</h2><div class=\"legend\">{legend}\
         <span class=\"crit-mark\">◆ critical path</span></div>\
         <div class=\"waterfall\" id=\"waterfall\"><div class=\"axis\"><span>Span</span>\
         <span class=\"ticks\"><span>0</span><span>{}</span><span>{}</span><span>{}</span><span>{}</span></span>\
         <span class=\"took\">Duration</span></div>",
        format::duration(total / 4.0),
        format::duration(total / 2.0),
        format::duration(total * 3.0 / 4.0),
        format::duration(total),
    );
    for (span, placed) in view.spans.iter().zip(waterfall_bars(view)) {
        let critical = view.critical_path.contains(&span.span_id);
        let mut classes = format!("span d{}", span.depth.min(MAX_INDENT));
        if critical {
            classes.push_str(" crit");
        }
        if span.status == "Error" {
            classes.push_str(" err");
        }
        let tooltip = format!(
            "{}: {} · {} at {}",
            span.service,
            span.name,
            format::duration(span.duration_ms),
            format::duration(span.start_ms)
        );
        let mut detail = format!(
            "<dl class=\"meta\"><dt>Span id</dt><dd class=\"mono\">{}</dd>\
             <dt>Parent</dt><dd class=\"mono\">{}</dd><dt>Layer</dt><dd>{}</dd>\
             <dt>Kind</dt><dd>{}</dd><dt>Status</dt><dd>{} {}</dd><dt>Starts at</dt><dd>{}</dd>",
            Esc(&span.span_id),
            Esc(if span.parent_span_id.is_empty() {
                "–"
            } else {
                &span.parent_span_id
            }),
            Esc(&span.layer),
            Esc(&span.kind),
            Esc(&span.status),
            Esc(&span.status_message),
            format::duration(span.start_ms),
        );
        if span.orphan {
            detail.push_str("<dt>Orphan</dt><dd>its parent is not in the trace</dd>");
        }
        if span.clamped_ms > 0.0 {
            detail.push_str(&format!(
                "<dt>Clock skew</dt><dd>{} cut to fit its parent</dd>",
                format::duration(span.clamped_ms)
            ));
        }
        for (key, value) in &span.attributes {
            detail.push_str(&format!(
                "<dt class=\"mono\">{}</dt><dd>{}</dd>",
                Esc(key),
                Esc(value)
            ));
        }
        detail.push_str("</dl>");
        out.push_str(&format!(
            "<details class=\"{classes}\" data-span-id=\"{id}\" data-layer=\"{layer}\">\
             <summary><span class=\"name\" title=\"{tooltip}\"><span class=\"svc\">{service}</span> {name}</span>\
             {bar}<span class=\"took\">{took}</span></summary><div class=\"detail\">{detail}</div></details>",
            id = Esc(&span.span_id),
            layer = Esc(&span.layer),
            tooltip = Esc(&tooltip),
            service = Esc(&span.service),
            name = Esc(&span.name),
            bar = svg::span_bar(placed, layer_class(&span.layer), &tooltip),
            took = format::duration(span.duration_ms),
        ));
    }
    out.push_str("</div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TraceId;
    use crate::store::queries::{LinkedPageView, LinkedVital, StoredSpan};

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
        }];
        let html = render(&view("SELECT products", rum));
        assert!(html.contains("href=\"/ui/page-views/p-1%22%3E%3Cb%3E\">/products/7</a>"));
        assert!(html.contains("<span class=\"badge needs-improvement\">LCP 3.20 s</span>"));
    }
}
