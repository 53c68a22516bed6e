//! Build and deploy events from CI/CD: which pipeline ran, how it ended,
//! for which commit, and how long each stage took. Alert rules read them
//! (consecutive failures, the baseline before the last deploy); no wire
//! format lives here (`ingest::builds` decodes the JSON).

use std::collections::BTreeMap;
use std::fmt;

/// A build or a deploy. A resent event with the same kind, pipeline and
/// id replaces the earlier one (the latest received wins), so a CI system
/// can report `running` first and the outcome later.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Build {
    pub id: String,
    pub pipeline: String,
    pub kind: BuildKind,
    pub status: BuildStatus,
    /// The commit built or deployed; empty when the sender did not say.
    pub commit: String,
    pub started_at_millis: i64,
    /// When it ended; a running build's is its start.
    pub finished_at_millis: i64,
    /// Milliseconds per stage, for the stages the sender reported.
    pub stages: BTreeMap<Stage, u64>,
    /// When the collector took it: the version a resent event replaces by.
    pub received_at_millis: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildKind {
    Build,
    Deploy,
}

impl BuildKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildKind::Build => "build",
            BuildKind::Deploy => "deploy",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "build" => Some(BuildKind::Build),
            "deploy" => Some(BuildKind::Deploy),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BuildStatus {
    Success,
    Failed,
    Cancelled,
    Running,
}

impl BuildStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            BuildStatus::Success => "success",
            BuildStatus::Failed => "failed",
            BuildStatus::Cancelled => "cancelled",
            BuildStatus::Running => "running",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "success" => Some(BuildStatus::Success),
            "failed" => Some(BuildStatus::Failed),
            "cancelled" => Some(BuildStatus::Cancelled),
            "running" => Some(BuildStatus::Running),
            _ => None,
        }
    }
}

/// The stages a Jamstack pipeline reports; a fixed list, so dashboards
/// and rules can rely on the names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Install,
    Build,
    Images,
    Deploy,
    CacheInvalidation,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Install,
        Stage::Build,
        Stage::Images,
        Stage::Deploy,
        Stage::CacheInvalidation,
    ];

    /// `install, build, images, deploy, cache_invalidation`: for messages.
    pub const NAMES: &'static str = "install, build, images, deploy, cache_invalidation";

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Install => "install",
            Stage::Build => "build",
            Stage::Images => "images",
            Stage::Deploy => "deploy",
            Stage::CacheInvalidation => "cache_invalidation",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|stage| stage.as_str() == text)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many of a pipeline's newest finished builds failed in a row.
/// `outcomes` is newest first; cancelled builds neither fail nor break the
/// streak, running ones have not finished and are skipped too.
pub fn failure_streak(outcomes: impl IntoIterator<Item = BuildStatus>) -> u32 {
    let mut failed = 0;
    for status in outcomes {
        match status {
            BuildStatus::Failed => failed += 1,
            BuildStatus::Success => break,
            BuildStatus::Cancelled | BuildStatus::Running => {}
        }
    }
    failed
}

#[cfg(test)]
mod tests {
    use super::*;
    use BuildStatus::*;

    #[test]
    fn names_round_trip() {
        for stage in Stage::ALL {
            assert_eq!(Stage::parse(stage.as_str()), Some(stage));
            assert!(Stage::NAMES.contains(stage.as_str()));
        }
        for status in [Success, Failed, Cancelled, Running] {
            assert_eq!(BuildStatus::parse(status.as_str()), Some(status));
        }
        for kind in [BuildKind::Build, BuildKind::Deploy] {
            assert_eq!(BuildKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(Stage::parse("Install"), None);
    }

    #[test]
    fn a_streak_counts_failures_back_to_the_last_success() {
        assert_eq!(failure_streak([]), 0);
        assert_eq!(failure_streak([Success, Failed, Failed]), 0);
        assert_eq!(failure_streak([Failed, Failed, Success, Failed]), 2);
        assert_eq!(failure_streak([Failed, Cancelled, Failed, Success]), 2);
        assert_eq!(failure_streak([Cancelled, Success, Failed]), 0);
        assert_eq!(failure_streak([Running, Failed]), 1);
        assert_eq!(failure_streak([Failed, Failed, Failed]), 3);
    }
}
