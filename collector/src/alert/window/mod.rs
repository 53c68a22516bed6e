//! Sliding windows for threshold rules, fed by the ingest path. A
//! threshold rule (error rate, percentiles, request rate, cache hit ratio,
//! an attribute's average, a Web Vital's p75) must see a breach within a
//! second of the data arriving, and polling ClickHouse cannot give that
//! cheaply for every rule and series. So every accepted span and vital
//! is counted, in memory, into per-rule series (the rule's filter and
//! `group_by` labels) of time buckets; the values are the ones the KPI
//! queries in `store::queries::layers` compute, to the precision of an
//! hdrhistogram with 2 significant figures.
//!
//! Windows follow arrival time, not span time, so a late replay cannot
//! fire an alert: what ended before the window is ignored. Buckets are
//! aligned on the epoch so that several collector instances can exchange
//! what each recorded ([`SeriesDelta`], flushed through ClickHouse) and
//! the one evaluating rules sees all traffic. Pure: no clock, no I/O;
//! the caller passes the time in.

mod delta;
mod hist;
mod matcher;
mod rule;
mod series;

#[cfg(test)]
mod tests;

use hdrhistogram::Histogram;

pub use delta::SeriesDelta;

use self::matcher::{CacheKpi, SpanView, Spec};
use self::rule::{oldest_start, value, RuleState};
use self::series::Series;
use crate::alert::engine::Observation;
use crate::alert::rules::RuleSet;
use crate::model::kpi::KpiSettings;
use crate::model::metric::{Metric, SeriesLabel};
use crate::model::rum::{RumRecord, Vital};
use crate::model::Span;

/// The windows of every threshold rule.
#[derive(Debug)]
pub struct Windows {
    rules: Vec<RuleWindows>,
    /// Indexes into `rules`: the ones spans feed, and the ones vitals feed.
    span_rules: Vec<usize>,
    vital_rules: Vec<usize>,
    cache: CacheKpi,
    limit: SeriesLimit,
    /// The latest time seen: how old a peer's bucket may be.
    latest_millis: i64,
    /// Reused for every series key.
    key: Vec<u8>,
    /// Reused to merge a series' distributions.
    histogram: Option<Histogram<u32>>,
}

#[derive(Debug)]
struct RuleWindows {
    spec: Spec,
    state: RuleState,
}

#[derive(Debug)]
struct SeriesLimit {
    max: usize,
    count: usize,
    dropped: u64,
}

impl Windows {
    /// Keeps the window rules of `rules` (`RuleSet::window_rules`). `kpi`
    /// gives the CDN cache-status attribute and hit values.
    pub fn new(rules: &RuleSet, kpi: &KpiSettings, max_series: usize) -> Self {
        let mut windows = Self {
            rules: Vec::new(),
            span_rules: Vec::new(),
            vital_rules: Vec::new(),
            cache: CacheKpi::new(kpi),
            limit: SeriesLimit {
                max: max_series,
                count: 0,
                dropped: 0,
            },
            latest_millis: i64::MIN,
            key: Vec::new(),
            histogram: None,
        };
        windows.replace_rules(rules);
        windows
    }

    /// After a rule reload: keeps the series (and data) of rules whose
    /// condition did not change, drops removed ones, adds new ones empty.
    pub fn replace_rules(&mut self, rules: &RuleSet) {
        let mut old: Vec<Option<RuleWindows>> = std::mem::take(&mut self.rules)
            .into_iter()
            .map(Some)
            .collect();
        for (rule, kind) in rules.window_rules() {
            let spec = Spec::compile(rule, kind);
            let state = old
                .iter_mut()
                .find(|r| {
                    r.as_ref().is_some_and(|r| {
                        r.spec.name == spec.name && r.spec.condition == spec.condition
                    })
                })
                .and_then(Option::take)
                .map(|r| r.state)
                .unwrap_or_default();
            self.rules.push(RuleWindows { spec, state });
        }
        let rum = |r: &RuleWindows| r.spec.metric.is_rum();
        self.span_rules = (0..self.rules.len())
            .filter(|&i| !rum(&self.rules[i]))
            .collect();
        self.vital_rules = (0..self.rules.len())
            .filter(|&i| rum(&self.rules[i]))
            .collect();
        self.limit.count = self.rules.iter().map(|r| r.state.series.len()).sum();
    }

