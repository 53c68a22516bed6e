//! What this collector shares with the others so one evaluates for all:
//! its heartbeats and window flushes written, theirs read back.

use super::{json, AlertTables, SaveError};
use crate::alert::window::SeriesDelta;
use crate::store::queries::{LiveInstance, QueryError};
use crate::store::rows::{Heartbeat, HeartbeatTable, WindowFlush, WindowFlushTable};
use crate::store::writer::{insert_now, InsertFailure};

/// One flush of another collector.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerDeltas {
    pub instance: String,
    pub seq: u64,
    pub deltas: Vec<SeriesDelta>,
}

impl AlertTables {
    /// "Alive since `started_at_millis`, as of `now_millis`"; `alive =
    /// false` says this collector is leaving, so others need not wait for
    /// its heartbeats to age out.
    pub async fn heartbeat(
        &self,
        started_at_millis: i64,
        now_millis: i64,
        alive: bool,
    ) -> Result<(), InsertFailure> {
        let heartbeat = Heartbeat {
            instance: self.instance.clone(),
            started_at_millis,
            at_millis: now_millis,
            alive,
        };
        insert_now::<HeartbeatTable>(&self.target, &[heartbeat]).await
    }

    /// Collectors alive since `since_millis`, oldest first.
    pub async fn live_instances(&self, since_millis: i64) -> Result<Vec<LiveInstance>, QueryError> {
        self.queries.live_instances(since_millis).await
    }

    /// Stores this collector's window aggregates since its last flush.
    pub async fn flush_deltas(
        &self,
        seq: u64,
        now_millis: i64,
        deltas: &[SeriesDelta],
    ) -> Result<(), SaveError> {
        if deltas.is_empty() {
            return Ok(());
        }
        let what = "window aggregates";
        let flush = WindowFlush {
            instance: self.instance.clone(),
            seq,
            flushed_at_millis: now_millis,
            deltas: json(what, deltas)?,
        };
        insert_now::<WindowFlushTable>(&self.target, &[flush])
            .await
            .map_err(|failure| SaveError::Insert { what, failure })
    }

    /// Other collectors' flushes stored after `since_millis`, in order.
    pub async fn peer_deltas(&self, since_millis: i64) -> Result<Vec<PeerDeltas>, QueryError> {
        let flushes = self
            .queries
            .window_flushes(since_millis, &self.instance)
            .await?;
        flushes
            .into_iter()
            .map(|flush| {
                let deltas =
                    serde_json::from_str(&flush.deltas).map_err(|e| QueryError::Decode {
                        what: "reading other collectors' window aggregates",
                        message: e.to_string(),
                    })?;
                Ok(PeerDeltas {
                    instance: flush.instance,
                    seq: flush.seq,
                    deltas,
                })
            })
            .collect()
    }
}
