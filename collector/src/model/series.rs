//! What an aggregation over a window makes of a metric's stored points:
//! the rate of a sum, the last or average value of a gauge or up-down
//! counter, a quantile of a histogram. One series (a metric's points with
//! one set of attributes from one resource) at a time, then the series of
//! a group combined. Alert rules of kind `metric` and `/api/metrics` both
//! come here, so a rule and a chart say the same thing.
//!
//! Temporality decides how points add up. A delta point covers its own
//! interval, so a window's increase is the sum of its points. A cumulative
//! point covers everything since its start, so the increase is the sum of
//! differences between consecutive points of a series; a value that falls,
//! or a new start time, is a reset, and the new value counts whole (it was
//! all counted since the reset). A series' first point counts whole only
//! when the series started inside the window (before, it is the baseline).
//! A delta up-down counter's level is the sum of all its deltas: the store
//! hands over the sum before the points it fetched as `base`.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use super::datapoint::{ExponentialBuckets, Temporality};
use super::Layer;

/// Which points a question reads: one metric by name, those of its points
/// whose attributes have these values, of one service or layer if given.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    pub metric_name: String,
    pub attributes: BTreeMap<String, String>,
    pub service: Option<String>,
    pub layer: Option<Layer>,
}

/// What splits a metric into groups, each a value of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupBy {
    Service,
    Layer,
    /// A point attribute, labelled by its key with what a label name
    /// cannot hold made `_` (`db.client.connection.pool.name` →
    /// `db_client_connection_pool_name`).
    Attribute {
        key: String,
        label: String,
    },
}

/// The labels every series carries besides its attributes.
pub const SERVICE_LABEL: &str = "service";
pub const LAYER_LABEL: &str = "layer";

impl GroupBy {
    /// `service`, `layer`, or an attribute key.
    pub fn parse(name: &str) -> GroupBy {
        match name {
            SERVICE_LABEL => GroupBy::Service,
            LAYER_LABEL => GroupBy::Layer,
            key => GroupBy::Attribute {
                key: key.to_owned(),
                label: key
                    .chars()
                    .map(|c| match c.is_ascii_alphanumeric() || c == '_' {
                        true => c,
                        false => '_',
                    })
                    .collect(),
            },
        }
    }

    /// The label the group's value carries.
    pub fn label(&self) -> &str {
        match self {
            GroupBy::Service => SERVICE_LABEL,
            GroupBy::Layer => LAYER_LABEL,
            GroupBy::Attribute { label, .. } => label,
        }
    }

    /// Where a series keeps what this groups by.
    fn key(&self) -> &str {
        match self {
            GroupBy::Service => SERVICE_LABEL,
            GroupBy::Layer => LAYER_LABEL,
            GroupBy::Attribute { key, .. } => key,
        }
    }
}

/// The value of each group of `series` over `window`: each series
/// aggregated, then the series of a group combined. Series with nothing in
/// the window are left out; a group none of whose series had anything is
/// not there. `None` for `group_by`: every series is its own group,
/// labelled with everything it carries.
pub fn by_group(
    series: &[Series],
    aggregation: Aggregation,
    window: Window,
    group_by: Option<&[GroupBy]>,
) -> Vec<(BTreeMap<String, String>, f64)> {
    let mut groups: BTreeMap<BTreeMap<String, String>, Vec<SeriesValue>> = BTreeMap::new();
    for one in series {
        let Some(value) = evaluate(one, aggregation, window) else {
            continue;
        };
        let labels = match group_by {
            None => one.labels.clone(),
            Some(group_by) => group_by
                .iter()
                .map(|g| {
                    let value = one.labels.get(g.key()).cloned().unwrap_or_default();
                    (g.label().to_owned(), value)
                })
                .collect(),
        };
        groups.entry(labels).or_default().push(value);
    }
    groups
        .into_iter()
        .filter_map(|(labels, values)| combine(values, aggregation).map(|v| (labels, v)))
        .collect()
}

