//! Build and deploy events: signed `POST /v1/builds` against a real
//! collector and ClickHouse (signed here with `hmac` directly, not with the
//! collector's own code), the `builds` table, `/api/builds`, and the store
//! queries rules read: failure streaks and the last deploy here, rule
//! metrics and regressions in `rule_metrics`.

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use jamscope::model::build::BuildKind;
use jamscope::model::kpi::KpiSettings;
use jamscope::store::queries::Queries;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::harness::{block_on, Collector, CollectorOptions};

mod rule_metrics;

const SECRET: &str = "e2e build secret";
const MINUTE: i64 = 60_000;
const HOUR: i64 = 60 * MINUTE;

fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64
}

fn start() -> Collector {
    Collector::start_with(CollectorOptions::default().env("JAMSCOPE_BUILD_WEBHOOK_SECRET", SECRET))
}

fn sign(secret: &str, timestamp: &str, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp}.{body}").as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}

/// One POST with the given headers; the status and JSON body.
fn post(collector: &Collector, body: &str, timestamp: &str, signature: &str) -> (u16, Value) {
    block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/v1/builds", collector.http_url()))
            .header("content-type", "application/json")
            .header("x-jamscope-timestamp", timestamp)
            .header("x-jamscope-signature", signature)
            .body(body.to_owned())
            .send()
            .await
            .expect("collector answers");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
}

/// Signed with the secret, timestamped now.
fn post_signed(collector: &Collector, event: &Value) -> (u16, Value) {
    let body = event.to_string();
    let timestamp = (now_millis() / 1000).to_string();
    post(
        collector,
        &body,
        &timestamp,
        &sign(SECRET, &timestamp, &body),
    )
}

fn event(id: &str, pipeline: &str, kind: &str, status: &str, finished_ms: i64) -> Value {
    json!({
        "id": id, "pipeline": pipeline, "kind": kind, "status": status,
        "commit": format!("commit-{id}"),
        "started_at": finished_ms - 2 * MINUTE, "finished_at": finished_ms,
        "stages": {"install": 20_000, "build": 100_000}
    })
}

/// `ms` (whole seconds) as RFC 3339 local time at +01:00, e.g.
/// `2026-11-23T11:00:00+01:00`, computed by ClickHouse.
fn rfc3339_with_offset(ms: i64) -> String {
    let rows = crate::harness::query_json(
        crate::harness::clickhouse_url(),
        "system",
        &format!(
            "SELECT formatDateTime(toDateTime(intDiv({ms}, 1000), 'Etc/GMT-1'), \
             '%Y-%m-%dT%H:%i:%S+01:00', 'Etc/GMT-1') AS t"
        ),
    );
    rows[0]["t"].as_str().expect("time").to_owned()
}

fn queries(collector: &Collector) -> Queries {
    let client = clickhouse::Client::default()
        .with_url(&collector.clickhouse_url)
        .with_database(&collector.database);
    Queries::new(client, KpiSettings::default())
}

