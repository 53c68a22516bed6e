//! The RUM tables: `rum_vitals`, `rum_errors`, `rum_page_views`. They share
//! the page context columns, so one dashboard filter (app, release, route,
//! browser, country, ...) applies to all three, and `TraceId` joins a page
//! view to the trace that rendered it.

use super::ddl::quote_string;
use super::{SchemaOptions, Step};
use crate::model::rum::{MAX_CLOCK_AHEAD_MILLIS, MAX_REPORT_AGE_MILLIS};

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

/// `rum_vitals`' own columns, after the context.
const VITAL_COLUMNS: &str = "Name LowCardinality(String) CODEC(ZSTD(1)),
        Value Float64 CODEC(ZSTD(1)),
        Rating LowCardinality(String) CODEC(ZSTD(1)),
        Delta Float64 CODEC(ZSTD(1)),
        MetricId String CODEC(ZSTD(1)),
        NavigationType LowCardinality(String) CODEC(ZSTD(1)),
        Attribution Map(LowCardinality(String), String) CODEC(ZSTD(1))";

/// Every column `rum_vitals` had in version 3: what the rebuild copies.
const VERSION_3_VITAL_COLUMNS: &str = "Timestamp, ReceivedAt, App, Release, Environment, \
    SessionId, PageViewId, TraceId, Url, Path, Route, Referrer, Browser, BrowserVersion, Os, \
    DeviceClass, Connection, Country, ClientIp, Name, Value, Rating, Delta, MetricId, \
    NavigationType, Attribution";

/// `rum_vitals` as released in version 3: partitioned by `Timestamp`, so
/// a re-report on the other side of midnight lands in another partition,
/// where ReplacingMergeTree cannot replace it. Version 5 rebuilds it
/// ([`rum_vitals_by_page_start`]); this stays as it was, since a released
/// migration never changes.
fn rum_vitals(options: &SchemaOptions) -> Vec<String> {
    options.table(
        "rum_vitals",
        &table_columns(VITAL_COLUMNS),
        "ReplacingMergeTree(Timestamp)",
        &options.daily_partitions("Timestamp", "(App, Name, MetricId)"),
        Some("cityHash64(MetricId)"),
    )
}

