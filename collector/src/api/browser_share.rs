//! The browser's share of time in the traces browsers started, per page
//! route: the `browser` part of `GET /api/layers`. Each trace is assembled
//! as its own view is (`correlate`), so a route's numbers are what its
//! traces' breakdowns say: the browser's time is the time its spans were
//! the deepest active (before the request left, after the answer came,
//! the network), not the time its spans lasted.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::correlate::{self, nanos_to_ms, Part, SpanTiming};
use crate::model::{Layer, SpanId, TraceId};
use crate::store::queries::BrowserTraceSpan;

/// Traces read per answer, the newest first.
pub const MAX_TRACES: u32 = 1_000;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BrowserShare {
    /// The traces the numbers come from.
    pub traces: usize,
    /// Browser time over the wall time of all of them; `None` without any.
    pub share: Option<f64>,
    /// Per page route, the most traces first.
    pub routes: Vec<RouteShare>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteShare {
    /// The page's route template, else its path.
    pub route: String,
    pub traces: usize,
    /// 75th percentiles (nearest rank) of the browser's time and of the
    /// traces' wall time.
    pub browser_p75_ms: f64,
    pub total_p75_ms: f64,
    /// Browser time over the wall time of the route's traces.
    pub share: f64,
}

/// One trace's browser time and wall time, in ns.
struct TraceTimes {
    browser: u64,
    wall: u64,
}

/// The share over the spans of browser-started traces, in any order.
pub fn browser_share(rows: Vec<BrowserTraceSpan>) -> BrowserShare {
    let mut traces: BTreeMap<String, Vec<BrowserTraceSpan>> = BTreeMap::new();
    for row in rows {
        traces.entry(row.trace_id.clone()).or_default().push(row);
    }
    let mut by_route: BTreeMap<String, Vec<TraceTimes>> = BTreeMap::new();
    for (trace_id, spans) in traces {
        if let Some((route, times)) = trace_times(&trace_id, spans) {
            by_route.entry(route).or_default().push(times);
        }
    }
    let all: Vec<&TraceTimes> = by_route.values().flatten().collect();
    let mut routes: Vec<RouteShare> = by_route
        .iter()
        .map(|(route, times)| RouteShare {
            route: route.clone(),
            traces: times.len(),
            browser_p75_ms: p75_ms(times.iter().map(|t| t.browser)),
            total_p75_ms: p75_ms(times.iter().map(|t| t.wall)),
            share: share(times.iter()).unwrap_or(0.0),
        })
        .collect();
    routes.sort_by(|a, b| b.traces.cmp(&a.traces).then_with(|| a.route.cmp(&b.route)));
    BrowserShare {
        traces: all.len(),
        share: share(all.into_iter()),
        routes,
    }
}

/// The route of a trace's browser root and its times; `None` for a trace
/// that cannot be assembled (no span with a valid id).
fn trace_times(trace_id: &str, spans: Vec<BrowserTraceSpan>) -> Option<(String, TraceTimes)> {
    let route = spans
        .iter()
        .find(|s| s.parent_span_id.is_empty() && s.layer == Layer::Browser.as_str())
        .map(|s| s.route.clone())
        .unwrap_or_default();
    let timings = spans
        .into_iter()
        .filter_map(|span| {
            Some(SpanTiming {
                span_id: SpanId::from_hex(&span.span_id)?,
                parent_span_id: SpanId::from_hex(&span.parent_span_id),
                service: String::new(),
                name: String::new(),
                layer: span.layer.parse().unwrap_or(Layer::Other),
                start_unix_nanos: span.start_ns,
                end_unix_nanos: span.start_ns.saturating_add(span.duration_ns),
                is_error: false,
            })
        })
        .collect();
    let trace = correlate::assemble(TraceId::from_hex(trace_id)?, timings)?;
    let times = TraceTimes {
        browser: trace.breakdown.get(Part::Layer(Layer::Browser)),
        wall: trace.wall_nanos,
    };
    Some((route, times))
}

fn p75_ms(values: impl Iterator<Item = u64>) -> f64 {
    let mut values: Vec<u64> = values.collect();
    values.sort_unstable();
    // Nearest rank: the smallest value at least 75 % of them do not exceed.
    let rank = (values.len() * 3).div_ceil(4).max(1);
    values
        .get(rank - 1)
        .map_or(0.0, |&nanos| nanos_to_ms(nanos))
}

fn share<'a>(times: impl Iterator<Item = &'a TraceTimes>) -> Option<f64> {
    let (browser, wall) = times.fold((0u128, 0u128), |(b, w), t| {
        (b + u128::from(t.browser), w + u128::from(t.wall))
    });
    (wall > 0).then(|| browser as f64 / wall as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;
    const BASE: u64 = 1_764_000_000_000 * MS;

    fn span(
        trace: u8,
        id: u8,
        parent: u8,
        layer: &str,
        from_ms: u64,
        to_ms: u64,
        route: &str,
    ) -> BrowserTraceSpan {
        BrowserTraceSpan {
            trace_id: format!("{trace:032x}"),
            span_id: format!("{id:016x}"),
            parent_span_id: if parent == 0 {
                String::new()
            } else {
                format!("{parent:016x}")
            },
            layer: layer.into(),
            start_ns: BASE + from_ms * MS,
            duration_ns: (to_ms - from_ms) * MS,
            route: route.into(),
        }
    }

    /// A fetch from the browser, 0–100 ms, the CDN answering 10–90 ms
    /// (the gateway under it 20–80): 20 ms are the browser's.
    fn fetch(trace: u8, route: &str, stretch: u64) -> Vec<BrowserTraceSpan> {
        vec![
            span(trace, 1, 0, "browser", 0, 100 * stretch, route),
            span(trace, 2, 1, "cdn", 10 * stretch, 90 * stretch, ""),
            span(trace, 3, 2, "gateway", 20 * stretch, 80 * stretch, ""),
        ]
    }

    #[test]
    fn the_browser_owns_the_time_its_request_was_not_on_a_server() {
        let share = browser_share(fetch(1, "/products/:id", 1));
        assert_eq!(share.traces, 1);
        assert_eq!(share.share, Some(0.2));
        let route = &share.routes[0];
        assert_eq!(
            (
                route.route.as_str(),
                route.traces,
                route.browser_p75_ms,
                route.total_p75_ms
            ),
            ("/products/:id", 1, 20.0, 100.0)
        );
    }

    #[test]
    fn routes_are_counted_apart_with_their_75th_percentiles() {
        let mut rows = Vec::new();
        for (trace, stretch) in [(1, 1), (2, 2), (3, 3), (4, 4)] {
            rows.extend(fetch(trace, "/products/:id", stretch));
        }
        rows.extend(vec![span(9, 1, 0, "browser", 0, 50, "/cart")]);
        rows.reverse();
        let share = browser_share(rows);
        assert_eq!(share.traces, 5);
        let routes: Vec<(&str, usize, f64, f64)> = share
            .routes
            .iter()
            .map(|r| (r.route.as_str(), r.traces, r.browser_p75_ms, r.total_p75_ms))
            .collect();
        assert_eq!(
            routes,
            [("/products/:id", 4, 60.0, 300.0), ("/cart", 1, 50.0, 50.0)]
        );
        assert_eq!(
            share.routes[1].share, 1.0,
            "a page load alone is all browser"
        );
        // (20 + 40 + 60 + 80 + 50) / (100 + 200 + 300 + 400 + 50)
        let expected = 250.0 / 1050.0;
        assert!((share.share.unwrap() - expected).abs() < 1e-12);
    }

    #[test]
    fn nothing_is_no_share() {
        let share = browser_share(Vec::new());
        assert_eq!(
            (share.traces, share.share, share.routes.len()),
            (0, None, 0)
        );
    }
}
