//! `/ui/traces`: trace search with the parameters of `GET /api/traces`
//! (service, layer, route, min duration, errors only, window or from/to,
//! limit) plus `sort=slowest|recent`; a table linking to each trace.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{empty, layer_chip, page, Nav};
use super::{format, svg, Page};
use crate::api::params::Params;
use crate::api::{filter_from, ApiError, ApiState, SEARCH_PARAMS};
use crate::store::queries::TraceSummary;

const LAYERS: [&str; 6] = ["browser", "cdn", "gateway", "cms", "function", "other"];
const WINDOWS: [&str; 5] = ["15m", "1h", "6h", "24h", "7d"];

/// The search as asked, to fill the form again.
#[derive(Debug, Default)]
pub struct Asked {
    pub service: String,
    pub layer: String,
    pub route: String,
    pub min_duration_ms: String,
    pub errors_only: bool,
    pub window: String,
    pub slowest: bool,
}

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    // The API's search, plus the order to show it in.
    let known: Vec<&str> = SEARCH_PARAMS.iter().copied().chain(["sort"]).collect();
    let params = Params::new(query, &known)?;
    let mut filter = filter_from(&params)?;
    let slowest = match params.text("sort")?.as_deref() {
        None | Some("recent") => false,
        Some("slowest") => true,
        Some(_) => {
            return Err(ApiError::BadParameter(
                "parameter 'sort' must be 'slowest' or 'recent'".into(),
            )
            .into())
        }
    };
    filter.slowest = slowest;
    let asked = Asked {
        service: params.text("service")?.unwrap_or_default(),
        layer: filter.layer.clone().unwrap_or_default(),
        route: params.text("route")?.unwrap_or_default(),
        min_duration_ms: filter
            .min_duration_ms
            .map(|ms| ms.to_string())
            .unwrap_or_default(),
        errors_only: filter.errors_only,
        window: params.text("window")?.unwrap_or_default(),
        slowest,
    };
    let traces = state.queries.search_traces(&filter).await?;
    Ok(Html(render(&asked, &traces)))
}

pub fn render(asked: &Asked, traces: &[TraceSummary]) -> String {
    let mut body = String::from("<h1>Traces</h1>");
    body.push_str(&form(asked));
    if traces.is_empty() {
        body.push_str(&empty("No traces match this search in this time range."));
        return page("Traces", Nav::Traces, &body);
    }
    let longest = traces.iter().map(|t| t.duration_ns).max().unwrap_or(0) as f64;
    body.push_str(&format!(
        "<p class=\"muted\">{} traces, {} first.</p>\
         <div class=\"scroll\"><table id=\"traces\"><thead><tr><th>Trace</th>\
         <th class=\"num dur-cell\">Duration</th><th class=\"num wide\">Spans</th><th class=\"num\">Errors</th>\
         <th class=\"wide\">Layers</th><th class=\"wide\">Started</th></tr></thead><tbody>",
        traces.len(),
        if asked.slowest { "slowest" } else { "newest" }
    ));
    for trace in traces {
        let placed = svg::bar(0.0, trace.duration_ns as f64, longest);
        let root = if trace.root_name.is_empty() {
            trace.trace_id.clone()
        } else {
            format!("{}: {}", trace.root_service, trace.root_name)
        };
        let layers: String = LAYERS
            .iter()
            .filter(|layer| trace.layers.iter().any(|l| l == *layer))
            .map(|layer| layer_chip(layer))
            .collect();
        body.push_str(&format!(
            "<tr data-trace-id=\"{id}\"><td><a class=\"trace-link\" href=\"/ui/traces/{href}\">{root}</a>\
             <div class=\"mono muted\">{id}</div></td>\
             <td class=\"num dur-cell\" data-duration-ms=\"{ms}\">{took}<span class=\"dur\">\
             <svg viewBox=\"0 0 {width} 4\" preserveAspectRatio=\"none\" aria-hidden=\"true\">\
             <rect x=\"0\" y=\"0\" width=\"{bar:.1}\" height=\"4\"/></svg></span></td>\
             <td class=\"num wide\">{spans}</td><td class=\"num\">{errors}</td>\
             <td class=\"wide\">{layers}</td><td class=\"wide\">{started}</td></tr>",
            id = Esc(&trace.trace_id),
            href = path_segment(&trace.trace_id),
            root = Esc(&root),
            ms = trace.duration_ns as f64 / 1e6,
            took = format::duration(trace.duration_ns as f64 / 1e6),
            width = svg::WIDTH,
            bar = placed.width,
            spans = trace.spans,
            errors = trace.errors,
            started = format::time(i64::try_from(trace.start_ns / 1_000_000).unwrap_or(i64::MAX)),
        ));
    }
    body.push_str("</tbody></table></div>");
    page("Traces", Nav::Traces, &body)
}

