//! `[clickhouse]` (where the store is, its cluster, retention, TLS) and
//! `[writer]` (batches, the queue, retries and timeouts), with their checks
//! naming the key at fault, and the settings the store's parts take.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::client::{ConnectionSettings, WireCompression, DEFAULT_CONNECT_TIMEOUT};
use super::schema::{Cluster, SchemaOptions};
use super::writer::WriterSettings;

type Problem = Result<(), (&'static str, String)>;

/// The longest retention the metric tables' `DateTime` columns can
/// express for points arriving now (about 55 years).
const MAX_METRICS_TTL_DAYS: u32 = 20_000;

fn problem(key: &'static str, text: &str) -> Problem {
    Err((key, text.to_owned()))
}

/// `[clickhouse]` in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ClickHouseConfig {
    /// A ClickHouse HTTP URL. Unset: start the embedded ClickHouse.
    pub url: Option<String>,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// Spread the tables over this cluster (its name in the servers'
    /// `remote_servers`): `_local` tables plus Distributed ones sharded by
    /// trace id. Created `ON CLUSTER` with Replicated engines (needs
    /// Keeper) unless `cluster_nodes` is set.
    pub cluster: Option<String>,
    /// A cluster without Keeper: the HTTP URL of every node, `url` among
    /// them. The schema is created on each with plain engines, and the
    /// Distributed tables write every replica themselves (the cluster's
    /// shards declare `internal_replication=false`).
    #[serde(deserialize_with = "crate::config_values::string_list")]
    pub cluster_nodes: Vec<String>,
    pub ttl_days: u32,
    /// Days log records are kept (`otel_logs`); `ttl_days` unless set.
    /// Fixed when the table is created (migration 11).
    pub logs_ttl_days: Option<u32>,
    /// Days the metric tables keep their points; `ttl_days` when unset.
    /// Points older than this are refused on arrival.
    pub metrics_ttl_days: Option<u32>,
    /// PEM file of CA certificates trusted for an https:// URL besides the
    /// public roots: a private CA.
    pub ca_file: Option<PathBuf>,
    /// Trust any certificate of an https:// server: self-signed test setups
    /// only (a warning is logged at start).
    pub tls_accept_invalid_certs: bool,
    /// Longest wait for a TCP connection to ClickHouse.
    pub connect_timeout_ms: u64,
    /// `auto` (LZ4 unless ClickHouse is on this host), `lz4` or `none`.
    pub compression: WireCompression,
    /// Python with `chdb-core`, used when no `clickhouse` binary is on PATH.
    pub embedded_python: PathBuf,
    /// Ports of the embedded ClickHouse; 0 picks a free one.
    pub embedded_http_port: u16,
    pub embedded_tcp_port: u16,
    pub start_timeout_secs: u64,
}

impl Default for ClickHouseConfig {
    fn default() -> Self {
        Self {
            url: None,
            database: "jamscope".into(),
            user: None,
            password: None,
            cluster: None,
            cluster_nodes: Vec::new(),
            ttl_days: 30,
            logs_ttl_days: None,
            metrics_ttl_days: None,
            ca_file: None,
            tls_accept_invalid_certs: false,
            connect_timeout_ms: DEFAULT_CONNECT_TIMEOUT.as_millis() as u64,
            compression: WireCompression::default(),
            embedded_python: PathBuf::from(".venv/bin/python"),
            embedded_http_port: 8123,
            embedded_tcp_port: 9000,
            start_timeout_secs: 60,
        }
    }
}

