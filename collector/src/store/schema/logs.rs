//! `otel_logs` (migration 11): one row per log record, in the
//! OpenTelemetry Collector ClickHouse exporter's layout, so Grafana's
//! ClickHouse data source reads it in its OTel mode unchanged, plus
//! `Layer`. The migration also merges it in wider steps, as migration 10
//! does spans (`traces::wider_merges`): each log row was merged again 1.7–2.3
//! times under load with ClickHouse's default (BENCHMARKS.md, "Logs").

use super::{deduplication_window, SchemaOptions};

/// The exporter's columns and types (`TimestampTime` computed from
/// `Timestamp`, for the sort key), then `Layer`. Two skip indexes, each for
/// a query the collector runs: a bloom filter on `TraceId` (a trace's log
/// records, `GET /api/traces/{id}`), and a token bloom filter on the
/// lowercased body, which `hasToken(lower(Body), …)` (the word search of
/// `GET /api/logs?q=`) reads. The exporter's bloom filters on attribute
/// keys and values serve no query here, and every insert and merge would
/// build them (as migration 9 found for spans).
const OTEL_LOGS_COLUMNS: &str = "
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TimestampTime DateTime DEFAULT toDateTime(Timestamp),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    TraceFlags UInt8,
    SeverityText LowCardinality(String) CODEC(ZSTD(1)),
    SeverityNumber UInt8,
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    Body String CODEC(ZSTD(1)),
    ResourceSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeSchemaUrl LowCardinality(String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion LowCardinality(String) CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    LogAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    EventName String CODEC(ZSTD(1)),
    Layer LowCardinality(String) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_body_tokens lower(Body) TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 1";

/// Sorted for time-range reads per service (the exporter's key), one
/// partition a day, kept `logs_ttl_days`. On a cluster a trace's records
/// go to the shard of its spans; records outside a trace spread by
/// service and time (a fixed function of the row, so a retried chunk is
/// split the same way and its tokens still match).
pub fn otel_logs(options: &SchemaOptions) -> Vec<String> {
    let settings = options.daily_partitions_kept(
        "TimestampTime",
        "(ServiceName, TimestampTime, Timestamp)",
        options.logs_ttl_days,
    );
    let mut statements = options.table(
        "otel_logs",
        OTEL_LOGS_COLUMNS,
        "MergeTree",
        &settings,
        Some("if(TraceId = '', cityHash64(ServiceName, Timestamp), cityHash64(TraceId))"),
    );
    statements.push(deduplication_window(options, "otel_logs"));
    statements
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_are_kept_for_their_own_retention_and_deduplicated() {
        let sql = otel_logs(&SchemaOptions::for_tests(None)).join("\n");
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `jamscope`.`otel_logs` ("));
        assert!(sql.contains(
            "ENGINE = MergeTree PARTITION BY toDate(TimestampTime) ORDER BY (ServiceName, TimestampTime, Timestamp) TTL toDateTime(TimestampTime) + toIntervalDay(3)"
        ));
        assert!(sql.contains("INDEX idx_body_tokens lower(Body) TYPE tokenbf_v1"));
        assert!(sql.contains(
            "ALTER TABLE `jamscope`.`otel_logs` MODIFY SETTING non_replicated_deduplication_window = 1000"
        ));
    }

    #[test]
    fn on_a_cluster_a_traces_records_meet_its_spans() {
        let keeper = otel_logs(&SchemaOptions::for_tests(Some("prod")));
        assert!(keeper[0].contains(
            "`jamscope`.`otel_logs_local` ON CLUSTER `prod` (\n    Timestamp DateTime64(9)"
        ));
        assert!(keeper[0]
            .contains("ReplicatedMergeTree('/clickhouse/tables/{shard}/jamscope/otel_logs_local'"));
        assert!(keeper[1].contains(
            "ENGINE = Distributed('prod', 'jamscope', 'otel_logs_local', if(TraceId = '', cityHash64(ServiceName, Timestamp), cityHash64(TraceId)))"
        ));
        let keeperless = otel_logs(&SchemaOptions::for_tests_without_keeper("c")).join("\n");
        assert!(keeperless.contains("`jamscope`.`otel_logs_local` (\n    Timestamp"));
        assert!(keeperless.contains("ENGINE = MergeTree PARTITION BY"));
    }
}
