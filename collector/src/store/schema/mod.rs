//! Versioned migrations. `schema_migrations` records which versions ran,
//! so `migrate` and `serve` only apply what is missing, in version order
//! (a gap in the numbers is fine). A migration interrupted halfway is run
//! again from its first statement, so every statement must be safe to run
//! again: most are (`CREATE ... IF NOT EXISTS`); the few that are not (an
//! `EXCHANGE TABLES`, a copy of rows) carry a guard, a query on the
//! catalog that tells whether they still have to run.
//!
//! Migrations add tables and columns (version 7: `builds`, CI/CD events);
//! the one exception is version 5,
//! which rebuilds `rum_vitals` under a new partition key and keeps every
//! row (see `rum::rum_vitals_by_page_start`).

mod alerts;
mod builds;
mod ddl;
mod dedup;
mod rum;
mod traces;

pub use ddl::SchemaOptions;
pub use dedup::{window as deduplication_window, DEDUPLICATION_WINDOW};

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
}

impl Step {
    fn always(sql: String) -> Step {
        Step { sql, only_if: None }
    }

    fn all(statements: Vec<String>) -> Vec<Step> {
        statements.into_iter().map(Step::always).collect()
    }

    fn only_if(condition: &str, sql: String) -> Step {
        Step {
            sql,
            only_if: Some(condition.to_owned()),
        }
    }

    /// The statement as `migrate --print` shows it: runnable as it is, its
    /// guard (if any) in a comment above it.
    fn render(self) -> String {
        match self.only_if {
            Some(condition) => format!("-- only when this answers 1: {condition}\n{}", self.sql),
            None => self.sql,
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
        statements.extend((migration.steps)(options).into_iter().map(Step::render));
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

/// Applies the migrations that have not run yet and returns their names.
/// `client` must not be bound to the target database: it may not exist yet.
pub async fn migrate(
    client: &clickhouse::Client,
    options: &SchemaOptions,
) -> Result<Vec<&'static str>, StoreError> {
    for statement in bootstrap(options) {
        execute(client, &statement).await?;
    }
    let applied: Vec<u32> = client
        .query(&format!(
            "SELECT DISTINCT version FROM {}.schema_migrations",
            options.quoted_database()
        ))
        .fetch_all()
        .await
        .map_err(|source| StoreError::Query {
            what: "reading applied migrations".into(),
            source,
        })?;
    let mut newly_applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !applied.contains(&m.version)) {
        for step in (migration.steps)(options) {
            if let Some(condition) = &step.only_if {
                if !holds(client, condition).await? {
                    tracing::debug!(statement = first_line(&step.sql), "not needed, skipped");
                    continue;
                }
            }
            execute(client, &step.sql).await?;
        }
        execute(
            client,
            &format!(
                "INSERT INTO {}.schema_migrations (version, name) VALUES ({}, '{}')",
                options.quoted_database(),
                migration.version,
                migration.name
            ),
        )
        .await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "migration applied"
        );
        newly_applied.push(migration.name);
    }
    Ok(newly_applied)
}

async fn execute(client: &clickhouse::Client, statement: &str) -> Result<(), StoreError> {
    client
        .query(statement)
        .execute()
        .await
        .map_err(|source| StoreError::Query {
            what: format!("running `{}`", first_line(statement)),
            source,
        })
}

/// Runs a guard: a query answering one row, 1 or 0.
async fn holds(client: &clickhouse::Client, condition: &str) -> Result<bool, StoreError> {
    let answer: u8 = client
        .query(condition)
        .fetch_one()
        .await
        .map_err(|source| StoreError::Query {
            what: format!("checking `{}`", first_line(condition)),
            source,
        })?;
    Ok(answer == 1)
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
        let printed = Step::only_if("SELECT 1", "DROP TABLE x".into()).render();
        assert_eq!(
            printed,
            "-- only when this answers 1: SELECT 1\nDROP TABLE x"
        );
        assert_eq!(Step::always("SELECT 2".into()).render(), "SELECT 2");
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
