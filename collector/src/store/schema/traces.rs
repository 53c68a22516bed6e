//! The trace tables: `otel_traces` in the OpenTelemetry exporter's shape,
//! and `trace_index`, one aggregated row per trace for point lookups.

use super::SchemaOptions;

/// Column names and types follow the OpenTelemetry Collector's ClickHouse
/// exporter, so Grafana's ClickHouse data source reads the table unchanged.
const OTEL_TRACES_COLUMNS: &str = "
    Timestamp DateTime64(9) CODEC(Delta(8), ZSTD(1)),
    TraceId String CODEC(ZSTD(1)),
    SpanId String CODEC(ZSTD(1)),
    ParentSpanId String CODEC(ZSTD(1)),
    TraceState String CODEC(ZSTD(1)),
    SpanName LowCardinality(String) CODEC(ZSTD(1)),
    SpanKind LowCardinality(String) CODEC(ZSTD(1)),
    ServiceName LowCardinality(String) CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeName String CODEC(ZSTD(1)),
    ScopeVersion String CODEC(ZSTD(1)),
    SpanAttributes Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    Duration UInt64 CODEC(ZSTD(1)),
    StatusCode LowCardinality(String) CODEC(ZSTD(1)),
    StatusMessage String CODEC(ZSTD(1)),
    Events Nested (
        Timestamp DateTime64(9),
        Name LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested (
        TraceId String,
        SpanId String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Layer LowCardinality(String) CODEC(ZSTD(1)),
    INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_duration Duration TYPE minmax GRANULARITY 1";

pub fn otel_traces(options: &SchemaOptions) -> Vec<String> {
    let settings = options.daily_partitions(
        "Timestamp",
        "(ServiceName, SpanName, toDateTime(Timestamp))",
    );
    options.table(
        "otel_traces",
        OTEL_TRACES_COLUMNS,
        "MergeTree",
        &settings,
        Some("cityHash64(TraceId)"),
    )
}

/// What the trace index view computes per trace since migration 2; the
/// text is part of released DDL and never changes.
const INDEX_COLUMNS: &str = "TraceId, \
                min(Timestamp) AS Start, \
                max(addNanoseconds(Timestamp, Duration)) AS End, \
                toUInt64(count()) AS SpanCount, \
                toUInt64(countIf(StatusCode = 'Error')) AS ErrorCount, \
                groupUniqArray(ServiceName) AS Services, \
                groupUniqArray(Layer) AS Layers";

/// One row per trace after merges (query with GROUP BY TraceId to merge the
/// parts not merged yet). Replaces the exporter's trace-id lookup view,
/// which keeps one row per span and so returns duplicates.
pub fn trace_index(options: &SchemaOptions) -> Vec<String> {
    let columns = "
        TraceId String CODEC(ZSTD(1)),
        Start SimpleAggregateFunction(min, DateTime64(9)) CODEC(ZSTD(1)),
        End SimpleAggregateFunction(max, DateTime64(9)) CODEC(ZSTD(1)),
        SpanCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
        ErrorCount SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
        Services SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1)),
        Layers SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1))";
    let settings = options.daily_partitions("Start", "TraceId");
    let mut statements = options.table(
        "trace_index",
        columns,
        "AggregatingMergeTree",
        &settings,
        Some("cityHash64(TraceId)"),
    );
    // On a cluster the view sits on each shard's local tables, so every span
    // is aggregated where it is stored.
    statements.push(format!(
        "CREATE MATERIALIZED VIEW IF NOT EXISTS {}{} TO {} AS \
         SELECT {INDEX_COLUMNS} \
         FROM {} GROUP BY TraceId",
        options.storage_name("trace_index_mv"),
        options.on_cluster(),
        options.storage_name("trace_index"),
        options.storage_name("otel_traces"),
    ));
    statements
}

/// What trace search filters and shows, kept per trace in `trace_index`
/// (migration 6): the root span's service and name, the routes, and span
/// time per layer. Each is an aggregate that merges the same whichever
/// collector, insert or order a trace's spans came in (max of the root's
/// value, where non-root spans give ''; unions; sums), so it needs no
/// state in the collector. The view is redefined to fill them.
pub fn trace_search(options: &SchemaOptions) -> Vec<String> {
    let mut statements = options.add_columns(
        "trace_index",
        &[
            "RootService SimpleAggregateFunction(max, String) CODEC(ZSTD(1))",
            "RootName SimpleAggregateFunction(max, String) CODEC(ZSTD(1))",
            "Routes SimpleAggregateFunction(groupUniqArrayArray, Array(String)) CODEC(ZSTD(1))",
            "LayerTime SimpleAggregateFunction(sumMap, Tuple(Array(String), Array(UInt64))) CODEC(ZSTD(1))",
        ],
    );
    statements.push(format!(
        "ALTER TABLE {}{} MODIFY QUERY \
         SELECT {INDEX_COLUMNS}, \
                max(if(ParentSpanId = '', toString(ServiceName), '')) AS RootService, \
                max(if(ParentSpanId = '', toString(SpanName), '')) AS RootName, \
                groupUniqArrayIf(SpanAttributes['http.route'], SpanAttributes['http.route'] != '') AS Routes, \
                sumMap([toString(Layer)], [Duration]) AS LayerTime \
         FROM {} GROUP BY TraceId",
        options.storage_name("trace_index_mv"),
        options.on_cluster(),
        options.storage_name("otel_traces"),
    ));
    statements
}

