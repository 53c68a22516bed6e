//! Which receivers hear about which alerts: `[[alert.routes]]` match an
//! alert's labels (every `match` pair equal; an empty `match` matches all)
//! and name receivers. Every matching route contributes its receivers; an
//! alert no route matches goes to every configured receiver (the default
//! route), so nothing is silently lost. Pure functions, no I/O.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::alert::{Alert, AlertStatus, LabelSet, Notification};

use super::receiver::{KeyProblem, ReceiverKind};

/// One `[[alert.routes]]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    /// Label → value, all equal for an alert to match; empty matches all.
    #[serde(rename = "match", default)]
    pub matchers: LabelSet,
    pub receivers: Vec<ReceiverKind>,
}

impl RouteConfig {
    /// The route at `index` names at least one receiver, each configured.
    pub fn validate(&self, index: usize, configured: &[ReceiverKind]) -> Result<(), KeyProblem> {
        if self.receivers.is_empty() {
            return Err((
                "alert.routes",
                format!("[{index}].receivers must name at least one receiver"),
            ));
        }
        if let Some(missing) = self.receivers.iter().find(|r| !configured.contains(r)) {
            return Err((
                "alert.routes",
                format!(
                    "[{index}].receivers names `{}`, which is not configured",
                    missing.as_str()
                ),
            ));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Routes {
    routes: Vec<(LabelSet, Vec<ReceiverKind>)>,
    /// The receivers configured: the default route, and the only ones a
    /// route can reach.
    configured: Vec<ReceiverKind>,
}

impl Routes {
    pub fn new(routes: &[RouteConfig], configured: &[ReceiverKind]) -> Self {
        Self {
            routes: routes
                .iter()
                .map(|r| (r.matchers.clone(), r.receivers.clone()))
                .collect(),
            configured: configured.to_vec(),
        }
    }

    /// The receivers one alert goes to.
    pub fn receivers_of(&self, labels: &LabelSet) -> BTreeSet<ReceiverKind> {
        let mut chosen = BTreeSet::new();
        let mut matched = false;
        for (matchers, receivers) in &self.routes {
            if matchers.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                matched = true;
                chosen.extend(receivers.iter().copied());
            }
        }
        if !matched {
            chosen.extend(self.configured.iter().copied());
        }
        chosen.retain(|kind| self.configured.contains(kind));
        chosen
    }

    /// The part of `notification` routed to `kind`: only its alerts that go
    /// there, with the group's status recomputed from them. `None` when no
    /// alert goes there.
    pub fn for_receiver(
        &self,
        notification: &Notification,
        kind: ReceiverKind,
    ) -> Option<Notification> {
        let alerts: Vec<Alert> = notification
            .alerts
            .iter()
            .filter(|a| self.receivers_of(&a.labels).contains(&kind))
            .cloned()
            .collect();
        if alerts.is_empty() {
            return None;
        }
        let status = if alerts.iter().any(|a| a.status == AlertStatus::Firing) {
            AlertStatus::Firing
        } else {
            AlertStatus::Resolved
        };
        Some(Notification {
            group_key: notification.group_key.clone(),
            status,
            group_labels: notification.group_labels.clone(),
            alerts,
            external_url: notification.external_url.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{alert, labels, notification};
    use super::*;
    use ReceiverKind::*;

    fn example() -> Routes {
        Routes::new(
            &[
                RouteConfig {
                    matchers: labels(&[("severity", "critical")]),
                    receivers: vec![PagerDuty, Email],
                },
                RouteConfig {
                    matchers: LabelSet::new(),
                    receivers: vec![Webhook],
                },
            ],
            &[Email, Webhook, PagerDuty, Slack],
        )
    }

    #[test]
    fn every_matching_route_contributes() {
        let routes = example();
        let critical = labels(&[("alertname", "X"), ("severity", "critical")]);
        assert_eq!(
            routes.receivers_of(&critical),
            BTreeSet::from([Email, Webhook, PagerDuty])
        );
        let warning = labels(&[("alertname", "X"), ("severity", "warning")]);
        assert_eq!(routes.receivers_of(&warning), BTreeSet::from([Webhook]));
    }

    #[test]
    fn unmatched_alerts_take_the_default_route() {
        let routes = Routes::new(
            &[RouteConfig {
                matchers: labels(&[("severity", "critical")]),
                receivers: vec![PagerDuty],
            }],
            &[Email, PagerDuty],
        );
        let warning = labels(&[("severity", "warning")]);
        assert_eq!(
            routes.receivers_of(&warning),
            BTreeSet::from([Email, PagerDuty])
        );
        // No routes at all: everything configured.
        let all = Routes::new(&[], &[Email, Slack]);
        assert_eq!(all.receivers_of(&warning), BTreeSet::from([Email, Slack]));
    }

    #[test]
    fn only_configured_receivers_are_chosen() {
        let routes = Routes::new(
            &[RouteConfig {
                matchers: LabelSet::new(),
                receivers: vec![PagerDuty, Webhook],
            }],
            &[Webhook],
        );
        assert_eq!(
            routes.receivers_of(&LabelSet::new()),
            BTreeSet::from([Webhook])
        );
    }

    #[test]
    fn a_receiver_gets_only_its_alerts() {
        let routes = example();
        let mut n = notification(AlertStatus::Firing);
        let mut warning = alert(AlertStatus::Resolved);
        warning.labels.insert("severity".into(), "warning".into());
        n.alerts.push(warning);
        let paged = routes.for_receiver(&n, PagerDuty).expect("critical alert");
        assert_eq!(paged.alerts.len(), 1);
        assert_eq!(paged.status, AlertStatus::Firing);
        let hooked = routes.for_receiver(&n, Webhook).expect("all alerts");
        assert_eq!(hooked.alerts.len(), 2);
        assert_eq!(routes.for_receiver(&n, Slack), None);

        // Only the resolved warning left: the webhook part is resolved.
        n.alerts.remove(0);
        let hooked = routes.for_receiver(&n, Webhook).expect("warning");
        assert_eq!(hooked.status, AlertStatus::Resolved);
        assert_eq!(routes.for_receiver(&n, PagerDuty), None);
    }
}
