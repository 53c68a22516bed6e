//! The metric tables (migration 12): `otel_metrics_gauge`, `_sum`,
//! `_histogram`, `_exponential_histogram` and `_summary`, in the
//! OpenTelemetry Collector ClickHouse exporter's current layout (column
//! names and types, skip indexes, the sort by service, metric name, hour,
//! attributes hash and time) plus `Layer`. Partitioned by day, expiring
//! after `clickhouse.metrics_ttl_days`, each with the token window every
//! table keeps. On a cluster, rows are sharded by series (service, metric,
//! attributes), so a series' points meet on one shard.

use super::{SchemaOptions, DEDUPLICATION_WINDOW};

/// What every metric table starts with.
const LEADING_COLUMNS: &str = "
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl String CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    ScopeAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl String CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    MetricName LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription String CODEC(ZSTD(1)),
    MetricUnit String CODEC(ZSTD(1)),
    Attributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix DateTime CODEC(Delta, ZSTD(1)),
    TimeUnix DateTime CODEC(Delta, ZSTD(1)),";

const EXEMPLARS: &str = "
    Exemplars Nested (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix DateTime,
        Value Float64,
        SpanId String,
        TraceId String
    ) CODEC(ZSTD(1)),";

/// What every metric table ends with: `Layer` and the exporter's indexes.
const TRAILING_COLUMNS: &str = "
    Layer LowCardinality(String) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_key mapKeys(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_scope_attr_value mapValues(ScopeAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key mapKeys(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value mapValues(Attributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_time_minmax TimeUnix TYPE minmax GRANULARITY 1";

/// Each table's name and the columns between the leading ones and `Layer`.
const TABLES: [(&str, &str); 5] = [
    (
        "otel_metrics_gauge",
        "
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),{exemplars}",
    ),
    (
        "otel_metrics_sum",
        "
    Value Float64 CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),{exemplars}
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    IsMonotonic Boolean CODEC(Delta, ZSTD(1)),",
    ),
    (
        "otel_metrics_histogram",
        "
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    BucketCounts Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds Array(Float64) CODEC(ZSTD(1)),{exemplars}
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),",
    ),
    (
        "otel_metrics_exponential_histogram",
        "
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    Scale Int32 CODEC(ZSTD(1)),
    ZeroCount UInt64 CODEC(ZSTD(1)),
    PositiveOffset Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts Array(UInt64) CODEC(ZSTD(1)),{exemplars}
    Flags UInt32 CODEC(ZSTD(1)),
    Min Float64 CODEC(ZSTD(1)),
    Max Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),",
    ),
    (
        "otel_metrics_summary",
        "
    Count UInt64 CODEC(Delta, ZSTD(1)),
    Sum Float64 CODEC(ZSTD(1)),
    ValueAtQuantiles Nested (
        Quantile Float64,
        Value Float64
    ) CODEC(ZSTD(1)),
    Flags UInt32 CODEC(ZSTD(1)),",
    ),
];

/// The metric tables' names, in migration order.
pub fn table_names() -> impl Iterator<Item = &'static str> {
    TABLES.iter().map(|(name, _)| *name)
}

pub fn metric_tables(options: &SchemaOptions) -> Vec<String> {
    let settings = format!(
        "{}, non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}",
        options.daily_partitions_kept(
            "TimeUnix",
            "(ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)",
            options.metrics_ttl_days,
        )
    );
    TABLES
        .iter()
        .flat_map(|(name, own)| {
            let columns = format!(
                "{LEADING_COLUMNS}{}{TRAILING_COLUMNS}",
                own.replace("{exemplars}", EXEMPLARS)
            );
            options.table(
                name,
                &columns,
                "MergeTree",
                &settings,
                Some("cityHash64(ServiceName, MetricName, Attributes)"),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::{
        ExponentialHistogramTable, GaugeTable, HistogramTable, SumTable, SummaryTable, Table,
    };

    #[test]
    fn every_table_is_sorted_kept_and_deduplicated_like_the_exporter_says() {
        let options = SchemaOptions {
            metrics_ttl_days: 90,
            ..SchemaOptions::for_tests(None)
        };
        let sql = metric_tables(&options).join("\n");
        for name in table_names() {
            assert!(sql.contains(&format!("CREATE TABLE IF NOT EXISTS `jamscope`.`{name}` (")));
        }
        assert_eq!(
            sql.matches("ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix) TTL toDateTime(TimeUnix) + toIntervalDay(90) SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1, non_replicated_deduplication_window = 1000").count(),
            5
        );
        assert_eq!(
            sql.matches("Exemplars Nested").count(),
            4,
            "all but the summary"
        );
    }

    #[test]
    fn on_a_cluster_series_are_sharded_together() {
        let statements = metric_tables(&SchemaOptions::for_tests(Some("prod")));
        assert_eq!(statements.len(), 10);
        assert!(statements[0].contains("ReplicatedMergeTree('/clickhouse/tables/{shard}/jamscope/otel_metrics_gauge_local', '{replica}')"));
        assert!(statements[1].contains(
            "Distributed('prod', 'jamscope', 'otel_metrics_gauge_local', cityHash64(ServiceName, MetricName, Attributes))"
        ));
    }

    /// Every column a row type writes is declared, in the table of its name.
    #[test]
    fn rows_write_the_declared_columns() {
        let sql = metric_tables(&SchemaOptions::for_tests(None));
        let check = |name: &str, columns: &[&str]| {
            let ddl = sql
                .iter()
                .find(|s| s.contains(&format!("`{name}` (")))
                .expect("declared");
            for column in columns {
                let bare = column.trim_matches('`');
                let declared = match bare.split_once('.') {
                    Some((nested, inner)) => {
                        ddl.contains(&format!("{nested} Nested"))
                            && ddl.contains(&format!("{inner} "))
                    }
                    None => ddl.contains(&format!("\n    {bare} ")),
                };
                assert!(declared, "{name}.{bare}");
            }
        };
        check(GaugeTable::NAME, GaugeTable::COLUMNS);
        check(SumTable::NAME, SumTable::COLUMNS);
        check(HistogramTable::NAME, HistogramTable::COLUMNS);
        check(
            ExponentialHistogramTable::NAME,
            ExponentialHistogramTable::COLUMNS,
        );
        check(SummaryTable::NAME, SummaryTable::COLUMNS);
    }
}
