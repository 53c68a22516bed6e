//! JavaScript error groups over a window: one row per fingerprint with its
//! counts, when it was first and last seen, a sample stack and a sample
//! trace to open.

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError, TimeRange};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub fingerprint: String,
    pub error_type: String,
    pub message: String,
    pub count: u64,
    pub sessions: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub releases: Vec<String>,
    pub sample_stack: Vec<String>,
    /// The trace of the newest page view that had this error (of equally
    /// new ones, the largest id: the same answer from one server or a
    /// cluster); empty when none had one.
    pub sample_trace_id: String,
}

impl Queries {
    pub async fn error_groups(
        &self,
        range: TimeRange,
        limit: u32,
    ) -> Result<Vec<ErrorGroup>, QueryError> {
        fetch_json(
            self.query(
                "SELECT Fingerprint AS fingerprint, any(ErrorType) AS error_type, \
                        any(Message) AS message, count() AS count, uniq(SessionId) AS sessions, \
                        toUnixTimestamp64Milli(min(Timestamp)) AS first_seen_ms, \
                        toUnixTimestamp64Milli(max(Timestamp)) AS last_seen_ms, \
                        arraySort(groupUniqArray(10)(Release)) AS releases, \
                        arrayMap((f, fun, l, c) -> concat(if(fun = '', '<anonymous>', fun), ' (', f, ':', toString(l), ':', toString(c), ')'), \
                            argMax(`Stack.File`, Timestamp), argMax(`Stack.Function`, Timestamp), \
                            argMax(`Stack.Line`, Timestamp), argMax(`Stack.Column`, Timestamp)) AS sample_stack, \
                        argMaxIf(TraceId, (Timestamp, TraceId), TraceId != '') AS sample_trace_id \
                 FROM rum_errors \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                   AND Timestamp <= fromUnixTimestamp64Milli({to:Int64}) \
                 GROUP BY Fingerprint ORDER BY count DESC, last_seen_ms DESC \
                 LIMIT {limit:UInt32}",
            )
            .param("from", range.from_millis)
            .param("to", range.to_millis)
            .param("limit", limit),
            "error groups",
        )
        .await
    }
}
