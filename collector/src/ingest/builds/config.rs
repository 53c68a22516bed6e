//! The `[builds]` configuration section: the shared secret build and
//! deploy events are signed with, and how far their timestamp may be from
//! the collector's clock. The secret is never shown: `Debug` and
//! [`BuildsConfig::redacted`] hide it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::redact::REDACTED;

#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BuildsConfig {
    /// Shared secret of `X-Jamscope-Signature` on `POST /v1/builds`
    /// (`JAMSCOPE_BUILD_WEBHOOK_SECRET`). Unset: the endpoint answers 404.
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub webhook_secret: Option<String>,
    /// A request whose `X-Jamscope-Timestamp` is further than this from the
    /// collector's clock is refused; signatures are remembered this long.
    pub max_clock_skew_secs: u64,
}

impl Default for BuildsConfig {
    fn default() -> Self {
        Self {
            webhook_secret: None,
            max_clock_skew_secs: 300,
        }
    }
}

impl fmt::Debug for BuildsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("BuildsConfig")
            .field("webhook_secret", &shown.webhook_secret)
            .field("max_clock_skew_secs", &shown.max_clock_skew_secs)
            .finish()
    }
}

impl BuildsConfig {
    /// A copy safe to print: the secret replaced by `<redacted>`.
    pub fn redacted(&self) -> Self {
        Self {
            webhook_secret: self.webhook_secret.as_ref().map(|_| REDACTED.to_owned()),
            ..self.clone()
        }
    }

    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.webhook_secret.as_deref().is_some_and(str::is_empty) {
            return Err((
                "builds.webhook_secret",
                "must not be empty (leave it unset to turn build events off)",
            ));
        }
        if self.max_clock_skew_secs == 0 {
            return Err(("builds.max_clock_skew_secs", "must be at least 1"));
        }
        Ok(())
    }
}
