//! What `access` counts: requests refused by a rate limit (by limit) and
//! for a missing or unknown key (by endpoint). Every label value shows
//! from the start, at 0.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LimitLabels {
    limit: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct EndpointLabels {
    endpoint: &'static str,
}

/// The label values `access` counts under (`access::LimitKind` and
/// `access::Endpoint` name themselves so; a test there holds them to these).
pub const LIMIT_KINDS: [&str; 3] = ["per_ip", "per_key", "global"];
pub const KEYED_ENDPOINTS: [&str; 5] = ["otlp_http", "otlp_grpc", "api", "metrics", "rum"];

/// `access`'s counters.
#[derive(Clone)]
pub struct AccessStats {
    rate_limited: Family<LimitLabels, Counter>,
    unauthenticated: Family<EndpointLabels, Counter>,
}

impl AccessStats {
    pub(super) fn register(registry: &mut Registry) -> Self {
        let stats = Self {
            rate_limited: Family::default(),
            unauthenticated: Family::default(),
        };
        registry.register(
            "requests_rate_limited",
            "Requests answered 429 for a rate limit, by limit (per_ip, per_key, global)",
            stats.rate_limited.clone(),
        );
        registry.register(
            "requests_unauthenticated",
            "Requests answered 401 for a missing or unknown API key, by endpoint",
            stats.unauthenticated.clone(),
        );
        for limit in LIMIT_KINDS {
            let _ = stats.rate_limited.get_or_create(&LimitLabels { limit });
        }
        for endpoint in KEYED_ENDPOINTS {
            let _ = stats
                .unauthenticated
                .get_or_create(&EndpointLabels { endpoint });
        }
        stats
    }

    /// A request refused by the rate limit `limit`.
    pub fn rate_limited(&self, limit: &'static str) {
        self.rate_limited
            .get_or_create(&LimitLabels { limit })
            .inc();
    }

    /// A request to `endpoint` without a valid key.
    pub fn unauthenticated(&self, endpoint: &'static str) {
        self.unauthenticated
            .get_or_create(&EndpointLabels { endpoint })
            .inc();
    }
}