/// Migration 9: the bloom filters on attribute keys go. No query the
/// collector runs asks which keys a span's maps hold (search reads
/// `trace_index`; the trace, layer and rule queries read values by key
/// over rows already chosen by service, time or trace id), and every
/// span has the same few keys per service, so they would skip next to
/// nothing; yet every insert and every merge builds them. Dropping an
/// index keeps every row.
pub fn drop_attribute_key_indexes(options: &SchemaOptions) -> Vec<String> {
    vec![format!(
        "ALTER TABLE {}{} DROP INDEX IF EXISTS idx_res_attr_key, \
         DROP INDEX IF EXISTS idx_span_attr_key",
        options.storage_name("otel_traces"),
        options.on_cluster(),
    )]
}

/// What migration 10 sets: ClickHouse merges spans in wider steps. With
/// its default base of 5, each span row was merged again 2.0–2.3 times
/// within a minute of landing, against 1.5–1.7 for a comparable exporter's
/// rows; at 10 the same load cost ClickHouse 14 % less CPU per row and
/// landed 12 % more spans a second, for more parts between merges
/// (BENCHMARKS.md, "Round three").
pub const SPAN_MERGE_SELECTOR_BASE: u32 = 10;

/// Migration 10 (see [`SPAN_MERGE_SELECTOR_BASE`]). A server too old to
/// know the setting keeps its default: the guard skips the statement.
pub fn wider_span_merges(options: &SchemaOptions) -> (String, String) {
    wider_merges(options, "otel_traces")
}

/// `table`'s storage merged in wider steps ([`SPAN_MERGE_SELECTOR_BASE`]),
/// and the guard that skips it on a server without the setting.
pub fn wider_merges(options: &SchemaOptions, table: &str) -> (String, String) {
    (
        "SELECT toUInt8(count() > 0) FROM system.merge_tree_settings \
         WHERE name = 'merge_selector_base'"
            .to_owned(),
        format!(
            "ALTER TABLE {}{} MODIFY SETTING merge_selector_base = {SPAN_MERGE_SELECTOR_BASE}",
            options.storage_name(table),
            options.on_cluster(),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::super::all_statements;
    use super::*;

    fn options(cluster: Option<&str>) -> SchemaOptions {
        SchemaOptions::for_tests(cluster)
    }

    #[test]
    fn single_server_tables_use_plain_engines() {
        let sql = all_statements(&options(None)).join("\n");
        assert!(sql.contains("CREATE TABLE IF NOT EXISTS `jamscope`.`otel_traces` ("));
        assert!(sql.contains("ENGINE = MergeTree PARTITION BY toDate(Timestamp)"));
        assert!(sql.contains("toIntervalDay(7)"));
        assert!(sql.contains("ENGINE = AggregatingMergeTree"));
        assert!(!sql.contains("ON CLUSTER"));
        assert!(!sql.contains("Distributed"));
    }

    #[test]
    fn cluster_tables_are_replicated_and_distributed_by_trace() {
        let statements = all_statements(&options(Some("prod")));
        // Every DDL statement runs on every host; copying rows (an INSERT
        // through Distributed tables: version 5's vitals, version 15's
        // error groups) runs once.
        let is_copy = |statement: &String| statement.lines().any(|l| l.starts_with("INSERT INTO"));
        for statement in statements.iter().filter(|s| !is_copy(s)) {
            assert!(statement.contains(" ON CLUSTER `prod`"), "{statement}");
        }
        assert_eq!(statements.iter().filter(|s| is_copy(s)).count(), 2);
        let sql = statements.join("\n");
        assert!(sql.contains(
            "CREATE TABLE IF NOT EXISTS `jamscope`.`otel_traces_local` ON CLUSTER `prod`"
        ));
        assert!(sql.contains(
            "ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/jamscope/otel_traces_local', '{replica}')"
        ));
        assert!(sql.contains(
            "`jamscope`.`otel_traces` ON CLUSTER `prod` AS `jamscope`.`otel_traces_local` ENGINE = Distributed('prod', 'jamscope', 'otel_traces_local', cityHash64(TraceId))"
        ));
        assert!(sql.contains("ReplicatedAggregatingMergeTree("));
        assert!(sql.contains("TO `jamscope`.`trace_index_local` AS SELECT TraceId"));
        assert!(sql.contains("FROM `jamscope`.`otel_traces_local` GROUP BY TraceId"));
    }

    #[test]
    fn attribute_key_indexes_are_dropped_from_the_storage_table() {
        let single = drop_attribute_key_indexes(&options(None)).join("\n");
        assert!(single.starts_with("ALTER TABLE `jamscope`.`otel_traces` DROP INDEX IF EXISTS"));
        let cluster = drop_attribute_key_indexes(&options(Some("prod"))).join("\n");
        assert!(cluster.starts_with(
            "ALTER TABLE `jamscope`.`otel_traces_local` ON CLUSTER `prod` DROP INDEX IF EXISTS idx_res_attr_key"
        ));
        assert!(cluster.contains("DROP INDEX IF EXISTS idx_span_attr_key"));
    }

    #[test]
    fn span_merges_widen_on_the_storage_table_only_where_the_server_knows_how() {
        let (guard, single) = wider_span_merges(&options(None));
        assert!(guard.contains("'merge_selector_base'"), "{guard}");
        assert_eq!(
            single,
            "ALTER TABLE `jamscope`.`otel_traces` MODIFY SETTING merge_selector_base = 10"
        );
        let (_, cluster) = wider_span_merges(&options(Some("prod")));
        assert!(cluster.starts_with(
            "ALTER TABLE `jamscope`.`otel_traces_local` ON CLUSTER `prod` MODIFY SETTING"
        ));
    }
}
