//! `/ui/traces`: trace search with the parameters of `GET /api/traces`
//! (service, layer, route, min duration, errors only, window or from/to,
//! limit) plus `sort=slowest|recent`; a table linking to each trace.

mod form;

pub use form::Asked;

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};

use super::layout::{empty, layer_chip, page, scroll_table, Nav};
use super::link::trace_page;
use super::{format, svg, Page};
use crate::api::params::Params;
use crate::api::{filter_from, ApiError, ApiState, SEARCH_PARAMS};
use crate::model::Layer;
use crate::store::queries::TraceSummary;

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
    let body = html! {
        h1 { "Traces" }
        (form::render(asked))
        @if traces.is_empty() {
            (empty("No traces match this search in this time range."))
        } @else {
            p class="muted" {
                (traces.len()) " traces, "
                @if asked.slowest { "slowest" } @else { "newest" }
                " first."
            }
            (table(traces))
        }
    };
    page("Traces", Nav::Traces, body)
}

fn table(traces: &[TraceSummary]) -> Markup {
    let longest = traces.iter().map(|t| t.duration_ns).max().unwrap_or(0) as f64;
    let head = html! {
        th { "Trace" } th class="num dur-cell" { "Duration" } th class="num wide" { "Spans" }
        th class="num" { "Errors" } th class="wide" { "Layers" } th class="wide" { "Started" }
    };
    let rows = html! {
        @for trace in traces {
            @let ms = trace.duration_ns as f64 / 1e6;
            tr data-trace-id=(trace.trace_id) {
                td {
                    a class="trace-link" href=(trace_page(&trace.trace_id)) {
                        @if trace.root_name.is_empty() {
                            (trace.trace_id)
                        } @else {
                            (trace.root_service) ": " (trace.root_name)
                        }
                    }
                    div class="mono muted" { (trace.trace_id) }
                }
                td class="num dur-cell" data-duration-ms=(ms) {
                    (format::duration(ms))
                    span class="dur" {
                        (svg::duration_bar(svg::bar(0.0, trace.duration_ns as f64, longest)))
                    }
                }
                td class="num wide" { (trace.spans) }
                td class="num" { (trace.errors) }
                td class="wide" {
                    @for layer in Layer::ALL.map(Layer::as_str) {
                        @if trace.layers.iter().any(|l| l == layer) {
                            (layer_chip(layer))
                        }
                    }
                }
                td class="wide" {
                    (format::time(i64::try_from(trace.start_ns / 1_000_000).unwrap_or(i64::MAX)))
                }
            }
        }
    };
    scroll_table("traces", head, rows)
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
