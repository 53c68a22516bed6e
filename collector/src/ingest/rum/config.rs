//! The `[rum]` configuration section: who may send beacons, with which
//! keys, how much, and what is kept of a visitor (which query parameters,
//! which proxies' word on the address and country). Keys are secrets:
//! `Debug` and [`RumConfig::redacted`] hide them.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::urls::QueryAllowlist;
use crate::config_values::string_list;
use crate::ingest::edge::{AllowedOrigins, TrustedProxies};

/// Browser beacons on `POST /v1/rum`. List values can be TOML arrays or one
/// comma-separated string (`JAMSCOPE_RUM_KEYS=old,new`).
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RumConfig {
    /// Origins whose pages may send beacons (`https://shop.example`,
    /// `https://*.example.com` for any subdomain, `*` for any). A request
    /// from any other origin is refused with 403.
    #[serde(deserialize_with = "string_list")]
    pub allowed_origins: Vec<String>,
    /// Ingest keys accepted as `?key=`. Empty: anonymous beacons are
    /// accepted. Several keys are valid side by side, for rotation.
    #[serde(deserialize_with = "string_list")]
    pub keys: Vec<String>,
    /// Events per request at most; the rest are rejected.
    pub max_events_per_batch: usize,
    /// Largest request body; browsers cap beacons at 64 KiB anyway.
    pub max_body_bytes: usize,
    /// Largest body from a browser SDK (OTLP `/v1/traces` and `/v1/logs`,
    /// Faro's `/collect`), as sent and inflated: their batches are larger
    /// than a beacon.
    pub max_sdk_body_bytes: usize,
    /// Proxies (CIDR blocks) whose `X-Forwarded-For` and country headers
    /// are believed. Empty: the client is the socket peer, and no country
    /// is stored.
    #[serde(deserialize_with = "string_list")]
    pub trusted_proxies: Vec<String>,
    /// Query parameters kept in stored URLs (`Url`, `Referrer`, `Path`);
    /// every other parameter and every fragment is dropped before storage.
    #[serde(deserialize_with = "string_list")]
    pub keep_query_params: Vec<String>,
    /// Removed: it trusted whatever `X-Forwarded-For` any client sent.
    /// Still read, so that setting it fails with a message saying what
    /// replaced it instead of an unknown-key error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_forwarded_for: Option<bool>,
}

impl Default for RumConfig {
    fn default() -> Self {
        Self {
            allowed_origins: vec!["*".into()],
            keys: Vec::new(),
            max_events_per_batch: 100,
            max_body_bytes: 64 << 10,
            max_sdk_body_bytes: 512 << 10,
            trusted_proxies: Vec::new(),
            keep_query_params: Vec::new(),
            trust_forwarded_for: None,
        }
    }
}

impl fmt::Debug for RumConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("RumConfig")
            .field("allowed_origins", &shown.allowed_origins)
            .field("keys", &shown.keys)
            .field("max_events_per_batch", &shown.max_events_per_batch)
            .field("max_body_bytes", &shown.max_body_bytes)
            .field("max_sdk_body_bytes", &shown.max_sdk_body_bytes)
            .field("trusted_proxies", &shown.trusted_proxies)
            .field("keep_query_params", &shown.keep_query_params)
            .finish()
    }
}

impl RumConfig {
    /// A copy safe to print: every key replaced by `<redacted>`.
    pub fn redacted(&self) -> Self {
        Self {
            keys: crate::redact::all(&self.keys),
            ..self.clone()
        }
    }

    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.trust_forwarded_for.is_some() {
            return Err((
                "rum.trust_forwarded_for",
                "was removed: it believed any client's X-Forwarded-For. List your proxies in \
                 rum.trusted_proxies instead (CIDR blocks, e.g. [\"10.0.0.0/8\"]); their \
                 X-Forwarded-For and country headers are read, nobody else's"
                    .into(),
            ));
        }
        if self.max_events_per_batch == 0 {
            return Err(("rum.max_events_per_batch", "must be at least 1".into()));
        }
        if self.max_body_bytes == 0 {
            return Err(("rum.max_body_bytes", "must be above 0".into()));
        }
        if self.max_sdk_body_bytes == 0 {
            return Err(("rum.max_sdk_body_bytes", "must be above 0".into()));
        }
        AllowedOrigins::parse(&self.allowed_origins).map_err(|p| ("rum.allowed_origins", p))?;
        TrustedProxies::parse(&self.trusted_proxies).map_err(|p| ("rum.trusted_proxies", p))?;
        QueryAllowlist::new(&self.keep_query_params).map_err(|p| ("rum.keep_query_params", p))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_never_show() {
        let config = RumConfig {
            keys: vec!["k-one".into(), "k-two".into()],
            ..RumConfig::default()
        };
        assert!(!format!("{config:?}").contains("k-one"));
        assert_eq!(config.redacted().keys, ["<redacted>", "<redacted>"]);
    }

    #[test]
    fn the_removed_forwarded_for_switch_says_what_replaced_it() {
        let config = RumConfig {
            trust_forwarded_for: Some(true),
            ..RumConfig::default()
        };
        let (key, problem) = config.validate().unwrap_err();
        assert_eq!(key, "rum.trust_forwarded_for");
        assert!(problem.contains("rum.trusted_proxies"), "{problem}");
    }

    #[test]
    fn bad_proxies_and_parameters_are_named() {
        let proxies = RumConfig {
            trusted_proxies: vec!["10.0.0.0/40".into()],
            ..RumConfig::default()
        };
        assert_eq!(proxies.validate().unwrap_err().0, "rum.trusted_proxies");
        let params = RumConfig {
            keep_query_params: vec!["a=b".into()],
            ..RumConfig::default()
        };
        assert_eq!(params.validate().unwrap_err().0, "rum.keep_query_params");
    }
}
