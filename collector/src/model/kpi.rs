//! The `[kpi]` section: which span attributes carry what the layer KPIs
//! read (a CDN span's cache status and which of its values are hits, a
//! CMS span's connection pool utilisation). The store's KPI queries and
//! the alert windows read the same settings, so both count alike.

use serde::{Deserialize, Serialize};

/// The `[kpi]` configuration section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct KpiSettings {
    /// Span attribute holding a CDN span's cache status.
    pub cache_status_attribute: String,
    /// Values of it (compared case-insensitively) that mean "served from
    /// cache"; anything else means the request went to the origin.
    pub cache_hit_values: Vec<String>,
    /// Span attribute holding a CMS span's connection pool utilisation
    /// (0–1, or 0–100 as a percentage).
    pub pool_utilization_attribute: String,
}

impl Default for KpiSettings {
    fn default() -> Self {
        Self {
            cache_status_attribute: "cdn.cache_status".into(),
            cache_hit_values: [
                "hit",
                "tcp_hit",
                "tcp_mem_hit",
                "stale",
                "revalidated",
                "updating",
            ]
            .map(String::from)
            .to_vec(),
            pool_utilization_attribute: "db.client.connection.pool.utilization".into(),
        }
    }
}
