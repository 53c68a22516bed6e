//! `[requests]`: the per-request bounds of every listener, checked
//! against the body limits of `[ingest]`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::DECODED_PER_BODY_BYTE;
use crate::ingest::IngestConfig;

/// `[requests]` in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RequestsConfig {
    /// Requests handled at once per listener (HTTP, gRPC); more are
    /// answered 503 / RESOURCE_EXHAUSTED with `Retry-After`.
    pub max_in_flight: usize,
    /// Bytes of request bodies being read, decompressed, decoded and
    /// converted at once, across all requests (HTTP and gRPC).
    pub max_decoding_bytes: usize,
    /// How long a request waits for room in `max_decoding_bytes` before it
    /// is answered 503.
    pub decoding_wait_ms: u64,
    /// Time for a request's headers, from their first byte.
    pub header_read_timeout_ms: u64,
    /// Time for a request's body, from the end of its headers; gRPC: the
    /// time for the whole call.
    pub body_read_timeout_ms: u64,
    /// How long a connection may stay open with no request (HTTP/1).
    pub idle_timeout_ms: u64,
}

impl Default for RequestsConfig {
    fn default() -> Self {
        Self {
            max_in_flight: 1024,
            max_decoding_bytes: 64 << 20,
            decoding_wait_ms: 1_000,
            header_read_timeout_ms: 10_000,
            body_read_timeout_ms: 30_000,
            idle_timeout_ms: 60_000,
        }
    }
}

impl RequestsConfig {
    /// Checks every key against the body limits; the error names the key.
    pub fn validate(&self, ingest: &IngestConfig) -> Result<(), (&'static str, String)> {
        if self.max_in_flight == 0 {
            return Err(("requests.max_in_flight", "must be at least 1".into()));
        }
        // The most one request may hold: its body as sent, decompressed,
        // and what it decodes into.
        let largest = ingest.max_body_bytes.saturating_add(
            ingest
                .max_decompressed_bytes
                .saturating_mul(1 + DECODED_PER_BODY_BYTE),
        );
        if self.max_decoding_bytes < largest {
            return Err((
                "requests.max_decoding_bytes",
                format!(
                    "must be at least ingest.max_body_bytes + {} × ingest.max_decompressed_bytes \
                     ({largest}), or the largest allowed request could never be decoded",
                    1 + DECODED_PER_BODY_BYTE
                ),
            ));
        }
        // tokio's semaphore holds at most usize::MAX >> 3 permits.
        if self.max_decoding_bytes > usize::MAX >> 3 {
            return Err(("requests.max_decoding_bytes", "is too large".into()));
        }
        for (key, value) in [
            (
                "requests.header_read_timeout_ms",
                self.header_read_timeout_ms,
            ),
            ("requests.body_read_timeout_ms", self.body_read_timeout_ms),
            ("requests.idle_timeout_ms", self.idle_timeout_ms),
        ] {
            if value == 0 {
                return Err((key, "must be above 0".into()));
            }
        }
        Ok(())
    }

    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_millis(self.header_read_timeout_ms)
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_millis(self.body_read_timeout_ms)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms)
    }

    pub fn decoding_wait(&self) -> Duration {
        Duration::from_millis(self.decoding_wait_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_must_fit_the_largest_request() {
        let ingest = IngestConfig::default();
        assert_eq!(RequestsConfig::default().validate(&ingest), Ok(()));
        let small = RequestsConfig {
            max_decoding_bytes: 1 << 20,
            ..RequestsConfig::default()
        };
        let (key, problem) = small.validate(&ingest).unwrap_err();
        assert_eq!(key, "requests.max_decoding_bytes");
        // 1 MiB as sent + 6 × 8 MiB decompressed.
        assert!(problem.contains("51380224"), "{problem}");
        let no_timeout = RequestsConfig {
            idle_timeout_ms: 0,
            ..RequestsConfig::default()
        };
        assert_eq!(
            no_timeout.validate(&ingest).unwrap_err().0,
            "requests.idle_timeout_ms"
        );
    }
}
