//! Alerting at run time: the rules (reloaded on change and SIGHUP), the
//! streaming windows the ingest path feeds ([`AlertFeed`]), one evaluation
//! loop, and the notifier it hands notifications to.
//!
//! Every collector records what it ingests into its windows and flushes
//! the aggregates to ClickHouse each evaluation; every collector merges
//! the others' aggregates, so each sees all the traffic. Only the leader
//! (the oldest live collector, see `leader.rs`) runs the engine, saves its
//! state and notifies: one alert stream however many collectors share the
//! traffic. A collector that becomes leader (at start, after a restart, or
//! when the leader is gone) continues from the saved state, so a firing
//! alert is neither lost nor told twice.

mod evaluator;
mod feed;
mod leader;
mod metric_rule;
mod observe;
mod query_rules;
mod reload;
mod sql_rule;
mod stats;
mod tables;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use feed::AlertFeed;
pub use observe::observe_rule;
pub use stats::AlertStats;
pub use tables::{AlertTables, PeerDeltas, SaveError};

use crate::alert::rules::RuleSet;
use crate::alert::window::Windows;
use crate::alert::AlertConfig;
use crate::clock::now_millis;
use crate::model::kpi::KpiSettings;
use crate::notify::Notifier;
use crate::store::queries::Queries;
use evaluator::{EvalSettings, Evaluator};
use query_rules::QueryRules;

/// What the alert service is built from.
pub struct AlertParts {
    pub config: AlertConfig,
    pub kpi: KpiSettings,
    pub tables: AlertTables,
    pub queries: Queries,
    pub notifier: Notifier,
    pub stats: Arc<AlertStats>,
}

pub struct AlertService {
    feed: AlertFeed,
    rules: watch::Receiver<Arc<RuleSet>>,
    stop: watch::Sender<bool>,
    evaluator: JoinHandle<()>,
    reloader: JoinHandle<()>,
}

impl AlertService {
    /// Loads the rules and starts the evaluation loop and the rules watcher.
    pub fn start(parts: AlertParts) -> Self {
        let rules = Arc::new(reload::initial(&parts.config.rules_dir));
        let windows = Windows::new(&rules, &parts.kpi, parts.config.max_series);
        let feed = AlertFeed::new(windows);
        let (rules_tx, rules_rx) = watch::channel(Arc::clone(&rules));
        let (stop, stop_rx) = watch::channel(false);
        let rules_view = rules_rx.clone();
        let reloader = tokio::spawn(reload::watch_dir(
            parts.config.rules_dir.clone(),
            rules_tx,
            stop_rx.clone(),
        ));
        let started_at = now_millis();
        let evaluator = Evaluator {
            settings: EvalSettings::from(&parts.config),
            engine_settings: parts.config.engine_settings(),
            tables: parts.tables,
            queries: parts.queries,
            notifier: Some(parts.notifier),
            stats: parts.stats,
            feed: feed.clone(),
            rules: rules_rx,
            current_rules: rules,
            engine: None,
            started_at,
            seq: 0,
            peer_seen: HashMap::new(),
            peer_cursor: None,
            leading: false,
            query_rules: QueryRules::default(),
            query_observations: Vec::new(),
            last_query: None,
            silences: Vec::new(),
        };
        Self {
            feed,
            rules: rules_view,
            stop,
            evaluator: tokio::spawn(evaluator.run(stop_rx)),
            reloader,
        }
    }

    pub fn feed(&self) -> AlertFeed {
        self.feed.clone()
    }

    /// The rules being evaluated, current after every reload.
    pub fn rules(&self) -> watch::Receiver<Arc<RuleSet>> {
        self.rules.clone()
    }

    /// Stops evaluating, flushes this collector's last aggregates, says it
    /// is leaving, and gives queued notifications until `deadline`.
    pub async fn shutdown(self, deadline: Duration) {
        let _ = self.stop.send(true);
        let _ = self.reloader.await;
        if tokio::time::timeout(deadline, self.evaluator)
            .await
            .is_err()
        {
            tracing::warn!("alert evaluation did not stop in time");
        }
    }
}
