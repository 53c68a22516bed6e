//! Reading back: every SELECT the API, the CLI and alert rules run, in one
//! place. Each query is parameterised on the server (`{name:Type}`
//! placeholders bound with `Query::param`), so no request text ever
//! becomes SQL. Results come back as JSON rows and are decoded into the
//! plain structs each file declares; the API and the CLI share these
//! functions, never a copy of the SQL.

mod alert_history;
mod alert_peers;
mod alert_rules;
mod browser;
mod builds;
mod errors;
mod layers;
mod logs;
mod metric_points;
mod rule_metrics;
mod rum_link;
mod search;
mod silences;
mod sourcemaps;
mod trace;
mod vitals;

use serde::de::DeserializeOwned;

use crate::model::kpi::KpiSettings;

pub use alert_history::HistoryEntry;
pub use alert_peers::LiveInstance;
pub use alert_rules::NewError;
pub use browser::BrowserTraceSpan;
pub use builds::{FailureStreak, StoredBuild, STREAK_DEPTH};
pub use errors::{ErrorGroup, GroupEvent, GroupFilter};
pub use layers::Kpi;
pub use logs::{words, LogFilter, StoredLog, MAX_WORDS};
pub use metric_points::MetricSummary;
pub use rule_metrics::RegressionPoint;
pub use rum_link::{LinkedError, LinkedPageView, LinkedRum, LinkedVital, StartedTrace};
pub use search::{TraceFilter, TraceSummary};
pub use sourcemaps::{StoredPart, StoredRelease, StoredSourceMap};
pub use trace::{StoredSpan, TraceBounds};
pub use vitals::{Buckets, VitalGroup, VitalGrouping, VitalPoint, VitalSeries};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error("ClickHouse query failed ({what}): {source}")]
    ClickHouse {
        what: &'static str,
        #[source]
        source: clickhouse::error::Error,
    },
    #[error("ClickHouse answered something unreadable ({what}): {message}")]
    Decode { what: &'static str, message: String },
    /// A question that cannot be asked (a label a metric has no column
    /// for, a filter that does not fit it); said before any SQL runs.
    #[error("{0}")]
    Invalid(String),
}

/// A time window ending now, or an explicit range, in Unix milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub from_millis: i64,
    pub to_millis: i64,
}

/// The read side of the store.
#[derive(Clone)]
pub struct Queries {
    client: clickhouse::Client,
    kpi: KpiSettings,
}

impl Queries {
    pub fn new(client: clickhouse::Client, kpi: KpiSettings) -> Self {
        Self { client, kpi }
    }

    fn query(&self, sql: &str) -> clickhouse::query::Query {
        self.client
            .query(sql)
            // Numbers as JSON numbers, not strings.
            .with_setting("output_format_json_quote_64bit_integers", "0")
            .with_setting("output_format_json_quote_decimals", "0")
    }
}

/// Runs `query` and decodes each JSONEachRow line into `T`.
pub(crate) async fn fetch_json<T: DeserializeOwned>(
    query: clickhouse::query::Query,
    what: &'static str,
) -> Result<Vec<T>, QueryError> {
    let mut cursor = query
        .fetch_bytes("JSONEachRow")
        .map_err(|source| QueryError::ClickHouse { what, source })?;
    let bytes = cursor
        .collect()
        .await
        .map_err(|source| QueryError::ClickHouse { what, source })?;
    bytes
        .split(|&b| b == b'\n')
        .filter(|line| !line.is_empty())
        .map(|line| {
            serde_json::from_slice(line).map_err(|e| QueryError::Decode {
                what,
                message: e.to_string(),
            })
        })
        .collect()
}
