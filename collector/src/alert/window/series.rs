//! One series of one rule: a bounded ring of time buckets, each with the
//! counters, the value distribution and the example trace of what arrived
//! in it, plus what this instance recorded since the last delta.

use std::collections::VecDeque;

use hdrhistogram::Histogram;

use super::hist::Dist;
use crate::model::alert::LabelSet;
use crate::model::TraceId;

/// A trace worth showing with an alert; the higher score wins (a
/// duration, an attribute or vital value, or for "latest" examples the
/// span's end in milliseconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Example {
    pub trace_id: TraceId,
    pub score: f64,
}

/// The better of two examples: the higher score, the first one on a tie.
pub(super) fn better(current: Option<Example>, candidate: Option<Example>) -> Option<Example> {
    match (current, candidate) {
        (Some(c), Some(n)) if n.score > c.score => Some(n),
        (Some(c), _) => Some(c),
        (None, n) => n,
    }
}

/// What one span or vital adds to its series.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sample {
    pub requests: u64,
    pub errors: u64,
    pub cache_lookups: u64,
    pub cache_hits: u64,
    /// An attribute value, averaged.
    pub value: Option<f64>,
    /// A duration or vital value, in thousandths of the metric's unit.
    pub dist_value: Option<u64>,
    pub example: Option<Example>,
}

/// The counters and distribution of one bucket, or of a whole window.
#[derive(Debug, Clone, Default)]
pub(super) struct Bucket {
    pub start: i64,
    pub requests: u64,
    pub errors: u64,
    pub cache_lookups: u64,
    pub cache_hits: u64,
    pub value_sum: f64,
    pub value_count: u64,
    /// Allocated when the first value arrives.
    pub dist: Option<Dist>,
    pub example: Option<Example>,
}

impl Bucket {
    fn new(start: i64) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    fn add_sample(&mut self, sample: &Sample) {
        self.requests = self.requests.saturating_add(sample.requests);
        self.errors = self.errors.saturating_add(sample.errors);
        self.cache_lookups = self.cache_lookups.saturating_add(sample.cache_lookups);
        self.cache_hits = self.cache_hits.saturating_add(sample.cache_hits);
        if let Some(value) = sample.value {
            self.value_sum += value;
            self.value_count = self.value_count.saturating_add(1);
        }
        if let Some(value) = sample.dist_value {
            self.dist.get_or_insert_with(Dist::default).record(value, 1);
        }
        self.example = better(self.example, sample.example);
    }

    /// Adds another bucket's counters, distribution and example.
    pub fn merge(&mut self, other: &Bucket) {
        self.add_counters(other);
        if let Some(dist) = &other.dist {
            self.dist.get_or_insert_with(Dist::default).merge(dist);
        }
    }

    fn add_counters(&mut self, other: &Bucket) {
        self.requests = self.requests.saturating_add(other.requests);
        self.errors = self.errors.saturating_add(other.errors);
        self.cache_lookups = self.cache_lookups.saturating_add(other.cache_lookups);
        self.cache_hits = self.cache_hits.saturating_add(other.cache_hits);
        self.value_sum += other.value_sum;
        self.value_count = self.value_count.saturating_add(other.value_count);
        self.example = better(self.example, other.example);
    }
}

/// Buckets sorted by start, only those that received something, at most
/// `capacity` of them (the oldest go first).
#[derive(Debug, Clone)]
pub(super) struct Ring {
    buckets: VecDeque<Bucket>,
    capacity: usize,
}

impl Ring {
    pub fn new(capacity: usize) -> Self {
        Self {
            buckets: VecDeque::new(),
            capacity: capacity.max(1),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    pub fn record(&mut self, start: i64, sample: &Sample) {
        if let Some(bucket) = self.bucket_mut(start) {
            bucket.add_sample(sample);
        }
    }

    pub fn merge(&mut self, bucket: &Bucket) {
        if let Some(into) = self.bucket_mut(bucket.start) {
            into.merge(bucket);
        }
    }

    /// The bucket starting at `start`, created if needed; `None` when the
    /// ring is full and it would be the oldest. Data usually arrives in
    /// the newest bucket; the one before it is then done receiving local
    /// data, so its distribution is compacted.
    fn bucket_mut(&mut self, start: i64) -> Option<&mut Bucket> {
        let mut position = match self.buckets.back() {
            Some(last) if last.start == start => return self.buckets.back_mut(),
            Some(last) if last.start < start => {
                if let Some(dist) = self.buckets.back_mut().and_then(|b| b.dist.as_mut()) {
                    dist.compact();
                }
                self.buckets.push_back(Bucket::new(start));
                self.buckets.len() - 1
            }
            None => {
                self.buckets.push_back(Bucket::new(start));
                0
            }
            Some(_) => match self.buckets.binary_search_by_key(&start, |b| b.start) {
                Ok(found) => return self.buckets.get_mut(found),
                Err(0) if self.buckets.len() >= self.capacity => return None,
                Err(at) => {
                    self.buckets.insert(at, Bucket::new(start));
                    at
                }
            },
        };
        while self.buckets.len() > self.capacity {
            self.buckets.pop_front();
            position = position.saturating_sub(1);
        }
        self.buckets.get_mut(position)
    }

    /// Drops the buckets starting before `oldest_start`.
    pub fn slide(&mut self, oldest_start: i64) {
        while self.buckets.front().is_some_and(|b| b.start < oldest_start) {
            self.buckets.pop_front();
        }
    }

    pub fn drain(&mut self) -> impl Iterator<Item = Bucket> + '_ {
        self.buckets.drain(..)
    }

    /// The whole ring as one bucket; the distributions are added into
    /// `histogram` (cleared first) when one is given.
    pub fn totals(&self, mut histogram: Option<&mut Histogram<u32>>) -> Bucket {
        let mut totals = Bucket::default();
        if let Some(histogram) = histogram.as_deref_mut() {
            histogram.reset();
        }
        for bucket in &self.buckets {
            totals.add_counters(bucket);
            if let (Some(histogram), Some(dist)) = (histogram.as_deref_mut(), &bucket.dist) {
                dist.add_to(histogram);
            }
        }
        totals
    }
}

/// One label set of one rule.
#[derive(Debug, Clone)]
pub(super) struct Series {
    pub labels: LabelSet,
    /// Everything recorded or merged, within the rule's window.
    pub window: Ring,
    /// What this instance recorded since the last delta was taken.
    pub local: Ring,
}

impl Series {
    pub fn new(labels: LabelSet, capacity: usize) -> Self {
        Self {
            labels,
            window: Ring::new(capacity),
            local: Ring::new(capacity),
        }
    }

    pub fn record(&mut self, start: i64, sample: &Sample) {
        self.window.record(start, sample);
        self.local.record(start, sample);
    }
}
