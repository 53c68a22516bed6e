//! Build and deploy events as alert rules and the API read them: the
//! failure streak per pipeline, the last successful deploy, the newest
//! events. Every read is `FINAL`, so an event reported twice (`running`,
//! then its outcome) counts once, with its latest report.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::build::{failure_streak, BuildKind, BuildStatus};

/// How many finished builds per pipeline a streak is counted over: a
/// longer streak is reported as this many.
pub const STREAK_DEPTH: u32 = 1_000;

/// How many of a pipeline's newest finished builds failed in a row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureStreak {
    pub pipeline: String,
    /// 0 when the newest finished build succeeded.
    pub failed: u32,
    /// The newest finished (not cancelled) build: the last failure of a
    /// streak, or the success that ended it.
    pub last_id: String,
    pub last_commit: String,
    pub last_finished_millis: i64,
}

/// One event as stored, for the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredBuild {
    pub id: String,
    pub pipeline: String,
    pub kind: String,
    pub status: String,
    pub commit: String,
    pub started_at_ms: i64,
    /// A running build's is its start.
    pub finished_at_ms: i64,
    /// Milliseconds per stage.
    pub stages: BTreeMap<String, u64>,
    pub received_at_ms: i64,
}

#[derive(Deserialize)]
struct FinishedRow {
    pipeline: String,
    status: String,
    id: String,
    commit: String,
    finished_ms: i64,
}

#[derive(Deserialize)]
struct LastDeploy {
    finished_ms: Option<i64>,
}

impl Queries {
    /// Per pipeline of `kind` (or only `pipeline`), the failure streak
    /// counted back from the newest finished build by `FinishedAt`.
    /// Cancelled builds neither fail nor break a streak and running ones
    /// have not finished, so only successes and failures are read; a
    /// pipeline with none of them has no streak.
    pub async fn consecutive_failures(
        &self,
        kind: BuildKind,
        pipeline: Option<&str>,
    ) -> Result<Vec<FailureStreak>, QueryError> {
        let only_pipeline = match pipeline {
            Some(_) => "AND Pipeline = {pipeline:String}",
            None => "",
        };
        let sql = format!(
            "SELECT toString(Pipeline) AS pipeline, toString(Status) AS status, Id AS id, \
                    Commit AS commit, toUnixTimestamp64Milli(FinishedAt) AS finished_ms \
             FROM builds FINAL \
             WHERE Kind = {{kind:String}} AND Status IN ('success', 'failed') {only_pipeline} \
             ORDER BY Pipeline, FinishedAt DESC, ReceivedAt DESC \
             LIMIT {{depth:UInt32}} BY Pipeline"
        );
        let mut query = self
            .query(&sql)
            .param("kind", kind.as_str())
            .param("depth", STREAK_DEPTH);
        if let Some(pipeline) = pipeline {
            query = query.param("pipeline", pipeline);
        }
        let rows: Vec<FinishedRow> = fetch_json(query, "build failure streaks").await?;
        Ok(streaks(rows))
    }

    /// When the newest successful deploy finished (at or before
    /// `before_millis` when given), in Unix ms; `None` without one.
    pub async fn last_deploy_millis(
        &self,
        before_millis: Option<i64>,
    ) -> Result<Option<i64>, QueryError> {
        let before = match before_millis {
            Some(_) => "AND FinishedAt <= fromUnixTimestamp64Milli({before:Int64})",
            None => "",
        };
        let mut query = self.query(&format!(
            "SELECT maxOrNull(toUnixTimestamp64Milli(FinishedAt)) AS finished_ms \
             FROM builds FINAL WHERE Kind = 'deploy' AND Status = 'success' {before}"
        ));
        if let Some(before) = before_millis {
            query = query.param("before", before);
        }
        let rows: Vec<LastDeploy> = fetch_json(query, "last deploy").await?;
        Ok(rows.into_iter().next().and_then(|row| row.finished_ms))
    }

    /// The newest `limit` events, by start, newest first.
    pub async fn recent_builds(&self, limit: u32) -> Result<Vec<StoredBuild>, QueryError> {
        fetch_json(
            self.query(
                "SELECT Id AS id, toString(Pipeline) AS pipeline, toString(Kind) AS kind, \
                        toString(Status) AS status, Commit AS commit, \
                        toUnixTimestamp64Milli(StartedAt) AS started_at_ms, \
                        toUnixTimestamp64Milli(FinishedAt) AS finished_at_ms, \
                        CAST(Stages, 'Map(String, UInt64)') AS stages, \
                        toUnixTimestamp64Milli(ReceivedAt) AS received_at_ms \
                 FROM builds FINAL \
                 ORDER BY StartedAt DESC, Id \
                 LIMIT {limit:UInt32}",
            )
            .param("limit", limit),
            "recent builds",
        )
        .await
    }
}

/// Rows sorted by pipeline, newest first within one → one streak each.
fn streaks(rows: Vec<FinishedRow>) -> Vec<FailureStreak> {
    let mut out: Vec<FailureStreak> = Vec::new();
    let mut statuses: Vec<Vec<BuildStatus>> = Vec::new();
    for row in rows {
        // Only success and failed are read; anything else would not count.
        let status = BuildStatus::parse(&row.status).unwrap_or(BuildStatus::Cancelled);
        match out.last() {
            Some(last) if last.pipeline == row.pipeline => {
                if let Some(current) = statuses.last_mut() {
                    current.push(status);
                }
            }
            _ => {
                out.push(FailureStreak {
                    pipeline: row.pipeline,
                    failed: 0,
                    last_id: row.id,
                    last_commit: row.commit,
                    last_finished_millis: row.finished_ms,
                });
                statuses.push(vec![status]);
            }
        }
    }
    for (streak, statuses) in out.iter_mut().zip(statuses) {
        streak.failed = failure_streak(statuses);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(pipeline: &str, status: &str, id: &str, finished_ms: i64) -> FinishedRow {
        FinishedRow {
            pipeline: pipeline.into(),
            status: status.into(),
            id: id.into(),
            commit: format!("c{id}"),
            finished_ms,
        }
    }

    #[test]
    fn each_pipeline_gets_its_streak_and_newest_build() {
        let got = streaks(vec![
            row("api", "failed", "9", 900),
            row("api", "failed", "8", 800),
            row("api", "success", "7", 700),
            row("api", "failed", "6", 600),
            row("site", "success", "3", 300),
            row("site", "failed", "2", 200),
        ]);
        assert_eq!(
            got,
            [
                FailureStreak {
                    pipeline: "api".into(),
                    failed: 2,
                    last_id: "9".into(),
                    last_commit: "c9".into(),
                    last_finished_millis: 900,
                },
                FailureStreak {
                    pipeline: "site".into(),
                    failed: 0,
                    last_id: "3".into(),
                    last_commit: "c3".into(),
                    last_finished_millis: 300,
                },
            ]
        );
        assert!(streaks(Vec::new()).is_empty());
    }
}
