//! Bad input gets its documented status and a message saying what is wrong,
//! and the collector keeps serving afterwards.

use std::io::Write;

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;

use crate::harness::Collector;
use crate::payload::{post, protobuf_spans, request, span, RpcStatus};

const PROTOBUF: Option<&str> = Some("application/x-protobuf");
const JSON: Option<&str> = Some("application/json");

struct Case {
    what: &'static str,
    content_type: Option<&'static str>,
    encoding: Option<&'static str>,
    body: Vec<u8>,
    status: u16,
    message: &'static str,
}

fn cases() -> Vec<Case> {
    let valid = protobuf_spans("bad-input", 3);
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(&[b'x'; 64]).expect("gzip");
    let mut cut_gzip = gzip.finish().expect("gzip");
    cut_gzip.truncate(cut_gzip.len() / 2);
    vec![
        Case {
            what: "truncated protobuf",
            content_type: PROTOBUF,
            encoding: None,
            body: valid[..valid.len() / 2].to_vec(),
            status: 400,
            message: "not a valid OTLP protobuf",
        },
        Case {
            what: "wrong content type",
            content_type: Some("text/csv"),
            encoding: None,
            body: valid.clone(),
            status: 415,
            message: "Content-Type 'text/csv' is not supported",
        },
        Case {
            what: "missing content type",
            content_type: None,
            encoding: None,
            body: valid.clone(),
            status: 415,
            message: "missing Content-Type",
        },
        Case {
            what: "invalid gzip",
            content_type: PROTOBUF,
            encoding: Some("gzip"),
            body: b"this is not gzip".to_vec(),
            status: 400,
            message: "invalid gzip body",
        },
        Case {
            what: "truncated gzip",
            content_type: PROTOBUF,
            encoding: Some("gzip"),
            body: cut_gzip,
            status: 400,
            message: "invalid gzip body",
        },
        Case {
            what: "unknown content encoding",
            content_type: PROTOBUF,
            encoding: Some("br"),
            body: valid.clone(),
            status: 415,
            message: "Content-Encoding 'br' is not supported",
        },
        Case {
            what: "2 MB body",
            content_type: PROTOBUF,
            encoding: None,
            body: vec![0u8; 2 << 20],
            status: 413,
            message: "exceeds 1048576 bytes",
        },
        Case {
            what: "empty body",
            content_type: PROTOBUF,
            encoding: None,
            body: Vec::new(),
            status: 400,
            message: "request body is empty",
        },
        Case {
            what: "JSON with a malformed trace id",
            content_type: JSON,
            encoding: None,
            body: br#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"not-hex!","spanId":"00f067aa0ba902b7","name":"x"}]}]}]}"#.to_vec(),
            status: 400,
            message: "not valid OTLP JSON",
        },
        Case {
            what: "not JSON at all",
            content_type: JSON,
            encoding: None,
            body: b"<xml/>".to_vec(),
            status: 400,
            message: "not valid OTLP JSON",
        },
    ]
}

/// The error message in the response body, decoded per its content type.
fn error_message(headers: &reqwest::header::HeaderMap, body: &[u8]) -> String {
    let content_type = headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if content_type.starts_with("application/x-protobuf") {
        RpcStatus::decode(body)
            .expect("google.rpc.Status body")
            .message
    } else if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
        value["message"].as_str().unwrap_or_default().to_owned()
    } else {
        String::from_utf8_lossy(body).into_owned()
    }
}

#[test]
fn bad_requests_get_a_status_and_a_message_and_serving_goes_on() {
    let collector = Collector::start();
    let url = format!("{}/v1/traces", collector.http_url());
    let mut accepted = 0;
    for case in cases() {
        let (status, headers, body) = post(&url, case.content_type, case.encoding, case.body);
        assert_eq!(status, case.status, "{}: status", case.what);
        let message = error_message(&headers, &body);
        assert!(
            message.contains(case.message),
            "{}: message {message:?} should say {:?}",
            case.what,
            case.message
        );
        // The next good request still succeeds.
        let (status, _, _) = post(&url, PROTOBUF, None, protobuf_spans("after-bad-input", 2));
        assert_eq!(status, 200, "after {}", case.what);
        accepted += 2;
    }
    assert_eq!(collector.wait_for_rows("otel_traces", accepted), accepted);
}

#[test]
fn invalid_spans_are_rejected_one_by_one_with_partial_success() {
    let collector = Collector::start();
    let mut bad = span("bad-id");
    bad.trace_id = vec![1; 8];
    let body = request("partial", vec![span("good-1"), bad, span("good-2")]).encode_to_vec();
    let (status, _, body) = post(
        &format!("{}/v1/traces", collector.http_url()),
        PROTOBUF,
        None,
        body,
    );
    assert_eq!(status, 200);
    let response = ExportTraceServiceResponse::decode(&body[..]).expect("response");
    let partial = response.partial_success.expect("partial success");
    assert_eq!(partial.rejected_spans, 1);
    assert!(
        partial.error_message.contains("'bad-id'"),
        "{}",
        partial.error_message
    );
    assert_eq!(collector.wait_for_rows("otel_traces", 2), 2);

    // The same through OTLP JSON, where ids are hex.
    // Dated now: rows far in the past could fall under the table's TTL.
    let start_ns = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
        - 60)
        * 1_000_000_000
        + 223_456_791;
    let json = format!(
        r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"json-partial"}}}}]}},
        "scopeSpans":[{{"spans":[
          {{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"ok","kind":2,
           "startTimeUnixNano":"{start_ns}","endTimeUnixNano":"{}",
           "attributes":[{{"key":"n","value":{{"intValue":"42"}}}}]}},
          {{"traceId":"5b8efff798038103","spanId":"eee19b7ec3c1b175","name":"short-trace-id"}}]}}]}}]}}"#,
        start_ns + 100_000_000
    );
    let (status, _, body) = post(
        &format!("{}/v1/traces", collector.http_url()),
        JSON,
        None,
        json.as_bytes().to_vec(),
    );
    assert_eq!(status, 200);
    let response: serde_json::Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!(response["partialSuccess"]["rejectedSpans"], "1");
    assert_eq!(collector.wait_for_rows("otel_traces", 3), 3);
    let rows = collector.query(
        "SELECT SpanAttributes['n'] AS n, toUnixTimestamp64Nano(Timestamp) AS ns, Duration FROM otel_traces WHERE SpanId = 'eee19b7ec3c1b174'",
    );
    assert_eq!(rows[0]["n"], "42");
    assert_eq!(rows[0]["ns"], start_ns);
    assert_eq!(rows[0]["Duration"], 100000000);
}
