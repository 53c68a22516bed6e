//! What several collectors share so that one of them evaluates for all:
//! heartbeats (`alert_heartbeats`: who is alive, since when) and each
//! collector's window aggregates (`alert_window_deltas`, one row per
//! flush, numbered per collector so a reader skips what it has merged).

use serde::{Deserialize, Serialize};

use super::{clickhouse_time, AlertStore};
use crate::alert::window::SeriesDelta;
use crate::store::queries::{fetch_json, QueryError};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LiveInstance {
    pub instance: String,
    pub started_at_millis: i64,
}

/// One flush of another collector.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerDeltas {
    pub instance: String,
    pub seq: u64,
    pub deltas: Vec<SeriesDelta>,
}

#[derive(Deserialize)]
struct DeltaRow {
    instance: String,
    seq: u64,
    deltas: String,
}

impl AlertStore {
    /// "Alive since `started_at_millis`, as of `now_millis`"; `alive =
    /// false` says this collector is leaving, so others need not wait for
    /// its heartbeats to age out.
    pub async fn heartbeat(
        &self,
        started_at_millis: i64,
        now_millis: i64,
        alive: bool,
    ) -> Result<(), QueryError> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Row<'a> {
            instance: &'a str,
            started_at: String,
            at: String,
            alive: u8,
        }
        self.insert_json(
            "alert_heartbeats",
            &[Row {
                instance: &self.instance,
                started_at: clickhouse_time(started_at_millis),
                at: clickhouse_time(now_millis),
                alive: u8::from(alive),
            }],
            "recording a heartbeat",
        )
        .await
    }

    /// Collectors whose last heartbeat is newer than `since_millis` and did
    /// not say they were leaving, oldest first.
    pub async fn live_instances(&self, since_millis: i64) -> Result<Vec<LiveInstance>, QueryError> {
        fetch_json(
            self.query(
                "SELECT Instance AS instance, \
                        toUnixTimestamp64Milli(min(StartedAt)) AS started_at_millis \
                 FROM alert_heartbeats \
                 WHERE At > fromUnixTimestamp64Milli({since:Int64}) \
                 GROUP BY Instance HAVING argMax(Alive, At) = 1 \
                 ORDER BY started_at_millis, instance",
            )
            .param("since", since_millis),
            "reading heartbeats",
        )
        .await
    }

    /// Stores this collector's window aggregates since its last flush.
    pub async fn flush_deltas(
        &self,
        seq: u64,
        now_millis: i64,
        deltas: &[SeriesDelta],
    ) -> Result<(), QueryError> {
        if deltas.is_empty() {
            return Ok(());
        }
        let what = "storing window aggregates";
        let json = serde_json::to_string(deltas).map_err(|e| QueryError::Decode {
            what,
            message: e.to_string(),
        })?;
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Row<'a> {
            instance: &'a str,
            seq: u64,
            flushed_at: String,
            deltas: String,
        }
        self.insert_json(
            "alert_window_deltas",
            &[Row {
                instance: &self.instance,
                seq,
                flushed_at: clickhouse_time(now_millis),
                deltas: json,
            }],
            what,
        )
        .await
    }

    /// Other collectors' flushes stored after `since_millis`, in order.
    pub async fn peer_deltas(&self, since_millis: i64) -> Result<Vec<PeerDeltas>, QueryError> {
        let what = "reading other collectors' window aggregates";
        let rows: Vec<DeltaRow> = fetch_json(
            self.query(
                "SELECT Instance AS instance, Seq AS seq, Deltas AS deltas \
                 FROM alert_window_deltas \
                 WHERE FlushedAt > fromUnixTimestamp64Milli({since:Int64}) \
                   AND Instance != {me:String} \
                 ORDER BY Instance, Seq",
            )
            .param("since", since_millis)
            .param("me", self.instance.as_str()),
            what,
        )
        .await?;
        rows.into_iter()
            .map(|row| {
                let deltas = serde_json::from_str(&row.deltas).map_err(|e| QueryError::Decode {
                    what,
                    message: e.to_string(),
                })?;
                Ok(PeerDeltas {
                    instance: row.instance,
                    seq: row.seq,
                    deltas,
                })
            })
            .collect()
    }
}
