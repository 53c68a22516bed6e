//! Alerting end to end: real `jamscope serve` processes evaluating rule
//! files on spans sent by the real OpenTelemetry Python SDK, notifying a
//! real SMTP server (aiosmtpd) and HTTP receivers on loopback standing in
//! for a webhook endpoint, Slack and PagerDuty. Windows and intervals are
//! short so each breach starts and ends within seconds.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{client_ids, python, repo_root, Collector, CollectorOptions};
use crate::receivers::{Recorder, SmtpSink};

const SECRET: &str = "alert-webhook-secret";

/// The gateway error rate over a 10 s window: warning above 0.5 %,
/// critical above 1 %; kept firing 15 s after it clears, so the falling
/// rate passing through the warning band does not notify again.
const GATEWAY_RULE: &str = r#"
groups:
  - name: layers
    rules:
      - alert: GatewayErrorRate
        for: 0s
        keep_firing_for: 15s
        condition:
          type: threshold
          metric: error_rate
          window: 10s
          filter: { layer: gateway }
          direction: above
          warning: 0.5
          critical: 1
          group_by: [service]
        annotations:
          summary: "{{ $labels.service }}: {{ $value }} % of gateway requests fail"
"#;

pub(crate) struct Receivers {
    smtp: SmtpSink,
    pub(crate) webhook: Recorder,
    slack: Recorder,
    pagerduty: Recorder,
}

impl Receivers {
    pub(crate) async fn start() -> Self {
        Self {
            smtp: SmtpSink::start(""),
            webhook: Recorder::start(0).await,
            slack: Recorder::start(0).await,
            pagerduty: Recorder::start(0).await,
        }
    }

    /// Webhook bodies (Alertmanager v4), each checked for its signature.
    pub(crate) fn webhooks(&self) -> Vec<Value> {
        self.webhook
            .accepted()
            .iter()
            .map(|request| {
                let header = |name: &str| {
                    request
                        .headers
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned()
                };
                assert!(
                    jamscope::signing::verify(
                        SECRET.as_bytes(),
                        &header("x-jamscope-timestamp"),
                        &request.body,
                        &header("x-jamscope-signature"),
                    ),
                    "webhook signature does not verify"
                );
                let body: Value = serde_json::from_slice(&request.body).expect("JSON");
                assert_eq!(body["version"], "4");
                body
            })
            .collect()
    }

