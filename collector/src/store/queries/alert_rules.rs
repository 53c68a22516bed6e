//! What alert rules read from ClickHouse: the query of a `sql` rule, run
//! as written, and error fingerprints seen for the first time (`new_error`
//! rules). Rules never see SQL beyond their own `sql` condition.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::{fetch_json, Queries, QueryError};

/// An error fingerprint first seen inside the window asked for.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct NewError {
    pub fingerprint: String,
    pub first_seen_millis: i64,
    pub occurrences: u64,
    pub message: String,
    /// The page (RUM) or service (spans) it was seen on first.
    pub place: String,
    pub example_trace_id: String,
}

impl Queries {
    /// Runs a `sql` rule's query; each row is a JSON object.
    pub async fn rule_rows(&self, sql: &str) -> Result<Vec<Map<String, Value>>, QueryError> {
        // `readonly = 2`: a rule file can read, never write or drop.
        fetch_json(
            self.query(sql).with_setting("readonly", "2"),
            "running a sql rule",
        )
        .await
    }

    /// Browser error fingerprints whose first sighting since
    /// `lookback_from_millis` is at or after `new_since_millis`.
    pub async fn new_rum_errors(
        &self,
        new_since_millis: i64,
        lookback_from_millis: i64,
    ) -> Result<Vec<NewError>, QueryError> {
        fetch_json(
            self.query(
                "SELECT Fingerprint AS fingerprint, \
                        toUnixTimestamp64Milli(min(Timestamp)) AS first_seen_millis, \
                        count() AS occurrences, \
                        argMin(Message, Timestamp) AS message, \
                        argMin(if(Route != '', Route, Path), Timestamp) AS place, \
                        argMin(TraceId, Timestamp) AS example_trace_id \
                 FROM rum_errors \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                 GROUP BY Fingerprint \
                 HAVING first_seen_millis >= {since:Int64} \
                 ORDER BY first_seen_millis LIMIT 1000",
            )
            .param("from", lookback_from_millis)
            .param("since", new_since_millis),
            "finding new browser errors",
        )
        .await
    }

    /// Span errors (status Error) grouped by service, span name and the
    /// status message with its numbers masked, first seen at or after
    /// `new_since_millis`.
    pub async fn new_span_errors(
        &self,
        new_since_millis: i64,
        lookback_from_millis: i64,
    ) -> Result<Vec<NewError>, QueryError> {
        fetch_json(
            self.query(
                "SELECT lower(hex(cityHash64(ServiceName, SpanName, \
                            replaceRegexpAll(StatusMessage, '[0-9]+', 'N')))) AS fingerprint, \
                        toUnixTimestamp64Milli(min(Timestamp)) AS first_seen_millis, \
                        count() AS occurrences, \
                        argMin(if(StatusMessage != '', StatusMessage, SpanName), Timestamp) AS message, \
                        any(ServiceName) AS place, \
                        argMin(TraceId, Timestamp) AS example_trace_id \
                 FROM otel_traces \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({from:Int64}) AND StatusCode = 'Error' \
                 GROUP BY fingerprint \
                 HAVING first_seen_millis >= {since:Int64} \
                 ORDER BY first_seen_millis LIMIT 1000",
            )
            .param("from", lookback_from_millis)
            .param("since", new_since_millis),
            "finding new span errors",
        )
        .await
    }
}
