//! Rows ClickHouse refused for good: kept, never dropped. They go to the
//! `rejected_rows` table (`rows::RejectedRowTable`) and, when even that
//! insert fails, to a JSON lines file `<data_dir>/rejected/<table>.jsonl`.

use std::io::Write as _;
use std::path::Path;

use bytes::Bytes;

use super::super::rows::{RejectedRow, RejectedRowTable, Table};
use super::failure::InsertFailure;
use super::target::InsertTarget;
use crate::clock::now_millis;

/// One refused row and why.
pub struct DeadRow {
    pub row: Bytes,
    pub failure: InsertFailure,
}

/// Stores `rows` of `table`; returns where they went. `token` makes a
/// replayed dead-letter insert a duplicate ClickHouse drops.
pub async fn store(
    target: &InsertTarget,
    table: &'static str,
    token: &str,
    rows: &[DeadRow],
    fallback_dir: &Path,
) -> &'static str {
    let now = now_millis();
    let rejected: Vec<RejectedRow> = rows
        .iter()
        .map(|dead| RejectedRow {
            at_millis: now,
            source_table: table,
            reason: dead.failure.message.clone(),
            error_code: dead.failure.code,
            token: token.to_owned(),
            row: dead.row.clone(),
        })
        .collect();
    let inserted = target
        .insert_rows::<RejectedRowTable>(&rejected, &format!("{token}.rejected"))
        .await;
    match inserted {
        Ok(()) => RejectedRowTable::NAME,
        Err(error) => {
            tracing::warn!(%error.message, "dead-letter insert failed; writing rejected rows to a file");
            match write_file(fallback_dir, table, &rejected) {
                Ok(()) => "file",
                Err(error) => {
                    tracing::error!(%error, rows = rows.len(), table, "rejected rows could not be kept anywhere");
                    "nowhere"
                }
            }
        }
    }
}

fn write_file(dir: &Path, table: &str, rows: &[RejectedRow]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{table}.jsonl")))?;
    for rejected in rows {
        let line = serde_json::json!({
            "time_ms": rejected.at_millis,
            "table": rejected.source_table,
            "reason": rejected.reason,
            "error_code": rejected.error_code,
            "token": rejected.token,
            "row_hex": rejected.row_hex(),
        });
        writeln!(file, "{line}")?;
    }
    file.sync_data()
}
