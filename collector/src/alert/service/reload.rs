//! Keeps the rules current: reads the rules directory at start, then again
//! when a file in it changes (checked every couple of seconds: names,
//! sizes, modification times) and on SIGHUP. A directory that no longer
//! loads keeps the rules already running, and each problem is logged as
//! `file:line: what is wrong`.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::hangup::Hangup;

use crate::alert::rules::{load_dir, RuleSet};

const POLL: Duration = Duration::from_secs(2);

/// Loads `dir` once: the rules, or none (logged) if it does not load.
pub fn initial(dir: &Path) -> RuleSet {
    match load_dir(dir) {
        Ok(rules) => {
            tracing::info!(dir = %dir.display(), rules = rules.rules.len(), "alert rules loaded");
            rules
        }
        Err(errors) => {
            for error in &errors {
                tracing::error!(%error, "alert rule not loaded");
            }
            tracing::warn!(dir = %dir.display(), "no alert rules are evaluated until the rules load");
            RuleSet::default()
        }
    }
}

/// Watches `dir` until `stop`, publishing each set of rules that loads.
/// SIGHUP is taken over at once, before the future first runs, so one sent
/// right after the start reloads instead of ending the process.
pub fn watch_dir(
    dir: PathBuf,
    rules: watch::Sender<Arc<RuleSet>>,
    stop: watch::Receiver<bool>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let hangup = Hangup::listen("the alert rules");
    watch(dir, rules, stop, hangup)
}

async fn watch(
    dir: PathBuf,
    rules: watch::Sender<Arc<RuleSet>>,
    mut stop: watch::Receiver<bool>,
    mut hangup: Hangup,
) {
    let mut seen = snapshot(&dir);
    loop {
        let why = tokio::select! {
            _ = stop.wait_for(|stop| *stop) => return,
            _ = tokio::time::sleep(POLL) => {
                let now = snapshot(&dir);
                if now == seen {
                    continue;
                }
                seen = now;
                "changed"
            }
            () = hangup.next() => "SIGHUP",
        };
        match load_dir(&dir) {
            Ok(loaded) => {
                tracing::info!(dir = %dir.display(), rules = loaded.rules.len(), why, "alert rules reloaded");
                let _ = rules.send(Arc::new(loaded));
            }
            Err(errors) => {
                for error in &errors {
                    tracing::error!(%error, why, "alert rules not reloaded; the previous rules stay");
                }
            }
        }
    }
}

/// What a change to the directory changes: its rule files' names, sizes
/// and modification times.
fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, Option<SystemTime>)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries
        .filter_map(Result::ok)
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|ext| ext == "yaml" || ext == "yml")
        })
        .filter_map(|e| {
            let meta = e.metadata().ok()?;
            Some((e.path(), meta.len(), meta.modified().ok()))
        })
        .collect();
    files.sort();
    files
}
