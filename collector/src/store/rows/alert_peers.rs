//! What several collectors share so that one of them evaluates for all:
//! `alert_heartbeats` (who is alive, since when) and
//! `alert_window_deltas` (each collector's window aggregates, one row per
//! flush, numbered per collector so a reader skips what it has merged).
//! Written by [`crate::store::writer::insert_now`] each evaluation.

use serde::Deserialize;

use super::Table;
use crate::store::rowbinary::{put_datetime64_millis, put_str, put_u64, put_u8};

pub struct HeartbeatTable;

/// "Alive since `started_at_millis`, as of `at_millis`"; `alive = false`
/// says the collector is leaving.
#[derive(Debug, Clone, PartialEq)]
pub struct Heartbeat {
    pub instance: String,
    pub started_at_millis: i64,
    pub at_millis: i64,
    pub alive: bool,
}

impl Table for HeartbeatTable {
    type Record = Heartbeat;

    const NAME: &'static str = "alert_heartbeats";

    const COLUMNS: &'static [&'static str] = &["Instance", "StartedAt", "At", "Alive"];

    fn encode(heartbeat: &Heartbeat, buf: &mut Vec<u8>) {
        put_str(buf, heartbeat.instance.as_bytes());
        put_datetime64_millis(buf, heartbeat.started_at_millis);
        put_datetime64_millis(buf, heartbeat.at_millis);
        put_u8(buf, u8::from(heartbeat.alive));
    }
}

pub struct WindowFlushTable;

/// One flush of one collector's window aggregates. Read back as written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WindowFlush {
    pub instance: String,
    /// Numbered per collector, from 1.
    pub seq: u64,
    pub flushed_at_millis: i64,
    /// As alerting encodes them (JSON); the store keeps them as text.
    pub deltas: String,
}

impl Table for WindowFlushTable {
    type Record = WindowFlush;

    const NAME: &'static str = "alert_window_deltas";

    const COLUMNS: &'static [&'static str] = &["Instance", "Seq", "FlushedAt", "Deltas"];

    fn encode(flush: &WindowFlush, buf: &mut Vec<u8>) {
        put_str(buf, flush.instance.as_bytes());
        put_u64(buf, flush.seq);
        put_datetime64_millis(buf, flush.flushed_at_millis);
        put_str(buf, flush.deltas.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_their_columns_in_order() {
        let mut buf = Vec::new();
        HeartbeatTable::encode(
            &Heartbeat {
                instance: "i".into(),
                started_at_millis: 1,
                at_millis: 2,
                alive: true,
            },
            &mut buf,
        );
        let mut expected = vec![1, b'i'];
        expected.extend(1i64.to_le_bytes());
        expected.extend(2i64.to_le_bytes());
        expected.push(1);
        assert_eq!(buf, expected);
        assert_eq!(
            WindowFlushTable::insert_sql(),
            "INSERT INTO alert_window_deltas (Instance, Seq, FlushedAt, Deltas) FORMAT RowBinary"
        );
    }
}
