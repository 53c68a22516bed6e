//! The error tables (migrations 13 to 16): `sourcemaps`, `error_events`
//! (backend exceptions) beside `rum_errors` (browser errors, which gain
//! their resolved frames), `error_groups` (one row per group, release and
//! hour, kept by views from both), and `error_decisions`.
//!
//! Why a groups table: listing groups, their states and the rules' new
//! and regressed groups would otherwise aggregate every occurrence of the
//! window on each request and each rule evaluation, a cost growing with
//! traffic. The views aggregate each insert once; a question then reads
//! groups × releases × hours, whatever the traffic, and ClickHouse merges
//! the rows further in the background.

use super::ddl::quote_string;
use super::{SchemaOptions, Step, DEDUPLICATION_WINDOW};

/// Migration 13. A build's maps and bundles, one row per part; uploading
/// again (or deleting: `Deleted = 1`, no content) writes a newer row and
/// the newest wins (`ReplacingMergeTree` by `UploadedAt`, read with
/// `FINAL`). Not partitioned and without TTL: a release's maps are needed
/// as long as its pages run, however old it is; how many releases an app
/// keeps is `sourcemaps.keep_releases`, applied on upload. A map of tens
/// of MiB is one `String` value: ZSTD at rest, LZ4 on the wire, written
/// by one INSERT while the uploader waits (no queue, no spool).
pub fn sourcemaps(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "sourcemaps",
        "App LowCardinality(String) CODEC(ZSTD(1)),
        Release LowCardinality(String) CODEC(ZSTD(1)),
        BundleUrl String CODEC(ZSTD(1)),
        Part LowCardinality(String) CODEC(ZSTD(1)),
        Content String CODEC(ZSTD(3)),
        Bytes UInt64 CODEC(ZSTD(1)),
        UploadedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Deleted UInt8 CODEC(ZSTD(1))",
        "ReplacingMergeTree(UploadedAt)",
        &format!(
            "ORDER BY (App, Release, BundleUrl, Part) \
             SETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
        ),
        Some("cityHash64(App, Release)"),
    )
}

/// Migration 14. Backend exceptions, one row each, sorted (and sharded)
/// by fingerprint like `rum_errors`; and `rum_errors` gains the resolved
/// frames (JSON: file, function, line, column, in_app, context, note) and
/// what symbolication made of the stack. `Stack.*` keeps the frames as
/// the browser sent them.
pub fn error_events(options: &SchemaOptions) -> Vec<String> {
    let mut statements = options.table(
        "error_events",
        "Timestamp DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        Layer LowCardinality(String) CODEC(ZSTD(1)),
        Service LowCardinality(String) CODEC(ZSTD(1)),
        Release LowCardinality(String) CODEC(ZSTD(1)),
        Environment LowCardinality(String) CODEC(ZSTD(1)),
        TraceId String CODEC(ZSTD(1)),
        SpanId String CODEC(ZSTD(1)),
        SpanName LowCardinality(String) CODEC(ZSTD(1)),
        Fingerprint String CODEC(ZSTD(1)),
        ErrorType LowCardinality(String) CODEC(ZSTD(1)),
        Message String CODEC(ZSTD(1)),
        Stacktrace String CODEC(ZSTD(3)),
        Frames String CODEC(ZSTD(3)),
        Escaped UInt8 CODEC(ZSTD(1)),
        Origin LowCardinality(String) CODEC(ZSTD(1)),
        INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1",
        "MergeTree",
        &format!(
            "{}, non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}",
            options.daily_partitions("Timestamp", "(Service, Fingerprint, toDateTime(Timestamp))")
        ),
        Some("cityHash64(Fingerprint)"),
    );
    statements.extend(options.add_columns(
        "rum_errors",
        &[
            "Frames String CODEC(ZSTD(3))",
            "Symbolication String CODEC(ZSTD(1))",
        ],
    ));
    statements
}

/// The columns migration 14 adds to `rum_errors`.
#[cfg(test)]
pub(super) const RUM_ERROR_COLUMNS_ADDED: [&str; 2] = ["Frames", "Symbolication"];

