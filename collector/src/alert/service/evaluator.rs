//! The evaluation loop of one collector: each tick it heartbeats, shares
//! its window aggregates and merges the others', decides who leads and,
//! when leading, evaluates the rules and hands notifications on. Its
//! design is in the parent module's doc and ARCHITECTURE.md.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::query_rules::QueryRules;
use super::tables::AlertTables;
use super::{leader, AlertFeed, AlertStats};
use crate::alert::engine::{Engine, EngineSettings, Observation, Silence};
use crate::alert::rules::{RuleSet, WindowKind};
use crate::alert::AlertConfig;
use crate::clock::now_millis;
use crate::notify::Notifier;
use crate::store::queries::Queries;

pub(super) struct EvalSettings {
    interval: Duration,
    query_interval_millis: i64,
    lease_millis: i64,
    notify_deadline: Duration,
}

impl From<&AlertConfig> for EvalSettings {
    fn from(config: &AlertConfig) -> Self {
        Self {
            interval: Duration::from_millis(config.evaluation_interval_ms),
            query_interval_millis: i64::try_from(config.query_interval_ms).unwrap_or(i64::MAX),
            lease_millis: i64::try_from(config.peer_lease_ms).unwrap_or(i64::MAX),
            notify_deadline: config.delivery.send_timeout(),
        }
    }
}

pub(super) struct Evaluator {
    pub(super) settings: EvalSettings,
    pub(super) engine_settings: EngineSettings,
    pub(super) tables: AlertTables,
    pub(super) queries: Queries,
    pub(super) notifier: Option<Notifier>,
    pub(super) stats: Arc<AlertStats>,
    pub(super) feed: AlertFeed,
    pub(super) rules: watch::Receiver<Arc<RuleSet>>,
    pub(super) current_rules: Arc<RuleSet>,
    /// Present while this collector leads.
    pub(super) engine: Option<Engine>,
    pub(super) started_at: i64,
    /// This collector's flushes, numbered.
    pub(super) seq: u64,
    /// The newest flush merged from each other collector.
    pub(super) peer_seen: HashMap<String, u64>,
    /// Peers' flushes are read from a little before the last read.
    pub(super) peer_cursor: Option<i64>,
    pub(super) leading: bool,
    pub(super) query_rules: QueryRules,
    pub(super) query_observations: Vec<Observation>,
    pub(super) last_query: Option<i64>,
    pub(super) silences: Vec<Silence>,
}

/// Peers' flushes may become visible a little out of order; reads overlap.
const PEER_READ_OVERLAP_MILLIS: i64 = 10_000;

