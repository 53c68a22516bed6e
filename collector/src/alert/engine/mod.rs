//! The alert lifecycle, pure: no clock, no I/O. Each [`Engine::tick`] takes
//! the time and the current observations (per rule and label set: a value
//! or none) and returns the notifications to send and the events to
//! persist. An alert goes inactive → pending (for the rule's `for`) →
//! firing → resolved; it is identified by the fingerprint of its labels.

mod dispatch;
mod silence;
mod state;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

pub use silence::{Matcher, MatcherError, Silence};
pub use state::{AlertEvent, EngineState, GroupState, Phase, TrackedAlert};

use super::duration::Millis;
use super::rules::{Rule, RuleSet};
use crate::model::alert::{Alert, AlertStatus, LabelSet, Notification, Severity};

/// Alertmanager's route settings, Alertmanager's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineSettings {
    /// Alerts with the same values of these labels notify together.
    pub group_by: Vec<String>,
    pub group_wait: Millis,
    pub group_interval: Millis,
    pub repeat_interval: Millis,
    /// Copied into every notification.
    pub external_url: String,
}

impl Default for EngineSettings {
    fn default() -> Self {
        Self {
            group_by: vec!["alertname".into()],
            group_wait: Millis::from_secs(30),
            group_interval: Millis::from_secs(300),
            repeat_interval: Millis::from_secs(4 * 3600),
            external_url: String::new(),
        }
    }
}

/// One series of one rule at this tick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub rule: String,
    /// The series' labels (e.g. `service`), not `alertname`/`severity`.
    pub labels: LabelSet,
    /// The current value; `None` when there is no data or nothing to
    /// report. A series missing from a tick does not breach either.
    pub value: Option<f64>,
    /// What the alert says about the series without it being part of the
    /// alert's identity (an error group's message, its release): they may
    /// change while the series lasts, and a changed label set would be a
    /// new alert. Annotations carry them; templates read `$details.<name>`.
    pub details: LabelSet,
    pub example_trace_id: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TickOutput {
    pub notifications: Vec<Notification>,
    pub events: Vec<AlertEvent>,
}

pub struct Engine {
    rules: BTreeMap<String, Rule>,
    settings: EngineSettings,
    state: EngineState,
}

/// One alert instance breaching now.
struct Breach<'a> {
    rule: &'a Rule,
    labels: LabelSet,
    severity: Severity,
    value: f64,
    details: LabelSet,
    example_trace_id: Option<String>,
}

impl Engine {
    pub fn new(rules: &RuleSet, settings: EngineSettings) -> Self {
        Self::restore(rules, settings, EngineState::default())
    }

    /// Continues from a persisted state: firing alerts stay firing and
    /// their groups remember what was sent.
    pub fn restore(rules: &RuleSet, settings: EngineSettings, state: EngineState) -> Self {
        Self {
            rules: rules
                .rules
                .iter()
                .map(|r| (r.name.clone(), r.clone()))
                .collect(),
            settings,
            state,
        }
    }

    pub fn state(&self) -> &EngineState {
        &self.state
    }

    pub fn settings(&self) -> &EngineSettings {
        &self.settings
    }

    /// One evaluation at `now_millis`. Silences are passed in (they are
    /// managed elsewhere); only those active at `now_millis` mute.
    pub fn tick(
        &mut self,
        now_millis: i64,
        observations: &[Observation],
        silences: &[Silence],
    ) -> TickOutput {
        let mut out = TickOutput::default();
        let Self {
            rules,
            settings,
            state,
        } = self;
        let mut breaches = breaches(rules, observations);
        hold_criticals(state, &mut breaches);
        for (fingerprint, breach) in &breaches {
            observe(
                state,
                settings,
                fingerprint,
                breach,
                now_millis,
                &mut out.events,
            );
        }
        for (fingerprint, tracked) in state.alerts.iter_mut() {
            if breaches.contains_key(fingerprint) {
                continue;
            }
            let keep_firing_for = rules
                .get(tracked.alert.name())
                .map_or(0, |rule| rule.keep_firing_for.0);
            match tracked.phase {
                Phase::Firing
                    if now_millis.saturating_sub(tracked.last_breach_millis) < keep_firing_for => {}
                Phase::Pending => {
                    out.events.push(AlertEvent::Cleared {
                        at_millis: now_millis,
                        fingerprint: fingerprint.clone(),
                    });
                }
                Phase::Firing => {
                    tracked.phase = Phase::Resolved;
                    tracked.alert.status = AlertStatus::Resolved;
                    tracked.alert.ends_at_millis = Some(now_millis);
                    out.events.push(AlertEvent::Resolved {
                        at_millis: now_millis,
                        alert: tracked.alert.clone(),
                    });
                }
                Phase::Resolved => {}
            }
        }
        state
            .alerts
            .retain(|fp, t| t.phase != Phase::Pending || breaches.contains_key(fp));
        dispatch::flush_due_groups(
            state,
            settings,
            silences,
            now_millis,
            &mut out.notifications,
            &mut out.events,
        );
        out
    }
}

