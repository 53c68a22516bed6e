//! One trace: where it lies in time (from `trace_index`, a point lookup by
//! its sort key) and then its span rows, read only from the partitions that
//! time range touches. Exact answers always come from the span rows.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{fetch_json, Queries, QueryError};
use crate::model::TraceId;

/// A trace's first start and last end, in Unix ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct TraceBounds {
    pub start_ns: u64,
    pub end_ns: u64,
}

/// A span as stored, with what the trace view shows.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredSpan {
    pub span_id: String,
    pub parent_span_id: String,
    pub service: String,
    pub name: String,
    pub kind: String,
    pub layer: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub status_code: String,
    pub status_message: String,
    pub attributes: BTreeMap<String, String>,
}

impl Queries {
    pub async fn trace_bounds(&self, trace_id: TraceId) -> Result<Option<TraceBounds>, QueryError> {
        let rows: Vec<TraceBounds> = fetch_json(
            self.query(
                "SELECT toUnixTimestamp64Nano(min(Start)) AS start_ns, \
                        toUnixTimestamp64Nano(max(End)) AS end_ns \
                 FROM trace_index WHERE TraceId = {trace_id:String} GROUP BY TraceId",
            )
            .param("trace_id", trace_id.to_string()),
            "trace bounds",
        )
        .await?;
        Ok(rows.into_iter().next())
    }

    /// The trace's spans (duplicates included: assembly drops them).
    pub async fn trace_spans(
        &self,
        trace_id: TraceId,
        bounds: TraceBounds,
    ) -> Result<Vec<StoredSpan>, QueryError> {
        fetch_json(
            self.query(
                "SELECT SpanId AS span_id, ParentSpanId AS parent_span_id, \
                        ServiceName AS service, SpanName AS name, SpanKind AS kind, \
                        Layer AS layer, toUnixTimestamp64Nano(Timestamp) AS start_ns, \
                        Duration AS duration_ns, StatusCode AS status_code, \
                        StatusMessage AS status_message, SpanAttributes AS attributes \
                 FROM otel_traces \
                 WHERE TraceId = {trace_id:String} \
                   AND Timestamp >= fromUnixTimestamp64Nano({start:Int64}) \
                   AND Timestamp <= fromUnixTimestamp64Nano({end:Int64}) \
                 ORDER BY Timestamp",
            )
            .param("trace_id", trace_id.to_string())
            .param("start", bounds.start_ns as i64)
            .param("end", bounds.end_ns as i64),
            "trace spans",
        )
        .await
    }
}
