//! The RUM tables: `rum_vitals`, `rum_errors`, `rum_page_views`. They share
//! the page context columns, so one dashboard filter (app, release, route,
//! browser, country, ...) applies to all three, and `TraceId` joins a page
//! view to the trace that rendered it.

use super::SchemaOptions;

/// Page context, in every RUM table. `Timestamp` is the browser's event
/// time (kept near `ReceivedAt` by the receiver); `ClientIp` is anonymised.
const CONTEXT_COLUMNS: &str = "
    Timestamp DateTime64(3) CODEC(Delta(8), ZSTD(1)),
    ReceivedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
    App LowCardinality(String) CODEC(ZSTD(1)),
    Release LowCardinality(String) CODEC(ZSTD(1)),
    Environment LowCardinality(String) CODEC(ZSTD(1)),
    SessionId String CODEC(ZSTD(1)),
    PageViewId String CODEC(ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    Url String CODEC(ZSTD(1)),
    Path String CODEC(ZSTD(1)),
    Route LowCardinality(String) CODEC(ZSTD(1)),
    Referrer String CODEC(ZSTD(1)),
    Browser LowCardinality(String) CODEC(ZSTD(1)),
    BrowserVersion LowCardinality(String) CODEC(ZSTD(1)),
    Os LowCardinality(String) CODEC(ZSTD(1)),
    DeviceClass LowCardinality(String) CODEC(ZSTD(1)),
    Connection LowCardinality(String) CODEC(ZSTD(1)),
    Country LowCardinality(String) CODEC(ZSTD(1)),
    ClientIp String CODEC(ZSTD(1))";

/// Lookups by trace (from a slow trace to its page) and by session.
const CONTEXT_INDEXES: &str = "
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_session_id SessionId TYPE bloom_filter(0.01) GRANULARITY 1";

pub fn rum_tables(options: &SchemaOptions) -> Vec<String> {
    let mut statements = rum_vitals(options);
    statements.extend(rum_errors(options));
    statements.extend(rum_page_views(options));
    statements
}

/// One row per metric instance after merges. CLS and INP report again under
/// the same id as they grow; the row with the latest event time replaces
/// the others, so they are never counted twice. Read with `FINAL` (or
/// `argMax(Value, Timestamp) ... GROUP BY MetricId`) to see only the latest
/// before merges have run. `Name` in the key changes nothing for
/// deduplication (an id belongs to one metric) and lets per-metric queries
/// skip the other metrics. On a cluster, rows are sharded by id so every
/// report of one metric meets on one shard.
fn rum_vitals(options: &SchemaOptions) -> Vec<String> {
    let columns = table_columns(
        "Name LowCardinality(String) CODEC(ZSTD(1)),
        Value Float64 CODEC(ZSTD(1)),
        Rating LowCardinality(String) CODEC(ZSTD(1)),
        Delta Float64 CODEC(ZSTD(1)),
        MetricId String CODEC(ZSTD(1)),
        NavigationType LowCardinality(String) CODEC(ZSTD(1)),
        Attribution Map(LowCardinality(String), String) CODEC(ZSTD(1))",
    );
    options.table(
        "rum_vitals",
        &columns,
        "ReplacingMergeTree(Timestamp)",
        &options.daily_partitions("Timestamp", "(App, Name, MetricId)"),
        Some("cityHash64(MetricId)"),
    )
}

/// One row per error occurrence. Sorted (and on a cluster, sharded) by
/// fingerprint, so counting an error and finding its first sighting read
/// one range on one shard.
fn rum_errors(options: &SchemaOptions) -> Vec<String> {
    let columns = table_columns(
        "Fingerprint String CODEC(ZSTD(1)),
        ErrorType LowCardinality(String) CODEC(ZSTD(1)),
        Message String CODEC(ZSTD(1)),
        Stack Nested (
            File String,
            Function String,
            Line UInt32,
            Column UInt32
        ) CODEC(ZSTD(1))",
    );
    options.table(
        "rum_errors",
        &columns,
        "MergeTree",
        &options.daily_partitions("Timestamp", "(App, Fingerprint, toDateTime(Timestamp))"),
        Some("cityHash64(Fingerprint)"),
    )
}

fn rum_page_views(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "rum_page_views",
        &table_columns(""),
        "MergeTree",
        &options.daily_partitions("Timestamp", "(App, Path, toDateTime(Timestamp))"),
        Some("cityHash64(SessionId)"),
    )
}

fn table_columns(own: &str) -> String {
    let own = if own.is_empty() {
        String::new()
    } else {
        format!(",\n        {own}")
    };
    format!("{CONTEXT_COLUMNS}{own},{CONTEXT_INDEXES}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::{RumErrorTable, RumPageViewTable, RumVitalTable, Table};

    fn options(cluster: Option<&str>) -> SchemaOptions {
        SchemaOptions::for_tests(cluster)
    }

    #[test]
    fn single_server_tables() {
        let sql = rum_tables(&options(None)).join("\n");
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `jamscope`.`rum_vitals` ("));
        assert!(sql.contains("ENGINE = ReplacingMergeTree(Timestamp) PARTITION BY toDate(Timestamp) ORDER BY (App, Name, MetricId)"));
        assert!(sql.contains("`jamscope`.`rum_errors`"));
        assert!(sql.contains("`jamscope`.`rum_page_views`"));
        assert!(sql.contains("toIntervalDay(7)"));
        assert!(!sql.contains("Distributed"));
    }

    #[test]
    fn cluster_tables_pass_the_version_column_after_the_replica() {
        let statements = rum_tables(&options(Some("prod")));
        assert_eq!(statements.len(), 6);
        let sql = statements.join("\n");
        assert!(sql.contains(
            "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/jamscope/rum_vitals_local', '{replica}', Timestamp)"
        ));
        assert!(sql.contains(
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/jamscope/rum_errors_local', '{replica}')"
        ));
        assert!(sql
            .contains("Distributed('prod', 'jamscope', 'rum_vitals_local', cityHash64(MetricId))"));
    }

    /// Every column a row encoder writes is declared in the table of the
    /// same name (the INSERT names its columns, so the order may differ).
    #[test]
    fn row_encoders_and_tables_agree_on_columns() {
        let statements = rum_tables(&options(None));
        let check = |name: &str, columns: &[&str]| {
            let ddl = statements
                .iter()
                .find(|s| s.contains(&format!("`{name}` (")))
                .unwrap_or_else(|| panic!("no DDL for {name}"));
            // The first word of each line of the column list: columns, and
            // the fields of a Nested column.
            let declared: Vec<&str> = ddl
                .lines()
                .filter_map(|line| line.split_whitespace().next())
                .collect();
            for column in columns {
                for part in column.trim_matches('`').split('.') {
                    assert!(declared.contains(&part), "{name} lacks {column}");
                }
            }
        };
        check(RumVitalTable::NAME, RumVitalTable::COLUMNS);
        check(RumErrorTable::NAME, RumErrorTable::COLUMNS);
        check(RumPageViewTable::NAME, RumPageViewTable::COLUMNS);
    }
}
