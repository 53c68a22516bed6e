//! Serving the rules that read ClickHouse rather than the streaming
//! windows (`RuleSet::query_rules`). Each rule is queried on its own; a
//! rule whose query fails keeps its previous observations, so a slow or
//! failing ClickHouse neither fires nor resolves anything. Each failure is
//! logged and counted (`jamscope_alert_rule_failures_total`).

use std::collections::BTreeMap;

use super::observe::observe_query;
use super::AlertStats;
use crate::alert::engine::Observation;
use crate::alert::rules::RuleSet;
use crate::store::queries::Queries;

#[derive(Default)]
pub struct QueryRules {
    /// The last good observations, by rule.
    last: BTreeMap<String, Vec<Observation>>,
}

impl QueryRules {
    /// Queries every rule that needs ClickHouse and returns all their
    /// observations (the previous ones for rules whose query failed).
    pub async fn observe(
        &mut self,
        queries: &Queries,
        rules: &RuleSet,
        stats: &AlertStats,
        now_millis: i64,
    ) -> Vec<Observation> {
        self.last
            .retain(|name, _| rules.rules.iter().any(|r| &r.name == name));
        for (rule, kind) in rules.query_rules() {
            match observe_query(queries, rule, kind, now_millis).await {
                Ok(observations) => {
                    self.last.insert(rule.name.clone(), observations);
                }
                Err(error) => {
                    stats.rule_failed();
                    tracing::warn!(rule = %rule.name, %error, "alert rule query failed; keeping its last result");
                }
            }
        }
        self.last.values().flatten().cloned().collect()
    }
}
