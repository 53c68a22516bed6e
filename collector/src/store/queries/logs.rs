//! Log records from `otel_logs`: a trace's (by its id's bloom filter, in
//! the partitions and key range the trace's time touches; `TimestampTime`
//! is what partitions and sorts the table) and a search, newest first, by
//! service, layer, lowest severity, trace and words of the body. Words are
//! matched whole and in any case with `hasToken(lower(Body), …)`, which
//! the table's token index on `lower(Body)` answers.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError, TimeRange, TraceBounds};
use crate::model::TraceId;

/// How far outside its spans' times a trace's log records are looked for:
/// a record may be written just before its span starts or after it ends.
const TRACE_MARGIN_NANOS: u64 = 3_600 * 1_000_000_000;

/// The most records one trace shows.
const TRACE_LOGS_LIMIT: u32 = 2_000;

/// The most words a search matches.
pub const MAX_WORDS: usize = 8;

/// A log record as stored, with what pages and the API show.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct StoredLog {
    pub time_unix_nano: u64,
    pub trace_id: String,
    pub span_id: String,
    pub severity_text: String,
    pub severity_number: u8,
    pub service: String,
    pub layer: String,
    pub body: String,
    pub attributes: BTreeMap<String, String>,
    pub event_name: String,
}

/// What to search for; `None` and empty mean "any".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFilter {
    pub range: TimeRange,
    pub service: Option<String>,
    pub layer: Option<String>,
    /// Records at least this severe (a `SeverityNumber`).
    pub min_severity: Option<u8>,
    pub trace_id: Option<TraceId>,
    /// Every one of these must be a word of the body, lowercase (see
    /// [`words`]).
    pub words: Vec<String>,
    pub limit: u32,
}

/// The words of `text` as the body's token index cuts them: runs of ASCII
/// letters and digits (and any non-ASCII bytes), lowercased; at most
/// [`MAX_WORDS`], the rest dropped.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in text.split(|c: char| c.is_ascii() && !c.is_ascii_alphanumeric()) {
        let word = word.to_ascii_lowercase();
        if !word.is_empty() && !out.contains(&word) && out.len() < MAX_WORDS {
            out.push(word);
        }
    }
    out
}

const COLUMNS: &str = "toUnixTimestamp64Nano(Timestamp) AS time_unix_nano, \
    TraceId AS trace_id, SpanId AS span_id, SeverityText AS severity_text, \
    SeverityNumber AS severity_number, ServiceName AS service, Layer AS layer, \
    Body AS body, LogAttributes AS attributes, EventName AS event_name";

impl Queries {
    /// The trace's log records, oldest first.
    pub async fn trace_logs(
        &self,
        trace_id: TraceId,
        bounds: TraceBounds,
    ) -> Result<Vec<StoredLog>, QueryError> {
        let nanos = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        fetch_json(
            self.query(&format!(
                "SELECT {COLUMNS} FROM otel_logs \
                 WHERE TraceId = {{trace_id:String}} \
                   AND TimestampTime >= toDateTime(intDiv({{from:Int64}}, 1000000000)) \
                   AND TimestampTime <= toDateTime(intDiv({{to:Int64}}, 1000000000)) \
                   AND Timestamp >= fromUnixTimestamp64Nano({{from:Int64}}) \
                   AND Timestamp <= fromUnixTimestamp64Nano({{to:Int64}}) \
                 ORDER BY Timestamp, SpanId, Body LIMIT {{limit:UInt32}}"
            ))
            .param("trace_id", trace_id.to_string())
            .param(
                "from",
                nanos(bounds.start_ns.saturating_sub(TRACE_MARGIN_NANOS)),
            )
            .param(
                "to",
                nanos(bounds.end_ns.saturating_add(TRACE_MARGIN_NANOS)),
            )
            .param("limit", TRACE_LOGS_LIMIT),
            "trace logs",
        )
        .await
    }

    /// Records matching `filter`, newest first.
    pub async fn search_logs(&self, filter: &LogFilter) -> Result<Vec<StoredLog>, QueryError> {
        // One placeholder per word: `hasToken` takes a constant, and the
        // names are ours, never the request's text.
        let mut word_conditions = String::new();
        for i in 0..filter.words.len() {
            let _ = write!(
                word_conditions,
                " AND hasToken(lower(Body), {{w{i}:String}})"
            );
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM otel_logs \
             WHERE TimestampTime >= toDateTime(intDiv({{from:Int64}}, 1000)) \
               AND TimestampTime <= toDateTime(intDiv({{to:Int64}}, 1000)) \
               AND Timestamp >= fromUnixTimestamp64Milli({{from:Int64}}) \
               AND Timestamp <= fromUnixTimestamp64Milli({{to:Int64}}) \
               AND ({{service:String}} = '' OR ServiceName = {{service:String}}) \
               AND ({{layer:String}} = '' OR Layer = {{layer:String}}) \
               AND SeverityNumber >= {{min_severity:UInt8}} \
               AND ({{trace_id:String}} = '' OR TraceId = {{trace_id:String}})\
               {word_conditions} \
             ORDER BY Timestamp DESC, ServiceName, Body LIMIT {{limit:UInt32}}"
        );
        let mut query = self
            .query(&sql)
            .param("from", filter.range.from_millis)
            .param("to", filter.range.to_millis)
            .param("service", filter.service.clone().unwrap_or_default())
            .param("layer", filter.layer.clone().unwrap_or_default())
            .param("min_severity", filter.min_severity.unwrap_or(0))
            .param(
                "trace_id",
                filter.trace_id.map(|id| id.to_string()).unwrap_or_default(),
            )
            .param("limit", filter.limit);
        for (i, word) in filter.words.iter().enumerate() {
            query = query.param(&format!("w{i}"), word.as_str());
        }
        fetch_json(query, "log search").await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_cut_as_the_token_index_cuts_them() {
        assert_eq!(
            words("Payment DECLINED: card-4242 (retry)"),
            ["payment", "declined", "card", "4242", "retry"]
        );
        assert_eq!(words("café au lait"), ["café", "au", "lait"]);
        assert_eq!(words("  --  "), Vec::<String>::new());
        assert_eq!(words("a a A"), ["a"]);
        assert_eq!(words("1 2 3 4 5 6 7 8 9 10").len(), MAX_WORDS);
    }
}
