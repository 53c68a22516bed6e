//! What one collector instance recorded in one bucket of one series, in a
//! form another instance can add to its own windows (through ClickHouse).

use serde::{Deserialize, Serialize};

use super::hist::Dist;
use super::series::{Bucket, Example};
use crate::model::alert::LabelSet;
use crate::model::TraceId;

/// One (rule, series, bucket) recorded locally since the last delta.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeriesDelta {
    pub rule: String,
    /// The series labels (the rule's `group_by` values).
    pub labels: LabelSet,
    /// Aligned on the rule's bucket width since the epoch.
    pub bucket_start_millis: i64,
    pub requests: u64,
    pub errors: u64,
    pub cache_lookups: u64,
    pub cache_hits: u64,
    /// Attribute values (metric `attribute`): their sum and number.
    pub value_sum: f64,
    pub value_count: u64,
    /// Durations or vital values as raw bytes: the hdrhistogram V2
    /// encoding, not deflated (cookie `0x1c849313`), of values in
    /// thousandths of the metric's unit (microseconds for milliseconds,
    /// 1/1000 of a CLS score), 2 significant figures. `None` when the
    /// rule's metric has no distribution.
    pub histogram: Option<Vec<u8>>,
    /// Lowercase hex.
    pub example_trace_id: Option<String>,
    /// What the example was chosen by, the higher the better: the
    /// duration (ms) for percentiles, the value for attributes and
    /// vitals, the span's end (Unix ms) for the latest error or cache miss.
    pub example_value: Option<f64>,
}

impl SeriesDelta {
    pub(super) fn of_bucket(rule: &str, labels: &LabelSet, bucket: &Bucket) -> Self {
        Self {
            rule: rule.to_owned(),
            labels: labels.clone(),
            bucket_start_millis: bucket.start,
            requests: bucket.requests,
            errors: bucket.errors,
            cache_lookups: bucket.cache_lookups,
            cache_hits: bucket.cache_hits,
            value_sum: bucket.value_sum,
            value_count: bucket.value_count,
            histogram: bucket.dist.as_ref().and_then(Dist::to_v2),
            example_trace_id: bucket.example.map(|e| e.trace_id.to_string()),
            example_value: bucket.example.map(|e| e.score),
        }
    }

    /// The delta as a bucket starting at `start`. Parts that cannot be
    /// read (a histogram in another encoding, a trace id that is not hex,
    /// a sum that is not finite) are left out, not guessed.
    pub(super) fn to_bucket(&self, start: i64) -> Bucket {
        let (value_sum, value_count) = if self.value_sum.is_finite() {
            (self.value_sum, self.value_count)
        } else {
            (0.0, 0)
        };
        let example = self
            .example_trace_id
            .as_deref()
            .and_then(TraceId::from_hex)
            .map(|trace_id| Example {
                trace_id,
                score: self
                    .example_value
                    .filter(|v| !v.is_nan())
                    .unwrap_or(f64::NEG_INFINITY),
            });
        Bucket {
            start,
            requests: self.requests,
            errors: self.errors,
            cache_lookups: self.cache_lookups,
            cache_hits: self.cache_hits,
            value_sum,
            value_count,
            dist: self.histogram.as_deref().and_then(Dist::from_v2),
            example,
        }
    }
}
