//! Per-request bounds against the real binary, with raw TCP clients: slow
//! clients are cut off by the header and body deadlines, hundreds of them
//! do not keep a normal client from being served, past
//! `requests.max_in_flight` the answer is 503 at once, gRPC messages being
//! received hold the decoding budget as HTTP bodies do, and an oversized
//! span is stored cut to the span limits, marked.

use std::io::Write;
use std::time::{Duration, Instant};

use flate2::write::GzEncoder;
use prost::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;

use crate::harness::{block_on, Collector, CollectorOptions};
use crate::payload::{self, post};

fn start(env: &[(&str, &str)]) -> Collector {
    let mut options = CollectorOptions::default();
    for (key, value) in env {
        options = options.env(key, *value);
    }
    Collector::start_with(options)
}

fn traces_url(collector: &Collector) -> String {
    format!("{}/v1/traces", collector.http_url())
}

/// Headers of a protobuf export announcing `length` body bytes.
fn export_head(length: usize) -> String {
    format!(
        "POST /v1/traces HTTP/1.1\r\nhost: collector\r\ncontent-type: application/x-protobuf\r\ncontent-length: {length}\r\n\r\n"
    )
}

/// Sends `bytes` one a second until the server answers or closes; how
/// long it took from the first byte, and what the server sent.
async fn trickle(stream: &mut TcpStream, bytes: &[u8]) -> (Duration, String) {
    let started = Instant::now();
    let mut answer = Vec::new();
    for byte in bytes {
        if stream.write_all(&[*byte]).await.is_err() {
            break;
        }
        let mut buf = [0u8; 1024];
        match tokio::time::timeout(Duration::from_secs(1), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {} // still reading: next byte
        }
    }
    (
        started.elapsed(),
        String::from_utf8_lossy(&answer).into_owned(),
    )
}

#[test]
fn a_client_sending_one_byte_a_second_is_cut_off() {
    let collector = start(&[
        ("JAMSCOPE_REQUESTS_HEADER_READ_TIMEOUT_MS", "2000"),
        ("JAMSCOPE_REQUESTS_BODY_READ_TIMEOUT_MS", "2000"),
    ]);
    let addr = format!("127.0.0.1:{}", collector.http_port);
    block_on(async {
        // Headers, one byte a second: closed two seconds after the first.
        let mut slow_head = TcpStream::connect(&addr).await.unwrap();
        let (took, answer) = trickle(&mut slow_head, export_head(100).as_bytes()).await;
        assert!(
            took < Duration::from_secs(5),
            "headers still read after {took:?}"
        );
        assert!(answer.is_empty(), "closed without an answer: {answer}");

        // Complete headers, then the body one byte a second: answered and
        // cut two seconds after the headers.
        let mut slow_body = TcpStream::connect(&addr).await.unwrap();
        slow_body
            .write_all(export_head(1000).as_bytes())
            .await
            .unwrap();
        let (took, answer) = trickle(&mut slow_body, &[0u8; 1000]).await;
        assert!(
            took < Duration::from_secs(5),
            "body still read after {took:?}"
        );
        assert!(
            answer.starts_with("HTTP/1.1 408") && answer.contains("body_read_timeout_ms"),
            "{answer}"
        );
    });
    // The collector keeps serving.
    let (status, _, _) = post(
        &traces_url(&collector),
        Some("application/x-protobuf"),
        None,
        payload::protobuf_spans("after-slow", 1),
    );
    assert_eq!(status, 200);
}

#[test]
fn an_idle_connection_is_closed_after_its_last_request_and_the_idle_timeout() {
    let collector = start(&[
        ("JAMSCOPE_REQUESTS_IDLE_TIMEOUT_MS", "1500"),
        ("JAMSCOPE_REQUESTS_HEADER_READ_TIMEOUT_MS", "500"),
    ]);
    let addr = format!("127.0.0.1:{}", collector.http_port);
    block_on(async {
        let mut stream = TcpStream::connect(&addr).await.unwrap();
        // Idle longer than the header timeout: idle is not a slow header.
        tokio::time::sleep(Duration::from_millis(1000)).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nhost: collector\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 512];
        let n = stream.read(&mut buf).await.unwrap();
        let answer = String::from_utf8_lossy(&buf[..n]);
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
        let answered = Instant::now();
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await;
        assert!(matches!(read, Ok(Ok(0))), "closed: {read:?}");
        let idle = answered.elapsed();
        assert!(
            idle >= Duration::from_millis(1400) && idle < Duration::from_secs(5),
            "{idle:?}"
        );
    });
}

