//! Who may send and read, and how much: API keys on OTLP/HTTP, OTLP/gRPC,
//! `/api` and `/metrics` (old and new key side by side, a key file
//! re-read on SIGHUP), RUM on a listener of its own that serves nothing
//! else, rate limits per client address, per key and overall with
//! `Retry-After`, security headers on `/api`, and TLS on every listener.
//! Real processes, real clients: raw HTTP, tonic, the Python SDK.

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};

use crate::harness::{block_on, free_port, metric, python, repo_root, Collector, CollectorOptions};
use crate::payload::{protobuf_spans, request, span};

const OLD_KEY: &str = "old-key-0f3c9a1e7b5d";
const NEW_KEY: &str = "new-key-8e2d4b6a0c1f";
const PROTOBUF: (&str, &str) = ("content-type", "application/x-protobuf");
const BEACON: &str = r#"{"name":"LCP","value":1840.2,"delta":1840.2,"id":"v5-1732380000000-111","page":"/blog/hello","connection":"4g"}"#;

struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn retry_after(&self) -> u64 {
        self.header("retry-after")
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no Retry-After: {:?}", self.headers))
    }
}

/// One blocking request, from `from` (a loopback address) when given.
fn send(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Vec<u8>,
    from: Option<&str>,
) -> Reply {
    block_on(async {
        let mut client = reqwest::Client::builder();
        if let Some(from) = from {
            client = client.local_address(Some(from.parse().expect("address")));
        }
        let client = client.build().expect("client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = client.request(method, url).body(body);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.expect("collector answers");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    })
}

fn get(url: &str, headers: &[(&str, &str)]) -> Reply {
    send("GET", url, headers, Vec::new(), None)
}

/// One span over OTLP/HTTP protobuf with `headers`.
fn otlp(base: &str, headers: &[(&str, &str)]) -> Reply {
    let mut all = vec![PROTOBUF];
    all.extend_from_slice(headers);
    send(
        "POST",
        &format!("{base}/v1/traces"),
        &all,
        protobuf_spans("access-e2e", 1),
        None,
    )
}

fn beacon(base: &str, from: Option<&str>) -> Reply {
    send(
        "POST",
        &format!("{base}/v1/rum"),
        &[("content-type", "text/plain;charset=UTF-8")],
        BEACON.into(),
        from,
    )
}

fn bearer(key: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {key}"))
}

/// One span over OTLP/gRPC with raw tonic, `metadata` as given.
fn grpc_export(url: &str, metadata: &[(&'static str, &str)]) -> Result<(), tonic::Status> {
    block_on(async {
        let mut client = TraceServiceClient::connect(url.to_owned())
            .await
            .expect("gRPC connects");
        let mut call = tonic::Request::new(request("access-grpc", vec![span("op")]));
        for (name, value) in metadata {
            call.metadata_mut()
                .insert(*name, value.parse().expect("metadata value"));
        }
        client.export(call).await.map(|_| ())
    })
}

/// The Python SDK sending a trace; `headers` as `OTEL_EXPORTER_OTLP_HEADERS`
/// says them. Ok: what it exported; Err: its stderr.
fn python_sdk(
    endpoint: &str,
    protocol: &str,
    headers: Option<&str>,
    ca_file: Option<&Path>,
) -> Result<Value, String> {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/send_spans.py"))
        .args(["--endpoint", endpoint, "--protocol", protocol])
        .args(["--timeout", "5"])
        .env_remove("OTEL_EXPORTER_OTLP_HEADERS");
    if let Some(headers) = headers {
        command.env("OTEL_EXPORTER_OTLP_HEADERS", headers);
    }
    if let Some(ca_file) = ca_file {
        // requests prefers REQUESTS_CA_BUNDLE (set on many machines) to
        // the exporter's certificate_file: point both at the test CA.
        command
            .arg("--ca-file")
            .arg(ca_file)
            .env("REQUESTS_CA_BUNDLE", ca_file)
            .env_remove("CURL_CA_BUNDLE");
    }
    let output = command.output().expect("python runs");
    if output.status.success() {
        Ok(serde_json::from_slice(&output.stdout).expect("client prints JSON"))
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

fn start(env: &[(&str, String)]) -> Collector {
    let mut options = CollectorOptions::default();
    for (key, value) in env {
        options = options.env(key, value.clone());
    }
    Collector::start_with(options)
}

fn assert_unauthorized(reply: &Reply, what: &str) {
    assert_eq!(reply.status, 401, "{what}: {}", reply.body);
    let error = reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(error.contains("API key"), "{what}: {}", reply.body);
    assert!(
        !error.contains(OLD_KEY) && !error.contains("wrong-key"),
        "{what} repeats a key: {error}"
    );
    assert_eq!(
        reply.header("www-authenticate"),
        Some("Bearer realm=\"jamscope\"")
    );
}

fn assert_security_headers(reply: &Reply) {
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert_eq!(
        reply.header("content-security-policy"),
        Some("default-src 'none'; frame-ancestors 'none'")
    );
    assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
}

#[test]
fn otlp_http_api_and_metrics_take_the_old_and_the_new_key_and_refuse_others() {
    let collector = start(&[("JAMSCOPE_AUTH_API_KEYS", format!("{OLD_KEY},{NEW_KEY}"))]);
    let base = collector.http_url();
    let (auth, old_bearer) = bearer(OLD_KEY);

    // OTLP/HTTP: missing, wrong, then each key, either header.
    assert_unauthorized(&otlp(&base, &[]), "no key");
    assert_unauthorized(
        &otlp(&base, &[("authorization", "Bearer wrong-key")]),
        "wrong key",
    );
    assert_unauthorized(
        &otlp(&base, &[("x-api-key", "wrong-key")]),
        "wrong x-api-key",
    );
    assert_eq!(otlp(&base, &[(auth, &old_bearer)]).status, 200);
    assert_eq!(otlp(&base, &[("x-api-key", NEW_KEY)]).status, 200);
    // A real SDK, its key set the usual way; refused without it.
    let sent = python_sdk(&base, "http", Some(&format!("x-api-key={NEW_KEY}")), None);
    assert!(sent.is_ok(), "{sent:?}");
    let refused = python_sdk(&base, "http", None, None);
    assert!(refused.is_err(), "exported without a key");
    assert_eq!(collector.wait_for_rows("otel_traces", 4), 4);

    // The API: refused without a key, with its security headers either way.
    let api = format!("{base}/api/traces?window=1h");
    let reply = get(&api, &[]);
    assert_unauthorized(&reply, "API without key");
    assert_security_headers(&reply);
    let reply = get(&api, &[("x-api-key", "wrong-key")]);
    assert_unauthorized(&reply, "API with a wrong key");
    let reply = get(&api, &[(auth, &old_bearer)]);
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_security_headers(&reply);
    assert_eq!(
        get(&api, &[("authorization", &format!("bearer {NEW_KEY}"))]).status,
        200
    );

    // Health stays open; /metrics takes a key.
    assert_eq!(get(&format!("{base}/healthz"), &[]).status, 200);
    assert_eq!(get(&format!("{base}/readyz"), &[]).status, 200);
    assert_unauthorized(&get(&format!("{base}/metrics"), &[]), "metrics without key");
    let metrics = get(&format!("{base}/metrics"), &[("x-api-key", OLD_KEY)]);
    assert_eq!(metrics.status, 200);
    let text = &metrics.body;
    assert_eq!(
        metric(
            text,
            "jamscope_requests_unauthenticated_total{endpoint=\"otlp_http\"}"
        ),
        Some(4),
        "{text}"
    );
    assert_eq!(
        metric(
            text,
            "jamscope_requests_unauthenticated_total{endpoint=\"api\"}"
        ),
        Some(2)
    );
    assert_eq!(
        metric(
            text,
            "jamscope_requests_unauthenticated_total{endpoint=\"metrics\"}"
        ),
        Some(1)
    );
    assert_eq!(
        metric(
            text,
            "jamscope_requests_refused_total{receiver=\"otlp_http\",status=\"401\"}"
        ),
        Some(4)
    );

    // Keys never reach the log; the banner says keys are required.
    let output = collector.output();
    assert!(
        !output.contains(OLD_KEY) && !output.contains(NEW_KEY),
        "{output}"
    );
    assert!(output.contains("2 API keys valid"), "{output}");
    assert!(!output.contains("no API keys configured"), "{output}");

    // `config check` shows the keys redacted.
    let check = crate::harness::run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_AUTH_API_KEYS", &format!("{OLD_KEY},{NEW_KEY}"))],
    );
    let shown = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{shown}");
    assert!(
        shown.contains("<redacted>") && !shown.contains(OLD_KEY),
        "{shown}"
    );
}

#[test]
fn otlp_grpc_takes_the_old_and_the_new_key_and_refuses_others() {
    let collector = start(&[("JAMSCOPE_AUTH_API_KEYS", format!("{OLD_KEY},{NEW_KEY}"))]);
    let url = collector.grpc_url();
    for (metadata, what) in [
        (vec![], "no key"),
        (vec![("authorization", "Bearer wrong-key")], "wrong key"),
        (vec![("x-api-key", "wrong-key")], "wrong x-api-key"),
    ] {
        let status = grpc_export(&url, &metadata).expect_err(what);
        assert_eq!(
            status.code(),
            tonic::Code::Unauthenticated,
            "{what}: {status:?}"
        );
        assert!(status.message().contains("API key"), "{status:?}");
    }
    let old_bearer = format!("Bearer {OLD_KEY}");
    grpc_export(&url, &[("authorization", &old_bearer)]).expect("old key");
    grpc_export(&url, &[("x-api-key", NEW_KEY)]).expect("new key");
    // The Python SDK over gRPC, its key from OTEL_EXPORTER_OTLP_HEADERS.
    let sent = python_sdk(&url, "grpc", Some(&format!("x-api-key={OLD_KEY}")), None);
    assert!(sent.is_ok(), "{sent:?}");
    assert!(python_sdk(&url, "grpc", None, None).is_err());
    assert_eq!(collector.wait_for_rows("otel_traces", 4), 4);

    let text = get(
        &format!("{}/metrics", collector.http_url()),
        &[("x-api-key", NEW_KEY)],
    )
    .body;
    assert_eq!(
        metric(
            &text,
            "jamscope_requests_unauthenticated_total{endpoint=\"otlp_grpc\"}"
        ),
        Some(4),
        "{text}"
    );
}

#[test]
fn a_key_file_is_read_again_on_sighup() {
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("api-keys");
    std::fs::write(&file, "# one a line\nfile-key-aaaa1111\n").expect("write");
    let collector = start(&[("JAMSCOPE_AUTH_API_KEYS_FILE", file.display().to_string())]);
    let base = collector.http_url();
    assert_eq!(
        otlp(&base, &[("x-api-key", "file-key-aaaa1111")]).status,
        200
    );
    assert_eq!(
        otlp(&base, &[("x-api-key", "file-key-bbbb2222")]).status,
        401
    );

    // Rotation: the new key first, beside the old.
    std::fs::write(&file, "file-key-aaaa1111\nfile-key-bbbb2222\n").expect("write");
    hangup(&collector);
    wait_until("the new key is valid", || {
        otlp(&base, &[("x-api-key", "file-key-bbbb2222")]).status == 200
    });
    assert_eq!(
        otlp(&base, &[("x-api-key", "file-key-aaaa1111")]).status,
        200
    );

    // Then the old one goes.
    std::fs::write(&file, "file-key-bbbb2222\n").expect("write");
    hangup(&collector);
    wait_until("the old key is refused", || {
        otlp(&base, &[("x-api-key", "file-key-aaaa1111")]).status == 401
    });

    // A file that no longer holds a key keeps the running keys.
    std::fs::write(&file, "\n").expect("write");
    hangup(&collector);
    wait_until("the failed reload is logged", || {
        collector.output().contains("API keys not reloaded")
    });
    assert_eq!(
        otlp(&base, &[("x-api-key", "file-key-bbbb2222")]).status,
        200
    );
    assert!(
        !collector.output().contains("file-key-"),
        "a key was logged"
    );
}

fn hangup(collector: &Collector) {
    let status = Command::new("kill")
        .args(["-HUP", &collector.pid().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
}

fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !done() {
        assert!(Instant::now() < deadline, "timed out: {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn rum_on_its_own_listener_serves_beacons_and_refuses_otlp_api_and_metrics() {
    let rum_port = free_port();
    let collector = start(&[("JAMSCOPE_RUM_ADDR", format!("127.0.0.1:{rum_port}"))]);
    let rum = format!("http://127.0.0.1:{rum_port}");
    let main = collector.http_url();
    let output = collector.output();
    assert!(
        output.contains(&format!("RUM beacons       {rum}/v1/rum")),
        "{output}"
    );
    // No keys: open, and said so.
    assert!(output.contains("no API keys configured"), "{output}");

    let reply = beacon(&rum, None);
    assert_eq!(reply.status, 200, "{}", reply.body);
    let script = get(&format!("{rum}/rum.js"), &[]);
    assert_eq!(script.status, 200);
    assert!(script.body.contains("sendBeacon"));
    assert_eq!(get(&format!("{rum}/healthz"), &[]).status, 200);
    for (reply, what) in [
        (otlp(&rum, &[]), "OTLP"),
        (get(&format!("{rum}/api/traces"), &[]), "/api"),
        (get(&format!("{rum}/metrics"), &[]), "/metrics"),
        (
            send(
                "POST",
                &format!("{rum}/v1/builds"),
                &[],
                b"{}".to_vec(),
                None,
            ),
            "builds",
        ),
    ] {
        assert_eq!(
            reply.status, 404,
            "{what} on the RUM listener: {}",
            reply.body
        );
        let error = reply.json()["error"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(error.contains("only RUM"), "{what}: {}", reply.body);
    }

    // The main listener has everything else, and points RUM away.
    let reply = beacon(&main, None);
    assert_eq!(reply.status, 404);
    assert!(reply.body.contains("rum_addr"), "{}", reply.body);
    assert_eq!(otlp(&main, &[]).status, 200);
    let api = get(&format!("{main}/api/traces?window=1h"), &[]);
    assert_eq!(api.status, 200, "{}", api.body);
    assert_security_headers(&api);
    assert_eq!(get(&format!("{main}/metrics"), &[]).status, 200);
    assert_eq!(collector.wait_for_rows("rum_vitals", 1), 1);
    assert_eq!(collector.wait_for_rows("otel_traces", 1), 1);
}

#[test]
fn rate_limits_per_ip_per_key_and_overall_answer_429_with_retry_after() {
    let collector = start(&[
        (
            "JAMSCOPE_AUTH_API_KEYS",
            "key-one-1111,key-two-2222,key-three-3333".into(),
        ),
        ("JAMSCOPE_LIMITS_PER_IP_PER_MINUTE", "2".into()),
        ("JAMSCOPE_LIMITS_PER_KEY_PER_MINUTE", "2".into()),
        ("JAMSCOPE_LIMITS_GLOBAL_PER_MINUTE", "5".into()),
    ]);
    let base = collector.http_url();

    // Per client address: two beacons a minute from 127.0.0.1 ...
    let first = Instant::now();
    assert_eq!(beacon(&base, Some("127.0.0.1")).status, 200);
    assert_eq!(beacon(&base, Some("127.0.0.1")).status, 200);
    let reply = beacon(&base, Some("127.0.0.1"));
    assert_eq!(reply.status, 429, "{}", reply.body);
    // A cell comes back 30 s after the first request.
    assert_waits(&reply, 30, first);
    assert!(
        reply.json()["error"]
            .as_str()
            .is_some_and(|e| e.contains("limits.per_ip_per_minute")),
        "{}",
        reply.body
    );
    // ... while 127.0.0.2 has its own. Global: 3 of 5 used.
    assert_eq!(beacon(&base, Some("127.0.0.2")).status, 200);

    // Per key: two requests a minute with key one (global: 5 of 5) ...
    let first = Instant::now();
    assert_eq!(otlp(&base, &[("x-api-key", "key-one-1111")]).status, 200);
    assert_eq!(otlp(&base, &[("x-api-key", "key-one-1111")]).status, 200);
    let reply = otlp(&base, &[("x-api-key", "key-one-1111")]);
    assert_eq!(reply.status, 429, "{}", reply.body);
    // A cell comes back 30 s after the first request.
    assert_waits(&reply, 30, first);
    assert!(
        reply.body.contains("limits.per_key_per_minute"),
        "{}",
        reply.body
    );
    let status = grpc_export(&collector.grpc_url(), &[("x-api-key", "key-one-1111")])
        .expect_err("key one is over its limit on gRPC too");
    assert_eq!(status.code(), tonic::Code::ResourceExhausted, "{status:?}");

    // ... and key two, within its own, meets the global limit.
    let reply = otlp(&base, &[("x-api-key", "key-two-2222")]);
    assert_eq!(reply.status, 429, "{}", reply.body);
    assert!(
        (1..=12).contains(&reply.retry_after()),
        "{:?}",
        reply.headers
    );
    assert!(
        reply.body.contains("limits.global_per_minute"),
        "{}",
        reply.body
    );
    let reply = beacon(&base, Some("127.0.0.3"));
    assert_eq!(
        reply.status, 429,
        "beacons count globally too: {}",
        reply.body
    );

    // Reading is not ingest: the global limit does not apply.
    let metrics = get(
        &format!("{base}/metrics"),
        &[("x-api-key", "key-three-3333")],
    );
    assert_eq!(metrics.status, 200, "{}", metrics.body);
    let text = &metrics.body;
    let limited = |limit: &str| {
        metric(
            text,
            &format!("jamscope_requests_rate_limited_total{{limit=\"{limit}\"}}"),
        )
    };
    assert_eq!(limited("per_ip"), Some(1), "{text}");
    assert_eq!(limited("per_key"), Some(2));
    assert_eq!(limited("global"), Some(2));
    assert_eq!(
        metric(
            text,
            "jamscope_requests_refused_total{receiver=\"rum\",status=\"429\"}"
        ),
        Some(2)
    );
    assert_eq!(
        metric(
            text,
            "jamscope_requests_refused_total{receiver=\"otlp_grpc\",status=\"429\"}"
        ),
        Some(1)
    );
    assert_eq!(collector.wait_for_rows("otel_traces", 2), 2);
}

/// `Retry-After` is what is left of `period` seconds since `first`,
/// rounded up.
fn assert_waits(reply: &Reply, period: u64, first: Instant) {
    let waited = first.elapsed().as_secs();
    let retry_after = reply.retry_after();
    assert!(
        retry_after <= period && retry_after + waited + 1 >= period,
        "Retry-After {retry_after} s, {waited} s after the first request"
    );
}

/// A private CA and a certificate it signed for 127.0.0.1: (CA PEM,
/// certificate chain PEM, key PEM). OpenSSL (Python's clients) trusts a
/// CA, not a self-signed leaf.
fn certificate() -> (String, String, String) {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    // Names differ: a leaf named like its issuer looks self-signed.
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Jamscope test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = ca_params.self_signed(&ca_key).expect("CA certificate");
    let key = KeyPair::generate().expect("key");
    let issuer = Issuer::from_params(&ca_params, &ca_key);
    let mut leaf_params = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("params");
    leaf_params
        .distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    let leaf = leaf_params.signed_by(&key, &issuer).expect("certificate");
    (ca.pem(), leaf.pem() + &ca.pem(), key.serialize_pem())
}

/// One HTTP/1.1 request over TLS trusting `ca_pem`: the status, and the
/// whole answer as text. Err: the handshake or connection failed.
fn https(
    port: u16,
    ca_pem: &str,
    method: &str,
    path: &str,
    body: &[u8],
) -> Result<(u16, String), String> {
    block_on(async {
        let mut roots = rustls::RootCertStore::empty();
        for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
            roots.add(cert.expect("PEM")).expect("trusted");
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
        let tcp = TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| e.to_string())?;
        let name = ServerName::try_from("127.0.0.1").expect("name");
        let mut tls = connector
            .connect(name, tcp)
            .await
            .map_err(|e| e.to_string())?;
        let head = format!(
            "{method} {path} HTTP/1.1\r\nhost: 127.0.0.1:{port}\r\ncontent-type: application/x-protobuf\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
            body.len()
        );
        tls.write_all(head.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        tls.write_all(body).await.map_err(|e| e.to_string())?;
        let mut answer = Vec::new();
        // A peer closing without close_notify still gave its answer.
        let _ = tls.read_to_end(&mut answer).await;
        let text = String::from_utf8_lossy(&answer).into_owned();
        let status = text
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no status line: {text}"))?;
        Ok((status, text))
    })
}

#[test]
fn tls_on_every_listener_serves_https_and_grpc_over_tls() {
    let dir = tempfile::tempdir().expect("dir");
    let (ca, cert, key) = certificate();
    let (rum_ca, rum_cert, rum_key) = certificate();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("write");
        path.display().to_string()
    };
    let rum_port = free_port();
    let collector = start(&[
        ("JAMSCOPE_TLS_CERT_FILE", write("cert.pem", &cert)),
        ("JAMSCOPE_TLS_KEY_FILE", write("key.pem", &key)),
        // The RUM listener has a certificate of its own.
        (
            "JAMSCOPE_TLS_RUM_CERT_FILE",
            write("rum-cert.pem", &rum_cert),
        ),
        ("JAMSCOPE_TLS_RUM_KEY_FILE", write("rum-key.pem", &rum_key)),
        ("JAMSCOPE_RUM_ADDR", format!("127.0.0.1:{rum_port}")),
        ("JAMSCOPE_AUTH_API_KEYS", NEW_KEY.into()),
    ]);
    let output = collector.output();
    let http_port = collector.http_port;
    let grpc_port = collector.grpc_port;
    for line in [
        format!("OTLP/HTTP traces  https://127.0.0.1:{http_port}/v1/traces"),
        format!("OTLP/gRPC         https://127.0.0.1:{grpc_port}"),
        format!("RUM beacons       https://127.0.0.1:{rum_port}/v1/rum"),
    ] {
        assert!(output.contains(&line), "{line}\n{output}");
    }

    // HTTPS: health, OTLP (the key still asked for), the RUM script.
    let (status, _) = https(http_port, &ca, "GET", "/healthz", b"").expect("https");
    assert_eq!(status, 200);
    let spans = protobuf_spans("access-tls", 1);
    let (status, answer) = https(http_port, &ca, "POST", "/v1/traces", &spans).expect("https");
    assert_eq!(status, 401, "{answer}");
    let (status, _) = https(rum_port, &rum_ca, "GET", "/rum.js", b"").expect("https");
    assert_eq!(status, 200);
    // Each listener shows its own certificate.
    assert!(https(rum_port, &ca, "GET", "/rum.js", b"").is_err());
    // Plain HTTP to a TLS listener gets no answer.
    let plain =
        block_on(async { reqwest::get(format!("http://127.0.0.1:{http_port}/healthz")).await });
    assert!(plain.is_err(), "{plain:?}");

    // Real SDK exporters over https and gRPC with TLS.
    let ca = write("ca.pem", &ca);
    let ca = Path::new(&ca);
    let headers = format!("x-api-key={NEW_KEY}");
    let sent = python_sdk(
        &format!("https://127.0.0.1:{http_port}"),
        "http",
        Some(&headers),
        Some(ca),
    );
    assert!(sent.is_ok(), "{sent:?}");
    let sent = python_sdk(
        &format!("https://127.0.0.1:{grpc_port}"),
        "grpc",
        Some(&headers),
        Some(ca),
    );
    assert!(sent.is_ok(), "{sent:?}");
    assert_eq!(collector.wait_for_rows("otel_traces", 4), 4);
}

#[test]
fn own_telemetry_sent_to_itself_presents_the_first_key() {
    let options = CollectorOptions {
        self_telemetry_to_self: true,
        ..CollectorOptions::default()
    }
    .env("JAMSCOPE_SELF_TELEMETRY_INTERVAL_SECS", "1")
    .env("JAMSCOPE_AUTH_API_KEYS", format!("{OLD_KEY},{NEW_KEY}"));
    let collector = Collector::start_with(options);
    // Client spans give the collector inserts to record spans of.
    assert_eq!(
        otlp(&collector.http_url(), &[("x-api-key", NEW_KEY)]).status,
        200
    );
    let own = || {
        collector.query("SELECT count() AS n FROM otel_traces WHERE ServiceName = 'jamscope'")[0]
            ["n"]
            .as_u64()
            .unwrap_or(0)
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while own() == 0 {
        assert!(
            Instant::now() < deadline,
            "no own span arrived:\n{}",
            collector.output()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    let text = get(
        &format!("{}/metrics", collector.http_url()),
        &[("x-api-key", OLD_KEY)],
    )
    .body;
    assert_eq!(
        metric(
            &text,
            "jamscope_requests_unauthenticated_total{endpoint=\"otlp_http\"}"
        ),
        Some(0),
        "{text}"
    );
}

/// A request that does not follow redirects, with a cookie when given.
fn browser(method: &str, url: &str, cookie: Option<&str>, body: &str) -> Reply {
    block_on(async {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = client
            .request(method, url)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        let response = request.send().await.expect("collector answers");
        Reply {
            status: response.status().as_u16(),
            headers: response.headers().clone(),
            body: response.text().await.expect("body"),
        }
    })
}

#[test]
fn the_web_ui_asks_for_a_key_and_keeps_it_in_a_strict_cookie() {
    let collector = start(&[("JAMSCOPE_AUTH_API_KEYS", format!("{OLD_KEY},{NEW_KEY}"))]);
    let base = collector.http_url();

    // No key: the pages send a browser to the sign-in form; assets are open.
    let page = browser("GET", &format!("{base}/ui/traces?window=1h"), None, "");
    assert_eq!(page.status, 303, "{}", page.body);
    assert_eq!(
        page.header("location"),
        Some("/ui/login?next=%2Fui%2Ftraces%3Fwindow%3D1h")
    );
    let form = browser("GET", &format!("{base}/ui/login?next=/ui/traces"), None, "");
    assert_eq!(form.status, 200);
    assert!(form.body.contains("type=\"password\""));
    assert_eq!(
        browser("GET", &format!("{base}/ui/app.css"), None, "").status,
        200
    );

    // Signing in sets an HttpOnly, SameSite=Strict cookie and goes back,
    // never to another site.
    let signed = browser(
        "POST",
        &format!("{base}/ui/login"),
        None,
        &format!("key={NEW_KEY}&next=%2F%2Fevil.example%2F"),
    );
    assert_eq!(signed.status, 303);
    assert_eq!(signed.header("location"), Some("/ui/"));
    let cookie = signed.header("set-cookie").expect("a cookie").to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("name=value").to_owned();

    // The cookie opens the pages and the API the silence buttons call.
    let overview = browser("GET", &format!("{base}/ui/"), Some(&pair), "");
    assert_eq!(overview.status, 200, "{}", overview.body);
    assert!(overview.body.contains("<html"));
    let api = browser(
        "GET",
        &format!("{base}/api/layers?window=1h"),
        Some(&pair),
        "",
    );
    assert_eq!(api.status, 200, "{}", api.body);

    // A wrong key in the cookie is sent back to the form, marked refused;
    // the API answers 401 as it does to a wrong header.
    let wrong = "jamscope_key=not-a-key";
    let refused = browser("GET", &format!("{base}/ui/"), Some(wrong), "");
    assert_eq!(refused.status, 303);
    assert!(refused
        .header("location")
        .is_some_and(|l| l.ends_with("&refused=1")));
    assert_eq!(
        browser("GET", &format!("{base}/api/layers"), Some(wrong), "").status,
        401
    );
    assert!(!collector.output().contains(NEW_KEY), "a key was logged");
}
