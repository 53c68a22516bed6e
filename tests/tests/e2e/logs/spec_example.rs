//! opentelemetry-proto's own `examples/logs.json` (tests/fixtures), posted
//! as OTLP/JSON, lands in `otel_logs` field by field.

use serde_json::json;

use super::stored_logs;
use crate::harness::{repo_root, Collector, CollectorOptions};
use crate::payload::post;

#[test]
fn the_specifications_example_lands_field_exact() {
    // The example is dated 2018: logs are kept long enough for it here.
    let collector = Collector::start_with(
        CollectorOptions::default().env("JAMSCOPE_CLICKHOUSE_LOGS_TTL_DAYS", "3650"),
    );
    let body = std::fs::read(repo_root().join("tests/fixtures/opentelemetry-proto/logs.json"))
        .expect("the fixture");
    let (status, _, answer) = post(
        &format!("{}/v1/logs", collector.http_url()),
        Some("application/json"),
        None,
        body,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
    assert_eq!(answer, b"{}", "no partial success");
    let rows = stored_logs(&collector, "my.service", 1);
    assert_eq!(rows.len(), 1);
    assert_eq!(
        rows[0],
        json!({
            "time_ns": 1_544_712_660_300_000_000u64,
            "TraceId": "5b8efff798038103d269b633813fc60c",
            "SpanId": "eee19b7ec3c1b174",
            "TraceFlags": 0,
            "SeverityText": "Information",
            "SeverityNumber": 10,
            "ServiceName": "my.service",
            "Body": "Example log record",
            "ResourceSchemaUrl": "",
            "ResourceAttributes": {"service.name": "my.service"},
            "ScopeSchemaUrl": "",
            "ScopeName": "my.library",
            "ScopeVersion": "1.0.0",
            "ScopeAttributes": {"my.scope.attribute": "some scope attribute"},
            "LogAttributes": {
                "string.attribute": "some string",
                "boolean.attribute": "true",
                "int.attribute": "10",
                "double.attribute": "637.704",
                "array.attribute": "[\"many\",\"values\"]",
                "map.attribute": "{\"some.map.key\":\"some value\"}"
            },
            "EventName": "",
            "Layer": "other"
        })
    );
}