/// How a window of points becomes one value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Aggregation {
    /// Increase per second of a sum (a counter's rate; an up-down
    /// counter's net change).
    Rate,
    /// The newest value in the window (a gauge, an up-down counter).
    Last,
    /// The mean of the values in the window.
    Avg,
    /// A quantile (0–1) of a histogram's observations in the window.
    Quantile(f64),
}

impl Aggregation {
    /// Whether it reads histograms (explicit or exponential) rather than
    /// numbers (gauges and sums).
    pub fn reads_histograms(self) -> bool {
        matches!(self, Aggregation::Quantile(_))
    }

    /// The aggregation as rules and the API write it (`quantile` without
    /// its argument).
    pub fn name(self) -> &'static str {
        match self {
            Aggregation::Rate => "rate",
            Aggregation::Last => "last",
            Aggregation::Avg => "avg",
            Aggregation::Quantile(_) => "quantile",
        }
    }
}

/// What a series' points are, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeriesKind {
    /// `None` for gauges.
    pub temporality: Option<Temporality>,
    pub monotonic: bool,
}

/// One stored point: times in whole seconds, as the tables keep them.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPoint {
    pub start_secs: u64,
    pub time_secs: u64,
    pub sample: Sample,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sample {
    Number(f64),
    /// Observations by the upper bound of their bucket.
    Distribution(Distribution),
}

/// One series: its labels, its kind and its points, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub labels: BTreeMap<String, String>,
    pub kind: SeriesKind,
    pub points: Vec<StoredPoint>,
    /// A delta up-down counter's level before its first point here.
    pub base: f64,
}

/// The half-open window `(from, to]`, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from_secs: u64,
    pub to_secs: u64,
}

impl Window {
    fn holds(self, time_secs: u64) -> bool {
        time_secs > self.from_secs && time_secs <= self.to_secs
    }

    fn seconds(self) -> f64 {
        self.to_secs.saturating_sub(self.from_secs).max(1) as f64
    }
}

/// What one series contributes to its group.
#[derive(Debug, Clone, PartialEq)]
pub enum SeriesValue {
    Number(f64),
    Distribution(Distribution),
}

/// Aggregates one series over `window`; `None` when it has nothing there
/// (no point in the window, or a kind the aggregation does not read).
pub fn evaluate(series: &Series, aggregation: Aggregation, window: Window) -> Option<SeriesValue> {
    match aggregation {
        Aggregation::Rate => {
            series.kind.temporality?;
            let increase = increase(series, window, number_of)?;
            Some(SeriesValue::Number(increase / window.seconds()))
        }
        Aggregation::Last => levels(series, window)
            .last()
            .map(|&v| SeriesValue::Number(v)),
        Aggregation::Avg => {
            let levels = levels(series, window);
            let n = levels.len();
            (n > 0).then(|| SeriesValue::Number(levels.iter().sum::<f64>() / n as f64))
        }
        Aggregation::Quantile(_) => {
            let observed = increase(series, window, distribution_of)?;
            Some(SeriesValue::Distribution(observed))
        }
    }
}

/// Combines the values of a group's series into the group's value: numbers
/// add up (each series is one instance's share), distributions merge.
pub fn combine(values: Vec<SeriesValue>, aggregation: Aggregation) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    match aggregation {
        Aggregation::Quantile(q) => {
            let mut merged = Distribution::default();
            for value in values {
                if let SeriesValue::Distribution(d) = value {
                    merged.add(&d);
                }
            }
            merged.quantile(q)
        }
        _ => Some(
            values
                .into_iter()
                .map(|v| match v {
                    SeriesValue::Number(n) => n,
                    SeriesValue::Distribution(_) => 0.0,
                })
                .sum(),
        ),
    }
}

fn number_of(sample: &Sample) -> Option<f64> {
    match sample {
        Sample::Number(n) => Some(*n),
        Sample::Distribution(_) => None,
    }
}

