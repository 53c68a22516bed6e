//! `[self_telemetry]`: where the collector's own spans and metrics go over
//! OTLP/HTTP, how often, and under which service name.

use axum::http::Uri;
use serde::{Deserialize, Serialize};

/// `[self_telemetry]` in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SelfTelemetryConfig {
    /// OTLP/HTTP base URL, like `OTEL_EXPORTER_OTLP_ENDPOINT`: `/v1/traces`
    /// and `/v1/metrics` are appended. Unset: nothing is exported.
    pub endpoint: Option<String>,
    /// Seconds between metric exports; spans wait at most this long too,
    /// and never more than 5 s.
    pub interval_secs: u64,
    /// `service.name` of the collector's spans and metrics.
    pub service_name: String,
}

impl Default for SelfTelemetryConfig {
    fn default() -> Self {
        Self {
            endpoint: None,
            interval_secs: 30,
            service_name: "jamscope".into(),
        }
    }
}

impl SelfTelemetryConfig {
    /// The key and the problem, for config validation.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if let Some(endpoint) = &self.endpoint {
            let parsed = endpoint.parse::<Uri>().ok().filter(|uri| {
                matches!(uri.scheme_str(), Some("http" | "https")) && uri.host().is_some()
            });
            if parsed.is_none() {
                return Err((
                    "self_telemetry.endpoint",
                    format!(
                        "'{}' is not an http:// or https:// URL",
                        crate::redact::url(endpoint)
                    ),
                ));
            }
        }
        if self.interval_secs == 0 {
            return Err(("self_telemetry.interval_secs", "must be at least 1".into()));
        }
        if self.service_name.trim().is_empty() {
            return Err(("self_telemetry.service_name", "must not be empty".into()));
        }
        Ok(())
    }
}
