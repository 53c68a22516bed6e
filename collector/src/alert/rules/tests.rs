//! Rule files: the shipped directory loads and reads right; every kind of
//! mistake is reported with its file, line and rule.

use std::path::{Path, PathBuf};

use super::*;
use crate::model::alert::Severity;

fn shipped_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../alert-rules")
}

/// One rule file with `condition` (and extra rule keys) filled in.
fn file_with(extra: &str, condition: &str) -> String {
    let condition: String = condition
        .lines()
        .map(|l| format!("          {l}\n"))
        .collect();
    format!(
        "groups:\n  - name: g\n    rules:\n      - alert: TestRule\n{extra}        condition:\n{condition}"
    )
}

fn load_one(text: &str) -> Result<Rule, String> {
    match load_str(Path::new("t.yaml"), text) {
        Ok(mut rules) => Ok(rules.remove(0)),
        Err(errors) => Err(errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")),
    }
}

#[test]
fn shipped_rules_load_and_their_words_name_every_threshold() {
    let set = load_dir(&shipped_dir()).unwrap_or_else(|errors| {
        panic!(
            "{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let words: Vec<String> = set.rules.iter().map(Rule::describe).collect();
    let all = words.join("\n");
    // DOMAIN.md's numbers, each in the line of its rule.
    for (rule, expected) in [
        (
            "GatewayErrorRate",
            &["above 1 %", "warning above 0.5 %"][..],
        ),
        ("P95Latency", &["above 5000 ms", "warning above 2000 ms"]),
        ("CdnCacheHitRatio", &["below 80 %", "warning below 90 %"]),
        ("CdnOriginLatency", &["above 200 ms"]),
        ("CmsQueryDuration", &["above 100 ms"]),
        ("CmsPoolUtilisation", &["above 80 %"]),
        (
            "BuildFailing",
            &["critical when 2 consecutive builds", "warning when 1 build"],
        ),
        ("NewBrowserError", &["first time"]),
        ("LcpPoor", &["LCP", "above 4000 ms"]),
        ("InpPoor", &["INP", "above 500 ms"]),
        (
            "DeployRegression",
            &["at least 50 % worse than before the last deploy"],
        ),
    ] {
        let line = words
            .iter()
            .find(|w| w.starts_with(&format!("{rule}:")))
            .unwrap_or_else(|| panic!("no rule {rule} in:\n{all}"));
        for text in expected {
            assert!(line.contains(text), "{rule} lacks '{text}': {line}");
        }
    }
    assert_eq!(
        set.get("CmsPoolUtilisation").unwrap().describe(),
        "CmsPoolUtilisation: warning when the last value of db.client.connection.count \
         (db.client.connection.state = used, layer cms) as a percentage of \
         db.client.connection.max (layer cms) over 5m is above 80 %, for 5m, per service"
    );
    let gateway = set.get("GatewayErrorRate").unwrap();
    assert_eq!(
        gateway.describe(),
        "GatewayErrorRate: critical when the error rate of gateway spans over 5m is above 1 % \
         (warning above 0.5 %), for 0s, per service; labels team=web"
    );
    assert_eq!(gateway.threshold_words(Severity::Critical), "> 1 %");
    assert_eq!(
        gateway.breached(2.0),
        [Severity::Critical, Severity::Warning]
    );
    assert_eq!(gateway.breached(0.7), [Severity::Warning]);
    assert!(gateway.breached(0.5).is_empty());
    let cache = set.get("CdnCacheHitRatio").unwrap();
    assert_eq!(cache.breached(85.0), [Severity::Warning]);
    assert_eq!(
        cache.breached(79.0),
        [Severity::Critical, Severity::Warning]
    );
    let builds = set.get("BuildFailing").unwrap();
    assert_eq!(builds.breached(1.0), [Severity::Warning]);
    assert_eq!(
        builds.breached(2.0),
        [Severity::Critical, Severity::Warning]
    );
}

const GOOD_THRESHOLD: &str =
    "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above\nwarning: 0.5\ncritical: 1";

#[test]
fn every_condition_type_loads() {
    for condition in [
        GOOD_THRESHOLD,
        "type: threshold\nmetric: attribute\nattribute: db.pool\nwindow: 1m\nfilter: {layer: cms}\ndirection: above\ncritical: 0.9",
        "type: threshold\nmetric: vital_p75\nvital: cls\nwindow: 1h\nfilter: {page: /}\ndirection: above\nwarning: 0.25",
        "type: threshold\nmetric: request_rate\nwindow: 1m\ndirection: below\nwarning: 10\ncritical: 1\ngroup_by: [service, route]",
        "type: sql\nquery: SELECT 1 AS value\ndirection: below\ncritical: 3",
        "type: consecutive\nkind: deploy\npipeline: site\ncritical: 3",
        "type: regression\nmetric: error_rate\nwindow: 10m\nbaseline: same_hour_yesterday\nwarning: 20\ncritical: 100",
    ] {
        load_one(&file_with("", condition)).unwrap_or_else(|e| panic!("{condition}:\n{e}"));
    }
    let with_severity = "        labels: {severity: critical}\n";
    for condition in [
        "type: new_error\nsource: spans",
        "type: consecutive\nkind: build\ncount: 2",
        "type: regression\nmetric: p99_duration\nwindow: 10m\nbaseline: before_last_deploy\npercent: 25",
    ] {
        let rule = load_one(&file_with(with_severity, condition))
            .unwrap_or_else(|e| panic!("{condition}:\n{e}"));
        assert_eq!(rule.levels.len(), 1);
        assert_eq!(rule.levels[0].severity, Severity::Critical);
        assert!(!rule.labels.contains_key("severity"));
    }
}

#[test]
fn mistakes_are_reported_with_file_line_and_what_is_wrong() {
    let levels_sev = "        labels: {severity: warning}\n";
    for (extra, condition, expected) in [
        ("", "type: threshold\nmetric: errors\nwindow: 5m\ndirection: above\nwarning: 1", "t.yaml:4: groups[0].rules[0]: unknown variant `errors`"),
        ("", "type: thresholds\nmetric: error_rate", "t.yaml:6: groups[0].rules[0].condition.type: unknown variant `thresholds`"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above\ncritcal: 1", "unknown field `critcal`"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above", "t.yaml:4: rule TestRule: missing levels"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above\nwarning: 2\ncritical: 1", "t.yaml:4: rule TestRule: warning 2 must be below critical 1"),
        ("", "type: threshold\nmetric: cache_hit_ratio\nwindow: 5m\ndirection: below\nwarning: 80\ncritical: 90", "warning 80 must be above critical 90"),
        ("", "type: threshold\nmetric: error_rate\nwindow: -5m\ndirection: above\nwarning: 1", "duration '-5m' must not be negative"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 0s\ndirection: above\nwarning: 1", "`window` must be longer than 0s"),
        ("        for: soon\n", GOOD_THRESHOLD, "invalid duration 'soon'"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above\nwarning: 150", "outside 0–100"),
        ("", "type: threshold\nmetric: attribute\nwindow: 5m\ndirection: above\nwarning: 1", "needs `attribute:"),
        ("", "type: threshold\nmetric: vital_p75\nvital: FOO\nwindow: 5m\ndirection: above\nwarning: 1", "unknown vital 'FOO'"),
        ("", "type: threshold\nmetric: error_rate\nvital: LCP\nwindow: 5m\ndirection: above\nwarning: 1", "`vital` is only for metric vital_p75"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\nfilter: {layer: moon}\ndirection: above\nwarning: 1", "unknown layer 'moon'"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\nfilter: {page: /}\ndirection: above\nwarning: 1", "`page` filters vitals only"),
        ("", "type: threshold\nmetric: error_rate\nwindow: 5m\ndirection: above\nwarning: 1\ngroup_by: [page]", "cannot group the error rate by 'page'"),
        (levels_sev, GOOD_THRESHOLD, "labels.severity comes from the warning/critical levels"),
        ("        labels: {severity: page}\n", "type: new_error\nsource: rum", "labels.severity 'page' is not warning or critical"),
        ("", "type: new_error\nsource: rum", "a new_error rule needs labels.severity"),
        ("", "type: new_error\nsource: logs", "unknown variant `logs`"),
        ("", "type: consecutive\nkind: build\ncount: 2", "`count` needs labels.severity"),
        (levels_sev, "type: consecutive\nkind: build\ncount: 0", "consecutive counts start at 1"),
        ("", "type: sql\nquery: DROP TABLE otel_traces\ndirection: above\nwarning: 1", "must be a SELECT"),
        ("", "type: metric\nmetric_name: x\naggregation: quantile\nwindow: 5m\ndirection: above\nwarning: 1", "`aggregation: quantile` needs `quantile`"),
        ("", "type: metric\nmetric_name: x\naggregation: last\nquantile: 0.5\nwindow: 5m\ndirection: above\nwarning: 1", "`quantile` is only for `aggregation: quantile`"),
        ("", "type: metric\nmetric_name: x\naggregation: quantile\nquantile: 95\nwindow: 5m\ndirection: above\nwarning: 1", "`quantile` 95 is not above 0 and at most 1"),
        ("", "type: metric\nmetric_name: ''\naggregation: rate\nwindow: 5m\ndirection: above\nwarning: 1", "`metric_name` must not be empty"),
        ("", "type: metric\nmetric_name: x\naggregation: rate\nwindow: 5m\nlayer: moon\ndirection: above\nwarning: 1", "unknown layer 'moon'"),
        ("", "type: metric\nmetric_name: x\naggregation: median\nwindow: 5m\ndirection: above\nwarning: 1", "unknown variant `median`"),
        ("", "type: metric\nmetric_name: x\naggregation: rate\nwindow: 5m\ndirection: above\nwarning: 1\nfilter: {a: b}", "unknown field `filter`"),
        ("", "type: metric\nmetric_name: x\naggregation: rate\nwindow: 5m\ndirection: above\nwarning: 1\ndivided_by: {metric_name: y, attribute: {}}", "unknown field `attribute`"),
        ("        annotations: {summary: \"{{ $labels.route }}\"}\n", "type: metric\nmetric_name: x\naggregation: rate\nwindow: 5m\ndirection: above\nwarning: 1\ngroup_by: [service]", "no label 'route'"),
        (levels_sev, "type: regression\nmetric: error_rate\nwindow: 5m\nbaseline: last_week\npercent: 10", "unknown variant `last_week`"),
        (levels_sev, "type: regression\nmetric: error_rate\nwindow: 5m\nbaseline: before_last_deploy\npercent: -10", "percent must be above 0"),
        ("        labels: {alertname: X}\n", GOOD_THRESHOLD, "`alertname` is set from `alert`"),
        ("        annotations: {summary: \"{{ $labels.service }} {{ .Value }}\"}\n", GOOD_THRESHOLD, "annotation summary: unknown placeholder '{{ .Value }}'"),
        ("        annotations: {summary: \"{{ $labels.service }}\"}\n", GOOD_THRESHOLD, "annotation summary: no label 'service'"),
    ] {
        let error = load_one(&file_with(extra, condition)).expect_err(condition);
        assert!(error.contains(expected), "expected '{expected}' in:\n{error}\nfor:\n{condition}");
        assert!(error.starts_with("t.yaml:"), "{error}");
    }
}

#[test]
fn a_directory_reports_every_bad_file_and_duplicate_names() {
    let dir = tempfile::tempdir().unwrap();
    let good = file_with("", GOOD_THRESHOLD);
    std::fs::write(dir.path().join("a.yaml"), &good).unwrap();
    std::fs::write(dir.path().join("b.yml"), &good).unwrap();
    std::fs::write(
        dir.path().join("c.yaml"),
        "groups:\n  - name: g\n    rules: [\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a rule file").unwrap();
    let errors: Vec<String> = load_dir(dir.path())
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(errors[0].contains("c.yaml:4: "), "{}", errors[0]);
    assert!(
        errors[1].contains("b.yml:4: rule TestRule: the name is already used at ")
            && errors[1].contains("a.yaml:4"),
        "{}",
        errors[1]
    );
    let missing = load_dir(&dir.path().join("nope")).unwrap_err();
    assert!(missing[0]
        .to_string()
        .contains("cannot read the rules directory"));
}

#[test]
fn rule_lines_point_at_each_rule() {
    let text = "groups:\n  - name: g\n    rules:\n      - alert: First\n        condition: {type: new_error, source: rum}\n        labels: {severity: warning}\n      - alert: \"Second\"  # quoted\n        condition: {type: new_error, source: rum}\n";
    let errors = load_str(Path::new("x.yaml"), text).unwrap_err();
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        ["x.yaml:7: rule Second: a new_error rule needs labels.severity (warning or critical)"]
    );
}
