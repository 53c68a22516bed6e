//! The spans of the traces browsers started in a window (their root is a
//! browser span): what `/api/layers` computes the browser's share of time
//! from, by the same assembly as one trace's view. The newest traces are
//! read, up to a limit, so the answer costs the same on a busy site.

use serde::Deserialize;

use super::{fetch_json, Queries, QueryError, TimeRange};
use crate::model::rum::{PAGE_PATH_ATTRIBUTE, PAGE_ROUTE_ATTRIBUTE};

/// How far a trace's spans may lie outside the window its root started in.
const SLACK_MILLIS: i64 = 5 * 60 * 1000;

/// One span of a browser-started trace: what its assembly needs.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BrowserTraceSpan {
    pub trace_id: String,
    pub span_id: String,
    pub parent_span_id: String,
    pub layer: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    /// A browser span's page: its route template, else its path; empty for
    /// the spans of other layers.
    pub route: String,
}

impl Queries {
    /// Every span of the newest `limit` traces whose root, a browser span,
    /// started in `range`.
    pub async fn browser_trace_spans(
        &self,
        range: TimeRange,
        limit: u32,
    ) -> Result<Vec<BrowserTraceSpan>, QueryError> {
        fetch_json(
            self.query(
                "SELECT TraceId AS trace_id, SpanId AS span_id, ParentSpanId AS parent_span_id, \
                        Layer AS layer, toUnixTimestamp64Nano(Timestamp) AS start_ns, \
                        Duration AS duration_ns, \
                        if(Layer = 'browser', if(SpanAttributes[{route:String}] != '', \
                           SpanAttributes[{route:String}], SpanAttributes[{path:String}]), '') AS route \
                 FROM otel_traces \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({from_slack:Int64}) \
                   AND Timestamp <= fromUnixTimestamp64Milli({to_slack:Int64}) \
                   AND TraceId GLOBAL IN ( \
                     SELECT TraceId FROM otel_traces \
                     WHERE Layer = 'browser' AND ParentSpanId = '' \
                       AND Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                       AND Timestamp <= fromUnixTimestamp64Milli({to:Int64}) \
                     ORDER BY Timestamp DESC, TraceId LIMIT {limit:UInt32})",
            )
            .param("route", PAGE_ROUTE_ATTRIBUTE)
            .param("path", PAGE_PATH_ATTRIBUTE)
            .param("from", range.from_millis)
            .param("to", range.to_millis)
            .param("from_slack", range.from_millis - SLACK_MILLIS)
            .param("to_slack", range.to_millis + SLACK_MILLIS)
            .param("limit", limit),
            "spans of browser-started traces",
        )
        .await
    }
}
