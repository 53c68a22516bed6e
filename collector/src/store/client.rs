//! Connection settings → a `clickhouse::Client` on our own HTTP client
//! (plain or TLS, one connection pool per process), and waiting until the
//! server answers.

use std::error::Error as StdError;
use std::path::PathBuf;
use std::time::Duration;

use clickhouse::{Client, Compression};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use super::StoreError;
use crate::tls_trust as tls;

/// `clickhouse.connect_timeout_ms` when not configured.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The `clickhouse` crate's own client uses these two.
const TCP_KEEPALIVE: Duration = Duration::from_secs(60);
/// Below ClickHouse's 3 s keep-alive timeout, so a pooled connection is
/// dropped by us before the server closes it under a request.
const POOL_IDLE_TIMEOUT: Duration = Duration::from_secs(2);

/// `clickhouse.compression`: how INSERT bodies (and answers) travel.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WireCompression {
    /// LZ4 unless the server is on this host (a loopback address or
    /// `localhost`, the embedded engine among them): there it saves no
    /// network, and sending plain took 12 % off the collector's CPU per
    /// span for about 2 % more in ClickHouse (BENCHMARKS.md, "Round three").
    #[default]
    Auto,
    Lz4,
    None,
}

impl WireCompression {
    /// Whether to compress when talking to `url`.
    pub fn compresses(self, url: &str) -> bool {
        match self {
            Self::Lz4 => true,
            Self::None => false,
            Self::Auto => !is_loopback(url),
        }
    }
}

/// Whether `url` names this host: `localhost` or a loopback address.
fn is_loopback(url: &str) -> bool {
    let Ok(uri) = url.parse::<hyper::Uri>() else {
        return false;
    };
    match uri.host() {
        Some(host) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            host.eq_ignore_ascii_case("localhost")
                || host
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        }
        None => false,
    }
}

/// Where ClickHouse is and how to reach it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionSettings {
    pub url: String,
    pub database: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// PEM certificates trusted besides the public roots (a private CA).
    pub ca_file: Option<PathBuf>,
    /// Trust any server certificate: self-signed test setups only.
    pub accept_invalid_certs: bool,
    /// Longest wait for a TCP connection.
    pub connect_timeout: Duration,
    pub compression: WireCompression,
}

impl ConnectionSettings {
    /// No credentials, public roots, the default connect timeout.
    pub fn new(url: impl Into<String>, database: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            database: database.into(),
            user: None,
            password: None,
            ca_file: None,
            accept_invalid_certs: false,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            compression: WireCompression::default(),
        }
    }
}

/// An opened connection: its settings and the one client every query and
/// writer clones, sharing its connection pool.
#[derive(Debug, Clone)]
pub struct Connection {
    settings: ConnectionSettings,
    server: Client,
}

