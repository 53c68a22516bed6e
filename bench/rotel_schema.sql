-- Tables that rotel-agent's ClickHouse exporter inserts into (spans and
-- log records).
-- rotel-agent does NOT create tables: without them every insert gets a 404
-- ("Received a 404 when exporting to Clickhouse, does the table exist?").
-- Column names/types follow the OpenTelemetry Collector ClickHouse exporter
-- layout (otel_traces, otel_logs); rotel sends RowBinary with an explicit column list,
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

-- The metric tables rotel-agent's ClickHouse exporter writes (it names the
-- same columns as the OpenTelemetry Collector exporter's tables but sends
-- times as 64-bit nanoseconds, so they are DateTime64(9) here, as in that
-- exporter's layout before its DateTime one). Its summary rows name a
-- column `ValueAtQauntiles.Value` (sic); the bench sends no summaries.

CREATE TABLE IF NOT EXISTS otel.otel_metrics_gauge
(
    ResourceAttributes    Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl     String CODEC(ZSTD(1)),
    ScopeName             String CODEC(ZSTD(1)),
    ScopeVersion          String CODEC(ZSTD(1)),
    ScopeAttributes       Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl        String CODEC(ZSTD(1)),
    ServiceName           LowCardinality(String) CODEC(ZSTD(1)),
    MetricName            LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription     String CODEC(ZSTD(1)),
    MetricUnit            String CODEC(ZSTD(1)),
    Attributes            Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix         DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix              DateTime64(9) CODEC(Delta, ZSTD(1)),
    Value                 Float64 CODEC(ZSTD(1)),
    Flags                 UInt32 CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix           DateTime64(9),
        Value              Float64,
        SpanId             String,
        TraceId            String
    ) CODEC(ZSTD(1)),
    INDEX idx_res_attr_key   mapKeys(ResourceAttributes)   TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key       mapKeys(Attributes)           TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value     mapValues(Attributes)         TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel.otel_metrics_sum AS otel.otel_metrics_gauge;
ALTER TABLE otel.otel_metrics_sum
    ADD COLUMN IF NOT EXISTS AggregationTemporality Int32 CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS IsMonotonic Boolean CODEC(Delta, ZSTD(1));

