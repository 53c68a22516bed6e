-- Tables that rotel-agent's ClickHouse exporter inserts into.
-- rotel-agent does NOT create tables: without them every insert gets a 404
-- ("Received a 404 when exporting to Clickhouse, does the table exist?").
-- Column names/types follow the OpenTelemetry Collector ClickHouse exporter
-- layout (otel_traces); rotel sends RowBinary with an explicit column list,
-- so names and binary-compatible types must match.
-- Statements are separated by ';' at line end; bench/rotel_side.sh sends them
-- one at a time over HTTP.

CREATE DATABASE IF NOT EXISTS otel;

CREATE TABLE IF NOT EXISTS otel.otel_traces
(
    Timestamp          DateTime64(9)                        CODEC(Delta, ZSTD(1)),
    TraceId            String                               CODEC(ZSTD(1)),
    SpanId             String                               CODEC(ZSTD(1)),
    ParentSpanId       String                               CODEC(ZSTD(1)),
    TraceState         String                               CODEC(ZSTD(1)),
    SpanName           LowCardinality(String)               CODEC(ZSTD(1)),
    SpanKind           LowCardinality(String)               CODEC(ZSTD(1)),
    ServiceName        LowCardinality(String)               CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String)  CODEC(ZSTD(1)),
    ScopeName          String                               CODEC(ZSTD(1)),
    ScopeVersion       String                               CODEC(ZSTD(1)),
    SpanAttributes     Map(LowCardinality(String), String)  CODEC(ZSTD(1)),
    Duration           UInt64                               CODEC(ZSTD(1)),
    StatusCode         LowCardinality(String)               CODEC(ZSTD(1)),
    StatusMessage      String                               CODEC(ZSTD(1)),
    Events Nested
    (
        Timestamp  DateTime64(9),
        Name       LowCardinality(String),
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    Links Nested
    (
        TraceId    String,
        SpanId     String,
        TraceState String,
        Attributes Map(LowCardinality(String), String)
    ) CODEC(ZSTD(1)),
    INDEX idx_trace_id        TraceId                     TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key    mapKeys(ResourceAttributes) TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_res_attr_value  mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_span_attr_key   mapKeys(SpanAttributes)     TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_span_attr_value mapValues(SpanAttributes)   TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_duration        Duration                    TYPE minmax              GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(Timestamp)
ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
