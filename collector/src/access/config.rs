//! The `[auth]` and `[limits]` configuration sections: which API keys open
//! OTLP, `/api` and `/metrics`, and how many requests a minute each client
//! address, each key and everyone together may send. Keys are never
//! shown: `Debug` and [`AuthConfig::redacted`] hide them.

use std::fmt;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::keys;

/// `[auth]`: API keys, given as `Authorization: Bearer <key>` or
/// `x-api-key: <key>`. No key anywhere: everything is open (a warning is
/// logged at start). Several keys are valid side by side, for rotation.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AuthConfig {
    /// Keys in the configuration (`JAMSCOPE_AUTH_API_KEYS=old,new`).
    #[serde(deserialize_with = "crate::config_values::string_list")]
    pub api_keys: Vec<String>,
    /// A file of keys, one a line (blank lines and `#` comments skipped),
    /// read at start and again on SIGHUP; added to `api_keys`.
    pub api_keys_file: Option<PathBuf>,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("AuthConfig")
            .field("api_keys", &shown.api_keys)
            .field("api_keys_file", &shown.api_keys_file)
            .finish()
    }
}

impl AuthConfig {
    /// A copy safe to print: each key replaced by `<redacted>` (the file's
    /// path is not a secret).
    pub fn redacted(&self) -> Self {
        Self {
            api_keys: crate::redact::all(&self.api_keys),
            ..self.clone()
        }
    }

    /// Checks every key and reads the file; the error names the key at
    /// fault and never shows an API key.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        for (index, key) in self.api_keys.iter().enumerate() {
            if let Err(problem) = keys::check_key(key) {
                return Err(("auth.api_keys", format!("entry {}: {problem}", index + 1)));
            }
        }
        if let Some(path) = &self.api_keys_file {
            keys::read_file(path).map_err(|e| ("auth.api_keys_file", e.to_string()))?;
        }
        Ok(())
    }
}

/// `[limits]`: requests a minute, each a GCRA bucket that holds a minute's
/// worth (so a burst of that many passes, then one every `60 / n` s).
/// 0 turns a limit off. Over a limit: 429 (gRPC `RESOURCE_EXHAUSTED`) with
/// `Retry-After`, the seconds until the next request would pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Beacons (`POST /v1/rum`) per client address (an IPv6 client: per
    /// /64).
    pub per_ip_per_minute: u32,
    /// Requests per API key (OTLP, `/api`, `/metrics`), when keys are
    /// configured.
    pub per_key_per_minute: u32,
    /// Ingest requests (OTLP/HTTP, OTLP/gRPC, beacons) of everyone
    /// together.
    pub global_per_minute: u32,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        Self {
            per_ip_per_minute: 100,
            per_key_per_minute: 1_000,
            global_per_minute: 100_000,
        }
    }
}
