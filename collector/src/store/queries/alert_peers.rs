//! What collectors share to keep one alert stream, read back: who is alive
//! (`alert_heartbeats`) and the others' window aggregates
//! (`alert_window_deltas`).

use serde::Deserialize;

use super::{fetch_json, Queries, QueryError};
use crate::store::rows::WindowFlush;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LiveInstance {
    pub instance: String,
    pub started_at_millis: i64,
}

impl Queries {
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

    /// Flushes stored after `since_millis` by collectors other than
    /// `except_instance`, by collector and number.
    pub async fn window_flushes(
        &self,
        since_millis: i64,
        except_instance: &str,
    ) -> Result<Vec<WindowFlush>, QueryError> {
        fetch_json(
            self.query(
                "SELECT Instance AS instance, Seq AS seq, \
                        toUnixTimestamp64Milli(FlushedAt) AS flushed_at_millis, \
                        Deltas AS deltas \
                 FROM alert_window_deltas \
                 WHERE FlushedAt > fromUnixTimestamp64Milli({since:Int64}) \
                   AND Instance != {me:String} \
                 ORDER BY Instance, Seq",
            )
            .param("since", since_millis)
            .param("me", except_instance),
            "reading other collectors' window aggregates",
        )
        .await
    }
}
