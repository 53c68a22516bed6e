//! Error groups end to end: Python and Node services record exceptions on
//! their spans with the real SDKs (`record_exception`), one group per bug
//! across many traces with the parsed stack; resolving a group, then a new
//! release raising it again, marks it regressed and fires the regression
//! rule once. And source maps: uploaded with the CLI, used for a browser
//! error of their release; a map for an unknown release, a corrupt map and
//! an oversized one get clear answers and lose nothing else.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{
    block_on, client_ids, post_beacon, python, repo_root, run_jamscope, Collector, CollectorOptions,
};
use crate::receivers::Recorder;

fn python_raises(collector: &Collector, release: &str, traces: u32) -> Vec<String> {
    python_raises_with(collector, release, traces, &[])
}

/// `python_raises` with the client's other options (`--ago-seconds`, ...).
fn python_raises_with(
    collector: &Collector,
    release: &str,
    traces: u32,
    options: &[&str],
) -> Vec<String> {
    let mut command = Command::new(python());
    command
        .arg(repo_root().join("tests/clients/python/raise_errors.py"))
        .args(["--endpoint", &collector.http_url(), "--release", release])
        .args(["--traces", &traces.to_string()])
        .args(options);
    client_ids(command, "trace_ids")
}

fn node_raises(collector: &Collector, release: &str, traces: u32) -> Vec<String> {
    let mut command = Command::new("node");
    command
        .arg(repo_root().join("tests/clients/node/raise_errors.mjs"))
        .args(["--endpoint", &collector.http_url(), "--release", release])
        .args(["--traces", &traces.to_string()]);
    client_ids(command, "trace_ids")
}

async fn api(collector: &Collector, path: &str) -> Value {
    let url = format!("{}{path}", collector.http_url());
    let text = reqwest::get(&url)
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{url}: {e}: {text}"))
}

/// The groups `/api/errors?{query}` lists once `done` holds for them.
async fn groups_when(
    collector: &Collector,
    query: &str,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let answer = api(collector, &format!("/api/errors?window=1h&{query}")).await;
        let groups = answer["errors"].as_array().cloned().unwrap_or_default();
        if done(&groups) {
            return groups;
        }
        assert!(Instant::now() < deadline, "{query}: {answer}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn decide(collector: &Collector, fingerprint: &str, state: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/api/errors/{fingerprint}/state",
            collector.http_url()
        ))
        .body(json!({"state": state, "by": "e2e"}).to_string())
        .send()
        .await
        .expect("POST");
    assert_eq!(response.status().as_u16(), 200);
    serde_json::from_str(&response.text().await.expect("body")).expect("JSON")
}

