//! Versioned, idempotent migrations. Each migration is a list of statements
//! that can run again safely (`IF NOT EXISTS`); `schema_migrations` records
//! which versions ran, so `migrate` and `serve` only apply what is missing.
//! Nothing here ever drops or rewrites data.

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
    statements: fn(&SchemaOptions) -> Vec<String>,
}

/// Every migration, in order. Append only: a released version never changes.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "otel_traces",
        statements: traces::otel_traces,
    },
    Migration {
        version: 2,
        name: "trace_index",
        statements: traces::trace_index,
    },
    Migration {
        version: 3,
        name: "rum_tables",
        statements: rum::rum_tables,
    },
    Migration {
        version: 4,
        name: "deduplication",
        statements: dedup::deduplication,
    },
];

/// All statements a fresh database needs, in order; what `migrate --print`
/// shows and what the cluster DDL tests read.
pub fn all_statements(options: &SchemaOptions) -> Vec<String> {
    let mut statements = bootstrap(options);
    for migration in MIGRATIONS {
        statements.extend((migration.statements)(options));
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
        for statement in (migration.statements)(options) {
            execute(client, &statement).await?;
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

fn first_line(statement: &str) -> &str {
    statement.lines().next().unwrap_or(statement)
}