fn distribution_of(sample: &Sample) -> Option<Distribution> {
    match sample {
        Sample::Distribution(d) => Some(d.clone()),
        Sample::Number(_) => None,
    }
}

/// What can be added up over a window: a number or a distribution.
trait Accumulate: Sized + Clone {
    fn zero() -> Self;
    fn add(&mut self, other: &Self);
    /// `self - earlier`, or `None` when that would go below zero (a reset).
    fn since(&self, earlier: &Self) -> Option<Self>;
}

impl Accumulate for f64 {
    fn zero() -> Self {
        0.0
    }

    fn add(&mut self, other: &Self) {
        *self += other;
    }

    fn since(&self, earlier: &Self) -> Option<Self> {
        (self >= earlier).then(|| self - earlier)
    }
}

/// What a series added over the window: the sum of its delta points, or
/// of the differences between its cumulative points (resets counted
/// whole). `None` when no point lies in the window.
fn increase<T: Accumulate>(
    series: &Series,
    window: Window,
    read: fn(&Sample) -> Option<T>,
) -> Option<T> {
    let mut total = T::zero();
    let mut any = false;
    let mut previous: Option<(&StoredPoint, T)> = None;
    let cumulative = series.kind.temporality == Some(Temporality::Cumulative);
    for point in &series.points {
        let Some(value) = read(&point.sample) else {
            continue;
        };
        if window.holds(point.time_secs) {
            any = true;
            let added = match (&previous, cumulative) {
                (_, false) => Some(value.clone()),
                (Some((before, earlier)), true) if before.start_secs == point.start_secs => {
                    value.since(earlier).or_else(|| Some(value.clone()))
                }
                // A new start: reset, all of it since then.
                (Some(_), true) => Some(value.clone()),
                // The first point known: whole only when it started here.
                (None, true) => window.holds(point.start_secs).then(|| value.clone()),
            };
            if let Some(added) = added {
                total.add(&added);
            }
        }
        previous = Some((point, value));
    }
    any.then_some(total)
}

/// A number series' levels at its points in the window: the values as
/// stored, or, for a delta up-down counter, the running sum of its
/// deltas from `base`. A delta counter's points are increments, not
/// levels: `None` of them (rate reads those).
fn levels(series: &Series, window: Window) -> Vec<f64> {
    let kind = series.kind;
    let running = kind.temporality == Some(Temporality::Delta);
    if running && kind.monotonic {
        return Vec::new();
    }
    let mut level = series.base;
    let mut out = Vec::new();
    for point in &series.points {
        let Some(value) = number_of(&point.sample) else {
            continue;
        };
        level = if running { level + value } else { value };
        if window.holds(point.time_secs) {
            out.push(level);
        }
    }
    out
}

/// An f64 ordered by `total_cmp`, so bounds can key a map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound(pub f64);

impl Eq for Bound {}

impl PartialOrd for Bound {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Bound {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// Observations by the upper bound of their bucket (the last explicit
/// bucket's is `+inf`); each bucket reaches down to the bound below it.
/// Explicit and exponential histograms, of any bounds or scales, merge
/// into one by adding counts of equal bounds.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Distribution {
    pub buckets: BTreeMap<Bound, u64>,
}

impl Distribution {
    /// An explicit-bucket histogram: `counts` has one more entry than
    /// `bounds`.
    pub fn explicit(bounds: &[f64], counts: &[u64]) -> Self {
        let uppers = bounds.iter().copied().chain(std::iter::once(f64::INFINITY));
        let mut out = Self::default();
        for (upper, &count) in uppers.zip(counts) {
            *out.buckets.entry(Bound(upper)).or_default() += count;
        }
        out
    }

