//! `builds` (migration 7): build and deploy events from CI/CD, one row per
//! event after merges.

use super::{SchemaOptions, DEDUPLICATION_WINDOW};

/// ReplacingMergeTree by `ReceivedAt` over `(Kind, Pipeline, Id)`: a resent
/// event (`running`, then its outcome) replaces the earlier row; read with
/// `FINAL` to see only the latest before merges ran. The table is not
/// partitioned: replacing works only within a partition, and an event's
/// times change between its reports; builds are few, so one partition is
/// small. Rows expire `ttl_days` after they finished. On a cluster, rows
/// are sharded by their key so every report of one event meets on one
/// shard. It keeps a token window like every table (version 4), though
/// each insert has a token of its own.
pub fn builds(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "builds",
        "Id String CODEC(ZSTD(1)),
        Pipeline LowCardinality(String) CODEC(ZSTD(1)),
        Kind LowCardinality(String) CODEC(ZSTD(1)),
        Status LowCardinality(String) CODEC(ZSTD(1)),
        Commit String CODEC(ZSTD(1)),
        StartedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        FinishedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Stages Map(LowCardinality(String), UInt64) CODEC(ZSTD(1)),
        ReceivedAt DateTime64(3) CODEC(Delta(8), ZSTD(1))",
        "ReplacingMergeTree(ReceivedAt)",
        &format!(
            "ORDER BY (Kind, Pipeline, Id) \
             TTL toDateTime(FinishedAt) + toIntervalDay({}) \
             SETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}",
            options.ttl_days
        ),
        Some("cityHash64(Kind, Pipeline, Id)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_replace_by_id_and_expire_after_the_retention() {
        let sql = builds(&SchemaOptions::for_tests(None)).join("\n");
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `jamscope`.`builds` ("));
        assert!(sql.contains(
            "ENGINE = ReplacingMergeTree(ReceivedAt) ORDER BY (Kind, Pipeline, Id) TTL toDateTime(FinishedAt) + toIntervalDay(7) SETTINGS non_replicated_deduplication_window = 1000"
        ));
        let cluster = builds(&SchemaOptions::for_tests(Some("prod")));
        assert_eq!(cluster.len(), 2);
        assert!(cluster[0].contains(
            "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/jamscope/builds_local', '{replica}', ReceivedAt)"
        ));
        assert!(cluster[1].contains("cityHash64(Kind, Pipeline, Id)"));
    }
}
