//! Versioned migrations. `schema_migrations` records which versions ran,
//! so `migrate` and `serve` only apply what is missing, in version order
//! (a gap in the numbers is fine). A migration interrupted halfway is run
//! again from its first statement, so every statement must be safe to run
//! again: most are (`CREATE ... IF NOT EXISTS`); the few that are not (an
//! `EXCHANGE TABLES`, a copy of rows) carry a guard, a query on the
//! catalog that tells whether they still have to run.
//!
//! Migrations add tables and columns (version 7: `builds`, CI/CD events;
//! version 11: `otel_logs`; version 12: the five metric tables; 13 to 16:
//! the error tables, `errors.rs`) or change table settings (version 10: how
//! widely spans are merged);
//! the one exception is version 5,
//! which rebuilds `rum_vitals` under a new partition key and keeps every
//! row (see `rum::rum_vitals_by_page_start`).

mod alerts;
mod builds;
mod ddl;
mod dedup;
mod errors;
mod logs;
mod metrics;
mod rum;
mod traces;

pub use ddl::{Cluster, Replication, SchemaOptions};
pub use dedup::{window as deduplication_window, DEDUPLICATION_WINDOW};
pub use metrics::table_names as metric_table_names;

use super::client::Connection;
use super::StoreError;

struct Migration {
    version: u32,
    name: &'static str,
    steps: fn(&SchemaOptions) -> Vec<Step>,
}

/// One statement of a migration.
struct Step {
    sql: String,
    /// A query answering 1 while `sql` still has to run, 0 once it has
    /// (or must not); `None` for statements that may simply run again.
    only_if: Option<String>,
    /// Run on one node only, not on each, when there is no Keeper: a copy
    /// of rows through the Distributed tables.
    once: bool,
}

impl Step {
    fn always(sql: String) -> Step {
        Step {
            sql,
            only_if: None,
            once: false,
        }
    }

    fn all(statements: Vec<String>) -> Vec<Step> {
        statements.into_iter().map(Step::always).collect()
    }

    fn only_if(condition: &str, sql: String) -> Step {
        Step {
            sql,
            only_if: Some(condition.to_owned()),
            once: false,
        }
    }

    fn once_only_if(condition: &str, sql: String) -> Step {
        Step {
            once: true,
            ..Step::only_if(condition, sql)
        }
    }

    /// The statement as `migrate --print` shows it: runnable as it is, its
    /// guard (if any) in a comment above it, and, when the statements are
    /// sent to each node (`per_node`), whether this one goes to one only.
    fn render(self, per_node: bool) -> String {
        let sql = match self.once && per_node {
            true => format!("-- on one node only\n{}", self.sql),
            false => self.sql,
        };
        match self.only_if {
            Some(condition) => format!("-- only when this answers 1: {condition}\n{sql}"),
            None => sql,
        }
    }
}

