//! Where to send data, printed once everything is serving.

use super::listeners::Addresses;
use crate::listen::{ListenerKind, TlsConfig};
use crate::store::client::Connection;
use crate::store::embedded::EmbeddedClickHouse;

/// What the banner shows.
pub(super) struct Banner<'a> {
    pub listeners: Addresses,
    pub tls: &'a TlsConfig,
    pub builds_on: bool,
    /// API keys valid now; 0: open.
    pub keys: usize,
    pub connection: &'a Connection,
    pub embedded: Option<&'a EmbeddedClickHouse>,
}

/// Where to send data, on stdout: people read it after `make run`, and the
/// end-to-end tests read the ClickHouse line (which stays last).
pub(super) fn print(banner: &Banner<'_>) {
    let scheme = |kind| {
        if banner.tls.enabled(kind) {
            "https"
        } else {
            "http"
        }
    };
    let http = format!("{}://{}", scheme(ListenerKind::Http), banner.listeners.http);
    let grpc = format!("{}://{}", scheme(ListenerKind::Grpc), banner.listeners.grpc);
    let (rum, rum_note) = match banner.listeners.rum {
        Some(addr) => (
            format!("{}://{addr}", scheme(ListenerKind::Rum)),
            " (public listener: RUM only)",
        ),
        None => (http.clone(), ""),
    };
    let clickhouse_kind = match banner.embedded {
        Some(e) => format!("embedded, {}", e.engine()),
        None => "configured".to_owned(),
    };
    let builds = if banner.builds_on {
        ""
    } else {
        " (off: set builds.webhook_secret)"
    };
    let keys = match banner.keys {
        0 => {
            "OFF: no API keys, OTLP, /api, /ui and /metrics are open (set auth.api_keys)".to_owned()
        }
        1 => "1 API key required on OTLP, /api, /ui, /metrics".to_owned(),
        n => format!("{n} API keys valid on OTLP, /api, /ui, /metrics"),
    };
    println!(
        "Jamscope is ready.\n  OTLP/HTTP traces  {http}/v1/traces\n  OTLP/HTTP logs    {http}/v1/logs\n  OTLP/gRPC         {grpc}\n  RUM beacons       {rum}/v1/rum (script {rum}/rum.js){rum_note}\n  Build events      {http}/v1/builds{builds}\n  Query API         {http}/api/\n  Web UI            {http}/ui/\n  Metrics           {http}/metrics\n  Auth              {keys}\n  ClickHouse        {} (database {}, {clickhouse_kind})",
        banner.connection.url(),
        banner.connection.database()
    );
}
