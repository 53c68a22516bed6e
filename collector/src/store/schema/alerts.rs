//! Alerting's memory in ClickHouse: what happened to every alert
//! (`alert_events`, the history people read), the engine's state after
//! each change (`alert_state`, what a restarted or newly leading collector
//! continues from), silences, which collectors are alive
//! (`alert_heartbeats`, who evaluates), and each collector's window
//! aggregates (`alert_window_deltas`, so the evaluating one sees the
//! traffic of all of them).

use super::SchemaOptions;

pub fn alert_tables(options: &SchemaOptions) -> Vec<String> {
    let mut statements = Vec::new();
    statements.extend(options.table(
        "alert_events",
        "Time DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Event LowCardinality(String) CODEC(ZSTD(1)),
        Fingerprint String CODEC(ZSTD(1)),
        AlertName LowCardinality(String) CODEC(ZSTD(1)),
        Severity LowCardinality(String) CODEC(ZSTD(1)),
        Labels Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        Annotations Map(LowCardinality(String), String) CODEC(ZSTD(1)),
        Value Float64 CODEC(ZSTD(1)),
        Threshold String CODEC(ZSTD(1)),
        StartsAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        EndsAt Nullable(DateTime64(3)) CODEC(ZSTD(1)),
        ExampleTraceId String CODEC(ZSTD(1)),
        GroupKey String CODEC(ZSTD(1)),
        Fingerprints Array(String) CODEC(ZSTD(1)),
        Instance LowCardinality(String) CODEC(ZSTD(1))",
        "MergeTree",
        &options.daily_partitions("Time", "(AlertName, Time)"),
        None,
    ));
    statements.extend(options.table(
        "alert_state",
        "SavedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Instance LowCardinality(String) CODEC(ZSTD(1)),
        State String CODEC(ZSTD(3))",
        "MergeTree",
        &options.daily_partitions("SavedAt", "SavedAt"),
        None,
    ));
    statements.extend(options.table(
        "alert_silences",
        "Id String,
        Matchers Array(String),
        StartsAt DateTime64(3),
        EndsAt DateTime64(3),
        Comment String,
        CreatedBy String,
        UpdatedAt DateTime64(3)",
        "ReplacingMergeTree(UpdatedAt)",
        &format!(
            "ORDER BY Id TTL toDateTime(EndsAt) + toIntervalDay({})",
            options.ttl_days
        ),
        Some("cityHash64(Id)"),
    ));
    statements.extend(options.table(
        "alert_heartbeats",
        "Instance String,
        StartedAt DateTime64(3),
        At DateTime64(3),
        Alive UInt8",
        "MergeTree",
        "ORDER BY (At, Instance) TTL toDateTime(At) + toIntervalDay(1)",
        None,
    ));
    statements.extend(options.table(
        "alert_window_deltas",
        "Instance String,
        Seq UInt64,
        FlushedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Deltas String CODEC(ZSTD(3))",
        "MergeTree",
        "ORDER BY (FlushedAt, Instance, Seq) TTL toDateTime(FlushedAt) + toIntervalDay(2)",
        None,
    ));
    statements
}
