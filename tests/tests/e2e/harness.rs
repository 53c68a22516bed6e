//! The shared test harness: one real ClickHouse per test process (the
//! embedded one, started through Jamscope's own launcher), and collectors
//! started as real `jamscope serve` processes on free ports, each writing to
//! its own database. Everything is stopped when the test ends, pass or fail.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use jamscope::store::embedded::{EmbeddedClickHouse, EmbeddedSettings};
use serde_json::Value;

/// Runs a test client that prints one JSON object; the strings of its
/// array `key` (the ids it sent, failed, ...).
pub fn client_ids(mut command: Command, key: &str) -> Vec<String> {
    let output = command.output().expect("the client runs");
    assert!(
        output.status.success(),
        "the client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    printed[key]
        .as_array()
        .unwrap_or_else(|| panic!("`{key}` in {printed}"))
        .iter()
        .map(|id| id.as_str().unwrap_or_default().to_owned())
        .collect()
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The venv's Python (chdb-core and the OpenTelemetry Python SDK).
pub fn python() -> PathBuf {
    std::env::var_os("JAMSCOPE_TEST_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"))
}

pub fn jamscope_bin() -> PathBuf {
    std::env::var_os("JAMSCOPE_TEST_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target/debug/jamscope"))
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// The ClickHouse every test of this process shares. It lives on its own
/// runtime thread; when the process exits, its launcher's stdin closes and
/// it stops.
pub fn clickhouse_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            runtime.block_on(async move {
                let data_dir = tempfile::tempdir().expect("temp dir").keep();
                let started = EmbeddedClickHouse::start(&EmbeddedSettings {
                    data_dir,
                    python: python(),
                    http_port: 0,
                    tcp_port: 0,
                    start_timeout: Duration::from_secs(90),
                })
                .await;
                match started {
                    Ok(clickhouse) => {
                        let _ = tx.send(Ok(clickhouse.url().to_owned()));
                        // Keep it running for the life of the process.
                        std::future::pending::<()>().await;
                        drop(clickhouse);
                    }
                    Err(error) => {
                        let _ = tx.send(Err(error.to_string()));
                    }
                }
            });
        });
        match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(Ok(url)) => url,
            Ok(Err(error)) => panic!("embedded ClickHouse failed to start: {error}"),
            Err(_) => panic!("embedded ClickHouse did not start within 120 s"),
        }
    })
}