    fn pagerduty_actions(&self) -> Vec<String> {
        (0..self.pagerduty.accepted().len())
            .map(|i| {
                self.pagerduty.json(i)["event_action"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    }
}

/// Every receiver, every evaluation second, short grouping.
pub(crate) fn alert_options(receivers: &Receivers, rules: &Path) -> CollectorOptions {
    CollectorOptions::default()
        .env("JAMSCOPE_ALERT_ENABLED", "true")
        .env("JAMSCOPE_ALERT_RULES_DIR", rules.display().to_string())
        .env("JAMSCOPE_ALERT_EVALUATION_INTERVAL_MS", "500")
        .env("JAMSCOPE_ALERT_QUERY_INTERVAL_MS", "1000")
        .env("JAMSCOPE_ALERT_PEER_LEASE_MS", "2000")
        .env("JAMSCOPE_ALERT_GROUP_INTERVAL", "1s")
        .env(
            "JAMSCOPE_SMTP_URL",
            format!("smtp://127.0.0.1:{}?tls=none", receivers.smtp.port),
        )
        .env("JAMSCOPE_ALERT_EMAIL_FROM", "jamscope@example.com")
        .env("JAMSCOPE_ALERT_EMAIL_TO", "oncall@example.com")
        .env("JAMSCOPE_ALERT_WEBHOOK_URL", receivers.webhook.url("/hook"))
        .env("JAMSCOPE_ALERT_WEBHOOK_SECRET", SECRET)
        .env(
            "JAMSCOPE_ALERT_SLACK_WEBHOOK_URL",
            receivers.slack.url("/services/T0/B0/x"),
        )
        .env("JAMSCOPE_ALERT_PAGERDUTY_ROUTING_KEY", "routing-key-0123")
        .env(
            "JAMSCOPE_ALERT_PAGERDUTY_URL",
            receivers.pagerduty.url("/v2/enqueue"),
        )
        .env("JAMSCOPE_ALERT_EXTERNAL_URL", "http://jamscope.test")
}

pub(crate) fn rules_dir(yaml: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("rules.yaml"), yaml).expect("write rules");
    dir
}

/// `requests` gateway server spans, the first `errors` failed, exported
/// at once by the Python SDK; returns the failed requests' trace ids.
fn send_gateway(collector: &Collector, requests: u32, errors: u32, service: &str) -> Vec<String> {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/gateway_traffic.py"))
        .args(["--endpoint", &collector.http_url()])
        .args(["--requests", &requests.to_string()])
        .args(["--errors", &errors.to_string()])
        .args(["--service", service]);
    client_ids(command, "failed")
}

pub(crate) async fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn get_json(url: String) -> Value {
    let text = reqwest::get(&url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

/// Waits until this collector evaluates: it leads once its lease passed.
pub(crate) async fn wait_until_leading(collector: &Collector) {
    let url = format!("{}/metrics", collector.http_url());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let text = reqwest::get(&url)
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        if text.contains("\njamscope_alert_leader 1\n") {
            return;
        }
        assert!(Instant::now() < deadline, "collector never led:\n{text}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(crate) fn statuses(webhooks: &[Value]) -> Vec<(String, Vec<String>)> {
    webhooks
        .iter()
        .map(|body| {
            let severities = body["alerts"]
                .as_array()
                .expect("alerts")
                .iter()
                .map(|a| {
                    format!(
                        "{}:{}",
                        a["labels"]["severity"].as_str().unwrap_or(""),
                        a["status"].as_str().unwrap_or("")
                    )
                })
                .collect();
            (body["status"].as_str().unwrap_or("").to_owned(), severities)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gateway_error_rate_fires_critical_inhibits_warning_and_resolves_once() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(GATEWAY_RULE);
    let mut collector = Collector::start_with(alert_options(&receivers, rules.path()));
    wait_until_leading(&collector).await;

    let failed = send_gateway(&collector, 100, 2, "api-gateway");
    wait_until("the firing webhook", Duration::from_secs(15), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    let firing = receivers.webhooks();
    assert_eq!(
        statuses(&firing),
        vec![("firing".to_owned(), vec!["critical:firing".to_owned()])],
        "the warning is inhibited by the critical"
    );
    let alert = &firing[0]["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "GatewayErrorRate");
    assert_eq!(alert["labels"]["service"], "api-gateway");
    assert_eq!(
        alert["annotations"]["summary"],
        "api-gateway: 2 % of gateway requests fail"
    );
    let example = alert["annotations"]["example_trace_id"]
        .as_str()
        .expect("an example trace")
        .to_owned();
    assert!(
        failed.contains(&example),
        "{example} is not a failed request"
    );

    // Everyone heard it; /api/alerts shows it firing, the warning pending
    // or firing but never notified.
    wait_until(
        "email, Slack and PagerDuty",
        Duration::from_secs(10),
        || {
            receivers.smtp.messages().len() == 1
                && receivers.slack.accepted().len() == 1
                && receivers.pagerduty.accepted().len() == 1
        },
    )
    .await;
    let email = &receivers.smtp.messages()[0];
    let subject = email["subject"].as_str().unwrap_or_default();
    assert!(
        subject.contains("FIRING") && subject.contains("GatewayErrorRate"),
        "{subject}"
    );
    assert!(email["text"]
        .as_str()
        .unwrap_or_default()
        .contains(&example));
    assert_eq!(receivers.pagerduty_actions(), vec!["trigger"]);
    let active = get_json(format!("{}/api/alerts", collector.http_url())).await;
    let firing_now: Vec<&Value> = active["alerts"]
        .as_array()
        .expect("alerts")
        .iter()
        .filter(|a| a["state"] == "firing")
        .collect();
    assert!(
        firing_now
            .iter()
            .any(|a| a["labels"]["severity"] == "critical"),
        "{active}"
    );

    // No more errors: the window empties, the alert resolves, told once.
    wait_until("the resolved webhook", Duration::from_secs(45), || {
        receivers.webhook.accepted().len() >= 2
    })
    .await;
    // Anything more would arrive within a few evaluations.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        statuses(&receivers.webhooks()),
        vec![
            ("firing".to_owned(), vec!["critical:firing".to_owned()]),
            ("resolved".to_owned(), vec!["critical:resolved".to_owned()]),
        ]
    );
    assert_eq!(receivers.smtp.messages().len(), 2);
    assert!(receivers.smtp.messages()[1]["subject"]
        .as_str()
        .unwrap_or_default()
        .contains("RESOLVED"));
    assert_eq!(receivers.slack.accepted().len(), 2);
    assert_eq!(receivers.pagerduty_actions(), vec!["trigger", "resolve"]);

    let history = get_json(format!(
        "{}/api/alerts/history?alertname=GatewayErrorRate",
        collector.http_url()
    ))
    .await;
    let events: Vec<&str> = history["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["event"].as_str())
        .collect();
    for expected in ["firing", "resolved", "notified_firing", "notified_resolved"] {
        assert!(
            events.contains(&expected),
            "{expected} missing from {events:?}"
        );
    }
    collector.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_while_firing_neither_resends_nor_loses_the_alert() {
    let receivers = Receivers::start().await;
    // A 30 s window: the breach outlasts a slow restart on a busy machine.
    let rules = rules_dir(&GATEWAY_RULE.replace("window: 10s", "window: 30s"));
    let mut first = Collector::start_with(alert_options(&receivers, rules.path()));
    wait_until_leading(&first).await;
    send_gateway(&first, 100, 3, "api-gateway");
    wait_until("the firing webhook", Duration::from_secs(15), || {
        receivers.webhook.accepted().len() == 1
    })
    .await;
    assert!(first.stop().success());

    let mut second = Collector::start_with(CollectorOptions {
        database: Some(first.database.clone()),
        ..alert_options(&receivers, rules.path())
    });
    wait_until_leading(&second).await;
    // Leading, with the state and the windows of the first collector: it
    // still fires, and says nothing new.
    let active = get_json(format!("{}/api/alerts", second.http_url())).await;
    assert!(
        active["alerts"]
            .as_array()
            .expect("alerts")
            .iter()
            .any(|a| a["state"] == "firing" && a["labels"]["severity"] == "critical"),
        "{active}"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        receivers.webhook.accepted().len(),
        1,
        "sent again after a restart"
    );

    // Once the window empties, the second collector tells the resolution.
    wait_until("the resolved webhook", Duration::from_secs(90), || {
        receivers.webhook.accepted().len() >= 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        statuses(&receivers.webhooks()),
        vec![
            ("firing".to_owned(), vec!["critical:firing".to_owned()]),
            ("resolved".to_owned(), vec!["critical:resolved".to_owned()]),
        ]
    );
    second.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_splitting_one_breach_send_one_notification() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(GATEWAY_RULE);
    let mut leader = Collector::start_with(alert_options(&receivers, rules.path()));
    wait_until_leading(&leader).await;
    let mut other = Collector::start_with(CollectorOptions {
        database: Some(leader.database.clone()),
        ..alert_options(&receivers, rules.path())
    });
    // Give the second one time to see itself as the younger.
    tokio::time::sleep(Duration::from_secs(3)).await;

    // The leader alone sees 0 %; the other alone 4 %; together 2 %. Only
    // merged windows fire, and only the leader notifies.
    send_gateway(&leader, 100, 0, "api-gateway");
    send_gateway(&other, 100, 4, "api-gateway");
    wait_until("the firing webhook", Duration::from_secs(15), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let webhooks = receivers.webhooks();
    assert_eq!(
        statuses(&webhooks),
        vec![("firing".to_owned(), vec!["critical:firing".to_owned()])]
    );
    let summary = webhooks[0]["alerts"][0]["annotations"]["summary"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(summary, "api-gateway: 2 % of gateway requests fail");
    assert_eq!(receivers.smtp.messages().len(), 1);
    other.stop();
    leader.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_mutes_until_it_is_expired() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(GATEWAY_RULE);
    let mut collector = Collector::start_with(alert_options(&receivers, rules.path()));
    let client = reqwest::Client::new();
    let silences = format!("{}/api/silences", collector.http_url());
    let bad = client
        .post(&silences)
        .body(r#"{"matchers":["service"],"duration":"1h"}"#)
        .send()
        .await
        .expect("POST");
    assert_eq!(bad.status().as_u16(), 400);
    assert!(bad.text().await.expect("text").contains("label=value"));
    let created: Value = client
        .post(&silences)
        .body(
            json!({"matchers": ["alertname=GatewayErrorRate", "service=~api-.*"],
                   "duration": "1h", "comment": "deploying", "created_by": "e2e"})
            .to_string(),
        )
        .send()
        .await
        .expect("POST")
        .text()
        .await
        .map(|text| serde_json::from_str(&text).expect("JSON"))
        .expect("body");
    let id = created["id"].as_str().expect("id").to_owned();
    wait_until_leading(&collector).await;

    send_gateway(&collector, 100, 2, "api-gateway");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let active = get_json(format!("{}/api/alerts", collector.http_url())).await;
        let silenced_firing = active["alerts"].as_array().is_some_and(|alerts| {
            alerts
                .iter()
                .any(|a| a["state"] == "firing" && a["silenced"] == true)
        });
        if silenced_firing {
            break;
        }
        assert!(Instant::now() < deadline, "never fired silenced: {active}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(
        receivers.webhook.accepted().is_empty(),
        "a silenced alert notified"
    );
    assert!(receivers.smtp.messages().is_empty());

    let listed = get_json(silences.clone()).await;
    assert_eq!(listed["silences"][0]["id"], id.as_str());
    let expired = client
        .delete(format!("{silences}/{id}"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(expired.status().as_u16(), 200);
    let missing = client
        .delete(format!("{silences}/no-such-silence"))
        .send()
        .await
        .expect("DELETE");
    assert_eq!(missing.status().as_u16(), 404);

    // Still firing once the silence is over: now it is told.
    wait_until("the firing webhook", Duration::from_secs(10), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    assert_eq!(
        statuses(&receivers.webhooks())[0],
        ("firing".to_owned(), vec!["critical:firing".to_owned()])
    );
    collector.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_browser_error_fires_once() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(
        r#"
groups:
  - name: rum
    rules:
      - alert: NewBrowserError
        condition: { type: new_error, source: rum }
        labels: { severity: warning }
        annotations:
          summary: "New browser error on {{ $details.page }}: {{ $details.message }}"
"#,
    );
    let mut collector = Collector::start_with(
        alert_options(&receivers, rules.path())
            .env("JAMSCOPE_RUM_ALLOWED_ORIGINS", "https://shop.test"),
    );
    wait_until_leading(&collector).await;
    let beacon = |message: &str| {
        json!({
            "app": "shop", "release": "1.0.0", "environment": "production",
            "sessionId": "s-1", "pageViewId": format!("pv-{}", fastrand::u32(..)),
            "page": {"url": "https://shop.test/cart", "path": "/cart", "route": "/cart", "referrer": ""},
            "events": [{"type": "error", "message": message, "errorType": "TypeError",
                        "stack": [{"file": "https://shop.test/app.js", "function": "pay", "line": 10, "column": 5}]}]
        })
        .to_string()
    };
    let client = reqwest::Client::new();
    let rum = format!("{}/v1/rum", collector.http_url());
    let post = |body: String| {
        client
            .post(&rum)
            .header("origin", "https://shop.test")
            .header("content-type", "text/plain")
            .body(body)
            .send()
    };
    assert!(post(beacon("price is undefined"))
        .await
        .expect("beacon")
        .status()
        .is_success());
    wait_until("the new-error webhook", Duration::from_secs(20), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    let body = &receivers.webhooks()[0];
    let alert = &body["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "NewBrowserError");
    // The page and message are details (annotations), not the alert's
    // identity: the fingerprint is.
    assert_eq!(alert["annotations"]["page"], "/cart");
    assert_eq!(alert["annotations"]["message"], "price is undefined");
    assert_eq!(
        alert["annotations"]["summary"],
        "New browser error on /cart: price is undefined"
    );
    // The same error again is not new.
    assert!(post(beacon("price is undefined"))
        .await
        .expect("beacon")
        .status()
        .is_success());
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(receivers.webhook.accepted().len(), 1);
    collector.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_reload_on_change_and_sighup_and_a_bad_file_keeps_the_old_ones() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(GATEWAY_RULE);
    let mut collector = Collector::start_with(alert_options(&receivers, rules.path()));
    let url = format!("{}/api/rules", collector.http_url());
    let names = |body: &Value| -> Vec<String> {
        body["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .map(|r| r["name"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let first = get_json(url.clone()).await;
    assert_eq!(names(&first), ["GatewayErrorRate"]);
    assert!(first["rules"][0]["description"]
        .as_str()
        .unwrap_or_default()
        .contains("critical when the error rate of gateway spans over 10s is above 1 %"));

    // A second file appears: picked up without a signal.
    std::fs::write(
        rules.path().join("more.yaml"),
        GATEWAY_RULE.replace("GatewayErrorRate", "GatewayErrorRateCopy"),
    )
    .expect("write");
    let deadline = Instant::now() + Duration::from_secs(15);
    while names(&get_json(url.clone()).await).len() != 2 {
        assert!(
            Instant::now() < deadline,
            "the new rule file was not loaded"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // A broken file: the running rules stay, the log names file and line.
    std::fs::write(
        rules.path().join("more.yaml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Broken\n        condition: { type: threshold, metric: error_rate, window: 5m, direction: sideways }\n",
    )
    .expect("write");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !collector
        .output()
        .contains("more.yaml:4: groups[0].rules[0]: unknown variant `sideways`")
    {
        assert!(
            Instant::now() < deadline,
            "no file:line error logged:\n{}",
            collector.output()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        names(&get_json(url.clone()).await),
        // File order: more.yaml, then rules.yaml.
        ["GatewayErrorRateCopy", "GatewayErrorRate"]
    );

    // The broken file removed: the directory loads again.
    std::fs::remove_file(rules.path().join("more.yaml")).expect("remove");
    let deadline = Instant::now() + Duration::from_secs(15);
    while names(&get_json(url.clone()).await) != ["GatewayErrorRate"] {
        assert!(Instant::now() < deadline, "not reloaded after the fix");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    // SIGHUP reloads at once and does not stop the collector.
    let status = Command::new("kill")
        .args(["-HUP", &collector.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !collector.output().contains("SIGHUP") {
        assert!(Instant::now() < deadline, "no reload logged after SIGHUP");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(collector.is_running(), "SIGHUP must not stop the collector");
    assert_eq!(names(&get_json(url.clone()).await), ["GatewayErrorRate"]);
    collector.stop();
}

/// Posts a build event signed as CI would (`POST /v1/builds`).
async fn post_build(collector: &Collector, id: &str, status: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as i64;
    let body = json!({
        "id": id, "pipeline": "site", "kind": "build", "status": status,
        "commit": format!("c-{id}"), "started_at": now - 60_000, "finished_at": now,
        "stages": {"install": 10_000, "build": 40_000}
    })
    .to_string();
    let timestamp = (now / 1000).to_string();
    let response = reqwest::Client::new()
        .post(format!("{}/v1/builds", collector.http_url()))
        .header(jamscope::signing::TIMESTAMP_HEADER, &timestamp)
        .header(
            jamscope::signing::SIGNATURE_HEADER,
            jamscope::signing::signature(BUILD_SECRET.as_bytes(), &timestamp, body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .expect("POST /v1/builds");
    assert_eq!(response.status().as_u16(), 202, "build {id}");
}

const BUILD_SECRET: &str = "ci-shared-secret";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consecutive_failed_builds_fire_critical() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(
        r#"
groups:
  - name: pipeline
    rules:
      - alert: BuildFailing
        condition: { type: consecutive, kind: build, warning: 1, critical: 2 }
        annotations:
          summary: "{{ $value }} consecutive failed builds of {{ $labels.pipeline }}"
"#,
    );
    let mut collector = Collector::start_with(
        alert_options(&receivers, rules.path()).env("JAMSCOPE_BUILD_WEBHOOK_SECRET", BUILD_SECRET),
    );
    wait_until_leading(&collector).await;
    post_build(&collector, "b1", "success").await;
    post_build(&collector, "b2", "failed").await;
    wait_until("the warning", Duration::from_secs(15), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    assert_eq!(
        statuses(&receivers.webhooks()),
        vec![("firing".to_owned(), vec!["warning:firing".to_owned()])]
    );
    post_build(&collector, "b3", "failed").await;
    wait_until("the critical", Duration::from_secs(15), || {
        receivers.webhook.accepted().len() >= 2
    })
    .await;
    let webhooks = receivers.webhooks();
    let second = &webhooks[1];
    assert_eq!(statuses(&webhooks)[1].1, vec!["critical:firing".to_owned()]);
    assert_eq!(second["alerts"][0]["labels"]["pipeline"], "site");
    assert_eq!(
        second["alerts"][0]["annotations"]["summary"],
        "2 consecutive failed builds of site"
    );
    // A green build ends it: one resolution.
    post_build(&collector, "b4", "success").await;
    wait_until("the resolution", Duration::from_secs(15), || {
        receivers.webhook.accepted().len() >= 3
    })
    .await;
    assert_eq!(statuses(&receivers.webhooks())[2].0, "resolved");
    collector.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_span_error_fires_once_per_fingerprint() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(
        r#"
groups:
  - name: spans
    rules:
      - alert: NewSpanError
        condition: { type: new_error, source: spans }
        labels: { severity: warning }
        annotations:
          summary: "New error in {{ $labels.service }}: {{ $details.message }}"
"#,
    );
    let mut collector = Collector::start_with(alert_options(&receivers, rules.path()));
    wait_until_leading(&collector).await;
    let failed = send_gateway(&collector, 10, 1, "checkout-api");
    wait_until("the new-error webhook", Duration::from_secs(20), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    let alert = receivers.webhooks()[0]["alerts"][0].clone();
    assert_eq!(alert["labels"]["service"], "checkout-api");
    assert_eq!(alert["annotations"]["message"], "upstream failed");
    assert_eq!(
        alert["annotations"]["summary"],
        "New error in checkout-api: upstream failed"
    );
    assert_eq!(
        alert["annotations"]["example_trace_id"].as_str(),
        failed.first().map(String::as_str)
    );
    // The same failure again (another trace) is the same fingerprint.
    send_gateway(&collector, 10, 1, "checkout-api");
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(receivers.webhook.accepted().len(), 1);
    collector.stop();
}
