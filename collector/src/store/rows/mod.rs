//! One file per ClickHouse table (or per few tables written together):
//! which columns it has and how a record becomes one RowBinary row of it.
//! A record is a `model` type, or a row type the file declares when the
//! table keeps what another module owns (alerting's tables). A new table
//! is a [`Table`] here, its migration in `schema/`, and one of the two
//! ways to write it in `writer/` (queued, or at once).

mod alert_peers;
mod alerts;
mod attributes;
mod build;
mod errors;
mod log;
mod metric_points;
mod rejected;
mod rum;
mod span;

pub use alert_peers::{Heartbeat, HeartbeatTable, WindowFlush, WindowFlushTable};
pub use alerts::{
    AlertEventRow, AlertEventTable, AlertStateTable, SavedState, SilenceTable, SilenceVersion,
};
pub use build::BuildTable;
pub use errors::{frames_json, ErrorDecisionTable, ErrorEventTable, SourceMapTable};
pub use log::LogTable;
pub use metric_points::{
    ExponentialHistogramTable, GaugeTable, HistogramTable, SumTable, SummaryTable,
};
pub use rejected::{RejectedRow, RejectedRowTable};
pub use rum::{RumErrorTable, RumPageViewTable, RumVitalTable};
pub use span::SpanTable;

/// How a domain record is written as one row of a table.
pub trait Table: Send + Sync + 'static {
    type Record: Send + 'static;

    /// The table's name (unqualified; the client's database applies).
    const NAME: &'static str;

    /// The column list, in the order [`Table::encode`] writes them.
    const COLUMNS: &'static [&'static str];

    /// Appends one RowBinary row for `record` to `buf`.
    fn encode(record: &Self::Record, buf: &mut Vec<u8>);

    /// Appends rows for records that arrived together, pushing the offset
    /// in `buf` where each row ends onto `row_ends` (a failed insert is
    /// split at row boundaries). Tables whose rows repeat a shared part
    /// (every span of a request carries its resource) override this to
    /// encode that part once.
    fn encode_all(records: &[Self::Record], buf: &mut Vec<u8>, row_ends: &mut Vec<u32>) {
        for record in records {
            Self::encode(record, buf);
            row_ends.push(row_end(buf));
        }
    }

    /// Whether `record` was sent by the service named `service`. The
    /// writer asks it about the collector's own service: a chunk holding
    /// only the collector's own spans records no span of its own work
    /// (`telemetry::spans` explains the loop this ends). Tables without
    /// services hold no such records.
    fn is_from_service(_record: &Self::Record, _service: &str) -> bool {
        false
    }

    /// The `INSERT` statement the encoded rows belong to.
    fn insert_sql() -> String {
        format!(
            "INSERT INTO {} ({}) FORMAT RowBinary",
            Self::NAME,
            Self::COLUMNS.join(", ")
        )
    }
}

/// Where the row just written ends. A chunk is sealed at a few MiB, far
/// below 4 GiB, so the offset always fits.
pub fn row_end(buf: &[u8]) -> u32 {
    u32::try_from(buf.len()).unwrap_or(u32::MAX)
}