    /// A base-2 exponential histogram: bucket `i` of scale `s` holds
    /// `(base^i, base^(i+1)]`, `base = 2^(2^-s)`; negative buckets mirror
    /// the positive ones; the zero bucket ends at 0.
    pub fn exponential(
        scale: i32,
        zero_count: u64,
        positive: &ExponentialBuckets,
        negative: &ExponentialBuckets,
    ) -> Self {
        let base = 2f64.powf(2f64.powi(-scale));
        let mut out = Self::default();
        for (i, &count) in positive.bucket_counts.iter().enumerate() {
            let index = i64::from(positive.offset) + i as i64;
            *out.buckets
                .entry(Bound(base.powf(index as f64 + 1.0)))
                .or_default() += count;
        }
        for (i, &count) in negative.bucket_counts.iter().enumerate() {
            let index = i64::from(negative.offset) + i as i64;
            *out.buckets
                .entry(Bound(-base.powf(index as f64)))
                .or_default() += count;
        }
        if zero_count > 0 {
            *out.buckets.entry(Bound(0.0)).or_default() += zero_count;
        }
        out
    }

    pub fn count(&self) -> u64 {
        self.buckets.values().sum()
    }

    /// The `q` quantile: the bucket holding that rank, linear within it
    /// (from the bound below, or 0 below the first positive bucket); in
    /// the open-ended last bucket, its lower bound. `None` when empty.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = q.clamp(0.0, 1.0) * total as f64;
        let mut seen = 0u64;
        let mut lower: Option<f64> = None;
        for (&Bound(upper), &count) in &self.buckets {
            if count > 0 && (seen + count) as f64 >= rank {
                let from = lower.unwrap_or(if upper > 0.0 { 0.0 } else { upper });
                if upper.is_infinite() {
                    return Some(from);
                }
                let within = (rank - seen as f64) / count as f64;
                return Some(from + (upper - from) * within);
            }
            seen += count;
            lower = Some(upper);
        }
        lower
    }
}

impl Accumulate for Distribution {
    fn zero() -> Self {
        Self::default()
    }

    fn add(&mut self, other: &Self) {
        for (bound, count) in &other.buckets {
            *self.buckets.entry(*bound).or_default() += count;
        }
    }

