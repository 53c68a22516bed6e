//! From alert phases to notifications: which alerts are muted (silenced,
//! or inhibited by the critical of the same alert), and when a group
//! speaks: first after `group_wait`, then changes batched every
//! `group_interval`, a still-firing group again after `repeat_interval`;
//! a resolution is told once, then forgotten.

use std::collections::BTreeSet;

use super::silence::Silence;
use super::state::{AlertEvent, EngineState, GroupState, Phase};
use super::EngineSettings;
use crate::model::alert::{Alert, AlertStatus, LabelSet, Notification, Severity};

/// The group an alert belongs to: its `group_by` labels, as
/// `{alertname="X",service="api"}`.
pub(super) fn group_of(settings: &EngineSettings, labels: &LabelSet) -> (String, LabelSet) {
    let group_labels: LabelSet = settings
        .group_by
        .iter()
        .filter_map(|name| labels.get(name).map(|v| (name.clone(), v.clone())))
        .collect();
    let key = group_labels
        .iter()
        .map(|(k, v)| format!("{k}={v:?}"))
        .collect::<Vec<_>>()
        .join(",");
    (format!("{{{key}}}"), group_labels)
}

/// A new group speaks first after `group_wait`.
pub(super) fn ensure_group(
    state: &mut EngineState,
    settings: &EngineSettings,
    key: &str,
    labels: &LabelSet,
    now_millis: i64,
) {
    state
        .groups
        .entry(key.to_owned())
        .or_insert_with(|| GroupState {
            labels: labels.clone(),
            next_flush_millis: now_millis.saturating_add(settings.group_wait.0),
            last_notified_millis: None,
            notified_firing: BTreeSet::new(),
        });
}

/// A warning is inhibited while a critical alert with the same labels
/// (apart from severity) fires; a silenced critical still inhibits.
fn inhibited(state: &EngineState, alert: &Alert) -> bool {
    if alert.severity() != Some(Severity::Warning) {
        return false;
    }
    let mut critical = alert.labels.clone();
    critical.insert("severity".into(), Severity::Critical.as_str().into());
    let fingerprint = Alert::fingerprint_of(&critical);
    state
        .alerts
        .get(&fingerprint)
        .is_some_and(|t| t.phase == Phase::Firing)
}

pub(super) fn flush_due_groups(
    state: &mut EngineState,
    settings: &EngineSettings,
    silences: &[Silence],
    now_millis: i64,
    notifications: &mut Vec<Notification>,
    events: &mut Vec<AlertEvent>,
) {
    let due: Vec<String> = state
        .groups
        .iter()
        .filter(|(_, g)| now_millis >= g.next_flush_millis)
        .map(|(key, _)| key.clone())
        .collect();
    for key in due {
        let mut firing = Vec::new();
        let mut resolved = Vec::new();
        let mut finished = Vec::new();
        let Some(group) = state.groups.get(&key) else {
            continue;
        };
        for (fingerprint, tracked) in state.alerts.iter().filter(|(_, t)| t.group_key == key) {
            match tracked.phase {
                Phase::Pending => {}
                Phase::Firing => {
                    let muted = Silence::mutes(silences, &tracked.alert.labels, now_millis)
                        || inhibited(state, &tracked.alert);
                    if !muted {
                        firing.push(tracked.alert.clone());
                    }
                }
                Phase::Resolved => {
                    if group.notified_firing.contains(fingerprint) {
                        resolved.push(tracked.alert.clone());
                    }
                    finished.push(fingerprint.clone());
                }
            }
        }
        // Stable order for receivers and tests: by labels.
        firing.sort_by(|a, b| a.labels.cmp(&b.labels));
        resolved.sort_by(|a, b| a.labels.cmp(&b.labels));
        let changed = !resolved.is_empty()
            || firing
                .iter()
                .any(|a| !group.notified_firing.contains(&a.fingerprint));
        let repeat_due = !firing.is_empty()
            && group
                .last_notified_millis
                .is_none_or(|last| now_millis.saturating_sub(last) >= settings.repeat_interval.0);
        let group_labels = group.labels.clone();
        for fingerprint in &finished {
            state.alerts.remove(fingerprint);
        }
        let still_has_alerts = state.alerts.values().any(|t| t.group_key == key);
        let Some(group) = state.groups.get_mut(&key) else {
            continue;
        };
        if changed || repeat_due {
            let status = if firing.is_empty() {
                AlertStatus::Resolved
            } else {
                AlertStatus::Firing
            };
            group.notified_firing = firing.iter().map(|a| a.fingerprint.clone()).collect();
            group.last_notified_millis = Some(now_millis);
            let mut alerts = firing;
            alerts.append(&mut resolved);
            events.push(AlertEvent::Notified {
                at_millis: now_millis,
                group_key: key.clone(),
                group_labels: group_labels.clone(),
                status,
                fingerprints: alerts.iter().map(|a| a.fingerprint.clone()).collect(),
            });
            notifications.push(Notification {
                group_key: key.clone(),
                status,
                group_labels,
                alerts,
                external_url: settings.external_url.clone(),
            });
        }
        group.next_flush_millis = now_millis.saturating_add(settings.group_interval.0);
        if !still_has_alerts {
            state.groups.remove(&key);
        }
    }
}
