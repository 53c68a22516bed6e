//! `jamscope rules check`: the shipped rules validate and are printed in
//! words; a broken file fails the command, named as file:line.

use crate::harness::{repo_root, run_jamscope};

#[test]
fn rules_check_prints_the_shipped_rules_and_names_a_broken_file_by_line() {
    let shipped = repo_root().join("alert-rules");
    let output = run_jamscope(&["rules", "check", shipped.to_str().unwrap()], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    let mut names = Vec::new();
    for file in std::fs::read_dir(&shipped).unwrap() {
        let path = file.unwrap().path();
        if path.extension().is_some_and(|e| e == "yaml") {
            let text = std::fs::read_to_string(&path).unwrap();
            names.extend(
                text.lines()
                    .filter_map(|l| l.trim().strip_prefix("- alert:"))
                    .map(|n| n.trim().to_owned()),
            );
        }
    }
    assert!(names.len() >= 10, "{names:?}");
    for name in &names {
        assert!(
            stdout.lines().any(|l| l.starts_with(&format!("{name}: "))),
            "{name} is not printed:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("above 1 % (warning above 0.5 %)"),
        "{stdout}"
    );
    assert!(stderr.contains("are valid"), "{stderr}");

    // The directory can also come from the environment.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("broken.yaml"),
        "groups:\n  - name: g\n    rules:\n      - alert: Bad\n        condition:\n          type: threshold\n          metric: error_rate\n          window: 5m\n          direction: above\n          warning: 2\n          critical: 1\n",
    )
    .unwrap();
    let output = run_jamscope(
        &["rules", "check"],
        &[("JAMSCOPE_ALERT_RULES_DIR", dir.path().to_str().unwrap())],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    let expected = format!(
        "{}:4: rule Bad: warning 2 must be below critical 1",
        dir.path().join("broken.yaml").display()
    );
    assert!(
        stderr.contains(&expected),
        "expected {expected} in:\n{stderr}"
    );
}

/// `jamscope rules test FILE` against stored data: spans sent through a
/// real collector (Python SDK), then each shipped layer rule evaluated by
/// ClickHouse and printed with what it would fire.
#[test]
fn rules_test_evaluates_a_file_against_stored_spans() {
    use crate::harness::{python, Collector};
    let collector = Collector::start();
    let output = std::process::Command::new(python())
        .arg(repo_root().join("tests/clients/python/gateway_traffic.py"))
        .args(["--endpoint", &collector.http_url()])
        .args(["--requests", "50", "--errors", "1", "--service", "shop-api"])
        .output()
        .expect("run gateway_traffic.py");
    assert!(output.status.success());
    collector.wait_for_rows("otel_traces", 50);

    let file = repo_root().join("alert-rules/layers.yaml");
    let env = [
        ("JAMSCOPE_CLICKHOUSE_URL", collector.clickhouse_url.as_str()),
        ("JAMSCOPE_CLICKHOUSE_DATABASE", collector.database.as_str()),
    ];
    let tested = run_jamscope(&["rules", "test", file.to_str().unwrap()], &env);
    let stdout = String::from_utf8_lossy(&tested.stdout);
    let stderr = String::from_utf8_lossy(&tested.stderr);
    assert!(tested.status.success(), "{stdout}\n{stderr}");
    // 1 failed request in 50: 2 %, above the 1 % critical level.
    assert!(
        stdout
            .contains("GatewayErrorRate{service=\"shop-api\"} = 2 %: would fire critical (> 1 %)"),
        "{stdout}"
    );
    assert!(stdout.contains("CdnCacheHitRatio: no data"), "{stdout}");

    let missing = run_jamscope(&["rules", "test", "no-such-file.yaml"], &env);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no-such-file.yaml"));
}
