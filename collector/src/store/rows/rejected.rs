//! `rejected_rows`: rows ClickHouse refused for good (a type, overflow or
//! constraint error), isolated by splitting their chunk, kept with the
//! source table, the reason, the error code, the chunk's token and the row
//! itself as hex of its RowBinary bytes. Written by the writer's
//! dead-letter path (`writer/dead_letter.rs`).

use std::fmt::Write as _;

use bytes::Bytes;

use super::Table;
use crate::store::rowbinary::{put_datetime64_millis, put_i32, put_str};

pub struct RejectedRowTable;

/// One refused row and why.
#[derive(Debug, Clone, PartialEq)]
pub struct RejectedRow {
    pub at_millis: i64,
    pub source_table: &'static str,
    pub reason: String,
    /// ClickHouse's error code, when it answered with one.
    pub error_code: Option<i32>,
    pub token: String,
    /// The row as encoded for `source_table`.
    pub row: Bytes,
}

impl RejectedRow {
    /// The row's bytes as lowercase hex.
    pub fn row_hex(&self) -> String {
        let mut hex = String::with_capacity(self.row.len() * 2);
        for byte in &self.row {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

impl Table for RejectedRowTable {
    type Record = RejectedRow;

    const NAME: &'static str = "rejected_rows";

    const COLUMNS: &'static [&'static str] = &[
        "Time",
        "SourceTable",
        "Reason",
        "ErrorCode",
        "Token",
        "RowHex",
    ];

    fn encode(rejected: &RejectedRow, buf: &mut Vec<u8>) {
        put_datetime64_millis(buf, rejected.at_millis);
        put_str(buf, rejected.source_table.as_bytes());
        put_str(buf, rejected.reason.as_bytes());
        put_i32(buf, rejected.error_code.unwrap_or(0));
        put_str(buf, rejected.token.as_bytes());
        put_str(buf, rejected.row_hex().as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_its_columns_in_order() {
        let rejected = RejectedRow {
            at_millis: 7,
            source_table: "t",
            reason: "r".into(),
            error_code: None,
            token: "k".into(),
            row: Bytes::from_static(&[0xab, 0x01]),
        };
        let mut buf = Vec::new();
        RejectedRowTable::encode(&rejected, &mut buf);
        let mut expected = 7i64.to_le_bytes().to_vec();
        expected.extend([1, b't', 1, b'r']);
        expected.extend(0i32.to_le_bytes());
        expected.extend([1, b'k', 4]);
        expected.extend(b"ab01");
        assert_eq!(buf, expected);
        assert_eq!(
            RejectedRowTable::insert_sql(),
            "INSERT INTO rejected_rows (Time, SourceTable, Reason, ErrorCode, Token, RowHex) FORMAT RowBinary"
        );
    }
}