#[test]
fn signed_events_are_stored_and_everything_else_refused() {
    let collector = start();
    let now = now_millis();
    let body = json!({
        "id": "run-1", "pipeline": "site", "status": "running", "commit": "abc123",
        "started_at": rfc3339_with_offset(now - HOUR)
    })
    .to_string();
    let timestamp = (now / 1000).to_string();
    let signature = sign(SECRET, &timestamp, &body);

    let (status, answer) = post(&collector, &body, &timestamp, &signature);
    assert_eq!(status, 202, "{answer}\n{}", collector.output());
    assert_eq!(answer, json!({"id": "run-1"}));
    // Acknowledged only once ClickHouse had it: no wait needed.
    let rows = collector.query(
        "SELECT Id, Pipeline, Kind, Status, Commit, toUnixTimestamp64Milli(StartedAt) AS started \
         FROM builds",
    );
    assert_eq!(
        rows,
        [
            json!({"Id": "run-1", "Pipeline": "site", "Kind": "build", "Status": "running",
                "Commit": "abc123", "started": (now - HOUR) / 1000 * 1000})
        ]
    );

    let (status, answer) = post(&collector, &body, &timestamp, &signature);
    assert_eq!(status, 409, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("replayed"));

    let (status, answer) = post(
        &collector,
        &body,
        &timestamp,
        &sign("wrong", &timestamp, &body),
    );
    assert_eq!(status, 401, "{answer}");
    let stale = (now / 1000 - 400).to_string();
    let (status, answer) = post(&collector, &body, &stale, &sign(SECRET, &stale, &body));
    assert_eq!(status, 401, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap()
        .contains("stale timestamp"));

    let mut bad_stage = event("run-2", "site", "build", "failed", now);
    bad_stage["stages"]["compile"] = json!(5);
    let (status, answer) = post_signed(&collector, &bad_stage);
    assert_eq!(status, 400, "{answer}");
    assert!(answer["error"].as_str().unwrap().contains("'compile'"));

    // The outcome of run-1, reported later: it replaces the running row.
    let (status, _) = post_signed(&collector, &event("run-1", "site", "build", "success", now));
    assert_eq!(status, 202);
    let rows = collector.query("SELECT Status, Stages['build'] AS build FROM builds FINAL");
    assert_eq!(rows, [json!({"Status": "success", "build": 100_000})]);

    let listed: Value = block_on(async {
        let response = reqwest::get(format!("{}/api/builds?limit=5", collector.http_url()))
            .await
            .expect("API answers");
        serde_json::from_str(&response.text().await.unwrap_or_default()).unwrap_or(Value::Null)
    });
    let builds = listed["builds"].as_array().expect("builds");
    assert_eq!(builds.len(), 1, "{listed}");
    assert_eq!(builds[0]["status"], "success");
    assert_eq!(
        builds[0]["stages"],
        json!({"build": 100_000, "install": 20_000})
    );
}

#[test]
fn failure_streaks_and_the_last_deploy() {
    let collector = start();
    let queries = queries(&collector);
    let now = now_millis();
    for (id, status, minutes_ago) in [
        ("1", "success", 50),
        ("2", "failed", 40),
        ("3", "failed", 30),
    ] {
        let (code, answer) = post_signed(
            &collector,
            &event(id, "site", "build", status, now - minutes_ago * MINUTE),
        );
        assert_eq!(code, 202, "{answer}");
    }
    // Another pipeline, and a deploy, keep their own streaks.
    for other in [
        event("a", "api", "build", "failed", now - 20 * MINUTE),
        event("d", "site", "deploy", "success", now - HOUR),
    ] {
        assert_eq!(post_signed(&collector, &other).0, 202);
    }

    let streaks = block_on(queries.consecutive_failures(BuildKind::Build, None)).expect("query");
    let by_pipeline: Vec<(&str, u32, &str)> = streaks
        .iter()
        .map(|s| (s.pipeline.as_str(), s.failed, s.last_id.as_str()))
        .collect();
    assert_eq!(by_pipeline, [("api", 1, "a"), ("site", 2, "3")]);
    assert_eq!(streaks[1].last_commit, "commit-3");
    assert_eq!(streaks[1].last_finished_millis, now - 30 * MINUTE);

    // Cancelled builds do not break a streak; a success ends it.
    let cancelled = event("4", "site", "build", "cancelled", now - 20 * MINUTE);
    assert_eq!(post_signed(&collector, &cancelled).0, 202);
    let site = block_on(queries.consecutive_failures(BuildKind::Build, Some("site"))).expect("q");
    assert_eq!(site.len(), 1);
    assert_eq!(site[0].failed, 2);
    let success = event("5", "site", "build", "success", now - 10 * MINUTE);
    assert_eq!(post_signed(&collector, &success).0, 202);
    let site = block_on(queries.consecutive_failures(BuildKind::Build, Some("site"))).expect("q");
    assert_eq!((site[0].failed, site[0].last_id.as_str()), (0, "5"));

    let deploys = block_on(queries.consecutive_failures(BuildKind::Deploy, None)).expect("q");
    assert_eq!(deploys[0].failed, 0);
    assert_eq!(
        block_on(queries.last_deploy_millis(None)).expect("q"),
        Some(now - HOUR)
    );
    assert_eq!(
        block_on(queries.last_deploy_millis(Some(now - 2 * HOUR))).expect("q"),
        None
    );
}