#[test]
fn two_hundred_slow_clients_do_not_stop_a_normal_client() {
    let collector = start(&[]);
    let addr = format!("127.0.0.1:{}", collector.http_port);
    let url = traces_url(&collector);
    let served = block_on(async move {
        let mut slow = Vec::new();
        for i in 0..200 {
            let mut stream = TcpStream::connect(&addr).await.expect("connects");
            if i % 2 == 1 {
                // Half send their headers whole and then stall in the body.
                stream
                    .write_all(export_head(1 << 20).as_bytes())
                    .await
                    .unwrap();
            }
            slow.push(stream);
        }
        let trickling = tokio::spawn(async move {
            // Everyone sends one more byte a second.
            for _ in 0..15 {
                for stream in &mut slow {
                    let _ = stream.write_all(b"P").await;
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            slow
        });
        tokio::time::sleep(Duration::from_secs(2)).await;
        let mut took = Vec::new();
        for n in 0..5 {
            let started = Instant::now();
            let response = reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/x-protobuf")
                .body(payload::protobuf_spans("normal", 10 + n))
                .send()
                .await
                .expect("the normal client is answered");
            assert_eq!(response.status(), 200);
            took.push(started.elapsed());
        }
        trickling.abort();
        took
    });
    println!("normal requests among 200 slow clients took {served:?}");
    assert!(
        served.iter().all(|t| *t < Duration::from_secs(2)),
        "{served:?}"
    );
    assert_eq!(collector.wait_for_rows("otel_traces", 60), 60);
}

#[test]
fn past_max_in_flight_requests_get_503_at_once_and_health_stays_up() {
    let collector = start(&[("JAMSCOPE_REQUESTS_MAX_IN_FLIGHT", "2")]);
    let addr = format!("127.0.0.1:{}", collector.http_port);
    let url = traces_url(&collector);
    let health = format!("{}/healthz", collector.http_url());
    let metrics = format!("{}/metrics", collector.http_url());
    block_on(async move {
        // Two requests in hand, their bodies stalled.
        let mut held = Vec::new();
        for _ in 0..2 {
            let mut stream = TcpStream::connect(&addr).await.unwrap();
            stream.write_all(export_head(100).as_bytes()).await.unwrap();
            held.push(stream);
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
        let started = Instant::now();
        let refused = reqwest::Client::new()
            .post(&url)
            .header("content-type", "application/x-protobuf")
            .body(payload::protobuf_spans("refused", 1))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 503);
        assert_eq!(refused.headers()["retry-after"], "1");
        assert!(started.elapsed() < Duration::from_secs(1));
        let alive = reqwest::get(&health).await.unwrap();
        assert_eq!(alive.status(), 200);
        let text = reqwest::get(&metrics).await.unwrap().text().await.unwrap();
        assert!(
            text.contains("jamscope_requests_shed_total{listener=\"http\"} 1"),
            "{text}"
        );
        drop(held);
    });
}

/// Opens an OTLP/gRPC export on its own connection and sends `sent` bytes
/// of a message announced as `announced` bytes, then stalls; the call is
/// held open as long as the returned handles live.
async fn stalled_grpc_export(
    addr: &str,
    announced: usize,
    sent: usize,
) -> (
    h2::client::SendRequest<bytes::Bytes>,
    h2::SendStream<bytes::Bytes>,
) {
    let tcp = TcpStream::connect(addr).await.unwrap();
    let (client, connection) = h2::client::handshake(tcp).await.unwrap();
    tokio::spawn(connection);
    let mut client = client.ready().await.unwrap();
    let request = tonic::codegen::http::Request::post(format!(
        "http://{addr}/opentelemetry.proto.collector.trace.v1.TraceService/Export"
    ))
    .header("content-type", "application/grpc")
    .header("te", "trailers")
    .body(())
    .unwrap();
    let (_response, mut stream) = client.send_request(request, false).unwrap();
    let mut frame = vec![0u8];
    frame.extend_from_slice(&(announced as u32).to_be_bytes());
    frame.resize(5 + sent, 0x0a);
    stream.reserve_capacity(frame.len());
    stream.send_data(frame.into(), false).unwrap();
    (client, stream)
}

#[test]
fn grpc_messages_being_received_hold_the_decoding_budget() {
    // Seven calls stalled after 250,005 bytes each (charged frame by
    // frame as they arrive) hold all of the budget but 45 bytes, less than
    // a one-span export needs. The budget still fits the largest message
    // decoded: 100,000 + 6 × 270,000.
    let collector = start(&[
        ("JAMSCOPE_INGEST_MAX_BODY_BYTES", "100000"),
        ("JAMSCOPE_INGEST_MAX_DECOMPRESSED_BYTES", "270000"),
        ("JAMSCOPE_REQUESTS_MAX_DECODING_BYTES", "1750080"),
        ("JAMSCOPE_REQUESTS_DECODING_WAIT_MS", "500"),
    ]);
    let addr = format!("127.0.0.1:{}", collector.grpc_port);
    let url = format!("http://{addr}");
    block_on(async move {
        let export = |name: &'static str| {
            let url = url.clone();
            async move {
                let mut client = TraceServiceClient::connect(url).await.unwrap();
                let request = payload::request(name, vec![payload::span("op")]);
                client.export(request).await
            }
        };
        let mut stalled = Vec::new();
        for _ in 0..7 {
            stalled.push(stalled_grpc_export(&addr, 260_000, 250_000).await);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let refused = export("refused").await.expect_err("no room to decode");
        assert_eq!(refused.code(), tonic::Code::Unavailable, "{refused:?}");
        assert!(
            refused.message().contains("requests.max_decoding_bytes"),
            "{refused:?}"
        );
        drop(stalled);
        tokio::time::sleep(Duration::from_millis(300)).await;
        export("served")
            .await
            .expect("room again once the stalled calls are gone");
    });
    assert_eq!(collector.wait_for_rows("otel_traces", 1), 1);
}

#[test]
fn a_six_mib_attribute_from_a_small_gzip_body_is_stored_cut_and_marked() {
    let collector = start(&[]);
    let mut span = payload::span("huge");
    span.attributes
        .push(payload::string_attribute("payload", &"x".repeat(6 << 20)));
    let body = payload::request("huge-sender", vec![span]).encode_to_vec();
    let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&body).unwrap();
    let gzipped = encoder.finish().unwrap();
    assert!(gzipped.len() < 64 << 10, "{} bytes", gzipped.len());
    let (status, _, answer) = post(
        &traces_url(&collector),
        Some("application/x-protobuf"),
        Some("gzip"),
        gzipped,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(collector.wait_for_rows("otel_traces", 1), 1);
    let row = &collector.query(
        "SELECT length(SpanAttributes['payload']) AS kept, SpanAttributes['jamscope.truncated'] AS marked, \
         SpanAttributes['http.route'] AS route FROM otel_traces",
    )[0];
    assert_eq!(row["kept"], 16384, "cut to span_limits.max_value_bytes");
    assert_eq!(row["marked"], "true");
    assert_eq!(row["route"], "/bench", "the other attributes are kept");
    let metrics = block_on(async {
        reqwest::get(format!("{}/metrics", collector.http_url()))
            .await
            .expect("answers")
            .text()
            .await
            .expect("text")
    });
    assert!(
        metrics.contains("jamscope_spans_truncated_total 1")
            && metrics.contains("jamscope_span_limit_cuts_total{part=\"values\"} 1"),
        "{metrics}"
    );
}