/// `error_groups`' columns. `Sample` is the newest occurrence, one with a
/// trace preferred (ties broken by trace id, so every server of a cluster
/// answers the same): type, message, trace, span, page view, frames and
/// symbolication. `First` is the first occurrence's place (a page's route
/// or path, a span's name), type and message: what alerts name a group
/// by, the same on every evaluation.
const GROUP_COLUMNS: &str = "Fingerprint String CODEC(ZSTD(1)),
        Layer LowCardinality(String) CODEC(ZSTD(1)),
        Service LowCardinality(String) CODEC(ZSTD(1)),
        Release LowCardinality(String) CODEC(ZSTD(1)),
        Hour DateTime CODEC(Delta(4), ZSTD(1)),
        FirstSeen SimpleAggregateFunction(min, DateTime64(3)) CODEC(ZSTD(1)),
        LastSeen SimpleAggregateFunction(max, DateTime64(3)) CODEC(ZSTD(1)),
        Occurrences SimpleAggregateFunction(sum, UInt64) CODEC(ZSTD(1)),
        Sessions AggregateFunction(uniq, String) CODEC(ZSTD(1)),
        Traces AggregateFunction(uniq, String) CODEC(ZSTD(1)),
        Sample AggregateFunction(argMax, Tuple(String, String, String, String, String, String, String), Tuple(UInt8, DateTime64(3), String)) CODEC(ZSTD(3)),
        First AggregateFunction(argMin, Tuple(String, String, String), Tuple(DateTime64(3), String)) CODEC(ZSTD(1))";

/// The aggregates of one group, release and hour, over a table's rows:
/// `(layer, service, session, trace, span, page view, frames,
/// symbolication, place)` are that table's expressions for each.
struct Feeds {
    layer: &'static str,
    service: &'static str,
    session: &'static str,
    span: &'static str,
    page_view: &'static str,
    symbolication: &'static str,
    place: &'static str,
}

const FROM_RUM_ERRORS: Feeds = Feeds {
    layer: "'browser'",
    service: "toString(App)",
    session: "SessionId",
    span: "''",
    page_view: "PageViewId",
    symbolication: "Symbolication",
    place: "if(Route != '', toString(Route), Path)",
};

const FROM_ERROR_EVENTS: Feeds = Feeds {
    layer: "toString(Layer)",
    service: "toString(Service)",
    session: "''",
    span: "SpanId",
    page_view: "''",
    symbolication: "''",
    place: "toString(SpanName)",
};

impl Feeds {
    fn select(&self, from: &str) -> String {
        let Feeds {
            layer,
            service,
            session,
            span,
            page_view,
            symbolication,
            place,
        } = self;
        format!(
            "SELECT Fingerprint, {layer} AS Layer, {service} AS Service, toString(Release) AS Release, \
             toStartOfHour(toDateTime(Timestamp)) AS Hour, \
             min(Timestamp) AS FirstSeen, max(Timestamp) AS LastSeen, count() AS Occurrences, \
             uniqStateIf({session}, {session} != '') AS Sessions, \
             uniqStateIf(TraceId, TraceId != '') AS Traces, \
             argMaxState(tuple(toString(ErrorType), Message, TraceId, {span}, {page_view}, Frames, {symbolication}), \
                         tuple(toUInt8(TraceId != ''), Timestamp, TraceId)) AS Sample, \
             argMinState(tuple({place}, toString(ErrorType), Message), tuple(Timestamp, TraceId)) AS First \
             FROM {from} GROUP BY Fingerprint, Layer, Service, Release, Hour"
        )
    }
}

/// Migration 15. `error_groups` and the views that keep it, one per
/// occurrence table; on a cluster each view sits on its shard's tables,
/// all sharded by fingerprint. Browser errors stored before this version
/// are aggregated into it once: the table is emptied and filled from
/// `rum_errors` only while the browser view does not exist yet, so a run
/// interrupted before the view was created starts the copy over, and
/// one interrupted later has nothing left to copy. (`serve` migrates
/// before it takes data, so no row lands between the copy and the view.)
pub fn error_groups(options: &SchemaOptions) -> Vec<Step> {
    let mut steps = Step::all(options.table(
        "error_groups",
        GROUP_COLUMNS,
        "AggregatingMergeTree",
        &format!(
            "{}, non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}",
            options.daily_partitions("Hour", "(Layer, Service, Fingerprint, Release, Hour)")
        ),
        Some("cityHash64(Fingerprint)"),
    ));
    let view = |name: &str| options.storage_name(name);
    let no_browser_view = view_missing(options, "error_groups_rum_mv");
    steps.push(Step::only_if(
        &no_browser_view,
        format!(
            "TRUNCATE TABLE IF EXISTS {}{}",
            options.storage_name("error_groups"),
            options.on_cluster()
        ),
    ));
    let settings = match options.cluster {
        Some(_) => " SETTINGS insert_distributed_sync = 1",
        None => "",
    };
    steps.push(Step::once_only_if(
        &no_browser_view,
        format!(
            "INSERT INTO {}{settings} {}",
            options.qualified("error_groups"),
            FROM_RUM_ERRORS.select(&options.qualified("rum_errors"))
        ),
    ));
    for (name, source, feeds) in [
        ("error_groups_rum_mv", "rum_errors", FROM_RUM_ERRORS),
        ("error_groups_events_mv", "error_events", FROM_ERROR_EVENTS),
    ] {
        steps.push(Step::always(format!(
            "CREATE MATERIALIZED VIEW IF NOT EXISTS {}{} TO {} AS {}",
            view(name),
            options.on_cluster(),
            options.storage_name("error_groups"),
            feeds.select(&options.storage_name(source))
        )));
    }
    steps
}

