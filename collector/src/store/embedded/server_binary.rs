//! ClickHouse served by a `clickhouse` binary found on PATH, with a config
//! generated under the data dir.

use std::net::TcpListener;
use std::path::Path;

use tokio::process::Command;

use super::{spawn_logged, wait_until_answering, write_file, EmbeddedClickHouse, EmbeddedSettings};
use crate::store::StoreError;

pub(super) async fn start(
    binary: &Path,
    settings: &EmbeddedSettings,
) -> Result<EmbeddedClickHouse, StoreError> {
    // clickhouse-server cannot report a port it picked, so pick them here.
    let http_port = pick_port(settings.http_port)?;
    let tcp_port = pick_port(settings.tcp_port)?;
    let root = settings.data_dir.join("clickhouse-server");
    std::fs::create_dir_all(&root)
        .map_err(|e| StoreError::Embedded(format!("cannot create {}: {e}", root.display())))?;
    let config_path = root.join("config.xml");
    write_file(&config_path, &server_config(&root, http_port, tcp_port))?;
    let log = settings.data_dir.join("clickhouse.log");

    let mut command = Command::new(binary);
    command
        .arg("server")
        .arg(format!("--config-file={}", config_path.display()));
    let child = spawn_logged(command, &log)?;
    let url = wait_until_answering(http_port, settings, &log).await?;
    Ok(EmbeddedClickHouse {
        child,
        stdin: None,
        url,
        engine: "clickhouse-server",
    })
}

fn pick_port(wanted: u16) -> Result<u16, StoreError> {
    if wanted != 0 {
        return Ok(wanted);
    }
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .map_err(|e| StoreError::Embedded(format!("cannot find a free port: {e}")))
}

/// A minimal single-node config: loopback only, one passwordless `default`
/// user limited to loopback, everything under `root`.
fn server_config(root: &Path, http_port: u16, tcp_port: u16) -> String {
    let root = root.display();
    format!(
        r#"<clickhouse>
  <listen_host>127.0.0.1</listen_host>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <path>{root}/data/</path>
  <tmp_path>{root}/tmp/</tmp_path>
  <user_files_path>{root}/user_files/</user_files_path>
  <logger><level>warning</level><console>1</console></logger>
  <mark_cache_size>268435456</mark_cache_size>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
      <access_management>1</access_management>
    </default>
  </users>
  <profiles><default/></profiles>
  <quotas><default/></quotas>
</clickhouse>
"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_listens_on_loopback_with_chosen_ports() {
        let config = server_config(
            Path::new("/var/lib/jamscope/clickhouse-server"),
            18123,
            19000,
        );
        assert!(config.contains("<listen_host>127.0.0.1</listen_host>"));
        assert!(config.contains("<http_port>18123</http_port>"));
        assert!(config.contains("<tcp_port>19000</tcp_port>"));
        assert!(config.contains("<path>/var/lib/jamscope/clickhouse-server/data/</path>"));
    }

    #[test]
    fn port_zero_becomes_a_free_port() {
        assert_ne!(pick_port(0).unwrap(), 0);
        assert_eq!(pick_port(8123).unwrap(), 8123);
    }
}