/// `rum_vitals` since version 5: one row per metric instance after merges.
/// CLS and INP report again under the same id as they grow; the row with
/// the latest event time replaces the others. ReplacingMergeTree replaces
/// only within a partition, so the table is partitioned by
/// `PageStartedAt`, the start of the page view, which is the same for
/// every report of a web-vitals id (`v5-<ms>-<random>`, the SDK's and any
/// page using web-vitals; see `model::rum::page_started_at`): its reports
/// meet in one partition even when they straddle midnight, and merge into
/// one row. Ids of another form fall back to the report's time, so
/// their re-reports are replaced only within one day. Read with `FINAL`
/// (or `argMax(Value, Timestamp) ... GROUP BY MetricId`) to see only the
/// latest before merges have run. `Name` in the key changes nothing for
/// deduplication (an id belongs to one metric) and lets per-metric queries
/// skip the other metrics. On a cluster, rows are sharded by id so every
/// report of one metric meets on one shard.
///
/// A partition key cannot be altered, so the table is rebuilt under the
/// same name, keeping every row:
///
/// 1. create the new table as `rum_vitals_v5`;
/// 2. `EXCHANGE TABLES` it with `rum_vitals` (atomic, in the Atomic
///    databases ClickHouse creates by default): from here on writers fill
///    the new table, and none can add rows to the old one behind the copy;
/// 3. copy the old rows (now under `rum_vitals_v5`) that the new table
///    does not have yet, computing `PageStartedAt` from `MetricId` as the
///    collector does ([`page_started_at_sql`]), so old re-reports split by
///    midnight come together too; until the copy ends, readers see only
///    the rows written since step 2;
/// 4. drop the old table.
///
/// A run interrupted anywhere is run again from step 1 (the version is
/// recorded only at the end), and the guards make that safe: steps 1 and 2
/// run only while `rum_vitals` lacks `PageStartedAt`, so the exchange never
/// runs twice (which would swap the tables back); steps 3 and 4 run only
/// while `rum_vitals_v5` exists without `PageStartedAt`, i.e. holds the old
/// rows. A half-done copy is resumed, not repeated: it skips rows the new
/// table already has (same app, metric, id and time), and a row that
/// slipped in twice would still have one partition and one key, so
/// ReplacingMergeTree would fold it. The old table is dropped only after a
/// copy that ran to its end. Two migrators at once are not safe (both
/// could exchange); `serve` migrates once, before it accepts data.
///
/// On a cluster the `_local` tables are exchanged (`ON CLUSTER`): the
/// Distributed `rum_vitals` names its shards' table by name, so it follows;
/// it gets the new column by `ALTER`, and the copy runs through the
/// Distributed tables (`GLOBAL NOT IN`, synchronous inserts). The new
/// shard table's replication path is `.../rum_vitals_v5_local` for good.
/// The guards read the catalog of the server `migrate` talks to, which
/// runs every `ON CLUSTER` statement too; after an `ON CLUSTER` timeout,
/// let the DDL queue drain before running `migrate` again.
/// `PageStartedAt` defaults to the same SQL, so a collector of an older
/// version still writing during an upgrade stores sensible rows.
pub(super) fn rum_vitals_by_page_start(options: &SchemaOptions) -> Vec<Step> {
    const SWAP: &str = "rum_vitals_v5";
    let live = options.qualified("rum_vitals");
    let swap = options.qualified(SWAP);
    let on_cluster = options.on_cluster();
    let page_started_at = page_started_at_sql();
    let not_exchanged = has_version_3_layout(options, "rum_vitals");
    let old_rows_left = has_version_3_layout(options, SWAP);

    let mut steps: Vec<Step> = options
        .table(
            SWAP,
            &vital_columns_by_page_start(),
            "ReplacingMergeTree(Timestamp)",
            // It remembers insert tokens like every other table (version 4).
            &format!(
                "{}, non_replicated_deduplication_window = {}",
                options.daily_partitions("PageStartedAt", "(App, Name, MetricId)"),
                super::DEDUPLICATION_WINDOW
            ),
            Some("cityHash64(MetricId)"),
        )
        .into_iter()
        .map(|sql| Step::only_if(&not_exchanged, sql))
        .collect();
    steps.push(Step::only_if(
        &not_exchanged,
        format!(
            "EXCHANGE TABLES {} AND {}{on_cluster}",
            options.storage_name("rum_vitals"),
            options.storage_name(SWAP)
        ),
    ));
    if options.cluster.is_some() {
        steps.push(Step::always(format!(
            "ALTER TABLE {live}{on_cluster} ADD COLUMN IF NOT EXISTS \
             PageStartedAt DateTime64(3) DEFAULT {page_started_at}"
        )));
    }
    // Through a Distributed table an insert is queued and sent later by
    // default; the old table must not be dropped before it arrived.
    let settings = match options.cluster {
        Some(_) => " SETTINGS insert_distributed_sync = 1",
        None => "",
    };
    // A copy through the Distributed tables moves the rows of every node:
    // without Keeper it runs on one node, not on each.
    steps.push(Step::once_only_if(
        &old_rows_left,
        format!(
            "INSERT INTO {live} ({VERSION_3_VITAL_COLUMNS}, PageStartedAt){settings} \
             SELECT {VERSION_3_VITAL_COLUMNS}, {page_started_at} FROM {swap} \
             WHERE (App, Name, MetricId, Timestamp) GLOBAL NOT IN \
             (SELECT App, Name, MetricId, Timestamp FROM {live})"
        ),
    ));
    steps.push(Step::only_if(
        &old_rows_left,
        format!(
            "DROP TABLE IF EXISTS {}{on_cluster}",
            options.storage_name(SWAP)
        ),
    ));
    if options.cluster.is_some() {
        // The Distributed table over the old shards holds nothing; dropped
        // last, since a rerun of the copy above reads through it.
        steps.push(Step::always(format!(
            "DROP TABLE IF EXISTS {swap}{on_cluster}"
        )));
    }
    steps
}

fn vital_columns_by_page_start() -> String {
    table_columns(&format!(
        "{VITAL_COLUMNS},
        PageStartedAt DateTime64(3) DEFAULT {} CODEC(Delta(8), ZSTD(1))",
        page_started_at_sql()
    ))
}

/// `model::rum::page_started_at` in SQL, over a row's own columns: the
/// time inside a web-vitals id when it lies in the window the receiver
/// keeps times in (around `ReceivedAt`), else the row's `Timestamp` (the
/// report's time, already kept in that window).
fn page_started_at_sql() -> String {
    let id_millis = "toInt64OrZero(splitByChar('-', MetricId)[2])";
    let received = "toUnixTimestamp64Milli(ReceivedAt)";
    format!(
        "if(match(MetricId, '^v[0-9]+-[0-9]{{13}}-[0-9]+$') \
         AND {id_millis} BETWEEN {received} - {MAX_REPORT_AGE_MILLIS} \
         AND {received} + {MAX_CLOCK_AHEAD_MILLIS}, \
         fromUnixTimestamp64Milli({id_millis}), Timestamp)"
    )
}