impl ClickHouseConfig {
    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Problem {
        if let Some(url) = &self.url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return problem("clickhouse.url", "must start with http:// or https://");
            }
        }
        if self.database.is_empty() {
            return problem("clickhouse.database", "must not be empty");
        }
        if let Err((key, problem_text)) = Cluster::check_keys(
            self.cluster.as_deref(),
            &self.cluster_nodes,
            self.url.as_deref(),
        ) {
            return problem(key, &problem_text);
        }
        if self.ttl_days == 0 {
            return problem("clickhouse.ttl_days", "must be at least 1");
        }
        if self.logs_ttl_days == Some(0) {
            return problem("clickhouse.logs_ttl_days", "must be at least 1");
        }
        if let Some(days) = self.metrics_ttl_days {
            // The metric tables' times are `DateTime`s, which end in 2106:
            // a TTL past that wraps round and expires rows at once.
            if !(1..=MAX_METRICS_TTL_DAYS).contains(&days) {
                return problem(
                    "clickhouse.metrics_ttl_days",
                    "must be from 1 to 20000 (the metric tables' times end in 2106)",
                );
            }
        }
        if let Some(path) = &self.ca_file {
            if let Err(error) = crate::tls_trust::check_ca_file(path) {
                return problem("clickhouse.ca_file", &error.to_string());
            }
        }
        if self.connect_timeout_ms == 0 {
            return problem("clickhouse.connect_timeout_ms", "must be above 0");
        }
        Ok(())
    }

    /// How to reach the ClickHouse at `url` (the configured one, or the
    /// embedded one once started).
    pub fn connection(&self, url: String) -> ConnectionSettings {
        let ch = self;
        ConnectionSettings {
            url,
            database: ch.database.clone(),
            user: ch.user.clone(),
            password: ch.password.clone(),
            ca_file: ch.ca_file.clone(),
            accept_invalid_certs: ch.tls_accept_invalid_certs,
            connect_timeout: Duration::from_millis(ch.connect_timeout_ms),
            compression: ch.compression,
        }
    }

    pub fn schema(&self) -> SchemaOptions {
        SchemaOptions {
            database: self.database.clone(),
            cluster: Cluster::from_keys(self.cluster.as_deref(), &self.cluster_nodes),
            ttl_days: self.ttl_days,
            logs_ttl_days: self.logs_ttl_days(),
            metrics_ttl_days: self.metrics_ttl_days(),
        }
    }

    /// Days log records are kept.
    pub fn logs_ttl_days(&self) -> u32 {
        self.logs_ttl_days.unwrap_or(self.ttl_days)
    }

    /// Days the metric tables keep their points.
    pub fn metrics_ttl_days(&self) -> u32 {
        self.metrics_ttl_days.unwrap_or(self.ttl_days)
    }
}

/// `[writer]` in the configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WriterConfig {
    /// Rows per INSERT at most.
    pub batch_rows: usize,
    /// Encoded bytes per INSERT at most. Every INSERT is a part ClickHouse
    /// sorts, indexes and merges again later: 8 MiB (~12k spans) cost it
    /// about a fifth less CPU per row than 4 MiB (BENCHMARKS.md, "Round
    /// two: the box").
    pub batch_bytes: usize,
    /// Longest a row waits before its INSERT is sent.
    pub flush_interval_ms: u64,
    pub insert_concurrency: usize,
    /// Bytes of records accepted but not yet written (as encoded for
    /// ClickHouse), at most; beyond it clients are told to retry later.
    /// Three chunks: two inserts in flight and one filling, so intake goes
    /// on while ClickHouse works (two chunks landed 12 % fewer spans a
    /// second; BENCHMARKS.md).
    pub queue_bytes: usize,
    pub retry_initial_ms: u64,
    pub retry_max_ms: u64,
    /// How long one chunk retries before it goes to the disk spool.
    pub retry_budget_secs: u64,
    /// Longest an INSERT may take to send its data, and to get its answer.
    pub send_timeout_ms: u64,
    pub response_timeout_ms: u64,
    /// One deadline for everything pending at shutdown; what ClickHouse has
    /// not confirmed by then goes to the spool.
    pub shutdown_timeout_secs: u64,
}

impl Default for WriterConfig {
    fn default() -> Self {
        Self {
            batch_rows: 25_000,
            batch_bytes: 8 << 20,
            flush_interval_ms: 1_000,
            insert_concurrency: 2,
            queue_bytes: 24 << 20,
            retry_initial_ms: 100,
            retry_max_ms: 10_000,
            retry_budget_secs: 3,
            send_timeout_ms: 30_000,
            response_timeout_ms: 60_000,
            shutdown_timeout_secs: 30,
        }
    }
}

impl WriterConfig {
    /// Checks every key; the error names the one at fault.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        let problem = |key, text| Err((key, text));
        if self.batch_rows == 0 || self.batch_bytes == 0 {
            return problem(
                "writer.batch_rows",
                "and writer.batch_bytes must be above 0",
            );
        }
        if self.insert_concurrency == 0 {
            return problem("writer.insert_concurrency", "must be at least 1");
        }
        if self.queue_bytes < self.batch_bytes {
            return problem("writer.queue_bytes", "must be at least writer.batch_bytes");
        }
        if self.flush_interval_ms == 0 {
            return problem("writer.flush_interval_ms", "must be above 0");
        }
        if self.retry_budget_secs == 0 || self.send_timeout_ms == 0 || self.response_timeout_ms == 0
        {
            return problem(
                "writer.retry_budget_secs",
                "writer.send_timeout_ms and writer.response_timeout_ms must be above 0",
            );
        }
        Ok(())
    }

    /// What each table's writer runs with.
    pub fn settings(&self) -> WriterSettings {
        let w = self;
        WriterSettings {
            batch_rows: w.batch_rows,
            batch_bytes: w.batch_bytes,
            flush_interval: Duration::from_millis(w.flush_interval_ms),
            insert_concurrency: w.insert_concurrency,
            retry_initial: Duration::from_millis(w.retry_initial_ms),
            retry_max: Duration::from_millis(w.retry_max_ms),
            retry_budget: Duration::from_secs(w.retry_budget_secs),
        }
    }
}
