//! The `[sourcemaps]` section: how much memory parsed maps may hold, the
//! largest map (or bundle) taken, how many releases' maps an app keeps,
//! and which origins' bundles may be fetched for their
//! `sourceMappingURL` (none by default: maps are uploaded).

use serde::{Deserialize, Serialize};

use crate::config_values::string_list;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SourceMapsConfig {
    /// Memory the parsed maps kept between errors may hold, in MiB.
    pub cache_mb: usize,
    /// The largest map, or bundle, taken by `POST /api/sourcemaps` or a
    /// fetch, in MiB.
    pub max_map_mb: usize,
    /// Releases whose maps each app keeps: uploading a newer one deletes
    /// the maps of the oldest beyond this. 0 keeps every release.
    pub keep_releases: u32,
    /// Origins (`https://shop.example`) whose bundles may be fetched to
    /// follow their `sourceMappingURL` when no map was uploaded; the map
    /// must come from one of them too. Empty: nothing is fetched.
    #[serde(deserialize_with = "string_list")]
    pub fetch_origins: Vec<String>,
    /// How long one fetch may take.
    pub fetch_timeout_ms: u64,
}

impl Default for SourceMapsConfig {
    fn default() -> Self {
        Self {
            cache_mb: 128,
            max_map_mb: 64,
            keep_releases: 20,
            fetch_origins: Vec::new(),
            fetch_timeout_ms: 5_000,
        }
    }
}

const MIB: usize = 1024 * 1024;

impl SourceMapsConfig {
    pub fn cache_bytes(&self) -> usize {
        self.cache_mb.saturating_mul(MIB)
    }

    pub fn max_map_bytes(&self) -> usize {
        self.max_map_mb.saturating_mul(MIB)
    }

    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, String)> {
        if self.cache_mb == 0 {
            return Err(("sourcemaps.cache_mb", "must be at least 1".into()));
        }
        if self.max_map_mb == 0 || self.max_map_mb > 1024 {
            return Err(("sourcemaps.max_map_mb", "must be from 1 to 1024".into()));
        }
        if self.fetch_timeout_ms == 0 {
            return Err(("sourcemaps.fetch_timeout_ms", "must be above 0".into()));
        }
        if let Some(bad) = self
            .fetch_origins
            .iter()
            .find(|origin| super::fetch::origin_of(origin).as_deref() != Some(origin.as_str()))
        {
            return Err((
                "sourcemaps.fetch_origins",
                format!(
                    "entries are origins such as https://shop.example, without a path (got {bad})"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_origins_are_checked() {
        assert!(SourceMapsConfig::default().validate().is_ok());
        let mut config = SourceMapsConfig {
            fetch_origins: vec![
                "https://cdn.shop.test".into(),
                "http://127.0.0.1:8080".into(),
            ],
            ..SourceMapsConfig::default()
        };
        assert!(config.validate().is_ok());
        config.fetch_origins = vec!["https://cdn.shop.test/assets".into()];
        assert_eq!(config.validate().unwrap_err().0, "sourcemaps.fetch_origins");
        config.fetch_origins.clear();
        config.cache_mb = 0;
        assert_eq!(config.validate().unwrap_err().0, "sourcemaps.cache_mb");
    }
}
