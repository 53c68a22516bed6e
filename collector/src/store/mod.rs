//! Everything that talks to ClickHouse: connecting (`client`), the local
//! server started when none is configured (`embedded`), the schema
//! (`schema`), row encoding (`rows`, `rowbinary`) and batched writes
//! (`writer`). SQL lives in this module and nowhere else.

pub mod client;
pub mod embedded;
pub mod rowbinary;
pub mod rows;
pub mod schema;
pub mod spool;
pub mod writer;

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
    #[error("embedded ClickHouse: {0}")]
    Embedded(String),
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
}