/// A guard answering 1 while the view's storage name is not in the catalog.
fn view_missing(options: &SchemaOptions, view: &str) -> String {
    format!(
        "SELECT count() = 0 FROM system.tables WHERE database = {} AND name = {}",
        quote_string(&options.database),
        quote_string(&options.storage_table(view))
    )
}

/// Migration 16. What people decided about each group, newest first:
/// open, resolved (with the releases it had been seen in then) or
/// ignored. Few rows, kept for good.
pub fn error_decisions(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "error_decisions",
        "Fingerprint String CODEC(ZSTD(1)),
        Decision LowCardinality(String) CODEC(ZSTD(1)),
        ResolvedReleases Array(String) CODEC(ZSTD(1)),
        DecidedAt DateTime64(3) CODEC(Delta(8), ZSTD(1)),
        DecidedBy String CODEC(ZSTD(1)),
        Comment String CODEC(ZSTD(1))",
        "ReplacingMergeTree(DecidedAt)",
        &format!(
            "ORDER BY Fingerprint SETTINGS non_replicated_deduplication_window = {DEDUPLICATION_WINDOW}"
        ),
        Some("cityHash64(Fingerprint)"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rows::{
        ErrorDecisionTable, ErrorEventTable, RumErrorTable, SourceMapTable, Table,
    };

    fn options(cluster: Option<&str>) -> SchemaOptions {
        SchemaOptions::for_tests(cluster)
    }

    /// Every column a row encoder writes is declared in its table.
    #[test]
    fn row_encoders_and_tables_agree_on_columns() {
        let check = |ddl: &str, columns: &[&str]| {
            for column in columns {
                let name = column
                    .trim_matches('`')
                    .split('.')
                    .next()
                    .unwrap_or_default();
                let declared = ddl.contains(&format!("({name} "))
                    || ddl
                        .lines()
                        .any(|line| line.trim_start().starts_with(&format!("{name} ")));
                assert!(declared, "{name} in {ddl}");
            }
        };
        let single = options(None);
        check(&sourcemaps(&single)[0], SourceMapTable::COLUMNS);
        check(&error_events(&single)[0], ErrorEventTable::COLUMNS);
        check(&error_decisions(&single)[0], ErrorDecisionTable::COLUMNS);
        let added = error_events(&single)[1].clone();
        for column in RUM_ERROR_COLUMNS_ADDED {
            assert!(RumErrorTable::COLUMNS.contains(&column));
            assert!(added.contains(&format!("ADD COLUMN IF NOT EXISTS {column} ")));
        }
    }

    #[test]
    fn groups_are_filled_once_then_kept_by_a_view_per_table() {
        let steps = error_groups(&options(None));
        let sql: Vec<&str> = steps.iter().map(|s| s.sql.as_str()).collect();
        assert_eq!(sql.len(), 5, "{sql:#?}");
        assert!(sql[0].contains("ENGINE = AggregatingMergeTree PARTITION BY toDate(Hour)"));
        assert!(sql[1].starts_with("TRUNCATE TABLE IF EXISTS `jamscope`.`error_groups`"));
        assert!(sql[2].starts_with(
            "INSERT INTO `jamscope`.`error_groups` SELECT Fingerprint, 'browser' AS Layer"
        ));
        assert!(sql[2].contains("FROM `jamscope`.`rum_errors` GROUP BY"));
        for step in &steps[1..3] {
            let guard = step.only_if.as_deref().unwrap_or_default();
            assert!(guard.contains("name = 'error_groups_rum_mv'"), "{guard}");
        }
        assert!(steps[2].once);
        assert!(sql[3].contains("`error_groups_rum_mv` TO `jamscope`.`error_groups` AS SELECT"));
        assert!(sql[4].contains("FROM `jamscope`.`error_events` GROUP BY"));
    }

    #[test]
    fn on_a_cluster_views_read_and_write_the_shard_tables() {
        let steps = error_groups(&options(Some("prod")));
        let sql: Vec<&str> = steps.iter().map(|s| s.sql.as_str()).collect();
        assert!(sql[1].contains(" ON CLUSTER `prod`"), "{}", sql[1]);
        assert!(sql.iter().any(|s| s.contains(
            "`error_groups_rum_mv_local` ON CLUSTER `prod` TO `jamscope`.`error_groups_local` AS SELECT"
        ) && s.contains("FROM `jamscope`.`rum_errors_local`")));
        assert!(sql
            .iter()
            .any(|s| s.contains("insert_distributed_sync = 1")));
        let decisions = error_decisions(&options(Some("prod"))).join("\n");
        assert!(decisions.contains("ReplicatedReplacingMergeTree("));
        assert!(decisions.contains("cityHash64(Fingerprint)"));
    }
}
