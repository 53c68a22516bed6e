//! One rule's series: created on first data while the series bound
//! allows, and the rule's value over a window of them.

use std::collections::HashMap;

use hdrhistogram::Histogram;

use super::matcher::Spec;
use super::series::{Bucket, Series};
use super::SeriesLimit;
use crate::model::metric::{Metric, SeriesLabel};

#[derive(Debug, Default)]
pub(super) struct RuleState {
    pub series: HashMap<Box<[u8]>, Series>,
    /// Whether the series bound was reported for this rule.
    warned: bool,
}

impl RuleState {
    /// Applies `apply` to the series of `key`, created (labels from
    /// `value`) when the bound allows.
    pub fn with_series<'a>(
        &mut self,
        spec: &Spec,
        key: &[u8],
        limit: &mut SeriesLimit,
        value: impl Fn(SeriesLabel) -> &'a str,
        apply: impl FnOnce(&mut Series),
    ) {
        if let Some(series) = self.series.get_mut(key) {
            apply(series);
            return;
        }
        if limit.count >= limit.max {
            limit.dropped = limit.dropped.saturating_add(1);
            if !self.warned {
                self.warned = true;
                tracing::warn!(
                    rule = %spec.name,
                    max_series = limit.max,
                    "alert windows: the series bound is reached; new series of this rule are not tracked"
                );
            }
            return;
        }
        let mut series = Series::new(spec.labels(value), spec.capacity);
        apply(&mut series);
        self.series.insert(key.into(), series);
        limit.count += 1;
    }
}

/// The start of the oldest bucket still in `spec`'s window at `now`:
/// every bucket that overlaps the last `window` milliseconds.
pub(super) fn oldest_start(spec: &Spec, now_millis: i64) -> i64 {
    now_millis
        .saturating_sub(spec.window)
        .saturating_sub(spec.width)
        .saturating_add(1)
}

/// The rule's value over a window's totals and merged distribution.
pub(super) fn value(
    spec: &Spec,
    totals: &Bucket,
    histogram: Option<&Histogram<u32>>,
) -> Option<f64> {
    let ratio = |part: u64, whole: u64| (whole > 0).then(|| part as f64 / whole as f64 * 100.0);
    let quantile = |q: f64| {
        histogram
            .filter(|h| !h.is_empty())
            .map(|h| h.value_at_quantile(q) as f64 / 1000.0)
    };
    match &spec.metric {
        Metric::ErrorRate => ratio(totals.errors, totals.requests),
        Metric::RequestRate => Some(totals.requests as f64 * 1000.0 / spec.window as f64),
        Metric::Duration { percentile } => quantile(f64::from(*percentile) / 100.0),
        Metric::CacheHitRatio => ratio(totals.cache_hits, totals.cache_lookups),
        Metric::Attribute(_) => {
            (totals.value_count > 0).then(|| totals.value_sum / totals.value_count as f64)
        }
        Metric::VitalP75(_) => quantile(0.75),
    }
}