fn form(asked: &Asked) -> String {
    let option = |value: &str, text: &str, chosen: bool| {
        format!(
            "<option value=\"{}\"{}>{}</option>",
            Esc(value),
            if chosen { " selected" } else { "" },
            Esc(text)
        )
    };
    let layers: String = std::iter::once(option("", "any", asked.layer.is_empty()))
        .chain(LAYERS.iter().map(|l| option(l, l, asked.layer == *l)))
        .collect();
    let mut windows: Vec<&str> = WINDOWS.to_vec();
    if !asked.window.is_empty() && !windows.contains(&asked.window.as_str()) {
        windows.push(&asked.window);
    }
    let windows: String = std::iter::once(option("", "24h (default)", asked.window.is_empty()))
        .chain(windows.iter().map(|w| option(w, w, asked.window == *w)))
        .collect();
    format!(
        "<form class=\"filters panel\" method=\"get\" action=\"/ui/traces\">\
         <label>Service<input name=\"service\" value=\"{service}\" placeholder=\"any\"></label>\
         <label>Layer<select name=\"layer\">{layers}</select></label>\
         <label>Route<input name=\"route\" value=\"{route}\" placeholder=\"any\"></label>\
         <label>Min duration (ms)<input name=\"min_duration_ms\" type=\"number\" min=\"0\" value=\"{min}\"></label>\
         <label>Status<select name=\"status\">{any}{errors}</select></label>\
         <label>Window<select name=\"window\">{windows}</select></label>\
         <label>Sort<select name=\"sort\">{recent}{slowest}</select></label>\
         <button type=\"submit\">Search</button></form>",
        service = Esc(&asked.service),
        route = Esc(&asked.route),
        min = Esc(&asked.min_duration_ms),
        any = option("any", "any", !asked.errors_only),
        errors = option("error", "errors only", asked.errors_only),
        recent = option("recent", "newest first", !asked.slowest),
        slowest = option("slowest", "slowest first", asked.slowest),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, ms: u64, root_name: &str) -> TraceSummary {
        TraceSummary {
            trace_id: id.into(),
            start_ns: 1_763_892_000_000_000_000,
            duration_ns: ms * 1_000_000,
            spans: 4,
            errors: 0,
            root_service: "storefront".into(),
            root_name: root_name.into(),
            services: vec!["storefront".into()],
            layers: vec!["browser".into(), "cdn".into()],
            routes: Vec::new(),
            layer_span_ns: Default::default(),
        }
    }

    #[test]
    fn no_traces_is_an_empty_state_with_the_form() {
        let html = render(&Asked::default(), &[]);
        assert!(html.contains("No traces match"));
        assert!(html.contains("<form class=\"filters panel\""));
    }

    #[test]
    fn each_trace_links_to_its_page_and_names_are_escaped() {
        let html = render(
            &Asked {
                service: "\"><script>".into(),
                slowest: true,
                ..Asked::default()
            },
            &[
                summary(
                    "4bf92f3577b34da6a3ce929d0e0e4736",
                    2_450,
                    "<script>alert(1)</script>",
                ),
                summary("00f067aa0ba902b74bf92f3577b34da6", 245, "page load"),
            ],
        );
        assert!(html.contains("href=\"/ui/traces/4bf92f3577b34da6a3ce929d0e0e4736\""));
        assert!(html.contains("storefront: &lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("value=\"&quot;&gt;&lt;script&gt;\""));
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("2 traces, slowest first."));
        assert!(html.contains("<option value=\"slowest\" selected>"));
        // The slowest trace's duration bar is the full width.
        assert!(html.contains("width=\"1000.0\""));
        assert!(html.contains("width=\"100.0\""));
    }
}
