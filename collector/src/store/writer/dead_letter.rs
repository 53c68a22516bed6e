//! Rows ClickHouse refused for good: kept, never dropped. They go to the
//! `rejected_rows` table (source table, reason, error code, the row's
//! RowBinary bytes as hex) and, when even that insert fails, to a JSON
//! lines file `<data_dir>/rejected/<table>.jsonl`.

use std::io::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;

use super::super::rowbinary::{put_datetime64_millis, put_i32, put_str};
use super::failure::InsertFailure;
use super::insert::InsertTarget;

pub const TABLE: &str = "rejected_rows";
const COLUMNS: &str = "Time, SourceTable, Reason, ErrorCode, Token, RowHex";

/// One refused row and why.
pub struct DeadRow {
    pub row: Bytes,
    pub failure: InsertFailure,
}

/// Stores `rows` of `table`; returns where they went. `token` makes a
/// replayed dead-letter insert a duplicate ClickHouse drops.
pub async fn store(
    target: &InsertTarget,
    table: &str,
    token: &str,
    rows: &[DeadRow],
    fallback_dir: &Path,
) -> &'static str {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut buf = Vec::new();
    let mut hex = String::new();
    for dead in rows {
        put_datetime64_millis(&mut buf, now);
        put_str(&mut buf, table.as_bytes());
        put_str(&mut buf, dead.failure.message.as_bytes());
        put_i32(&mut buf, dead.failure.code.unwrap_or(0));
        put_str(&mut buf, token.as_bytes());
        to_hex(&dead.row, &mut hex);
        put_str(&mut buf, hex.as_bytes());
    }
    let sql = format!("INSERT INTO {TABLE} ({COLUMNS}) FORMAT RowBinary");
    let inserted = target
        .insert(&sql, Bytes::from(buf), &format!("{token}.rejected"))
        .await;
    match inserted {
        Ok(_) => TABLE,
        Err(error) => {
            tracing::warn!(%error.message, "dead-letter insert failed; writing rejected rows to a file");
            match write_file(fallback_dir, table, token, now, rows) {
                Ok(()) => "file",
                Err(error) => {
                    tracing::error!(%error, rows = rows.len(), table, "rejected rows could not be kept anywhere");
                    "nowhere"
                }
            }
        }
    }
}

fn write_file(
    dir: &Path,
    table: &str,
    token: &str,
    now_millis: i64,
    rows: &[DeadRow],
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join(format!("{table}.jsonl")))?;
    let mut hex = String::new();
    for dead in rows {
        to_hex(&dead.row, &mut hex);
        let line = serde_json::json!({
            "time_ms": now_millis,
            "table": table,
            "reason": dead.failure.message,
            "error_code": dead.failure.code,
            "token": token,
            "row_hex": hex,
        });
        writeln!(file, "{line}")?;
    }
    file.sync_data()
}

fn to_hex(bytes: &[u8], out: &mut String) {
    use std::fmt::Write as _;
    out.clear();
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
}