    fn since(&self, earlier: &Self) -> Option<Self> {
        let mut out = Self::default();
        for (bound, &count) in &self.buckets {
            let before = earlier.buckets.get(bound).copied().unwrap_or(0);
            out.buckets.insert(*bound, count.checked_sub(before)?);
        }
        // A bucket that vanished means other bounds: start over.
        earlier
            .buckets
            .keys()
            .all(|bound| self.buckets.contains_key(bound))
            .then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELTA: SeriesKind = SeriesKind {
        temporality: Some(Temporality::Delta),
        monotonic: true,
    };
    const CUMULATIVE: SeriesKind = SeriesKind {
        temporality: Some(Temporality::Cumulative),
        monotonic: true,
    };
    const GAUGE: SeriesKind = SeriesKind {
        temporality: None,
        monotonic: false,
    };

    fn series(kind: SeriesKind, points: &[(u64, u64, f64)]) -> Series {
        Series {
            labels: BTreeMap::new(),
            kind,
            points: points
                .iter()
                .map(|&(start_secs, time_secs, v)| StoredPoint {
                    start_secs,
                    time_secs,
                    sample: Sample::Number(v),
                })
                .collect(),
            base: 0.0,
        }
    }

    fn number(value: Option<SeriesValue>) -> Option<f64> {
        match value? {
            SeriesValue::Number(n) => Some(n),
            SeriesValue::Distribution(_) => None,
        }
    }

    const WINDOW: Window = Window {
        from_secs: 100,
        to_secs: 200,
    };

    #[test]
    fn a_delta_counters_rate_sums_its_points_in_the_window() {
        let s = series(DELTA, &[(40, 90, 7.0), (110, 150, 30.0), (150, 200, 20.0)]);
        assert_eq!(number(evaluate(&s, Aggregation::Rate, WINDOW)), Some(0.5));
    }

    #[test]
    fn a_cumulative_counters_rate_adds_differences_and_counts_a_reset_whole() {
        // Baseline 100 before the window; +20; reset to 5; +10.
        let s = series(
            CUMULATIVE,
            &[
                (0, 90, 100.0),
                (0, 120, 120.0),
                (0, 150, 5.0),
                (0, 180, 15.0),
            ],
        );
        assert_eq!(number(evaluate(&s, Aggregation::Rate, WINDOW)), Some(0.35));
        // A new start time is a reset even when the value went up.
        let restarted = series(CUMULATIVE, &[(0, 90, 10.0), (95, 150, 40.0)]);
        assert_eq!(
            number(evaluate(&restarted, Aggregation::Rate, WINDOW)),
            Some(0.4)
        );
        // A series that began inside the window counts its first value.
        let fresh = series(CUMULATIVE, &[(110, 130, 6.0), (110, 190, 10.0)]);
        assert_eq!(
            number(evaluate(&fresh, Aggregation::Rate, WINDOW)),
            Some(0.1)
        );
        // One that began before, seen first inside: a baseline only.
        let old = series(CUMULATIVE, &[(10, 130, 6.0), (10, 190, 10.0)]);
        assert_eq!(
            number(evaluate(&old, Aggregation::Rate, WINDOW)),
            Some(0.04)
        );
        assert_eq!(
            evaluate(&series(GAUGE, &[(0, 150, 1.0)]), Aggregation::Rate, WINDOW),
            None
        );
        assert_eq!(
            evaluate(
                &series(CUMULATIVE, &[(0, 90, 1.0)]),
                Aggregation::Rate,
                WINDOW
            ),
            None
        );
    }

    #[test]
    fn last_and_avg_read_levels_in_the_window() {
        let gauge = series(GAUGE, &[(0, 90, 100.0), (0, 120, 2.0), (0, 180, 4.0)]);
        assert_eq!(
            number(evaluate(&gauge, Aggregation::Last, WINDOW)),
            Some(4.0)
        );
        assert_eq!(
            number(evaluate(&gauge, Aggregation::Avg, WINDOW)),
            Some(3.0)
        );
        let updown = SeriesKind {
            temporality: Some(Temporality::Delta),
            monotonic: false,
        };
        let mut deltas = series(updown, &[(0, 90, 2.0), (0, 120, 3.0), (0, 180, -1.0)]);
        deltas.base = 10.0;
        assert_eq!(
            number(evaluate(&deltas, Aggregation::Last, WINDOW)),
            Some(14.0)
        );
        assert_eq!(
            number(evaluate(&deltas, Aggregation::Avg, WINDOW)),
            Some(14.5)
        );
        assert_eq!(
            evaluate(&series(DELTA, &[(0, 150, 1.0)]), Aggregation::Last, WINDOW),
            None,
            "a delta counter's point is an increment, not a level"
        );
    }

    fn histogram(kind: SeriesKind, points: &[(u64, Vec<u64>)]) -> Series {
        Series {
            labels: BTreeMap::new(),
            kind,
            points: points
                .iter()
                .map(|(time_secs, counts)| StoredPoint {
                    start_secs: 0,
                    time_secs: *time_secs,
                    sample: Sample::Distribution(Distribution::explicit(&[10.0, 20.0], counts)),
                })
                .collect(),
            base: 0.0,
        }
    }

    fn distribution(value: Option<SeriesValue>) -> Distribution {
        match value {
            Some(SeriesValue::Distribution(d)) => d,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn quantiles_read_the_windows_observations_delta_or_cumulative() {
        let delta = histogram(DELTA, &[(90, vec![100, 0, 0]), (150, vec![2, 6, 2])]);
        let observed = distribution(evaluate(&delta, Aggregation::Quantile(0.5), WINDOW));
        assert_eq!(observed.count(), 10);
        // Rank 5 of 10: in (10, 20], 3 of its 6.
        assert_eq!(observed.quantile(0.5), Some(15.0));
        let cumulative = histogram(CUMULATIVE, &[(90, vec![100, 0, 0]), (150, vec![102, 6, 2])]);
        let observed = distribution(evaluate(&cumulative, Aggregation::Quantile(0.5), WINDOW));
        assert_eq!(observed.quantile(0.5), Some(15.0));
        // Past the last bound: its lower edge.
        assert_eq!(observed.quantile(1.0), Some(20.0));
        // Rank 1 in the first bucket, from 0.
        assert_eq!(observed.quantile(0.1), Some(5.0));
        assert_eq!(Distribution::default().quantile(0.5), None);
    }

    #[test]
    fn exponential_buckets_and_explicit_ones_merge_by_bound() {
        // Scale 0: base 2; positive bucket 1 is (2, 4], 2 is (4, 8].
        let exponential = Distribution::exponential(
            0,
            1,
            &ExponentialBuckets {
                offset: 1,
                bucket_counts: vec![2, 1],
            },
            &ExponentialBuckets {
                offset: 0,
                bucket_counts: vec![1],
            },
        );
        let bounds: Vec<f64> = exponential.buckets.keys().map(|b| b.0).collect();
        assert_eq!(bounds, [-1.0, 0.0, 4.0, 8.0]);
        assert_eq!(exponential.count(), 5);
        // Rank 3.5 of 5: in (0, 4], 1.5 of its 2.
        assert_eq!(exponential.quantile(0.7), Some(3.0));
        let mut merged = exponential.clone();
        merged.add(&Distribution::explicit(&[4.0], &[1, 1]));
        assert_eq!(merged.count(), 7);
        let groups = vec![
            SeriesValue::Distribution(exponential),
            SeriesValue::Distribution(Distribution::explicit(&[4.0], &[1, 1])),
        ];
        assert_eq!(
            combine(groups, Aggregation::Quantile(0.5)),
            merged.quantile(0.5)
        );
    }

    #[test]
    fn groups_combine_their_series_and_label_them_by_what_they_group_by() {
        let labelled = |service: &str, pool: &str, value: f64| Series {
            labels: BTreeMap::from([
                (SERVICE_LABEL.to_owned(), service.to_owned()),
                ("db.client.connection.pool.name".to_owned(), pool.to_owned()),
            ]),
            ..series(GAUGE, &[(0, 150, value)])
        };
        let all = [
            labelled("cms", "main", 17.0),
            labelled("cms", "jobs", 3.0),
            labelled("api", "main", 1.0),
        ];
        let pool = GroupBy::parse("db.client.connection.pool.name");
        assert_eq!(pool.label(), "db_client_connection_pool_name");
        let by_service = by_group(&all, Aggregation::Last, WINDOW, Some(&[GroupBy::Service]));
        assert_eq!(
            by_service,
            [
                (
                    BTreeMap::from([("service".to_owned(), "api".to_owned())]),
                    1.0
                ),
                (
                    BTreeMap::from([("service".to_owned(), "cms".to_owned())]),
                    20.0
                ),
            ]
        );
        let overall = by_group(&all, Aggregation::Last, WINDOW, Some(&[]));
        assert_eq!(overall, [(BTreeMap::new(), 21.0)]);
        assert_eq!(by_group(&all, Aggregation::Last, WINDOW, None).len(), 3);
        let nothing = by_group(
            &all,
            Aggregation::Last,
            Window {
                from_secs: 0,
                to_secs: 10,
            },
            Some(&[]),
        );
        assert!(nothing.is_empty());
    }

    #[test]
    fn numbers_of_a_group_add_up() {
        let values = vec![SeriesValue::Number(17.0), SeriesValue::Number(3.0)];
        assert_eq!(combine(values, Aggregation::Last), Some(20.0));
        assert_eq!(combine(Vec::new(), Aggregation::Rate), None);
    }
}
