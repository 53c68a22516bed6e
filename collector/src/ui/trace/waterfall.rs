//! A trace's waterfall: one row per span in the API's order, indented by
//! depth, coloured by layer, the critical path and errors marked, how many
//! log records it emitted, and the span's details (ids, status,
//! attributes, its log records) one click away.

use maud::{html, Markup};

use crate::api::{LogView, SpanView, TraceView};
use crate::ui::layout::layer_class;
use crate::ui::logs::{body_and_attributes, severity_badge};
use crate::ui::{format, svg};

/// Indentation classes go to this depth; deeper spans indent no further.
const MAX_INDENT: usize = 10;

/// Where each span's bar lies, in the waterfall's order: the trace's wall
/// time is `svg::WIDTH`.
pub fn waterfall_bars(view: &TraceView) -> Vec<svg::Bar> {
    view.spans
        .iter()
        .map(|span| svg::bar(span.start_ms, span.duration_ms, view.total_ms))
        .collect()
}

pub fn render(view: &TraceView) -> Markup {
    let total = view.total_ms;
    let mut legend: Vec<&str> = Vec::new();
    for span in &view.spans {
        if !legend.contains(&span.layer.as_str()) {
            legend.push(&span.layer);
        }
    }
    html! {
        h2 { "Waterfall" }
        div class="legend" {
            @for layer in legend {
                span { span class={ "swatch " (layer_class(layer)) } {} (layer) }
            }
            span class="crit-mark" { "◆ critical path" }
        }
        div class="waterfall" id="waterfall" {
            div class="axis" {
                span { "Span" }
                span class="ticks" {
                    span { "0" }
                    @for quarter in [1.0, 2.0, 3.0, 4.0] {
                        span { (format::duration(total * quarter / 4.0)) }
                    }
                }
                span class="took" { "Duration" }
            }
            @for (span, placed) in view.spans.iter().zip(waterfall_bars(view)) {
                (row(view, span, placed))
            }
        }
    }
}

/// One span's row: name, bar and duration, with its details folded.
fn row(view: &TraceView, span: &SpanView, placed: svg::Bar) -> Markup {
    let mut classes = format!("span d{}", span.depth.min(MAX_INDENT));
    if view.critical_path.contains(&span.span_id) {
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
    html! {
        details class=(classes) data-span-id=(span.span_id) data-layer=(span.layer) {
            summary {
                span class="name" title=(tooltip) {
                    span class="svc" { (span.service) } " " (span.name)
                    @if !span.logs.is_empty() {
                        " " span class="log-count" { (format::count(span.logs.len() as u64, "log", "logs")) }
                    }
                }
                (svg::span_bar(placed, layer_class(&span.layer), &tooltip))
                span class="took" { (format::duration(span.duration_ms)) }
            }
            div class="detail" {
                (detail(span))
                (log_lines(view, &span.logs))
            }
        }
    }
}

/// Log records, one line each: when (from the trace's start), severity,
/// body and attributes.
pub fn log_lines(view: &TraceView, logs: &[LogView]) -> Markup {
    html! {
        @if !logs.is_empty() {
            ol class="log-lines" {
                @for log in logs {
                    @let offset_ms = (log.stored.time_unix_nano as f64 - view.start_unix_nano as f64) / 1e6;
                    li class="log" data-span-id=(log.stored.span_id) {
                        span class="took" { (format::duration(offset_ms)) }
                        " " (severity_badge(log)) " "
                        (body_and_attributes(log))
                    }
                }
            }
        }
    }
}

/// What a span's row unfolds to.
fn detail(span: &SpanView) -> Markup {
    let parent = if span.parent_span_id.is_empty() {
        "–"
    } else {
        &span.parent_span_id
    };
    html! {
        dl class="meta" {
            dt { "Span id" } dd class="mono" { (span.span_id) }
            dt { "Parent" } dd class="mono" { (parent) }
            dt { "Layer" } dd { (span.layer) }
            dt { "Kind" } dd { (span.kind) }
            dt { "Status" } dd { (span.status) " " (span.status_message) }
            dt { "Starts at" } dd { (format::duration(span.start_ms)) }
            @if span.orphan {
                dt { "Orphan" } dd { "its parent is not in the trace" }
            }
            @if span.clamped_ms > 0.0 {
                dt { "Clock skew" }
                dd { (format::duration(span.clamped_ms)) " cut to fit its parent" }
            }
            @for (key, value) in &span.attributes {
                dt class="mono" { (key) } dd { (value) }
            }
        }
    }
}