/// A guard answering 1 while `table`'s storage exists without
/// `PageStartedAt`, i.e. still has the version 3 layout.
fn has_version_3_layout(options: &SchemaOptions, table: &str) -> String {
    let database = quote_string(&options.database);
    format!(
        "SELECT count() = 1 FROM system.tables WHERE database = {database} AND name = {} \
         AND name NOT IN (SELECT table FROM system.columns \
         WHERE database = {database} AND name = 'PageStartedAt')",
        quote_string(&options.storage_table(table))
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

    /// The version 5 steps of one kind of server, as (guard, statement).
    fn rebuild(cluster: Option<&str>) -> Vec<(Option<String>, String)> {
        rum_vitals_by_page_start(&options(cluster))
            .into_iter()
            .map(|step| (step.only_if, step.sql))
            .collect()
    }

    /// The column names a `CREATE TABLE` declares: the first word of each
    /// line of its column list, and the fields of a Nested column.
    fn declared_columns(ddl: &str) -> Vec<&str> {
        ddl.lines()
            .filter_map(|line| line.split_whitespace().next())
            .filter(|word| !word.starts_with("CREATE") && *word != "INDEX" && *word != ")")
            .collect()
    }

    #[test]
    fn the_rebuild_partitions_by_page_start_and_guards_what_cannot_run_twice() {
        let steps = rebuild(None);
        let statements: Vec<&str> = steps.iter().map(|(_, sql)| sql.as_str()).collect();
        assert_eq!(steps.len(), 4, "{statements:#?}");
        let not_exchanged = "name = 'rum_vitals' AND name NOT IN (SELECT table FROM system.columns WHERE database = 'jamscope' AND name = 'PageStartedAt')";
        let old_rows_left = "name = 'rum_vitals_v5' AND name NOT IN";

        let (guard, create) = &steps[0];
        assert!(create.starts_with("CREATE TABLE IF NOT EXISTS `jamscope`.`rum_vitals_v5` ("));
        assert!(create.contains(
            "ENGINE = ReplacingMergeTree(Timestamp) PARTITION BY toDate(PageStartedAt) ORDER BY (App, Name, MetricId) \
             TTL toDateTime(PageStartedAt) + toIntervalDay(7)"
        ));
        assert!(guard.as_deref().is_some_and(|g| g.contains(not_exchanged)));

        let (guard, exchange) = &steps[1];
        assert_eq!(
            exchange,
            "EXCHANGE TABLES `jamscope`.`rum_vitals` AND `jamscope`.`rum_vitals_v5`"
        );
        assert!(guard.as_deref().is_some_and(|g| g.contains(not_exchanged)));

        let (guard, copy) = &steps[2];
        assert!(
            copy.starts_with("INSERT INTO `jamscope`.`rum_vitals` (Timestamp, ReceivedAt, App,")
        );
        assert!(copy.contains(", Attribution, PageStartedAt) SELECT Timestamp,"));
        assert!(copy.contains("FROM `jamscope`.`rum_vitals_v5` WHERE (App, Name, MetricId, Timestamp) GLOBAL NOT IN (SELECT App, Name, MetricId, Timestamp FROM `jamscope`.`rum_vitals`)"));
        assert!(copy.contains(&page_started_at_sql()));
        assert!(guard.as_deref().is_some_and(|g| g.contains(old_rows_left)));

        let (guard, drop) = &steps[3];
        assert_eq!(drop, "DROP TABLE IF EXISTS `jamscope`.`rum_vitals_v5`");
        assert!(guard.as_deref().is_some_and(|g| g.contains(old_rows_left)));
    }

    #[test]
    fn on_a_cluster_the_shard_tables_are_exchanged_and_the_copy_runs_through_distributed_tables() {
        let steps = rebuild(Some("prod"));
        let statements: Vec<&str> = steps.iter().map(|(_, sql)| sql.as_str()).collect();
        assert_eq!(statements.len(), 7, "{statements:#?}");
        let guarded_by = |index: usize, table: &str| {
            let guard = steps[index].0.as_deref().unwrap_or_default();
            assert!(
                guard.contains(&format!("AND name = '{table}' AND name NOT IN")),
                "step {index}: {guard}"
            );
        };
        assert!(statements[0].starts_with(
            "CREATE TABLE IF NOT EXISTS `jamscope`.`rum_vitals_v5_local` ON CLUSTER `prod` ("
        ));
        assert!(statements[0].contains(
            "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/jamscope/rum_vitals_v5_local', '{replica}', Timestamp) \
             PARTITION BY toDate(PageStartedAt) ORDER BY (App, Name, MetricId)"
        ));
        guarded_by(0, "rum_vitals_local");
        assert_eq!(
            statements[1],
            "CREATE TABLE IF NOT EXISTS `jamscope`.`rum_vitals_v5` ON CLUSTER `prod` AS `jamscope`.`rum_vitals_v5_local` \
             ENGINE = Distributed('prod', 'jamscope', 'rum_vitals_v5_local', cityHash64(MetricId))"
        );
        guarded_by(1, "rum_vitals_local");
        assert_eq!(
            statements[2],
            "EXCHANGE TABLES `jamscope`.`rum_vitals_local` AND `jamscope`.`rum_vitals_v5_local` ON CLUSTER `prod`"
        );
        guarded_by(2, "rum_vitals_local");
        // The Distributed `rum_vitals` stays; it learns the new column.
        assert!(statements[3].starts_with(
            "ALTER TABLE `jamscope`.`rum_vitals` ON CLUSTER `prod` ADD COLUMN IF NOT EXISTS PageStartedAt DateTime64(3) DEFAULT if("
        ));
        assert!(steps[3].0.is_none(), "safe to run again");
        assert!(statements[4].starts_with("INSERT INTO `jamscope`.`rum_vitals` ("));
        assert!(statements[4]
            .contains("PageStartedAt) SETTINGS insert_distributed_sync = 1 SELECT Timestamp,"));
        assert!(statements[4].contains("FROM `jamscope`.`rum_vitals_v5` WHERE (App, Name, MetricId, Timestamp) GLOBAL NOT IN (SELECT App, Name, MetricId, Timestamp FROM `jamscope`.`rum_vitals`)"));
        guarded_by(4, "rum_vitals_v5_local");
        assert_eq!(
            statements[5],
            "DROP TABLE IF EXISTS `jamscope`.`rum_vitals_v5_local` ON CLUSTER `prod`"
        );
        guarded_by(5, "rum_vitals_v5_local");
        assert_eq!(
            statements[6],
            "DROP TABLE IF EXISTS `jamscope`.`rum_vitals_v5` ON CLUSTER `prod`"
        );
        assert!(steps[6].0.is_none());
        assert!(
            statements
                .iter()
                .all(|sql| !sql.contains("`jamscope`.`rum_vitals_local` (")),
            "the live shard tables are never created again"
        );
    }

    /// The copy names every column the version 3 table had, and the new
    /// table has exactly those plus `PageStartedAt`.
    #[test]
    fn the_rebuild_copies_every_version_3_column() {
        let listed: Vec<&str> = VERSION_3_VITAL_COLUMNS.split(", ").map(str::trim).collect();
        let version_3 = rum_vitals(&options(None)).remove(0);
        assert_eq!(declared_columns(&version_3), listed);
        let rebuilt = rebuild(None).remove(0).1;
        let mut expected = listed.clone();
        expected.push("PageStartedAt");
        assert_eq!(declared_columns(&rebuilt), expected);
    }

    #[test]
    fn the_page_start_sql_uses_the_receivers_window() {
        let sql = page_started_at_sql();
        assert!(sql.contains("'^v[0-9]+-[0-9]{13}-[0-9]+$'"), "{sql}");
        assert!(sql.contains(&format!(
            "toUnixTimestamp64Milli(ReceivedAt) - {MAX_REPORT_AGE_MILLIS}"
        )));
        assert!(sql.contains(&format!(
            "toUnixTimestamp64Milli(ReceivedAt) + {MAX_CLOCK_AHEAD_MILLIS}"
        )));
        assert!(
            sql.ends_with(", Timestamp)"),
            "falls back to the report time"
        );
    }

    /// Every column a row encoder writes is declared in the table of the
    /// same name (the INSERT names its columns, so the order may differ):
    /// `rum_vitals` as version 5 rebuilt it, the others as version 3 made them.
    #[test]
    fn row_encoders_and_tables_agree_on_columns() {
        let mut statements = rum_tables(&options(None));
        statements.retain(|s| !s.contains("`rum_vitals` ("));
        let rebuilt = rebuild(None).remove(0).1;
        let check = |name: &str, ddl: &str, columns: &[&str]| {
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
        let ddl_of = |name: &str| {
            statements
                .iter()
                .find(|s| s.contains(&format!("`{name}` (")))
                .unwrap_or_else(|| panic!("no DDL for {name}"))
                .clone()
        };
        check(RumVitalTable::NAME, &rebuilt, RumVitalTable::COLUMNS);
        // Migration 14 adds the resolved frames (checked in `errors.rs`).
        let version_3_columns: Vec<&str> = RumErrorTable::COLUMNS
            .iter()
            .copied()
            .filter(|c| !super::super::errors::RUM_ERROR_COLUMNS_ADDED.contains(c))
            .collect();
        check(
            RumErrorTable::NAME,
            &ddl_of(RumErrorTable::NAME),
            &version_3_columns,
        );
        check(
            RumPageViewTable::NAME,
            &ddl_of(RumPageViewTable::NAME),
            RumPageViewTable::COLUMNS,
        );
        assert!(RumVitalTable::COLUMNS.contains(&"PageStartedAt"));
    }
}