/// A database name unique to this test run.
pub fn unique_database(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    format!(
        "{prefix}_{}_{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

/// A running `jamscope serve`.
pub struct Collector {
    child: Child,
    pub http_port: u16,
    pub grpc_port: u16,
    pub database: String,
    pub clickhouse_url: String,
    pub data_dir: PathBuf,
    output: std::sync::Arc<Mutex<String>>,
}

pub struct CollectorOptions {
    pub env: Vec<(String, String)>,
    /// Use the shared ClickHouse (true) or let the collector start its own.
    pub shared_clickhouse: bool,
    /// The collector's data directory (spool, rejected rows); a fresh one
    /// when `None`. A restart passes the previous run's.
    pub data_dir: Option<PathBuf>,
    /// Write to this database instead of a fresh one (a restart).
    pub database: Option<String>,
    /// Export the collector's own telemetry to its own OTLP/HTTP port
    /// (known only once the port is picked, here).
    pub self_telemetry_to_self: bool,
}

impl Default for CollectorOptions {
    fn default() -> Self {
        Self {
            env: Vec::new(),
            shared_clickhouse: true,
            data_dir: None,
            database: None,
            self_telemetry_to_self: false,
        }
    }
}

impl CollectorOptions {
    pub fn env(mut self, key: &str, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }
}

impl Collector {
    pub fn start() -> Self {
        Self::start_with(CollectorOptions::default())
    }

    /// Starts a collector; ports are picked free just before, so another
    /// process can take one in between: then it is started again on
    /// other ports.
    pub fn start_with(options: CollectorOptions) -> Self {
        let mut attempts = 0;
        loop {
            attempts += 1;
            match Self::try_start(&options) {
                Ok(collector) => return collector,
                Err(output) if attempts < 5 && output.contains("Address already in use") => {
                    continue
                }
                Err(output) => panic!("jamscope exited:\n{output}"),
            }
        }
    }

    fn try_start(options: &CollectorOptions) -> Result<Self, String> {
        let http_port = free_port();
        let grpc_port = free_port();
        let database = options
            .database
            .clone()
            .unwrap_or_else(|| unique_database("e2e"));
        let data_dir = options
            .data_dir
            .clone()
            .unwrap_or_else(|| tempfile::tempdir().expect("temp dir").keep());
        let mut command = Command::new(jamscope_bin());
        command
            .arg("serve")
            .current_dir(std::env::temp_dir())
            .env("JAMSCOPE_HTTP_ADDR", format!("127.0.0.1:{http_port}"))
            .env("JAMSCOPE_GRPC_ADDR", format!("127.0.0.1:{grpc_port}"))
            .env("JAMSCOPE_CLICKHOUSE_DATABASE", &database)
            .env("JAMSCOPE_DATA_DIR", &data_dir)
            .env("JAMSCOPE_WRITER_FLUSH_INTERVAL_MS", "200")
            .env("JAMSCOPE_LOG", "info")
            // Alerting is on where a test asks for it (its own env wins).
            .env("JAMSCOPE_ALERT_ENABLED", "false")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if options.shared_clickhouse {
            command.env("JAMSCOPE_CLICKHOUSE_URL", clickhouse_url());
        } else {
            command
                .env("JAMSCOPE_CLICKHOUSE_EMBEDDED_PYTHON", python())
                .env("JAMSCOPE_CLICKHOUSE_EMBEDDED_HTTP_PORT", "0")
                .env("JAMSCOPE_CLICKHOUSE_EMBEDDED_TCP_PORT", "0");
        }
        if options.self_telemetry_to_self {
            command.env(
                "JAMSCOPE_SELF_TELEMETRY_ENDPOINT",
                format!("http://127.0.0.1:{http_port}"),
            );
        }
        for (key, value) in &options.env {
            command.env(key, value);
        }
        let mut child = command
            .spawn()
            .expect("start jamscope (run `cargo build` first)");
        let output = std::sync::Arc::new(Mutex::new(String::new()));
        let (ready_tx, ready_rx) = mpsc::channel();
        for stream in [
            Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().expect("stderr")),
        ] {
            let output = std::sync::Arc::clone(&output);
            let ready_tx = ready_tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if let Some(url) = line.trim().strip_prefix("ClickHouse") {
                        let url = url.split_whitespace().next().unwrap_or("").to_owned();
                        let _ = ready_tx.send(url);
                    }
                    output.lock().unwrap().push_str(&(line + "\n"));
                }
            });
        }
        // Wait for the banner, failing fast if the process exits instead.
        let deadline = Instant::now() + Duration::from_secs(120);
        let clickhouse_url = loop {
            match ready_rx.recv_timeout(Duration::from_millis(200)) {
                Ok(url) => break url,
                Err(_) if Instant::now() > deadline => {
                    let _ = child.kill();
                    panic!("jamscope did not become ready:\n{}", output.lock().unwrap());
                }
                Err(_) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        std::thread::sleep(Duration::from_millis(200));
                        return Err(format!("({status}) {}", output.lock().unwrap()));
                    }
                }
            }
        };
        Ok(Collector {
            child,
            http_port,
            grpc_port,
            database,
            clickhouse_url,
            data_dir,
            output,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.http_port)
    }

    pub fn grpc_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.grpc_port)
    }

    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// SIGTERM, then wait for a clean exit.
    pub fn stop(&mut self) -> ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("jamscope did not stop within 60 s:\n{}", self.output());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no chance to write or spool anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Runs SQL against this collector's database; JSONEachRow rows.
    pub fn query(&self, sql: &str) -> Vec<Value> {
        query_json(&self.clickhouse_url, &self.database, sql)
    }

    /// Polls `SELECT count()` on `table` until it reaches `expected`.
    pub fn wait_for_rows(&self, table: &str, expected: u64) -> u64 {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let rows = self.query(&format!("SELECT count() AS n FROM {table}"));
            let n = rows
                .first()
                .and_then(|r| {
                    r["n"]
                        .as_str()
                        .and_then(|s| s.parse().ok())
                        .or(r["n"].as_u64())
                })
                .unwrap_or(0);
            if n >= expected || Instant::now() > deadline {
                return n;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if self.is_running() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Runs a future to completion on a throwaway runtime: the tests are plain
/// threads, and each blocking helper brings its own.
/// The collector's `/metrics` page.
pub fn metrics_text(collector: &Collector) -> String {
    block_on(async {
        reqwest::get(format!("{}/metrics", collector.http_url()))
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text")
    })
}

/// Posts one beacon body to the collector's `/v1/rum`, as `sendBeacon`
/// sends it (`text/plain`); the status.
pub fn post_beacon(collector: &Collector, body: &str) -> u16 {
    block_on(async {
        reqwest::Client::new()
            .post(format!("{}/v1/rum", collector.http_url()))
            .header("content-type", "text/plain")
            .body(body.to_owned())
            .send()
            .await
            .expect("beacon answered")
            .status()
            .as_u16()
    })
}

/// The value of the OpenMetrics series named exactly `series` (name and
/// labels), e.g. `jamscope_queue_bytes{table="otel_traces"}`.
pub fn metric(text: &str, series: &str) -> Option<u64> {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|value| value.trim().parse().ok())
}

pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// POSTs SQL to ClickHouse's HTTP interface; panics with its message on error.
fn clickhouse_post(url: &str, sql: String) -> String {
    block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .body(sql.clone())
            .send()
            .await
            .expect("ClickHouse answers");
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        assert!(
            status.is_success(),
            "ClickHouse refused ({status}): {sql}\n{text}"
        );
        text
    })
}

