//! TEMPORARY stand-in until the windows branch is merged.
#![allow(unused, clippy::all)]
use crate::alert::engine::Observation;
use crate::alert::rules::RuleSet;
use crate::model::alert::LabelSet;
use crate::model::rum::{RumRecord, Vital};
use crate::model::Span;
use crate::store::queries::KpiSettings;

pub struct Windows;
impl Windows {
    pub fn new(rules: &RuleSet, kpi: &KpiSettings, max_series: usize) -> Self {
        Windows
    }
    pub fn replace_rules(&mut self, rules: &RuleSet) {}
    pub fn record_spans(&mut self, spans: &[Span], now_millis: i64) {}
    pub fn record_vitals(&mut self, vitals: &[RumRecord<Vital>], now_millis: i64) {}
    pub fn observations(&mut self, now_millis: i64) -> Vec<Observation> {
        vec![]
    }
    pub fn take_local_delta(&mut self) -> Vec<SeriesDelta> {
        vec![]
    }
    pub fn merge_peer_delta(&mut self, delta: &SeriesDelta) {}
    pub fn series_count(&self) -> usize {
        0
    }
    pub fn dropped_series(&self) -> u64 {
        0
    }
}
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SeriesDelta {
    pub rule: String,
    pub labels: LabelSet,
}
