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
        self.first_seen(
            ErrorGroups {
                fingerprint: "Fingerprint",
                message: "Message",
                place: "if(Route != '', Route, Path)",
                from: "rum_errors",
                only: "1",
            },
            new_since_millis,
            lookback_from_millis,
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
        self.first_seen(
            ErrorGroups {
                fingerprint: "lower(hex(cityHash64(ServiceName, SpanName, \
                              replaceRegexpAll(StatusMessage, '[0-9]+', 'N'))))",
                message: "if(StatusMessage != '', StatusMessage, SpanName)",
                place: "ServiceName",
                from: "otel_traces",
                only: "StatusCode = 'Error'",
            },
            new_since_millis,
            lookback_from_millis,
            "finding new span errors",
        )
        .await
    }

    async fn first_seen(
        &self,
        groups: ErrorGroups,
        new_since_millis: i64,
        lookback_from_millis: i64,
        what: &'static str,
    ) -> Result<Vec<NewError>, QueryError> {
        let ErrorGroups {
            fingerprint,
            message,
            place,
            from,
            only,
        } = groups;
        fetch_json(
            self.query(&format!(
                "SELECT {fingerprint} AS fingerprint, \
                        toUnixTimestamp64Milli(min(Timestamp)) AS first_seen_millis, \
                        count() AS occurrences, \
                        argMin({message}, Timestamp) AS message, \
                        argMin({place}, Timestamp) AS place, \
                        argMin(TraceId, Timestamp) AS example_trace_id \
                 FROM {from} \
                 WHERE Timestamp >= fromUnixTimestamp64Milli({{from:Int64}}) AND {only} \
                 GROUP BY fingerprint \
                 HAVING first_seen_millis >= {{since:Int64}} \
                 ORDER BY first_seen_millis LIMIT 1000"
            ))
            .param("from", lookback_from_millis)
            .param("since", new_since_millis),
            what,
        )
        .await
    }
}

/// How one table's errors are grouped: SQL expressions of our own, never
/// request text.
struct ErrorGroups {
    fingerprint: &'static str,
    message: &'static str,
    place: &'static str,
    from: &'static str,
    only: &'static str,
}
