//! `alert_silences`: one row per version of a silence (created, then
//! expired early); the newest version of each id counts.

use serde::{Deserialize, Serialize};

use super::{clickhouse_time, AlertStore};
use crate::alert::engine::{Matcher, Silence};
use crate::store::queries::{fetch_json, QueryError};

/// Each silence as its newest version says (add `WHERE` / `GROUP BY Id`).
const NEWEST_VERSIONS: &str = "SELECT Id AS id, argMax(Matchers, UpdatedAt) AS matchers, \
        toUnixTimestamp64Milli(argMax(StartsAt, UpdatedAt)) AS starts_at_millis, \
        toUnixTimestamp64Milli(argMax(EndsAt, UpdatedAt)) AS ends_at_millis, \
        argMax(Comment, UpdatedAt) AS comment \
        FROM alert_silences";

#[derive(Deserialize)]
struct SilenceRow {
    id: String,
    matchers: Vec<String>,
    starts_at_millis: i64,
    ends_at_millis: i64,
    comment: String,
}

impl AlertStore {
    /// Stores a silence (a new one, or a new version of one: expiring it
    /// early is saving it with an earlier end).
    pub async fn save_silence(
        &self,
        silence: &Silence,
        now_millis: i64,
        created_by: &str,
    ) -> Result<(), QueryError> {
        #[derive(Serialize)]
        #[serde(rename_all = "PascalCase")]
        struct Row<'a> {
            id: &'a str,
            matchers: Vec<String>,
            starts_at: String,
            ends_at: String,
            comment: &'a str,
            created_by: &'a str,
            updated_at: String,
        }
        self.insert_json(
            "alert_silences",
            &[Row {
                id: &silence.id,
                matchers: silence.matchers.iter().map(Matcher::to_string).collect(),
                starts_at: clickhouse_time(silence.starts_at_millis),
                ends_at: clickhouse_time(silence.ends_at_millis),
                comment: &silence.comment,
                created_by,
                updated_at: clickhouse_time(now_millis),
            }],
            "saving a silence",
        )
        .await
    }

    /// Every silence not over before `ended_after_millis`, newest version
    /// of each; a stored matcher that no longer parses is skipped (logged).
    pub async fn silences(&self, ended_after_millis: i64) -> Result<Vec<Silence>, QueryError> {
        let rows: Vec<SilenceRow> = fetch_json(
            self.query(&format!(
                "{NEWEST_VERSIONS} GROUP BY Id \
                 HAVING ends_at_millis > {{after:Int64}} ORDER BY starts_at_millis"
            ))
            .param("after", ended_after_millis),
            "reading silences",
        )
        .await?;
        Ok(rows.into_iter().filter_map(into_silence).collect())
    }

    pub async fn silence(&self, id: &str) -> Result<Option<Silence>, QueryError> {
        let rows: Vec<SilenceRow> = fetch_json(
            self.query(&format!(
                "{NEWEST_VERSIONS} WHERE Id = {{id:String}} GROUP BY Id"
            ))
            .param("id", id),
            "reading a silence",
        )
        .await?;
        Ok(rows.into_iter().find_map(into_silence))
    }
}

fn into_silence(row: SilenceRow) -> Option<Silence> {
    let matchers: Result<Vec<Matcher>, _> = row.matchers.iter().map(|m| m.parse()).collect();
    match matchers {
        Ok(matchers) => Some(Silence {
            id: row.id,
            matchers,
            starts_at_millis: row.starts_at_millis,
            ends_at_millis: row.ends_at_millis,
            comment: row.comment,
        }),
        Err(error) => {
            tracing::warn!(silence = %row.id, %error, "stored silence skipped");
            None
        }
    }
}
