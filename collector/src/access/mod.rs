//! Who may send and read, and how much, decided once for every transport:
//! API keys on OTLP (HTTP and gRPC), `/api`, `/ui` and `/metrics`; ingest
//! keys on what browsers send; rate limits per browser client address,
//! per key, and for all ingest together. `/healthz`, `/readyz`,
//! `/rum.js` and `/v1/builds` (signed requests of its own) are not
//! guarded.
//!
//! [`Access`] decides and counts; it knows no transport. What carries a
//! decision to a request (axum middleware, the tonic interceptor, the web
//! UI's sign-in redirect) lives at the edge that serves it
//! (`ingest::edge`, `ui`), and a [`Denial`] becomes a status there, in the
//! one mapping of `ingest::IngestError`. Order for keyed endpoints: the
//! key (401), then its limit, then the global one (429).
//!
//! Files: `keys.rs` (digests, constant-time checks, the key file),
//! `limits.rs` (GCRA limits), `presented.rs` (where a request carries a
//! key), `config.rs` (`[auth]`, `[limits]`).

mod config;
mod keys;
mod limits;
mod presented;

use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

pub use config::{AuthConfig, LimitsConfig};
pub use keys::{ApiKeys, KeyCheck, KeyFileError};
pub use limits::{LimitKind, Limits, Refusal};
pub use presented::{
    from_cookie, from_headers, from_url_or_header, presented_key, API_KEY_HEADER, KEY_COOKIE,
};

use crate::hangup::Hangup;
use crate::telemetry::AccessStats;

/// How often idle per-client and per-key state is forgotten.
const FORGET_IDLE_EVERY: Duration = Duration::from_secs(10);

/// Why a request may not pass.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Denial {
    /// No key, or not one of the configured keys.
    #[error("{0}")]
    Unauthenticated(String),
    /// Over a rate limit; a request would pass after the seconds given.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
}

/// What a guarded request is for: its label in the metrics, and whether
/// it counts against the global ingest limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    OtlpHttp,
    OtlpGrpc,
    Api,
    Metrics,
}

impl Endpoint {
    pub const ALL: [Endpoint; 4] = [
        Endpoint::OtlpHttp,
        Endpoint::OtlpGrpc,
        Endpoint::Api,
        Endpoint::Metrics,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::OtlpHttp => "otlp_http",
            Endpoint::OtlpGrpc => "otlp_grpc",
            Endpoint::Api => "api",
            Endpoint::Metrics => "metrics",
        }
    }

    fn is_ingest(self) -> bool {
        matches!(self, Endpoint::OtlpHttp | Endpoint::OtlpGrpc)
    }
}

/// The label browsers' ingest keys are counted under.
const BROWSER_ENDPOINT: &str = "rum";

/// The keys, the limits, and the counters of what they refused.
pub struct Access {
    keys: ApiKeys,
    /// Keys pages present (`?key=` or `x-api-key`): public by nature, they
    /// tell sites apart and can be rotated, and open nothing but ingest.
    browser_keys: ApiKeys,
    limits: Limits,
    stats: AccessStats,
}

impl Access {
    pub fn new(
        auth: &AuthConfig,
        browser_keys: &[String],
        limits: &LimitsConfig,
        stats: AccessStats,
    ) -> Result<Self, KeyFileError> {
        Ok(Self {
            keys: ApiKeys::load(&auth.api_keys, auth.api_keys_file.as_deref())?,
            browser_keys: ApiKeys::load(browser_keys, None)?,
            limits: Limits::new(limits),
            stats,
        })
    }

    pub fn keys(&self) -> &ApiKeys {
        &self.keys
    }