const RULES: &str = r#"
groups:
  - name: errors
    rules:
      - alert: NewErrorGroup
        condition: { type: new_error, source: groups }
        labels: { severity: warning }
        annotations:
          summary: "New {{ $details.error_type }} in {{ $labels.layer }} {{ $labels.service }} ({{ $details.operation }})"
      - alert: ErrorRegressed
        condition: { type: regression, source: groups }
        labels: { severity: critical }
        annotations:
          summary: "{{ $details.error_type }} in {{ $labels.service }} is back in {{ $details.release }}"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backend_exceptions_group_per_bug_and_a_resolved_one_regresses_in_a_new_release() {
    let webhook = Recorder::start(0).await;
    let rules = tempfile::tempdir().expect("temp dir");
    std::fs::write(rules.path().join("rules.yaml"), RULES).expect("rules");
    let mut collector = Collector::start_with(
        CollectorOptions::default()
            .env("JAMSCOPE_ALERT_ENABLED", "true")
            .env(
                "JAMSCOPE_ALERT_RULES_DIR",
                rules.path().display().to_string(),
            )
            .env("JAMSCOPE_ALERT_EVALUATION_INTERVAL_MS", "500")
            .env("JAMSCOPE_ALERT_QUERY_INTERVAL_MS", "1000")
            .env("JAMSCOPE_ALERT_PEER_LEASE_MS", "2000")
            .env("JAMSCOPE_ALERT_GROUP_INTERVAL", "1s")
            .env("JAMSCOPE_ALERT_WEBHOOK_URL", webhook.url("/hook"))
            .env("JAMSCOPE_ALERT_WEBHOOK_SECRET", "errors-webhook-secret"),
    );
    let python_traces = python_raises(&collector, "1.0.0", 5);
    let node_traces = node_raises(&collector, "1.0.0", 4);

    // One group per bug, each across all its traces, with the parsed stack.
    let groups = groups_when(&collector, "", |groups| {
        let counts: Vec<u64> = groups.iter().filter_map(|g| g["count"].as_u64()).collect();
        counts == [5, 4]
    })
    .await;
    let (python_group, node_group) = (&groups[0], &groups[1]);
    assert_eq!(python_group["service"], "py-checkout");
    assert_eq!(python_group["layer"], "gateway");
    assert_eq!(python_group["error_type"], "KeyError");
    assert_eq!(python_group["traces"], 5);
    assert_eq!(python_group["state"], "new");
    assert_eq!(python_group["releases"], json!(["1.0.0"]));
    assert!(python_traces.contains(
        &python_group["sample_trace_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    ));
    let top = &python_group["sample_frames"][0];
    assert_eq!(top["function"], "price_of", "{python_group}");
    assert!(top["file"]
        .as_str()
        .unwrap_or_default()
        .ends_with("raise_errors.py"));
    assert_eq!(top["in_app"], true);
    assert_eq!(python_group["sample_frames"][1]["function"], "checkout");
    assert_eq!(node_group["service"], "node-cms");
    assert_eq!(node_group["layer"], "cms");
    assert_eq!(node_group["error_type"], "TypeError");
    assert!(node_traces.contains(
        &node_group["sample_trace_id"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    ));
    assert_eq!(
        node_group["sample_frames"][0]["function"], "firstItem",
        "{node_group}"
    );
    assert_eq!(node_group["sample_frames"][1]["function"], "renderCart");
    let only_cms = groups_when(&collector, "layer=cms", |g| g.len() == 1).await;
    assert_eq!(only_cms[0]["fingerprint"], node_group["fingerprint"]);

    // Resolved: the same release raising it again (old code still running)
    // keeps it resolved.
    let fingerprint = python_group["fingerprint"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let decided = decide(&collector, &fingerprint, "resolved").await;
    assert_eq!(decided["resolved_releases"], json!(["1.0.0"]));
    python_raises(&collector, "1.0.0", 2);
    groups_when(&collector, "state=resolved", |g| {
        g.len() == 1 && g[0]["count"] == 7 && g[0]["fingerprint"] == fingerprint.as_str()
    })
    .await;
    // Both groups were new: one alert each, naming layer, service and operation.
    let new_groups = alerts_when(&webhook, "NewErrorGroup", 2).await;
    let mut summaries: Vec<String> = new_groups
        .iter()
        .map(|a| {
            a["annotations"]["summary"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    summaries.sort();
    assert_eq!(
        summaries,
        [
            "New KeyError in gateway py-checkout (POST /checkout)",
            "New TypeError in cms node-cms (GET /cart/:id)"
        ]
    );
    assert!(
        alerts_named(&webhook, "ErrorRegressed").is_empty(),
        "nothing regressed yet"
    );
    // A batch arriving late, dated before the group's first occurrence,
    // changes that occurrence (its message names another order) but not
    // the group: its alert is not told again.
    python_raises_with(
        &collector,
        "1.0.0",
        1,
        &["--ago-seconds", "120", "--first-order", "500"],
    );
    groups_when(&collector, "state=resolved", |g| {
        g.len() == 1 && g[0]["count"] == 8
    })
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(alerts_named(&webhook, "NewErrorGroup").len(), 2);

    // A new release raising it: regressed, and the rule fires once.
    let regressing = python_raises(&collector, "1.1.0", 3);
    let regressed = groups_when(&collector, "state=regressed", |g| g.len() == 1).await;
    assert_eq!(regressed[0]["fingerprint"], fingerprint.as_str());
    assert!(regressed[0]["regressed_at_ms"].as_i64().unwrap_or(0) > 0);
    let alert = alerts_when(&webhook, "ErrorRegressed", 1).await.remove(0);
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["alertname"], "ErrorRegressed");
    assert_eq!(alert["labels"]["fingerprint"], fingerprint.as_str());
    assert_eq!(alert["labels"]["service"], "py-checkout");
    assert_eq!(alert["labels"]["layer"], "gateway");
    assert_eq!(alert["annotations"]["release"], "1.1.0");
    assert_eq!(
        alert["annotations"]["summary"],
        "KeyError in py-checkout is back in 1.1.0"
    );
    let example = alert["annotations"]["example_trace_id"]
        .as_str()
        .unwrap_or_default();
    assert!(regressing.contains(&example.to_owned()), "{alert}");
    // More of the same: still one notification.
    python_raises(&collector, "1.1.0", 2);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(alerts_named(&webhook, "ErrorRegressed").len(), 1);
    assert_eq!(alerts_named(&webhook, "NewErrorGroup").len(), 2);
    // Ignored, it leaves the regressed list.
    decide(&collector, &fingerprint, "ignored").await;
    groups_when(&collector, "state=ignored", |g| g.len() == 1).await;
    collector.stop();
}

/// The firing alerts of rule `name` every webhook so far carried.
/// The firing alerts of rule `name`, each once: a notification carries
/// every alert of its group, so one that fired before is sent again when
/// another joins the group; the same labels and start are the same firing.
fn alerts_named(webhook: &Recorder, name: &str) -> Vec<Value> {
    let mut alerts: Vec<Value> = Vec::new();
    let sent = (0..webhook.accepted().len()).flat_map(|i| {
        webhook.json(i)["alerts"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    });
    for alert in sent.filter(|a| a["labels"]["alertname"] == name && a["status"] == "firing") {
        let same = |a: &Value| a["labels"] == alert["labels"] && a["startsAt"] == alert["startsAt"];
        if !alerts.iter().any(same) {
            alerts.push(alert);
        }
    }
    alerts
}

/// Waits for `count` firing alerts of rule `name`.
async fn alerts_when(webhook: &Recorder, name: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let alerts = alerts_named(webhook, name);
        if alerts.len() >= count {
            return alerts;
        }
        assert!(Instant::now() < deadline, "{name}: {alerts:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn fixtures() -> PathBuf {
    repo_root().join("collector/src/errors/sourcemaps/fixtures")
}

fn upload(collector: &Collector, query: &str, body: Vec<u8>) -> (u16, Value) {
    block_on(async {
        let response = reqwest::Client::new()
            .post(format!("{}/api/sourcemaps?{query}", collector.http_url()))
            .body(body)
            .send()
            .await
            .expect("POST");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap_or_default();
        (status, serde_json::from_str(&body).unwrap_or(Value::Null))
    })
}

/// A browser error thrown in the fixture bundle's `checkTotal` (minified
/// `r`, called from `n`), on a page of `release`.
fn error_beacon(release: &str, page_view: &str) -> String {
    let frame = |function: &str, column: u32| json!({"file": "https://shop.test/assets/app.js?v=7", "function": function, "line": 1, "column": column});
    json!({
        "app": "shop", "release": release, "sessionId": "s-1", "pageViewId": page_view,
        "page": {"url": "https://shop.test/cart", "path": "/cart"},
        "events": [{"type": "error", "message": "x1", "errorType": "Error",
                    "stack": [frame("r", 21), frame("HTMLButtonElement.n", 57)]}]
    })
    .to_string()
}

#[test]
fn source_maps_upload_with_the_cli_and_bad_maps_get_clear_answers() {
    let mut collector = Collector::start_with(
        CollectorOptions::default().env("JAMSCOPE_SOURCEMAPS_MAX_MAP_MB", "1"),
    );
    let map = std::fs::read(fixtures().join("app.js.map")).expect("fixture");
    // Refused, each saying why; nothing stored.
    let (status, answer) = upload(
        &collector,
        "app=shop&release=2.0&url=https://shop.test/assets/app.js",
        b"{\"version\":3,".to_vec(),
    );
    assert_eq!(status, 400);
    assert!(
        answer["error"]
            .as_str()
            .unwrap_or_default()
            .contains("not a usable source map"),
        "{answer}"
    );
    let (status, answer) = upload(
        &collector,
        "app=shop&url=https://shop.test/assets/app.js",
        map.clone(),
    );
    assert_eq!(status, 400);
    assert_eq!(answer["error"], "parameter 'release' is required");
    let (status, answer) = upload(&collector, "app=shop&release=2.0&url=app.js", map.clone());
    assert_eq!(status, 400, "{answer}");
    let (status, answer) = upload(
        &collector,
        "app=shop&release=2.0&url=https://shop.test/big.js",
        vec![b' '; 1_100_000],
    );
    assert_eq!(status, 413, "{answer}");
    assert!(answer["error"]
        .as_str()
        .unwrap_or_default()
        .contains("sourcemaps.max_map_mb"));

    // The CLI uploads the build's map and bundle.
    let url = collector.http_url();
    let uploaded = run_jamscope(
        &[
            "sourcemaps",
            "upload",
            &fixtures().display().to_string(),
            "--app",
            "shop",
            "--release",
            "2.0",
            "--url-prefix",
            "https://shop.test/assets/",
            "--collector",
            &url,
        ],
        &[],
    );
    assert!(
        uploaded.status.success(),
        "{}",
        String::from_utf8_lossy(&uploaded.stderr)
    );
    assert!(String::from_utf8_lossy(&uploaded.stdout).contains("https://shop.test/assets/app.js"));
    let listed = run_jamscope(
        &["sourcemaps", "list", "--app", "shop", "--collector", &url],
        &[],
    );
    let listed = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert_eq!(listed.lines().count(), 2, "a map and its bundle: {listed}");

    // An error of the release with maps is symbolicated; one of a release
    // without maps is stored as sent, saying why.
    assert_eq!(
        post_beacon(&collector, &error_beacon("2.0", "pv-mapped")),
        200
    );
    assert_eq!(
        post_beacon(&collector, &error_beacon("1.0", "pv-unmapped")),
        200
    );
    assert_eq!(collector.wait_for_rows("rum_errors", 2), 2);
    let rows = collector.query(
        "SELECT PageViewId, Frames, Symbolication, `Stack.Function` AS sent FROM rum_errors ORDER BY PageViewId",
    );
    let frames = |row: &Value| -> Value {
        serde_json::from_str(row["Frames"].as_str().unwrap_or_default()).expect("frames JSON")
    };
    let mapped = frames(&rows[0]);
    assert_eq!(rows[0]["Symbolication"], "symbolicated");
    assert_eq!(mapped[0]["file"], "src/cart.ts");
    assert_eq!(mapped[0]["line"], 3);
    assert_eq!(mapped[0]["function"], "checkTotal");
    assert_eq!(mapped[1]["function"], "submitOrder");
    assert_eq!(
        mapped[0]["context"]["lines"][2],
        "  throw new Error(\"x\" + total);"
    );
    assert_eq!(rows[0]["sent"], json!(["r", "HTMLButtonElement.n"]));
    let unmapped = frames(&rows[1]);
    let why = "no source map uploaded for release 1.0 of https://shop.test/assets/app.js";
    assert_eq!(rows[1]["Symbolication"], why);
    assert_eq!(unmapped[0]["function"], "r");
    assert_eq!(unmapped[0]["note"], why);

    // Deleting the release's maps: gone from the list; an unknown one is 404.
    let deleted = run_jamscope(
        &[
            "sourcemaps",
            "delete",
            "--app",
            "shop",
            "--release",
            "2.0",
            "--collector",
            &url,
        ],
        &[],
    );
    assert!(
        deleted.status.success(),
        "{}",
        String::from_utf8_lossy(&deleted.stderr)
    );
    let listed = run_jamscope(&["sourcemaps", "list", "--collector", &url], &[]);
    assert!(
        listed.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&listed.stdout)
    );
    let missing = run_jamscope(
        &[
            "sourcemaps",
            "delete",
            "--app",
            "shop",
            "--release",
            "9.9",
            "--collector",
            &url,
        ],
        &[],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("404"));
    collector.stop();
}
