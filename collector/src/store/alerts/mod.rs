//! Alerting's reads and writes: the event history and the engine's state
//! (`events`), silences (`silences`), and what several collectors share to
//! keep one alert stream (`peers`: heartbeats and window aggregates).
//! Volumes are small (a few rows a second at most), so rows go as
//! JSONEachRow rather than through the batched writer.

mod events;
mod peers;
mod silences;

use bytes::Bytes;
use serde::Serialize;

pub use events::HistoryEntry;
pub use peers::{LiveInstance, PeerDeltas};

use super::queries::QueryError;

/// The alert tables of one database, written in the name of one collector.
#[derive(Clone)]
pub struct AlertStore {
    client: clickhouse::Client,
    /// This collector's id, recorded with what it writes.
    instance: String,
}

impl AlertStore {
    pub fn new(client: clickhouse::Client, instance: impl Into<String>) -> Self {
        Self {
            client,
            instance: instance.into(),
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    fn query(&self, sql: &str) -> clickhouse::query::Query {
        self.client
            .query(sql)
            .with_setting("output_format_json_quote_64bit_integers", "0")
    }

    /// One INSERT of `rows` as JSONEachRow; returns once ClickHouse has them.
    async fn insert_json<T: Serialize>(
        &self,
        table: &str,
        rows: &[T],
        what: &'static str,
    ) -> Result<(), QueryError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut body = Vec::new();
        for row in rows {
            serde_json::to_writer(&mut body, row).map_err(|e| QueryError::Decode {
                what,
                message: e.to_string(),
            })?;
            body.push(b'\n');
        }
        let mut insert = self
            .client
            .insert_formatted_with(format!("INSERT INTO {table} FORMAT JSONEachRow"));
        let clickhouse = |source| QueryError::ClickHouse { what, source };
        insert.send(Bytes::from(body)).await.map_err(clickhouse)?;
        insert.end().await.map_err(clickhouse)
    }
}

/// A DateTime64(3) as JSONEachRow input reads it: seconds with a fraction
/// (a bare number would be read as whole seconds).
fn clickhouse_time(millis: i64) -> String {
    format!("{}.{:03}", millis.div_euclid(1000), millis.rem_euclid(1000))
}

#[cfg(test)]
mod tests {
    use super::clickhouse_time;

    #[test]
    fn times_are_seconds_with_milliseconds() {
        assert_eq!(clickhouse_time(1_764_000_000_123), "1764000000.123");
        assert_eq!(clickhouse_time(5), "0.005");
        assert_eq!(clickhouse_time(-1), "-1.999");
    }
}