/// Every migration, in order. Append only: a released version never changes.
/// `migrate` runs every version not recorded yet, in this order.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "otel_traces",
        steps: |options| Step::all(traces::otel_traces(options)),
    },
    Migration {
        version: 2,
        name: "trace_index",
        steps: |options| Step::all(traces::trace_index(options)),
    },
    Migration {
        version: 3,
        name: "rum_tables",
        steps: |options| Step::all(rum::rum_tables(options)),
    },
    Migration {
        version: 4,
        name: "deduplication",
        steps: |options| Step::all(dedup::deduplication(options)),
    },
    Migration {
        version: 5,
        name: "rum_vitals_by_page_start",
        steps: rum::rum_vitals_by_page_start,
    },
    Migration {
        version: 6,
        name: "trace_search",
        steps: |options| Step::all(traces::trace_search(options)),
    },
    Migration {
        version: 7,
        name: "builds",
        steps: |options| Step::all(builds::builds(options)),
    },
    Migration {
        version: 8,
        name: "alert_tables",
        steps: |options| Step::all(alerts::alert_tables(options)),
    },
    Migration {
        version: 9,
        name: "drop_attribute_key_indexes",
        steps: |options| Step::all(traces::drop_attribute_key_indexes(options)),
    },
    Migration {
        version: 10,
        name: "wider_span_merges",
        steps: |options| {
            let (server_knows_it, sql) = traces::wider_span_merges(options);
            vec![Step::only_if(&server_knows_it, sql)]
        },
    },
    Migration {
        version: 11,
        name: "otel_logs",
        steps: |options| {
            let mut steps = Step::all(logs::otel_logs(options));
            let (server_knows_it, sql) = traces::wider_merges(options, "otel_logs");
            steps.push(Step::only_if(&server_knows_it, sql));
            steps
        },
    },
    Migration {
        version: 12,
        name: "metric_tables",
        steps: |options| Step::all(metrics::metric_tables(options)),
    },
    Migration {
        version: 13,
        name: "sourcemaps",
        steps: |options| Step::all(errors::sourcemaps(options)),
    },
    Migration {
        version: 14,
        name: "error_events",
        steps: |options| Step::all(errors::error_events(options)),
    },
    Migration {
        version: 15,
        name: "error_groups",
        steps: errors::error_groups,
    },
    Migration {
        version: 16,
        name: "error_decisions",
        steps: |options| Step::all(errors::error_decisions(options)),
    },
];

/// All statements a fresh database needs, in order; what `migrate --print`
/// shows and what the cluster DDL tests read.
pub fn all_statements(options: &SchemaOptions) -> Vec<String> {
    statements_through(options, u32::MAX)
}

/// The statements that bring a fresh database to schema `version`, as
/// `all_statements` shows them: what upgrade tests build an older schema
/// with (released migrations never change, so this is what it was).
pub fn statements_through(options: &SchemaOptions, version: u32) -> Vec<String> {
    let mut statements = bootstrap(options);
    for migration in MIGRATIONS.iter().filter(|m| m.version <= version) {
        let per_node = options.nodes().is_some();
        statements.extend(
            (migration.steps)(options)
                .into_iter()
                .map(|step| step.render(per_node)),
        );
    }
    statements
}

fn bootstrap(options: &SchemaOptions) -> Vec<String> {
    let mut statements = vec![format!(
        "CREATE DATABASE IF NOT EXISTS {}{}",
        options.quoted_database(),
        options.on_cluster()
    )];
    statements.extend(options.table(
        "schema_migrations",
        "version UInt32, name String, applied_at DateTime DEFAULT now()",
        "MergeTree",
        "ORDER BY version",
        None,
    ));
    statements
}

/// Where migrations run: the one server (which, with Keeper, passes `ON
/// CLUSTER` statements on), or each node of a cluster without Keeper.
struct Node {
    /// Shown in errors; `None` for the collector's own server.
    url: Option<String>,
    client: clickhouse::Client,
}

impl Node {
    fn what(&self, doing: String) -> String {
        match &self.url {
            Some(url) => format!("{doing} on {url}"),
            None => doing,
        }
    }

    async fn execute(&self, statement: &str) -> Result<(), StoreError> {
        self.client
            .query(statement)
            .execute()
            .await
            .map_err(|source| StoreError::Query {
                what: self.what(format!("running `{}`", first_line(statement))),
                source,
            })
    }

    /// Runs a guard: a query answering one row, 1 or 0.
    async fn holds(&self, condition: &str) -> Result<bool, StoreError> {
        let answer: u8 = self
            .client
            .query(condition)
            .fetch_one()
            .await
            .map_err(|source| StoreError::Query {
                what: self.what(format!("checking `{}`", first_line(condition))),
                source,
            })?;
        Ok(answer == 1)
    }
}

fn nodes(connection: &Connection, options: &SchemaOptions) -> Result<Vec<Node>, StoreError> {
    let Some(urls) = options.nodes() else {
        return Ok(vec![Node {
            url: None,
            client: connection.server_client(),
        }]);
    };
    urls.iter()
        .map(|url| {
            Ok(Node {
                url: Some(crate::redact::url(url)),
                client: connection.for_url(url)?.server_client(),
            })
        })
        .collect()
}

