//! The local ClickHouse that `serve` starts when no ClickHouse URL is
//! configured: a `clickhouse` binary from PATH when there is one
//! ([`server_binary`]), otherwise the ClickHouse engine shipped by the
//! `chdb-core` Python package ([`chdb`]). Both listen on loopback only, keep
//! their data under the data dir, and stop cleanly with the collector.

mod chdb;
mod server_binary;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, ChildStdin, Command};

use super::client::{Connection, ConnectionSettings};
use super::StoreError;

#[derive(Debug, Clone)]
pub struct EmbeddedSettings {
    /// Where ClickHouse keeps its data and the launcher its files.
    pub data_dir: PathBuf,
    /// The Python interpreter that has `chdb-core` installed.
    pub python: PathBuf,
    /// 0 picks a free port.
    pub http_port: u16,
    pub tcp_port: u16,
    pub start_timeout: Duration,
}

/// A running local ClickHouse. Dropping it kills the process; call
/// [`EmbeddedClickHouse::stop`] for a clean stop.
pub struct EmbeddedClickHouse {
    child: Child,
    /// Closing the launcher's stdin is its stop signal (chdb).
    stdin: Option<ChildStdin>,
    url: String,
    engine: &'static str,
}

impl EmbeddedClickHouse {
    pub async fn start(settings: &EmbeddedSettings) -> Result<Self, StoreError> {
        std::fs::create_dir_all(&settings.data_dir).map_err(|e| {
            StoreError::Embedded(format!(
                "cannot create data dir {}: {e}",
                settings.data_dir.display()
            ))
        })?;
        match find_on_path("clickhouse") {
            Some(binary) => server_binary::start(&binary, settings).await,
            None => chdb::start(settings).await,
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which engine runs: `clickhouse-server` or `chdb`.
    pub fn engine(&self) -> &'static str {
        self.engine
    }

    /// Asks the server to stop and waits for it; kills it after `timeout`.
    pub async fn stop(mut self, timeout: Duration) -> Result<(), StoreError> {
        drop(self.stdin.take());
        if let Some(pid) = self.child.id() {
            // SIGTERM: clickhouse-server and the chdb launcher both stop cleanly on it.
            let _ = Command::new("kill")
                .arg("-TERM")
                .arg(pid.to_string())
                .status()
                .await;
        }
        match tokio::time::timeout(timeout, self.child.wait()).await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => Err(StoreError::Embedded(format!("waiting for it to stop: {e}"))),
            Err(_) => {
                let _ = self.child.kill().await;
                Err(StoreError::Embedded(format!(
                    "did not stop within {} s; killed",
                    timeout.as_secs()
                )))
            }
        }
    }
}

/// Waits until the local server on `http_port` answers; the error quotes
/// the server's log, which says why when it does not.
async fn wait_until_answering(
    http_port: u16,
    settings: &EmbeddedSettings,
    log: &Path,
) -> Result<String, StoreError> {
    let url = format!("http://127.0.0.1:{http_port}");
    let connection = Connection::open(ConnectionSettings::new(url.clone(), "default"))?;
    connection
        .wait_until_ready(settings.start_timeout)
        .await
        .map_err(|e| {
            StoreError::Embedded(format!("{e}\nlog {}:\n{}", log.display(), log_tail(log)))
        })?;
    Ok(url)
}

/// Spawns `command` with its output appended to `log`, stdin piped, and the
/// process killed if the handle is dropped.
fn spawn_logged(mut command: Command, log: &Path) -> Result<Child, StoreError> {
    let open = || {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .map_err(|e| StoreError::Embedded(format!("cannot open log {}: {e}", log.display())))
    };
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::from(open()?))
        .stderr(Stdio::from(open()?))
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            StoreError::Embedded(format!(
                "cannot start {:?}: {e} (set clickhouse.embedded_python to a Python with chdb-core; `make venv` makes one)",
                command.as_std().get_program()
            ))
        })
}

/// The last lines of a log, to quote when the server fails to start.
fn log_tail(log: &Path) -> String {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    let lines: Vec<&str> = text.lines().rev().take(8).collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("\n")
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

fn write_file(path: &Path, contents: &str) -> Result<(), StoreError> {
    std::fs::write(path, contents)
        .map_err(|e| StoreError::Embedded(format!("cannot write {}: {e}", path.display())))
}