impl Connection {
    /// Builds the HTTP client; fails only on a bad TLS setup (CA file).
    pub fn open(settings: ConnectionSettings) -> Result<Self, StoreError> {
        let tls = tls::client_config(settings.ca_file.as_deref(), settings.accept_invalid_certs)?;
        if settings.accept_invalid_certs && settings.url.starts_with("https://") {
            tracing::warn!(
                url = %crate::redact::url(&settings.url),
                "clickhouse.tls_accept_invalid_certs is set: the server's certificate is not checked"
            );
        }
        let mut http = HttpConnector::new();
        // The TLS layer above decides http:// or https://; this one only
        // opens TCP connections for both.
        http.enforce_http(false);
        http.set_keepalive(Some(TCP_KEEPALIVE));
        http.set_connect_timeout(Some(settings.connect_timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let http_client = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_idle_timeout(POOL_IDLE_TIMEOUT)
            .build(connector);
        let mut server = Client::with_http_client(http_client)
            .with_url(&settings.url)
            .with_compression(match settings.compression.compresses(&settings.url) {
                true => Compression::Lz4,
                false => Compression::None,
            })
            // Rows are encoded by `rows`, whose column lists are checked by
            // the end-to-end tests; skipping validation saves a schema fetch.
            .with_validation(false);
        if let Some(user) = &settings.user {
            server = server.with_user(user);
        }
        if let Some(password) = &settings.password {
            server = server.with_password(password);
        }
        Ok(Self { settings, server })
    }

    /// The same credentials, TLS and timeouts for another server: a node of
    /// the same cluster.
    pub fn for_url(&self, url: &str) -> Result<Self, StoreError> {
        Self::open(ConnectionSettings {
            url: url.to_owned(),
            ..self.settings.clone()
        })
    }

    /// The URL to show people: its password, if any, redacted.
    pub fn url(&self) -> String {
        crate::redact::url(&self.settings.url)
    }

    pub fn database(&self) -> &str {
        &self.settings.database
    }

    /// A client for the configured database.
    pub fn client(&self) -> Client {
        self.server_client().with_database(&self.settings.database)
    }

    /// A client not bound to a database, for creating it.
    pub fn server_client(&self) -> Client {
        self.server.clone()
    }

    /// Polls `SELECT 1` until the server answers or `timeout` passes. A
    /// failed TLS handshake ends the wait at once: waiting does not make a
    /// certificate trusted.
    pub async fn wait_until_ready(&self, timeout: Duration) -> Result<(), StoreError> {
        let client = self.server_client();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let error = match client.query("SELECT 1").fetch_one::<u8>().await {
                Ok(_) => return Ok(()),
                Err(error) => error,
            };
            if is_tls_failure(&error) {
                return Err(StoreError::Tls {
                    url: crate::redact::url(&self.settings.url),
                    cause: error_chain(&error),
                });
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(StoreError::NotReady {
                    url: crate::redact::url(&self.settings.url),
                    seconds: timeout.as_secs(),
                    last_error: error_chain(&error),
                });
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// The errors under `error`, outermost first. `io::Error::source` skips the
/// error it wraps (it returns that one's source), and hyper-rustls wraps the
/// TLS error in two `io::Error`s, so wrapped errors are visited explicitly.
fn causes<'a>(
    error: &'a (dyn StdError + 'static),
) -> impl Iterator<Item = &'a (dyn StdError + 'static)> {
    std::iter::successors(
        Some(error),
        |&error: &&'a (dyn StdError + 'static)| match error
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
        {
            Some(inner) => Some(inner as &(dyn StdError + 'static)),
            None => error.source(),
        },
    )
}

fn is_tls_failure(error: &clickhouse::error::Error) -> bool {
    causes(error).any(|cause| cause.is::<rustls::Error>())
}

/// "network error: client error (Connect): invalid peer certificate: …":
/// the clickhouse crate's text alone stops at "client error (Connect)".
/// Levels whose text the previous one already ends with are left out.
fn error_chain(error: &clickhouse::error::Error) -> String {
    let mut text = String::new();
    for cause in causes(error) {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    /// The shape hyper-rustls gives a refused certificate: the rustls error
    /// inside an `InvalidData` I/O error inside an `Other` I/O error.
    fn refused_certificate() -> clickhouse::error::Error {
        let tls = rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer);
        let inner = io::Error::new(io::ErrorKind::InvalidData, tls);
        clickhouse::error::Error::Network(Box::new(io::Error::other(inner)))
    }

    #[test]
    fn a_refused_certificate_is_a_tls_failure_and_is_named() {
        let error = refused_certificate();
        assert!(is_tls_failure(&error));
        assert_eq!(
            error_chain(&error),
            "network error: invalid peer certificate: UnknownIssuer"
        );
    }

    #[test]
    fn auto_compresses_only_what_leaves_this_host() {
        let auto = WireCompression::Auto;
        for local in [
            "http://127.0.0.1:8123",
            "http://127.3.4.5:8123/",
            "http://localhost:8123",
            "https://LOCALHOST",
            "http://[::1]:8123",
        ] {
            assert!(!auto.compresses(local), "{local}");
        }
        for remote in [
            "http://10.0.0.7:8123",
            "https://ch.example:8443",
            "http://[2001:db8::1]:8123",
            "not a url",
        ] {
            assert!(auto.compresses(remote), "{remote}");
        }
        assert!(WireCompression::Lz4.compresses("http://127.0.0.1:8123"));
        assert!(!WireCompression::None.compresses("https://ch.example:8443"));
    }

    #[test]
    fn a_refused_connection_is_not_a_tls_failure() {
        let refused = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let error = clickhouse::error::Error::Network(Box::new(refused));
        assert!(!is_tls_failure(&error));
        assert_eq!(error_chain(&error), "network error: connection refused");
    }
}
