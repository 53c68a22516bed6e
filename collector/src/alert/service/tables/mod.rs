//! Alerting's tables as alerting sees them, in the name of one collector:
//! its events and state saved, silences, and (`peers.rs`) heartbeats and
//! window flushes. Converts between alerting's types and the store's rows (the engine
//! state and window deltas travel as JSON, which alerting owns); writes go
//! through `store::writer::insert_now`, reads through `store::queries`.

mod event_rows;
mod peers;

use serde::Serialize;

use event_rows::event_row;
pub use peers::PeerDeltas;

use crate::alert::engine::{AlertEvent, EngineState, Matcher, Silence};
use crate::store::queries::{HistoryEntry, Queries, QueryError};
use crate::store::rows::{
    AlertEventTable, AlertStateTable, SavedState, SilenceTable, SilenceVersion,
};
use crate::store::writer::{insert_now, InsertFailure, InsertTarget};

#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("ClickHouse did not store {what}: {failure}")]
    Insert {
        what: &'static str,
        failure: InsertFailure,
    },
    #[error("{what} cannot be encoded: {source}")]
    Encode {
        what: &'static str,
        source: serde_json::Error,
    },
}

/// The alert tables of one database, written in the name of one collector.
#[derive(Clone)]
pub struct AlertTables {
    target: InsertTarget,
    queries: Queries,
    /// This collector's id, recorded with what it writes.
    instance: String,
}

impl AlertTables {
    pub fn new(target: InsertTarget, queries: Queries, instance: impl Into<String>) -> Self {
        Self {
            target,
            queries,
            instance: instance.into(),
        }
    }

    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Records `events`, then `state`: a collector taking over reads the
    /// state, and the history never lacks what led to it.
    pub async fn save(
        &self,
        now_millis: i64,
        state: &EngineState,
        events: &[AlertEvent],
    ) -> Result<(), SaveError> {
        let rows: Vec<_> = events
            .iter()
            .map(|event| event_row(event, &self.instance))
            .collect();
        let what = "the alert events";
        insert_now::<AlertEventTable>(&self.target, &rows)
            .await
            .map_err(|failure| SaveError::Insert { what, failure })?;
        let what = "the alert state";
        let saved = SavedState {
            saved_at_millis: now_millis,
            instance: self.instance.clone(),
            state: json(what, state)?,
        };
        insert_now::<AlertStateTable>(&self.target, &[saved])
            .await
            .map_err(|failure| SaveError::Insert { what, failure })
    }

    /// The newest saved state, if any was saved.
    pub async fn load_state(&self) -> Result<Option<EngineState>, QueryError> {
        let what = "reading the alert state";
        self.queries
            .saved_alert_state()
            .await?
            .map(|state| {
                serde_json::from_str(&state).map_err(|e| QueryError::Decode {
                    what,
                    message: e.to_string(),
                })
            })
            .transpose()
    }

    /// The newest events first, at most `limit`, optionally of one alert.
    pub async fn history(
        &self,
        limit: u32,
        alertname: Option<&str>,
    ) -> Result<Vec<HistoryEntry>, QueryError> {
        self.queries.alert_history(limit, alertname).await
    }

    /// Stores a silence (a new one, or a new version of one: expiring it
    /// early is saving it with an earlier end).
    pub async fn save_silence(
        &self,
        silence: &Silence,
        now_millis: i64,
        created_by: &str,
    ) -> Result<(), InsertFailure> {
        let version = SilenceVersion {
            id: silence.id.clone(),
            matchers: silence.matchers.iter().map(Matcher::to_string).collect(),
            starts_at_millis: silence.starts_at_millis,
            ends_at_millis: silence.ends_at_millis,
            comment: silence.comment.clone(),
            created_by: created_by.to_owned(),
            updated_at_millis: now_millis,
        };
        insert_now::<SilenceTable>(&self.target, &[version]).await
    }

    /// Every silence not over before `ended_after_millis`, newest version
    /// of each; a stored matcher that no longer parses is skipped (logged).
    pub async fn silences(&self, ended_after_millis: i64) -> Result<Vec<Silence>, QueryError> {
        let versions = self.queries.silences(ended_after_millis).await?;
        Ok(versions.into_iter().filter_map(into_silence).collect())
    }

    pub async fn silence(&self, id: &str) -> Result<Option<Silence>, QueryError> {
        Ok(self.queries.silence(id).await?.and_then(into_silence))
    }
}

pub(super) fn json<T: Serialize + ?Sized>(
    what: &'static str,
    value: &T,
) -> Result<String, SaveError> {
    serde_json::to_string(value).map_err(|source| SaveError::Encode { what, source })
}

fn into_silence(version: SilenceVersion) -> Option<Silence> {
    let matchers: Result<Vec<Matcher>, _> = version.matchers.iter().map(|m| m.parse()).collect();
    match matchers {
        Ok(matchers) => Some(Silence {
            id: version.id,
            matchers,
            starts_at_millis: version.starts_at_millis,
            ends_at_millis: version.ends_at_millis,
            comment: version.comment,
        }),
        Err(error) => {
            tracing::warn!(silence = %version.id, %error, "stored silence skipped");
            None
        }
    }
}
