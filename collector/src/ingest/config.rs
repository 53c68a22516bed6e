//! `[ingest]`: what every receiver shares: how large a body may be, how
//! long a request waits for room in a full queue, and which record times
//! can be stored.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::edge::BodyLimits;

/// `[ingest]` in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IngestConfig {
    /// Largest request body as sent (compressed or not).
    pub max_body_bytes: usize,
    /// Largest body after decompression.
    pub max_decompressed_bytes: usize,
    /// How long a request waits for room in a full write queue before it
    /// is answered 429 / RESOURCE_EXHAUSTED.
    pub queue_wait_ms: u64,
    /// Spans that started longer ago are refused (partial success). Unset:
    /// the retention, `clickhouse.ttl_days`.
    pub max_span_age_hours: Option<u64>,
    /// Spans that start or end further ahead of the collector's clock are
    /// refused.
    pub max_span_ahead_secs: u64,
}

impl Default for IngestConfig {
    fn default() -> Self {
        Self {
            max_body_bytes: 1 << 20,
            max_decompressed_bytes: 8 << 20,
            queue_wait_ms: 2_000,
            max_span_age_hours: None,
            max_span_ahead_secs: 3_600,
        }
    }
}

impl IngestConfig {
    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let problem = |key, text| Err((key, text));
        if self.max_body_bytes == 0 || self.max_decompressed_bytes < self.max_body_bytes {
            return problem(
                "ingest.max_decompressed_bytes",
                "must be at least ingest.max_body_bytes, which must be above 0",
            );
        }
        Ok(())
    }

    /// How long a request may wait for queue room before it is refused.
    pub fn queue_wait(&self) -> Duration {
        Duration::from_millis(self.queue_wait_ms)
    }

    /// What an OTLP body may weigh, as sent and inflated.
    pub fn body_limits(&self) -> BodyLimits {
        BodyLimits {
            max_body_bytes: self.max_body_bytes,
            max_decompressed_bytes: self.max_decompressed_bytes,
        }
    }
}
