//! The `[spool]` configuration section.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::SpoolSettings;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpoolConfig {
    /// Keep what ClickHouse cannot take on disk. Off: it stays in memory
    /// (slowing clients down) and is lost past the shutdown deadline.
    pub enabled: bool,
    /// Acknowledge a request only once its rows are on disk (fsync'd).
    pub durable: bool,
    /// Where the segment files go; default `<data_dir>/spool`.
    pub dir: Option<PathBuf>,
    /// All tables' spools together stay below this; beyond it, requests
    /// are answered 429.
    pub max_bytes: u64,
    /// Size at which a segment file is closed and a new one started.
    pub segment_bytes: u64,
}

impl Default for SpoolConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            durable: false,
            dir: None,
            max_bytes: 1 << 30,
            segment_bytes: 64 << 20,
        }
    }
}

impl SpoolConfig {
    /// One table's spool: its own directory and `1 / shares` of the byte
    /// budget.
    pub fn for_table(&self, data_dir: &Path, table: &str, shares: usize) -> SpoolSettings {
        let base = self.dir.clone().unwrap_or_else(|| data_dir.join("spool"));
        SpoolSettings {
            dir: base.join(table),
            max_bytes: self.max_bytes / shares.max(1) as u64,
            segment_bytes: self.segment_bytes,
        }
    }

    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.durable && !self.enabled {
            return Err(("spool.durable", "needs spool.enabled = true"));
        }
        if self.segment_bytes < 4096 {
            return Err(("spool.segment_bytes", "must be at least 4096"));
        }
        if self.max_bytes < self.segment_bytes {
            return Err(("spool.max_bytes", "must be at least spool.segment_bytes"));
        }
        Ok(())
    }
}
