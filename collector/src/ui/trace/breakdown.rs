//! Where a trace's time went, as `GET /api/traces/{id}` breaks it down:
//! the parts end to end in one bar, then a table of exclusive and
//! inclusive time per layer.

use maud::{html, Markup};

use crate::api::TraceView;
use crate::ui::layout::layer_class;
use crate::ui::{format, svg};

/// The breakdown's parts end to end, in the API's order.
pub fn breakdown_bars(view: &TraceView) -> Vec<svg::Bar> {
    let values: Vec<f64> = view.breakdown.iter().map(|part| part.ms).collect();
    svg::stack(&values, view.total_ms)
}

pub fn render(view: &TraceView) -> Markup {
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
    html! {
        h2 { "Where the time went" }
        p class="muted" {
            "Every instant of the trace goes to the deepest span active then; the parts add up \
             to the trace's "
            (format::ms(view.total_ms)) "."
        }
        (svg::stacked_bar(&segments, "per-layer breakdown"))
        div class="scroll" {
            table id="breakdown" {
                thead {
                    tr {
                        th { "Layer" } th class="num" { "Exclusive" } th class="num" { "Share" }
                        th class="num wide" { "Inclusive" }
                    }
                }
                tbody { (rows(view)) }
                tfoot {
                    tr {
                        th { "total" }
                        th class="num" id="total-ms" data-ms=(view.total_ms) {
                            (format::ms(view.total_ms))
                        }
                        th class="num" { "100 %" }
                        th class="wide" {}
                    }
                }
            }
        }
    }
}

/// One row per part: its exclusive time, share and inclusive time.
fn rows(view: &TraceView) -> Markup {
    html! {
        @for part in &view.breakdown {
            @let inclusive = view
                .inclusive
                .iter()
                .find(|i| i.layer == part.layer)
                .map_or(0.0, |i| i.ms);
            tr data-layer=(part.layer) data-ms=(part.ms)
                class=[(part.ms == 0.0).then_some("zero")] {
                td { span class={ "swatch " (layer_class(part.layer)) } {} (part.layer) }
                td class="num" { (format::ms(part.ms)) }
                td class="num" { (format::percent(part.ms, view.total_ms)) }
                td class="num wide" { (format::ms(inclusive)) }
            }
        }
    }
}