impl Evaluator {
    pub(super) async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut ticks = tokio::time::interval(self.settings.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.wait_for(|stop| *stop) => break,
                _ = ticks.tick() => {}
            }
            let now = now_millis();
            self.take_new_rules();
            self.sync(now).await;
            if self.leading {
                self.evaluate(now).await;
            }
        }
        let now = now_millis();
        self.flush(now).await;
        if let Err(error) = self.tables.heartbeat(self.started_at, now, false).await {
            tracing::warn!(%error, "could not tell other collectors this one is leaving");
        }
        if let Some(notifier) = self.notifier.take() {
            notifier.shutdown(self.settings.notify_deadline).await;
        }
    }

    fn take_new_rules(&mut self) {
        if !self.rules.has_changed().unwrap_or(false) {
            return;
        }
        let rules = Arc::clone(&self.rules.borrow_and_update());
        self.feed.lock().replace_rules(&rules);
        if let Some(engine) = &self.engine {
            let state = engine.state().clone();
            self.engine = Some(Engine::restore(&rules, self.engine_settings.clone(), state));
        }
        self.last_query = None;
        self.current_rules = rules;
    }

    /// Heartbeat, flush this collector's aggregates, merge the others',
    /// and decide who leads. ClickHouse failing leaves leadership as it was.
    async fn sync(&mut self, now: i64) {
        if let Err(error) = self.tables.heartbeat(self.started_at, now, true).await {
            tracing::warn!(%error, "alert heartbeat not recorded");
        }
        self.flush(now).await;
        self.merge_peers(now).await;
        match self
            .tables
            .live_instances(now - self.settings.lease_millis)
            .await
        {
            Ok(live) => {
                let leads = leader::leads(
                    &live,
                    self.tables.instance(),
                    self.started_at,
                    now,
                    self.settings.lease_millis,
                );
                if leads != self.leading {
                    tracing::info!(
                        instance = self.tables.instance(),
                        collectors = live.len(),
                        "{}",
                        if leads {
                            "this collector now evaluates alerts"
                        } else {
                            "another collector evaluates alerts"
                        }
                    );
                    if !leads {
                        self.engine = None;
                    }
                    self.leading = leads;
                    self.stats.set_leader(leads);
                }
            }
            Err(error) => tracing::warn!(%error, "could not read which collectors are alive"),
        }
    }

    async fn flush(&mut self, now: i64) {
        let deltas = self.feed.lock().take_local_delta();
        if deltas.is_empty() {
            return;
        }
        self.seq += 1;
        if let Err(error) = self.tables.flush_deltas(self.seq, now, &deltas).await {
            // Only other collectors (and a restart) miss them: this one
            // has them in its windows already.
            tracing::warn!(%error, series = deltas.len(), "window aggregates not shared");
        }
    }

    async fn merge_peers(&mut self, now: i64) {
        let since = match self.peer_cursor {
            Some(cursor) => cursor - PEER_READ_OVERLAP_MILLIS,
            None => now - max_window_millis(&self.current_rules),
        };
        match self.tables.peer_deltas(since).await {
            Ok(flushes) => {
                let mut windows = self.feed.lock();
                for flush in flushes {
                    let seen = self.peer_seen.entry(flush.instance).or_insert(0);
                    if flush.seq <= *seen {
                        continue;
                    }
                    *seen = flush.seq;
                    for delta in &flush.deltas {
                        windows.merge_peer_delta(delta);
                    }
                }
                self.peer_cursor = Some(now);
            }
            Err(error) => tracing::warn!(%error, "other collectors' aggregates not read"),
        }
    }

    async fn evaluate(&mut self, now: i64) {
        if self.engine.is_none() {
            match self.tables.load_state().await {
                Ok(state) => {
                    let state = state.unwrap_or_default();
                    tracing::info!(alerts = state.alerts.len(), "alert state restored");
                    self.engine = Some(Engine::restore(
                        &self.current_rules,
                        self.engine_settings.clone(),
                        state,
                    ));
                    self.last_query = None;
                }
                Err(error) => {
                    // Without the saved state a firing alert would be told
                    // again: wait for ClickHouse.
                    tracing::warn!(%error, "alert state not readable; evaluation waits");
                    return;
                }
            }
        }
        let query_due = self
            .last_query
            .is_none_or(|last| now - last >= self.settings.query_interval_millis);
        if query_due {
            let budget = Duration::from_millis(
                u64::try_from(self.settings.query_interval_millis).unwrap_or(u64::MAX),
            );
            let round =
                self.query_rules
                    .observe(&self.queries, &self.current_rules, &self.stats, now);
            match tokio::time::timeout(budget, round).await {
                Ok(observations) => self.query_observations = observations,
                Err(_) => {
                    self.stats.rule_failed();
                    tracing::warn!("alert rule queries took longer than alert.query_interval_ms")
                }
            }
            self.last_query = Some(now);
        }
        match self.tables.silences(now).await {
            Ok(silences) => self.silences = silences,
            Err(error) => tracing::warn!(%error, "silences not read; the last ones apply"),
        }
        let mut observations = {
            let mut windows = self.feed.lock();
            let observations = windows.observations(now);
            self.stats
                .set_series(windows.series_count(), windows.dropped_series());
            observations
        };
        observations.extend(self.query_observations.iter().cloned());
        let Some(engine) = self.engine.as_mut() else {
            return;
        };
        let out = engine.tick(now, &observations, &self.silences);
        self.stats.evaluated();
        if out.events.is_empty() && out.notifications.is_empty() {
            return;
        }
        // Saved before anything is sent: a collector taking over from here
        // knows what was told.
        if let Err(error) = self.tables.save(now, engine.state(), &out.events).await {
            tracing::error!(%error, "alert state not saved; a restart may repeat or miss notifications");
        }
        if let Some(notifier) = &self.notifier {
            for notification in out.notifications {
                notifier.dispatch(notification);
            }
        }
    }
}

/// The longest window of the window rules: how far back a collector
/// reads the others' aggregates when it starts.
fn max_window_millis(rules: &RuleSet) -> i64 {
    rules
        .window_rules()
        .map(|(_, kind)| match kind {
            WindowKind::Threshold(watched) => watched.window.0,
        })
        .max()
        .unwrap_or(0)
}