/// Where each node records the versions it ran: without Keeper every node
/// keeps its own list in its local table; otherwise the one table (through
/// its Distributed table on a cluster).
fn applied_table(options: &SchemaOptions) -> String {
    match options.nodes() {
        Some(_) => options.storage_name("schema_migrations"),
        None => options.qualified("schema_migrations"),
    }
}

/// Applies the migrations that have not run yet and returns their names.
/// The connection's client must not be bound to the target database: it
/// may not exist yet. Without Keeper each statement runs on every node that
/// lacks the migration, one statement on all of them before the next (a
/// later statement may read the others' tables through a Distributed one).
pub async fn migrate(
    connection: &Connection,
    options: &SchemaOptions,
) -> Result<Vec<&'static str>, StoreError> {
    let nodes = nodes(connection, options)?;
    let applied_table = applied_table(options);
    let mut applied = Vec::with_capacity(nodes.len());
    for node in &nodes {
        for statement in bootstrap(options) {
            node.execute(&statement).await?;
        }
        let versions: Vec<u32> = node
            .client
            .query(&format!("SELECT DISTINCT version FROM {applied_table}"))
            .fetch_all()
            .await
            .map_err(|source| StoreError::Query {
                what: node.what("reading applied migrations".into()),
                source,
            })?;
        applied.push(versions);
    }
    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS {
        let pending: Vec<&Node> = nodes
            .iter()
            .zip(&applied)
            .filter(|(_, versions)| !versions.contains(&migration.version))
            .map(|(node, _)| node)
            .collect();
        if pending.is_empty() {
            continue;
        }
        for step in (migration.steps)(options) {
            let targets = if step.once {
                &pending[..1]
            } else {
                &pending[..]
            };
            for node in targets {
                if let Some(condition) = &step.only_if {
                    if !node.holds(condition).await? {
                        tracing::debug!(statement = first_line(&step.sql), "not needed, skipped");
                        continue;
                    }
                }
                node.execute(&step.sql).await?;
            }
        }
        for node in &pending {
            node.execute(&format!(
                "INSERT INTO {applied_table} (version, name) VALUES ({}, '{}')",
                migration.version, migration.name
            ))
            .await?;
        }
        tracing::info!(
            version = migration.version,
            name = migration.name,
            nodes = pending.len(),
            "migration applied"
        );
        newly_applied.push(migration.name);
    }
    Ok(newly_applied)
}

fn first_line(statement: &str) -> &str {
    statement.lines().next().unwrap_or(statement)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_only_grow_and_names_are_unique() {
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].version < pair[1].version, "{}", pair[1].name);
        }
        let mut names: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MIGRATIONS.len());
    }

    #[test]
    fn a_guarded_statement_is_printed_with_its_guard_as_a_comment() {
        let printed = Step::only_if("SELECT 1", "DROP TABLE x".into()).render(false);
        assert_eq!(
            printed,
            "-- only when this answers 1: SELECT 1\nDROP TABLE x"
        );
        assert_eq!(Step::always("SELECT 2".into()).render(true), "SELECT 2");
        assert_eq!(
            Step::once_only_if("SELECT 1", "INSERT x".into()).render(true),
            "-- only when this answers 1: SELECT 1\n-- on one node only\nINSERT x"
        );
    }

    #[test]
    fn statements_through_a_version_leave_out_the_later_migrations() {
        let options = SchemaOptions::for_tests(None);
        let version_3 = statements_through(&options, 3).join("\n");
        assert!(version_3.contains("`rum_vitals` ("));
        assert!(!version_3.contains("rum_vitals_v5"));
        let all = all_statements(&options);
        assert!(all.len() > statements_through(&options, 3).len());
        assert!(all.join("\n").contains("EXCHANGE TABLES"));
    }
}
