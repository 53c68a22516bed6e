//! `alert_silences` read back: each silence as its newest version says.

use super::{fetch_json, Queries, QueryError};
use crate::store::rows::SilenceVersion;

/// Each silence as its newest version says (add `WHERE` / `GROUP BY Id`).
const NEWEST_VERSIONS: &str = "SELECT Id AS id, argMax(Matchers, UpdatedAt) AS matchers, \
        toUnixTimestamp64Milli(argMax(StartsAt, UpdatedAt)) AS starts_at_millis, \
        toUnixTimestamp64Milli(argMax(EndsAt, UpdatedAt)) AS ends_at_millis, \
        argMax(Comment, UpdatedAt) AS comment, \
        argMax(CreatedBy, UpdatedAt) AS created_by, \
        toUnixTimestamp64Milli(max(UpdatedAt)) AS updated_at_millis \
        FROM alert_silences";

impl Queries {
    /// Every silence not over before `ended_after_millis`, newest version
    /// of each, by start.
    pub async fn silences(
        &self,
        ended_after_millis: i64,
    ) -> Result<Vec<SilenceVersion>, QueryError> {
        fetch_json(
            self.query(&format!(
                "{NEWEST_VERSIONS} GROUP BY Id \
                 HAVING ends_at_millis > {{after:Int64}} ORDER BY starts_at_millis"
            ))
            .param("after", ended_after_millis),
            "reading silences",
        )
        .await
    }

    /// The newest version of the silence `id`, if there is one.
    pub async fn silence(&self, id: &str) -> Result<Option<SilenceVersion>, QueryError> {
        let rows: Vec<SilenceVersion> = fetch_json(
            self.query(&format!(
                "{NEWEST_VERSIONS} WHERE Id = {{id:String}} GROUP BY Id"
            ))
            .param("id", id),
            "reading a silence",
        )
        .await?;
        Ok(rows.into_iter().next())
    }
}