/// A query against `database`, rows as JSON objects.
pub fn query_json(url: &str, database: &str, sql: &str) -> Vec<Value> {
    let url = format!("{url}/?database={database}&output_format_json_quote_64bit_integers=0");
    clickhouse_post(&url, format!("{sql} FORMAT JSONEachRow"))
        .lines()
        .map(|line| serde_json::from_str(line).expect("JSON row"))
        .collect()
}

/// A query against `database` with its answer's column names and types
/// (JSONCompact's `meta`) and rows as arrays.
pub fn query_typed(
    url: &str,
    database: &str,
    sql: &str,
) -> (Vec<(String, String)>, Vec<Vec<Value>>) {
    let url = format!("{url}/?database={database}&output_format_json_quote_64bit_integers=0");
    let answer: Value =
        serde_json::from_str(&clickhouse_post(&url, format!("{sql} FORMAT JSONCompact")))
            .expect("JSONCompact");
    let columns = answer["meta"]
        .as_array()
        .expect("meta")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_owned(),
                c["type"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let rows = answer["data"]
        .as_array()
        .expect("data")
        .iter()
        .map(|r| r.as_array().cloned().unwrap_or_default())
        .collect();
    (columns, rows)
}

/// Runs a statement that returns nothing (DDL, RENAME, ...).
pub fn execute(url: &str, sql: &str) {
    clickhouse_post(&format!("{url}/"), sql.to_owned());
}

/// Runs `jamscope <args>` to completion with extra environment.
pub fn run_jamscope(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = Command::new(jamscope_bin());
    command.args(args).current_dir(std::env::temp_dir());
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("jamscope runs")
}
