//! ClickHouse over https://: a TLS-terminating proxy with a self-signed
//! certificate made per test sits in front of the shared ClickHouse. A
//! collector that trusts the certificate (CA file, or accept-any) writes
//! through it; one that does not fails at once and names the certificate.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::TlsAcceptor;

use crate::harness::{
    clickhouse_url, query_json, run_jamscope, unique_database, Collector, CollectorOptions,
};
use crate::payload::{post, protobuf_spans};

const PROTOBUF: Option<&str> = Some("application/x-protobuf");

/// TLS on a free loopback port, plain TCP to `upstream`. Its runtime, and
/// with it the listener and every connection, ends when it is dropped.
struct TlsProxy {
    runtime: Option<tokio::runtime::Runtime>,
    port: u16,
    /// The certificate as PEM: what `clickhouse.ca_file` points at.
    ca_file: PathBuf,
    handshakes: Arc<AtomicUsize>,
    _dir: tempfile::TempDir,
}

impl TlsProxy {
    fn start(upstream_url: &str) -> Self {
        let upstream: SocketAddr = upstream_url
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .parse()
            .expect("the shared ClickHouse listens on an IP address");
        let certified = rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned()])
            .expect("self-signed certificate");
        let dir = tempfile::tempdir().expect("temp dir");
        let ca_file = dir.path().join("clickhouse-proxy.pem");
        std::fs::write(&ca_file, certified.cert.pem()).expect("write certificate");
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
            certified.signing_key.serialize_der(),
        ));
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .expect("server certificate");
        let acceptor = TlsAcceptor::from(Arc::new(config));

        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind loopback");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let handshakes = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&handshakes);
        runtime.spawn(async move {
            let listener = TcpListener::from_std(listener).expect("tokio listener");
            while let Ok((client, _)) = listener.accept().await {
                let acceptor = acceptor.clone();
                let counted = Arc::clone(&counted);
                tokio::spawn(async move {
                    // A refused handshake is what the untrusting case
                    // expects; it just ends this connection.
                    let Ok(mut tls) = acceptor.accept(client).await else {
                        return;
                    };
                    counted.fetch_add(1, Ordering::SeqCst);
                    if let Ok(mut server) = TcpStream::connect(upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut tls, &mut server).await;
                    }
                });
            }
        });
        TlsProxy {
            runtime: Some(runtime),
            port,
            ca_file,
            handshakes,
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        format!("https://127.0.0.1:{}", self.port)
    }

    fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}

impl Drop for TlsProxy {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

/// Posts spans to `collector` and checks they arrive in ClickHouse through
/// the proxy, that the collector warned about unchecked certificates exactly
/// when `warned`, and that it stops cleanly.
fn assert_spans_written_through(
    proxy: &TlsProxy,
    mut collector: Collector,
    service: &str,
    warned: bool,
) {
    assert_eq!(
        collector.clickhouse_url,
        proxy.url(),
        "the collector writes to the proxy"
    );
    // The banner names the https:// URL; the test's own queries go straight
    // to ClickHouse, past the proxy.
    collector.clickhouse_url = clickhouse_url().to_owned();
    let url = format!("{}/v1/traces", collector.http_url());
    let (status, _, body) = post(&url, PROTOBUF, None, protobuf_spans(service, 25));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    assert_eq!(
        collector.wait_for_rows("otel_traces", 25),
        25,
        "{}",
        collector.output()
    );
    let rows = collector.query("SELECT DISTINCT ServiceName AS service FROM otel_traces");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["service"], service);
    assert!(
        proxy.handshakes() > 0,
        "no TLS connection reached the proxy"
    );
    // Checked after the rows arrived: by then the log reader has long
    // passed the start-up warning.
    assert_eq!(
        collector.output().contains("tls_accept_invalid_certs"),
        warned,
        "{}",
        collector.output()
    );
    let status = collector.stop();
    assert!(status.success(), "clean exit:\n{}", collector.output());
}

#[test]
fn spans_reach_clickhouse_over_tls_with_the_ca_file() {
    let proxy = TlsProxy::start(clickhouse_url());
    let collector = Collector::start_with(
        CollectorOptions::default()
            .env("JAMSCOPE_CLICKHOUSE_URL", proxy.url())
            .env(
                "JAMSCOPE_CLICKHOUSE_CA_FILE",
                proxy.ca_file.to_string_lossy(),
            ),
    );
    assert_spans_written_through(&proxy, collector, "tls-ca-file", false);
}

#[test]
fn spans_reach_clickhouse_over_tls_accepting_any_certificate() {
    let proxy = TlsProxy::start(clickhouse_url());
    let collector = Collector::start_with(
        CollectorOptions::default()
            .env("JAMSCOPE_CLICKHOUSE_URL", proxy.url())
            .env("JAMSCOPE_CLICKHOUSE_TLS_ACCEPT_INVALID_CERTS", "true"),
    );
    assert_spans_written_through(&proxy, collector, "tls-accept-any", true);
}

#[test]
fn an_untrusted_certificate_stops_migrate_at_once_and_says_why() {
    let proxy = TlsProxy::start(clickhouse_url());
    let database = unique_database("tls_untrusted");
    let url = proxy.url();
    let started = Instant::now();
    let output = run_jamscope(
        &["migrate"],
        &[
            ("JAMSCOPE_CLICKHOUSE_URL", url.as_str()),
            ("JAMSCOPE_CLICKHOUSE_DATABASE", database.as_str()),
            ("JAMSCOPE_CLICKHOUSE_START_TIMEOUT_SECS", "3"),
        ],
    );
    let elapsed = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("certificate") && stderr.contains("clickhouse.ca_file"),
        "{stderr}"
    );
    assert!(
        elapsed < Duration::from_secs(10),
        "took {elapsed:?}: {stderr}"
    );
    assert_eq!(proxy.handshakes(), 0);
    let databases = query_json(
        clickhouse_url(),
        "default",
        &format!("SELECT name FROM system.databases WHERE name = '{database}'"),
    );
    assert!(databases.is_empty(), "migrate reached ClickHouse");

    let bad_ca = run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_CLICKHOUSE_CA_FILE", "/nonexistent/ca.pem")],
    );
    assert!(!bad_ca.status.success());
    let stderr = String::from_utf8_lossy(&bad_ca.stderr);
    assert!(stderr.contains("clickhouse.ca_file"), "{stderr}");
}
