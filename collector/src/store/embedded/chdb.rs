//! ClickHouse served by the chdb engine (PyPI `chdb-core`) through a small
//! Python launcher that is compiled into the binary and written out at start.

use std::time::Duration;

use tokio::process::Command;

use super::{
    log_tail, spawn_logged, wait_until_answering, write_file, EmbeddedClickHouse, EmbeddedSettings,
};
use crate::store::StoreError;

const LAUNCHER: &str = include_str!("launch_chdb.py");

pub(super) async fn start(settings: &EmbeddedSettings) -> Result<EmbeddedClickHouse, StoreError> {
    let workdir = settings.data_dir.join("chdb-launcher");
    let data = settings.data_dir.join("clickhouse");
    for dir in [&workdir, &data] {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Embedded(format!("cannot create {}: {e}", dir.display())))?;
    }
    // clickhouse-local reads its server settings from this file in its cwd.
    write_file(
        &workdir.join("clickhouse-local.xml"),
        &format!(
            "<clickhouse>\n  <listen_host>127.0.0.1</listen_host>\n  <http_port>{}</http_port>\n  <tcp_port>{}</tcp_port>\n</clickhouse>\n",
            settings.http_port, settings.tcp_port
        ),
    )?;
    write_file(&workdir.join("launch_chdb.py"), LAUNCHER)?;
    let ports_file = workdir.join("ports.tsv");
    let _ = std::fs::remove_file(&ports_file);
    let log = settings.data_dir.join("clickhouse.log");

    // The launcher runs in its own working dir, so a relative interpreter
    // path is resolved against ours first; a bare name is looked up on PATH.
    let python = if settings.python.components().count() > 1 {
        std::path::absolute(&settings.python).unwrap_or_else(|_| settings.python.clone())
    } else {
        settings.python.clone()
    };
    let mut command = Command::new(&python);
    command
        .arg("-u")
        .arg("launch_chdb.py")
        .arg(&data)
        .current_dir(&workdir);
    let mut child = spawn_logged(command, &log)?;
    let stdin = child.stdin.take();

    let deadline = tokio::time::Instant::now() + settings.start_timeout;
    let http_port = loop {
        if let Some(port) = read_http_port(&ports_file) {
            break port;
        }
        if let Ok(Some(status)) = child.try_wait() {
            return Err(StoreError::Embedded(format!(
                "{} exited ({status}) before listening; is chdb-core installed for it? Log {}:\n{}",
                python.display(),
                log.display(),
                log_tail(&log)
            )));
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(StoreError::Embedded(format!(
                "not listening after {} s; log {}:\n{}",
                settings.start_timeout.as_secs(),
                log.display(),
                log_tail(&log)
            )));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let url = wait_until_answering(http_port, settings, &log).await?;
    Ok(EmbeddedClickHouse {
        child,
        stdin,
        url,
        engine: "chdb",
    })
}

/// The launcher writes "<http port>\t<tcp port>\n" once both listen.
fn read_http_port(ports_file: &std::path::Path) -> Option<u16> {
    let text = std::fs::read_to_string(ports_file).ok()?;
    let line = text.lines().next()?;
    line.split('\t')
        .next()?
        .trim()
        .parse()
        .ok()
        .filter(|&p| p != 0)
}
