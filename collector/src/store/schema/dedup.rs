//! Exactly-once storage: every table keeps a window of recent insert
//! tokens (`non_replicated_deduplication_window`), so a chunk inserted
//! again with its token (a retry after a lost answer, a spool replay) is
//! dropped by ClickHouse; and `rejected_rows`, where rows ClickHouse refused
//! for good are kept with the reason.

use super::SchemaOptions;

/// Recent insert tokens a table remembers. A chunk is at most a few MB, so
/// this covers far more than one retry or replay can lag behind.
pub const DEDUPLICATION_WINDOW: u32 = 1000;

/// The tables written by the collector, in migration order.
const TABLES: &[&str] = &[
    "otel_traces",
    "trace_index",
    "rum_vitals",
    "rum_errors",
    "rum_page_views",
    "rejected_rows",
];

pub fn deduplication(options: &SchemaOptions) -> Vec<String> {
    let mut statements = rejected_rows(options);
    statements.extend(TABLES.iter().map(|table| window(options, table)));
    statements
}

/// Sets the token window on one table's storage (the `_local` tables on a
/// cluster; replicated engines deduplicate through their own window).
pub fn window(options: &SchemaOptions, table: &str) -> String {
    format!(
        "ALTER TABLE {}{} MODIFY SETTING non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}",
        options.storage_name(table),
        options.on_cluster()
    )
}

/// Rows ClickHouse refused for good (a type, overflow or constraint
/// error), isolated by splitting their chunk: the source table, why, and
/// the row itself as hex of its RowBinary bytes.
fn rejected_rows(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "rejected_rows",
        "Time DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        SourceTable LowCardinality(String) CODEC(ZSTD(1)),
        Reason String CODEC(ZSTD(1)),
        ErrorCode Int32 CODEC(ZSTD(1)),
        Token String CODEC(ZSTD(1)),
        RowHex String CODEC(ZSTD(3))",
        "MergeTree",
        &options.daily_partitions("Time", "(SourceTable, Time)"),
        None,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_gets_a_token_window() {
        let sql = deduplication(&SchemaOptions::for_tests(None)).join("\n");
        for table in TABLES {
            assert!(
                sql.contains(&format!("ALTER TABLE `jamscope`.`{table}` MODIFY SETTING non_replicated_deduplication_window = 1000")),
                "{table}"
            );
        }
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `jamscope`.`rejected_rows`"));
        let cluster = deduplication(&SchemaOptions::for_tests(Some("prod"))).join("\n");
        assert!(cluster.contains(
            "ALTER TABLE `jamscope`.`otel_traces_local` ON CLUSTER `prod` MODIFY SETTING"
        ));
    }
}
