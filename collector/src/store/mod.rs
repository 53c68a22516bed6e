//! Everything that talks to ClickHouse: connecting (`client`, with `tls`
//! for https:// URLs), the local server started when none is configured
//! (`embedded`), the schema (`schema`), row encoding (`rows`, `rowbinary`),
//! writes (`writer`: queued batches, or a few rows at once) and reads
//! (`queries`). SQL lives in this module and nowhere else.

pub mod client;
mod config;
pub mod embedded;
pub mod queries;
pub mod rowbinary;
pub mod rows;
pub mod schema;
pub mod spool;
pub mod writer;

pub use config::{ClickHouseConfig, WriterConfig};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ClickHouse failed {what}: {source}")]
    Query {
        what: String,
        #[source]
        source: clickhouse::error::Error,
    },
    #[error("ClickHouse at {url} did not answer within {seconds} s: {last_error}")]
    NotReady {
        url: String,
        seconds: u64,
        last_error: String,
    },
    #[error(
        "TLS with ClickHouse at {url} failed: {cause} (a private CA goes in clickhouse.ca_file; \
         clickhouse.tls_accept_invalid_certs skips the check, for test setups only)"
    )]
    Tls { url: String, cause: String },
    #[error(transparent)]
    TlsSetup(#[from] crate::tls_trust::TlsSetupError),
    #[error("embedded ClickHouse: {0}")]
    Embedded(String),
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
}
