//! Plain-text renderings of API answers, for `jamscope trace` and
//! `jamscope traces`: a waterfall with one bar per span, coloured by layer
//! on a terminal and plain otherwise, and the one-line layer breakdown.

use std::fmt::Write as _;

use super::TraceView;
use crate::store::queries::TraceSummary;

const BAR_WIDTH: usize = 40;

/// ANSI colour per layer (browser, cdn, gateway, cms, function, other).
fn colour(layer: &str) -> &'static str {
    match layer {
        "browser" => "\x1b[34m",
        "cdn" => "\x1b[36m",
        "gateway" => "\x1b[33m",
        "cms" => "\x1b[35m",
        "function" => "\x1b[32m",
        _ => "\x1b[37m",
    }
}

const RESET: &str = "\x1b[0m";

/// The trace as a waterfall, then its breakdown line.
pub fn waterfall(view: &TraceView, ansi: bool) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "trace {}  ({} spans)", view.trace_id, view.spans.len());
    let total = view.total_ms.max(f64::MIN_POSITIVE);
    let label_width = view
        .spans
        .iter()
        .map(|s| 2 * s.depth + s.service.len() + s.name.len() + 3)
        .max()
        .unwrap_or(0)
        .min(60);
    for span in &view.spans {
        let label = format!("{}{}: {}", "  ".repeat(span.depth), span.service, span.name);
        let label: String = label.chars().take(label_width).collect();
        let from = ((span.start_ms / total) * BAR_WIDTH as f64).floor() as usize;
        let length = (((span.duration_ms / total) * BAR_WIDTH as f64).round() as usize).max(1);
        let from = from.min(BAR_WIDTH - 1);
        let length = length.min(BAR_WIDTH - from);
        let bar = format!(
            "{}{}{}",
            " ".repeat(from),
            "█".repeat(length),
            " ".repeat(BAR_WIDTH - from - length)
        );
        let (on, off) = if ansi {
            (colour(&span.layer), RESET)
        } else {
            ("", "")
        };
        let mut flags = String::new();
        if span.status == "Error" {
            flags.push_str(" error");
        }
        if span.orphan {
            flags.push_str(" orphan");
        }
        if span.clamped_ms > 0.0 {
            let _ = write!(flags, " skew {:.1} ms", span.clamped_ms);
        }
        let line = format!(
            "{label:<label_width$}  {on}{bar}{off}  {:>9.1} ms  {:<8}{flags}",
            span.duration_ms, span.layer
        );
        let _ = writeln!(out, "{}", line.trim_end());
    }
    let _ = writeln!(out, "{}", view.summary);
    out
}

/// One line per trace: id, duration, root, spans, errors.
pub fn trace_list(traces: &[TraceSummary]) -> String {
    let mut out = String::new();
    for t in traces {
        let _ = writeln!(
            out,
            "{}  {:>10.1} ms  {:>4} spans  {:>3} errors  {}: {}",
            t.trace_id,
            t.duration_ns as f64 / 1e6,
            t.spans,
            t.errors,
            t.root_service,
            t.root_name
        );
    }
    if traces.is_empty() {
        out.push_str("no traces in that window\n");
    }
    out
}
