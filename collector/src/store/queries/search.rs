//! Trace search over `trace_index`: one aggregated row per trace, merged
//! at read time (`GROUP BY TraceId`), so spans that reached the index
//! through different collectors or minutes apart count as one trace.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{fetch_json, Queries, QueryError, TimeRange};

/// What to search for; `None` and empty mean "any".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TraceFilter {
    pub range: Option<TimeRange>,
    pub service: Option<String>,
    pub layer: Option<String>,
    pub route: Option<String>,
    pub min_duration_ms: Option<u64>,
    pub errors_only: bool,
    /// Slowest first instead of newest first.
    pub slowest: bool,
    pub limit: u32,
}

/// One trace in a result list.
#[derive(Debug, Clone, PartialEq, Deserialize, serde::Serialize)]
pub struct TraceSummary {
    pub trace_id: String,
    pub start_ns: u64,
    pub duration_ns: u64,
    pub spans: u64,
    pub errors: u64,
    pub root_service: String,
    pub root_name: String,
    pub services: Vec<String>,
    pub layers: Vec<String>,
    pub routes: Vec<String>,
    /// Span time summed per layer (spans of one layer may overlap, so this
    /// is not the exclusive breakdown: that comes from the span rows).
    pub layer_span_ns: BTreeMap<String, u64>,
}

impl Queries {
    pub async fn search_traces(
        &self,
        filter: &TraceFilter,
    ) -> Result<Vec<TraceSummary>, QueryError> {
        let order = if filter.slowest {
            "duration_ns DESC"
        } else {
            "start_ns DESC"
        };
        let range = filter.range.unwrap_or(TimeRange {
            from_millis: 0,
            to_millis: i64::MAX / 1_000_000,
        });
        // Sets come back sorted: the same answer from one server or a
        // cluster, whatever order the parts were read in.
        let sql = format!(
            "SELECT TraceId AS trace_id, \
                    toUnixTimestamp64Nano(min(Start)) AS start_ns, \
                    toUInt64(greatest(toUnixTimestamp64Nano(max(End)) - start_ns, 0)) AS duration_ns, \
                    sum(SpanCount) AS spans, sum(ErrorCount) AS errors, \
                    max(RootService) AS root_service, max(RootName) AS root_name, \
                    arraySort(groupUniqArrayArray(Services)) AS services, \
                    arraySort(groupUniqArrayArray(Layers)) AS layers, \
                    arraySort(groupUniqArrayArray(Routes)) AS routes, \
                    CAST(sumMap(LayerTime), 'Map(String, UInt64)') AS layer_span_ns \
             FROM trace_index \
             WHERE Start >= fromUnixTimestamp64Milli({{from:Int64}}) \
               AND Start <= fromUnixTimestamp64Milli({{to:Int64}}) \
             GROUP BY TraceId \
             HAVING ({{service:String}} = '' OR has(services, {{service:String}})) \
                AND ({{layer:String}} = '' OR has(layers, {{layer:String}})) \
                AND ({{route:String}} = '' OR has(routes, {{route:String}})) \
                AND duration_ns >= {{min_duration_ns:UInt64}} \
                AND (NOT {{errors_only:Bool}} OR errors > 0) \
             ORDER BY {order} LIMIT {{limit:UInt32}}"
        );
        fetch_json(
            self.query(&sql)
                .param("from", range.from_millis)
                .param("to", range.to_millis)
                .param("service", filter.service.clone().unwrap_or_default())
                .param("layer", filter.layer.clone().unwrap_or_default())
                .param("route", filter.route.clone().unwrap_or_default())
                .param(
                    "min_duration_ns",
                    filter
                        .min_duration_ms
                        .unwrap_or(0)
                        .saturating_mul(1_000_000),
                )
                .param("errors_only", filter.errors_only)
                .param("limit", filter.limit),
            "trace search",
        )
        .await
    }
}