CREATE TABLE IF NOT EXISTS otel.otel_metrics_histogram
(
    ResourceAttributes    Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl     String CODEC(ZSTD(1)),
    ScopeName             String CODEC(ZSTD(1)),
    ScopeVersion          String CODEC(ZSTD(1)),
    ScopeAttributes       Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl        String CODEC(ZSTD(1)),
    ServiceName           LowCardinality(String) CODEC(ZSTD(1)),
    MetricName            LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription     String CODEC(ZSTD(1)),
    MetricUnit            String CODEC(ZSTD(1)),
    Attributes            Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix         DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix              DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count                 UInt64 CODEC(Delta, ZSTD(1)),
    Sum                   Float64 CODEC(ZSTD(1)),
    BucketCounts          Array(UInt64) CODEC(ZSTD(1)),
    ExplicitBounds        Array(Float64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix           DateTime64(9),
        Value              Float64,
        SpanId             String,
        TraceId            String
    ) CODEC(ZSTD(1)),
    Flags                  UInt32 CODEC(ZSTD(1)),
    Min                    Float64 CODEC(ZSTD(1)),
    Max                    Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key   mapKeys(ResourceAttributes)   TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key       mapKeys(Attributes)           TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value     mapValues(Attributes)         TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

CREATE TABLE IF NOT EXISTS otel.otel_metrics_exponential_histogram
(
    ResourceAttributes    Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ResourceSchemaUrl     String CODEC(ZSTD(1)),
    ScopeName             String CODEC(ZSTD(1)),
    ScopeVersion          String CODEC(ZSTD(1)),
    ScopeAttributes       Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    ScopeDroppedAttrCount UInt32 CODEC(ZSTD(1)),
    ScopeSchemaUrl        String CODEC(ZSTD(1)),
    ServiceName           LowCardinality(String) CODEC(ZSTD(1)),
    MetricName            LowCardinality(String) CODEC(ZSTD(1)),
    MetricDescription     String CODEC(ZSTD(1)),
    MetricUnit            String CODEC(ZSTD(1)),
    Attributes            Map(LowCardinality(String), String) CODEC(ZSTD(1)),
    StartTimeUnix         DateTime64(9) CODEC(Delta, ZSTD(1)),
    TimeUnix              DateTime64(9) CODEC(Delta, ZSTD(1)),
    Count                 UInt64 CODEC(Delta, ZSTD(1)),
    Sum                   Float64 CODEC(ZSTD(1)),
    Scale                 Int32 CODEC(ZSTD(1)),
    ZeroCount             UInt64 CODEC(ZSTD(1)),
    PositiveOffset        Int32 CODEC(ZSTD(1)),
    PositiveBucketCounts  Array(UInt64) CODEC(ZSTD(1)),
    NegativeOffset        Int32 CODEC(ZSTD(1)),
    NegativeBucketCounts  Array(UInt64) CODEC(ZSTD(1)),
    Exemplars Nested
    (
        FilteredAttributes Map(LowCardinality(String), String),
        TimeUnix           DateTime64(9),
        Value              Float64,
        SpanId             String,
        TraceId            String
    ) CODEC(ZSTD(1)),
    Flags                  UInt32 CODEC(ZSTD(1)),
    Min                    Float64 CODEC(ZSTD(1)),
    Max                    Float64 CODEC(ZSTD(1)),
    AggregationTemporality Int32 CODEC(ZSTD(1)),
    INDEX idx_res_attr_key   mapKeys(ResourceAttributes)   TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_res_attr_value mapValues(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_key       mapKeys(Attributes)           TYPE bloom_filter(0.01) GRANULARITY 1,
    INDEX idx_attr_value     mapValues(Attributes)         TYPE bloom_filter(0.01) GRANULARITY 1
)
ENGINE = MergeTree
PARTITION BY toDate(TimeUnix)
ORDER BY (ServiceName, MetricName, toStartOfHour(TimeUnix), cityHash64(Attributes), TimeUnix)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;

-- The exporter's logs table as its DDL writes it (skip indexes included:
-- what a Rotel user creates); rotel-agent writes every column but
-- TimestampTime (computed) and EventName (left at its default).
CREATE TABLE IF NOT EXISTS otel.otel_logs
(
    Timestamp          DateTime64(9)                        CODEC(Delta(8), ZSTD(1)),
    TimestampTime      DateTime                             DEFAULT toDateTime(Timestamp),
    TraceId            String                               CODEC(ZSTD(1)),
    SpanId             String                               CODEC(ZSTD(1)),
    TraceFlags         UInt8,
    SeverityText       LowCardinality(String)               CODEC(ZSTD(1)),
    SeverityNumber     UInt8,
    ServiceName        LowCardinality(String)               CODEC(ZSTD(1)),
    Body               String                               CODEC(ZSTD(1)),
    ResourceSchemaUrl  LowCardinality(String)               CODEC(ZSTD(1)),
    ResourceAttributes Map(LowCardinality(String), String)  CODEC(ZSTD(1)),
    ScopeSchemaUrl     LowCardinality(String)               CODEC(ZSTD(1)),
    ScopeName          String                               CODEC(ZSTD(1)),
    ScopeVersion       LowCardinality(String)               CODEC(ZSTD(1)),
    ScopeAttributes    Map(LowCardinality(String), String)  CODEC(ZSTD(1)),
    LogAttributes      Map(LowCardinality(String), String)  CODEC(ZSTD(1)),
    EventName          String                               CODEC(ZSTD(1)),
    INDEX idx_trace_id          TraceId                       TYPE bloom_filter(0.001) GRANULARITY 1,
    INDEX idx_res_attr_key      mapKeys(ResourceAttributes)   TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_res_attr_value    mapValues(ResourceAttributes) TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_scope_attr_key    mapKeys(ScopeAttributes)      TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_scope_attr_value  mapValues(ScopeAttributes)    TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_log_attr_key      mapKeys(LogAttributes)        TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_log_attr_value    mapValues(LogAttributes)      TYPE bloom_filter(0.01)  GRANULARITY 1,
    INDEX idx_body              Body                          TYPE tokenbf_v1(32768, 3, 0) GRANULARITY 8
)
ENGINE = MergeTree
PARTITION BY toDate(TimestampTime)
PRIMARY KEY (ServiceName, TimestampTime)
ORDER BY (ServiceName, TimestampTime, Timestamp)
SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1;