    /// Called by the ingest path with every accepted batch.
    pub fn record_spans(&mut self, spans: &[Span], now_millis: i64) {
        self.latest_millis = self.latest_millis.max(now_millis);
        if self.span_rules.is_empty() {
            return;
        }
        let Self {
            rules,
            span_rules,
            cache,
            limit,
            key,
            ..
        } = self;
        for span in spans {
            let view = SpanView::new(span);
            for &index in span_rules.iter() {
                let RuleWindows { spec, state } = &mut rules[index];
                if view.end_millis < now_millis.saturating_sub(spec.window) {
                    continue;
                }
                let Some(sample) = spec.span_sample(&view, cache) else {
                    continue;
                };
                let value = |label: SeriesLabel| Spec::span_label(&view, label);
                spec.key(key, value);
                let start = spec.bucket_start(now_millis);
                state.with_series(spec, key, limit, value, |s| s.record(start, &sample));
            }
        }
    }

    pub fn record_vitals(&mut self, vitals: &[RumRecord<Vital>], now_millis: i64) {
        self.latest_millis = self.latest_millis.max(now_millis);
        let Self {
            rules,
            vital_rules,
            limit,
            key,
            ..
        } = self;
        for record in vitals {
            for &index in vital_rules.iter() {
                let RuleWindows { spec, state } = &mut rules[index];
                if record.event.timestamp_millis < now_millis.saturating_sub(spec.window) {
                    continue;
                }
                let Some(sample) = spec.vital_sample(record) else {
                    continue;
                };
                let value = |label: SeriesLabel| Spec::vital_label(record, label);
                spec.key(key, value);
                let start = spec.bucket_start(now_millis);
                state.with_series(spec, key, limit, value, |s| s.record(start, &sample));
            }
        }
    }

    /// One observation per series with data in its rule's window at
    /// `now_millis`, by rule then labels. Slides the windows: buckets
    /// that left them are dropped, and series left without data.
    pub fn observations(&mut self, now_millis: i64) -> Vec<Observation> {
        self.latest_millis = self.latest_millis.max(now_millis);
        let Self {
            rules,
            limit,
            histogram,
            ..
        } = self;
        let mut out = Vec::new();
        for RuleWindows { spec, state } in rules.iter_mut() {
            let oldest = oldest_start(spec, now_millis);
            let distribution = matches!(spec.metric, Metric::Duration { .. } | Metric::VitalP75(_));
            if distribution && histogram.is_none() {
                *histogram = hist::new_histogram();
            }
            let first = out.len();
            state.series.retain(|_, series| {
                series.window.slide(oldest);
                // Peers would ignore these too; a lone instance never takes them.
                series.local.slide(oldest);
                if series.window.is_empty() {
                    limit.count = limit.count.saturating_sub(1);
                    return false;
                }
                let merged = histogram.as_mut().filter(|_| distribution);
                let totals = series.window.totals(merged);
                let merged = histogram.as_ref().filter(|_| distribution);
                out.push(Observation {
                    rule: spec.name.clone(),
                    labels: series.labels.clone(),
                    value: value(spec, &totals, merged),
                    details: Default::default(),
                    example_trace_id: totals.example.map(|e| e.trace_id.to_string()),
                });
                true
            });
            out[first..].sort_by(|a, b| a.labels.cmp(&b.labels));
        }
        out
    }

    /// What was recorded locally since the last call, per (rule, series,
    /// bucket), for the other instances to merge; clears it.
    pub fn take_local_delta(&mut self) -> Vec<SeriesDelta> {
        let mut out = Vec::new();
        for RuleWindows { spec, state } in &mut self.rules {
            for series in state.series.values_mut() {
                for bucket in series.local.drain() {
                    out.push(SeriesDelta::of_bucket(&spec.name, &series.labels, &bucket));
                }
            }
        }
        out
    }

    /// Adds a delta recorded by another instance. An unknown rule is
    /// ignored; a start inside a bucket counts for that bucket; a bucket
    /// already outside the window (at the latest time seen) is ignored.
    /// Labels the rule does not group by are ignored, missing ones are "".
    pub fn merge_peer_delta(&mut self, delta: &SeriesDelta) {
        let Some(RuleWindows { spec, state }) =
            self.rules.iter_mut().find(|r| r.spec.name == delta.rule)
        else {
            return;
        };
        let start = spec.bucket_start(delta.bucket_start_millis);
        if start < oldest_start(spec, self.latest_millis) {
            return;
        }
        let bucket = delta.to_bucket(start);
        let value =
            |label: SeriesLabel| delta.labels.get(label.as_str()).map_or("", String::as_str);
        spec.key(&mut self.key, value);
        let merge = |series: &mut Series| series.window.merge(&bucket);
        state.with_series(spec, &self.key, &mut self.limit, value, merge);
    }

    pub fn series_count(&self) -> usize {
        self.limit.count
    }

    /// Series not created because `max_series` was reached (cumulative).
    pub fn dropped_series(&self) -> u64 {
        self.limit.dropped
    }
}