    /// A request to a keyed endpoint, presenting `key` (see
    /// [`presented_key`]).
    pub fn admit(&self, endpoint: Endpoint, key: Option<&[u8]>) -> Result<(), Denial> {
        match self.keys.check(key) {
            KeyCheck::Open => {}
            KeyCheck::Valid(digest) => self.limited(self.limits.check_key(&digest))?,
            KeyCheck::Missing => {
                self.stats.unauthenticated(endpoint.as_str());
                return Err(Denial::Unauthenticated(
                    "missing API key: send Authorization: Bearer <key> or x-api-key: <key>".into(),
                ));
            }
            KeyCheck::Unknown => {
                self.stats.unauthenticated(endpoint.as_str());
                return Err(Denial::Unauthenticated("unknown API key".into()));
            }
        }
        if endpoint.is_ingest() {
            self.limited(self.limits.check_global())?;
        }
        Ok(())
    }

    /// A browser's request from `client` (unknown: only the global limit
    /// applies).
    pub fn admit_browser(&self, client: Option<IpAddr>) -> Result<(), Denial> {
        client
            .map_or(Ok(()), |ip| self.limited(self.limits.check_ip(ip)))
            .and_then(|()| self.limited(self.limits.check_global()))
    }

    /// A browser's ingest key: anonymous until `rum.keys` names any, then
    /// one of them (several are valid during a rotation).
    pub fn admit_browser_key(&self, key: Option<&[u8]>) -> Result<(), Denial> {
        let denied = |message: &str| {
            self.stats.unauthenticated(BROWSER_ENDPOINT);
            Err(Denial::Unauthenticated(message.to_owned()))
        };
        match self.browser_keys.check(key) {
            KeyCheck::Open | KeyCheck::Valid(_) => Ok(()),
            KeyCheck::Missing => denied(
                "missing ingest key: add ?key=<key> to the beacon URL (data-key on the script tag)",
            ),
            KeyCheck::Unknown => denied("unknown ingest key"),
        }
    }

    fn limited(&self, checked: Result<(), Refusal>) -> Result<(), Denial> {
        checked.map_err(|refusal| {
            self.stats.rate_limited(refusal.kind.as_str());
            Denial::RateLimited {
                message: refusal.message(),
                retry_after_secs: refusal.retry_after_secs,
            }
        })
    }

    /// Re-reads the key file, logging the outcome (never a key).
    pub fn reload_keys(&self) {
        match self.keys.reload() {
            Ok(count) => tracing::info!(keys = count, "API keys reloaded"),
            Err(error) => {
                tracing::error!(%error, "API keys not reloaded; the running keys stay valid")
            }
        }
    }

    /// Until `stop` completes: forgets idle limiter state every few
    /// seconds and, with a key file, re-reads it on SIGHUP. The signal is
    /// taken over at once (before the future first runs), so a SIGHUP
    /// right after the start reloads instead of ending the process.
    pub fn maintain(
        self: Arc<Self>,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = ()> + Send + 'static {
        let mut hangup = self.keys.has_file().then(|| Hangup::listen("the API keys"));
        async move {
            let mut every = tokio::time::interval(FORGET_IDLE_EVERY);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            tokio::pin!(stop);
            loop {
                tokio::select! {
                    () = &mut stop => return,
                    _ = every.tick() => self.limits.forget_idle(),
                    () = next_hangup(&mut hangup) => self.reload_keys(),
                }
            }
        }
    }
}

/// The next SIGHUP, or never when nothing reloads on one.
async fn next_hangup(hangup: &mut Option<Hangup>) {
    match hangup {
        Some(hangup) => hangup.next().await,
        None => std::future::pending().await,
    }
}

/// The key the collector's own telemetry sends when it is exported to a
/// collector that asks for keys: the first configured one (the file's
/// first when `api_keys` is empty).
pub fn own_key(auth: &AuthConfig) -> Option<String> {
    auth.api_keys.first().cloned().or_else(|| {
        let path = auth.api_keys_file.as_deref()?;
        keys::read_file(path).ok()?.into_iter().next()
    })
}

#[cfg(test)]
mod tests;