/// Every alert instance breaching now, by fingerprint; the same labels
/// observed twice are one alert (the last value wins).
fn breaches<'a>(
    rules: &'a BTreeMap<String, Rule>,
    observations: &[Observation],
) -> BTreeMap<String, Breach<'a>> {
    let mut breaches = BTreeMap::new();
    for observation in observations {
        let (Some(rule), Some(value)) = (rules.get(&observation.rule), observation.value) else {
            continue;
        };
        for severity in rule.breached(value) {
            let labels = rule.alert_labels(&observation.labels, severity);
            breaches.insert(
                Alert::fingerprint_of(&labels),
                Breach {
                    rule,
                    labels,
                    severity,
                    value,
                    details: observation.details.clone(),
                    example_trace_id: observation.example_trace_id.clone(),
                },
            );
        }
    }
    breaches
}

/// A firing critical alert stays firing while its series still breaches
/// the warning level: it resolves when the value is back to normal, so a
/// rate falling through the warning band is one alert, told once, not a
/// resolved critical followed by a new warning.
fn hold_criticals<'a>(state: &EngineState, breaches: &mut BTreeMap<String, Breach<'a>>) {
    let mut held = Vec::new();
    for (fingerprint, tracked) in &state.alerts {
        if tracked.phase != Phase::Firing
            || tracked.alert.severity() != Some(Severity::Critical)
            || breaches.contains_key(fingerprint)
        {
            continue;
        }
        let mut warning_labels = tracked.alert.labels.clone();
        warning_labels.insert("severity".into(), Severity::Warning.as_str().into());
        if let Some(warning) = breaches.get(&Alert::fingerprint_of(&warning_labels)) {
            held.push((
                fingerprint.clone(),
                Breach {
                    rule: warning.rule,
                    labels: tracked.alert.labels.clone(),
                    severity: Severity::Critical,
                    value: warning.value,
                    details: warning.details.clone(),
                    example_trace_id: warning.example_trace_id.clone(),
                },
            ));
        }
    }
    breaches.extend(held);
}

fn observe(
    state: &mut EngineState,
    settings: &EngineSettings,
    fingerprint: &str,
    breach: &Breach<'_>,
    now_millis: i64,
    events: &mut Vec<AlertEvent>,
) {
    let annotations = breach
        .rule
        .expand_annotations(&breach.labels, &breach.details, breach.value);
    let tracked = match state.alerts.get_mut(fingerprint) {
        Some(t) if t.phase != Phase::Resolved => t,
        // New, or breaching again after a resolution not yet told:
        // a new episode with a new start.
        _ => {
            let (group_key, _) = dispatch::group_of(settings, &breach.labels);
            events.push(AlertEvent::Pending {
                at_millis: now_millis,
                fingerprint: fingerprint.to_owned(),
                labels: breach.labels.clone(),
            });
            state.alerts.insert(
                fingerprint.to_owned(),
                TrackedAlert {
                    phase: Phase::Pending,
                    active_since_millis: now_millis,
                    last_breach_millis: now_millis,
                    group_key,
                    alert: Alert {
                        fingerprint: fingerprint.to_owned(),
                        labels: breach.labels.clone(),
                        annotations: LabelSet::new(),
                        status: AlertStatus::Firing,
                        value: breach.value,
                        threshold: breach.rule.threshold_words(breach.severity),
                        starts_at_millis: now_millis,
                        ends_at_millis: None,
                        example_trace_id: None,
                    },
                },
            );
            match state.alerts.get_mut(fingerprint) {
                Some(t) => t,
                None => return,
            }
        }
    };
    tracked.alert.value = breach.value;
    tracked.last_breach_millis = now_millis;
    tracked.alert.annotations = annotations;
    if breach.example_trace_id.is_some() {
        tracked.alert.example_trace_id = breach.example_trace_id.clone();
    }
    let held_for = now_millis.saturating_sub(tracked.active_since_millis);
    if tracked.phase == Phase::Pending && held_for >= breach.rule.for_.0 {
        tracked.phase = Phase::Firing;
        events.push(AlertEvent::Firing {
            at_millis: now_millis,
            alert: tracked.alert.clone(),
        });
        let key = tracked.group_key.clone();
        let (_, group_labels) = dispatch::group_of(settings, &breach.labels);
        dispatch::ensure_group(state, settings, &key, &group_labels, now_millis);
    }
}
