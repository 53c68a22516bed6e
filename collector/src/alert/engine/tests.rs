//! The lifecycle, scenario by scenario with explicit times: each step is
//! one tick (seconds, observations) and the notifications it must send,
//! summarised as `status alertname/severity@service[:resolved], ...`.

use std::path::Path;

use super::*;
use crate::alert::rules::load_str;

const RULES: &str = r#"
groups:
  - name: test
    rules:
      - alert: ErrorRate
        for: 0s
        condition:
          type: threshold
          metric: error_rate
          window: 5m
          direction: above
          warning: 0.5
          critical: 1
          group_by: [service]
        annotations:
          summary: "{{ $labels.service }} fails {{ $value }} %"
      - alert: Slow
        for: 1m
        condition:
          type: threshold
          metric: p95_duration
          window: 5m
          direction: above
          warning: 100
          group_by: [service]
"#;

fn rules() -> RuleSet {
    RuleSet {
        files: Vec::new(),
        rules: load_str(Path::new("test.yaml"), RULES).unwrap(),
    }
}

fn settings() -> EngineSettings {
    EngineSettings {
        group_by: vec!["alertname".into()],
        group_wait: Millis(0),
        group_interval: Millis::from_secs(60),
        repeat_interval: Millis::from_secs(3600),
        external_url: "https://jamscope.example".into(),
    }
}

type Obs<'a> = &'a [(&'a str, &'a str, f64)];

fn observations(obs: Obs<'_>) -> Vec<Observation> {
    obs.iter()
        .map(|(rule, service, value)| Observation {
            rule: (*rule).into(),
            labels: [("service".to_owned(), (*service).to_owned())].into(),
            value: Some(*value),
            details: LabelSet::new(),
            example_trace_id: Some(format!("trace-{service}")),
        })
        .collect()
}

fn summary(n: &Notification) -> String {
    let alerts: Vec<String> = n
        .alerts
        .iter()
        .map(|a| {
            format!(
                "{}/{}@{}{}",
                a.name(),
                a.labels["severity"],
                a.labels.get("service").map_or("", String::as_str),
                if a.status == AlertStatus::Resolved {
                    ":resolved"
                } else {
                    ""
                }
            )
        })
        .collect();
    format!("{} {}", n.status.as_str(), alerts.join(", "))
}

fn silence(matcher: &str, from_secs: i64, to_secs: i64) -> Silence {
    Silence {
        id: matcher.into(),
        matchers: vec![matcher.parse().unwrap()],
        starts_at_millis: from_secs * 1000,
        ends_at_millis: to_secs * 1000,
        comment: String::new(),
    }
}

/// Runs the steps and checks each tick's notifications.
fn run(name: &str, engine: &mut Engine, silences: &[Silence], steps: &[(i64, Obs<'_>, &[&str])]) {
    for (at, obs, expected) in steps {
        let out = engine.tick(at * 1000, &observations(obs), silences);
        let got: Vec<String> = out.notifications.iter().map(summary).collect();
        assert_eq!(got, *expected, "{name}, at {at}s");
    }
}

#[test]
fn lifecycle_scenarios() {
    let api2: Obs = &[("ErrorRate", "api", 2.0)];
    let api07: Obs = &[("ErrorRate", "api", 0.7)];
    let api0: Obs = &[("ErrorRate", "api", 0.0)];
    let slow: Obs = &[("Slow", "api", 200.0)];
    let fast: Obs = &[("Slow", "api", 50.0)];
    let both: Obs = &[("ErrorRate", "api", 0.7), ("ErrorRate", "web", 0.7)];
    type Scenario<'a> = (
        &'a str,
        EngineSettings,
        Vec<Silence>,
        Vec<(i64, Obs<'a>, &'a [&'a str])>,
    );
    let scenarios: Vec<Scenario> = vec![
        (
            "2 % fires critical, warning inhibited; 0 % resolves once",
            settings(),
            vec![],
            vec![
                (0, api2, &["firing ErrorRate/critical@api"]),
                (60, api2, &[]),
                (120, api0, &["resolved ErrorRate/critical@api:resolved"]),
                (180, api0, &[]),
                (240, &[], &[]),
            ],
        ),
        (
            "for: 1m holds pending",
            settings(),
            vec![],
            vec![
                (0, slow, &[]),
                (30, slow, &[]),
                (59, slow, &[]),
                (60, slow, &["firing Slow/warning@api"]),
            ],
        ),
        (
            "flapping within for never fires; the hold restarts",
            settings(),
            vec![],
            vec![
                (0, slow, &[]),
                (30, fast, &[]),
                (45, slow, &[]),
                (90, slow, &[]),
                (100, fast, &[]),
                (105, slow, &[]),
                (165, slow, &["firing Slow/warning@api"]),
            ],
        ),
        (
            "a silence mutes, and when it ends a still-firing alert notifies",
            settings(),
            vec![silence("service=api", 0, 120)],
            vec![
                (0, api2, &[]),
                (60, api2, &[]),
                (120, api2, &["firing ErrorRate/critical@api"]),
                (180, api2, &[]),
            ],
        ),
        (
            "a regex silence mutes only what it matches",
            settings(),
            vec![silence("service=~ap.*", 0, 3600)],
            vec![(0, both, &["firing ErrorRate/warning@web"])],
        ),
        (
            "a silence that has not started yet does not mute",
            settings(),
            vec![silence("alertname=ErrorRate", 100, 200)],
            vec![(0, api2, &["firing ErrorRate/critical@api"])],
        ),
        (
            "repeat_interval re-sends a still-firing group",
            EngineSettings {
                repeat_interval: Millis::from_secs(300),
                ..settings()
            },
            vec![],
            vec![
                (0, api2, &["firing ErrorRate/critical@api"]),
                (60, api2, &[]),
                (240, api2, &[]),
                (300, api2, &["firing ErrorRate/critical@api"]),
                (360, api2, &[]),
                (600, api2, &["firing ErrorRate/critical@api"]),
            ],
        ),
        (
            "group_wait batches two alerts into one notification",
            EngineSettings {
                group_wait: Millis::from_secs(30),
                ..settings()
            },
            vec![],
            vec![
                (0, api07, &[]),
                (10, both, &[]),
                (29, both, &[]),
                (
                    30,
                    both,
                    &["firing ErrorRate/warning@api, ErrorRate/warning@web"],
                ),
                (60, both, &[]),
            ],
        ),
        (
            "later changes wait for group_interval",
            settings(),
            vec![],
            vec![
                (0, api07, &["firing ErrorRate/warning@api"]),
                (10, both, &[]),
                (59, both, &[]),
                (
                    60,
                    both,
                    &["firing ErrorRate/warning@api, ErrorRate/warning@web"],
                ),
                (70, api07, &[]),
                (
                    120,
                    api07,
                    &["firing ErrorRate/warning@api, ErrorRate/warning@web:resolved"],
                ),
            ],
        ),
        (
            "group_by service: one group per service",
            EngineSettings {
                group_by: vec!["alertname".into(), "service".into()],
                ..settings()
            },
            vec![],
            vec![(
                0,
                both,
                &[
                    "firing ErrorRate/warning@api",
                    "firing ErrorRate/warning@web",
                ],
            )],
        ),
        (
            "a critical holds while the warning level is breached, then resolves once",
            settings(),
            vec![],
            vec![
                (0, api2, &["firing ErrorRate/critical@api"]),
                (60, api07, &[]),
                (120, api07, &[]),
                (180, api0, &["resolved ErrorRate/critical@api:resolved"]),
                (240, api07, &["firing ErrorRate/warning@api"]),
            ],
        ),
        (
            "resolved before group_wait: nothing is ever sent",
            EngineSettings {
                group_wait: Millis::from_secs(30),
                ..settings()
            },
            vec![],
            vec![
                (0, api2, &[]),
                (10, api0, &[]),
                (30, api0, &[]),
                (90, &[], &[]),
            ],
        ),
        (
            "a silenced alert that resolves sends nothing",
            settings(),
            vec![silence("service=api", 0, 3600)],
            vec![(0, api2, &[]), (60, api0, &[]), (120, api2, &[])],
        ),
    ];
    for (name, settings, silences, steps) in scenarios {
        let mut engine = Engine::new(&rules(), settings);
        run(name, &mut engine, &silences, &steps);
    }
}

#[test]
fn alerts_carry_labels_annotations_value_and_trace() {
    let mut engine = Engine::new(&rules(), settings());
    let out = engine.tick(5_000, &observations(&[("ErrorRate", "api", 2.5)]), &[]);
    let n = &out.notifications[0];
    assert_eq!(n.group_key, "{alertname=\"ErrorRate\"}");
    assert_eq!(n.external_url, "https://jamscope.example");
    let alert = &n.alerts[0];
    assert_eq!(alert.annotations["summary"], "api fails 2.5 %");
    assert_eq!(alert.threshold, "> 1 %");
    assert_eq!(alert.value, 2.5);
    assert_eq!(alert.starts_at_millis, 5_000);
    assert_eq!(alert.example_trace_id.as_deref(), Some("trace-api"));
    assert_eq!(alert.fingerprint, Alert::fingerprint_of(&alert.labels));
    // The engine tracks the inhibited warning too.
    assert_eq!(engine.state().alerts.len(), 2);
    // Within group_interval of the first notification: tracked, not told.
    let out = engine.tick(60_000, &observations(&[("ErrorRate", "api", 0.0)]), &[]);
    assert!(out.notifications.is_empty());
    let out = engine.tick(65_000, &[], &[]);
    let resolved = &out.notifications[0].alerts[0];
    assert_eq!(resolved.ends_at_millis, Some(60_000));
    assert_eq!(resolved.value, 2.5, "the last value seen");
    assert!(engine.state().alerts.is_empty() && engine.state().groups.is_empty());
}

#[test]
fn the_same_labels_are_one_alert() {
    let mut engine = Engine::new(&rules(), settings());
    let twice = observations(&[("ErrorRate", "api", 0.7), ("ErrorRate", "api", 0.8)]);
    let out = engine.tick(0, &twice, &[]);
    assert_eq!(out.notifications.len(), 1);
    assert_eq!(out.notifications[0].alerts.len(), 1);
    assert_eq!(out.notifications[0].alerts[0].value, 0.8);
    // Unknown rules and missing values are not breaches.
    let mut other = observations(&[("NoSuchRule", "api", 9.0)]);
    other.push(Observation {
        rule: "ErrorRate".into(),
        labels: LabelSet::new(),
        value: None,
        details: LabelSet::new(),
        example_trace_id: None,
    });
    let out = engine.tick(60_000, &other, &[]);
    assert_eq!(
        summary(&out.notifications[0]),
        "resolved ErrorRate/warning@api:resolved"
    );
}

#[test]
fn events_record_each_phase_change() {
    let mut engine = Engine::new(&rules(), settings());
    let kinds = |out: &TickOutput| -> Vec<&'static str> {
        out.events
            .iter()
            .map(|e| match e {
                AlertEvent::Pending { .. } => "pending",
                AlertEvent::Cleared { .. } => "cleared",
                AlertEvent::Firing { .. } => "firing",
                AlertEvent::Resolved { .. } => "resolved",
                AlertEvent::Notified { .. } => "notified",
            })
            .collect()
    };
    let slow = observations(&[("Slow", "api", 200.0)]);
    assert_eq!(kinds(&engine.tick(0, &slow, &[])), ["pending"]);
    assert_eq!(kinds(&engine.tick(10_000, &[], &[])), ["cleared"]);
    assert_eq!(kinds(&engine.tick(20_000, &slow, &[])), ["pending"]);
    assert_eq!(
        kinds(&engine.tick(80_000, &slow, &[])),
        ["firing", "notified"]
    );
    assert_eq!(
        kinds(&engine.tick(140_000, &[], &[])),
        ["resolved", "notified"]
    );
    let json = serde_json::to_string(&engine.tick(200_000, &slow, &[]).events).unwrap();
    assert!(json.contains("\"event\":\"pending\""), "{json}");
}

#[test]
fn a_restored_state_neither_loses_nor_resends_a_firing_alert() {
    let mut engine = Engine::new(&rules(), settings());
    let api2 = observations(&[("ErrorRate", "api", 2.0)]);
    assert_eq!(engine.tick(0, &api2, &[]).notifications.len(), 1);
    engine.tick(30_000, &api2, &[]);
    // Persist mid-firing (JSON stands in for the alert_events table) ...
    let saved = serde_json::to_string(engine.state()).unwrap();
    drop(engine);
    // ... and continue on another instance.
    let state: EngineState = serde_json::from_str(&saved).unwrap();
    assert_eq!(
        &state,
        &serde_json::from_str::<EngineState>(&saved).unwrap()
    );
    let mut engine = Engine::restore(&rules(), settings(), state);
    run(
        "after restore",
        &mut engine,
        &[],
        &[
            (60, &[("ErrorRate", "api", 2.0)], &[]),
            (120, &[("ErrorRate", "api", 2.0)], &[]),
            (
                180,
                &[("ErrorRate", "api", 0.0)],
                &["resolved ErrorRate/critical@api:resolved"],
            ),
            (240, &[], &[]),
        ],
    );
}

#[test]
fn restored_repeat_timing_is_kept() {
    let settings = EngineSettings {
        repeat_interval: Millis::from_secs(300),
        ..settings()
    };
    let mut engine = Engine::new(&rules(), settings.clone());
    let api2 = observations(&[("ErrorRate", "api", 2.0)]);
    engine.tick(0, &api2, &[]);
    let saved = serde_json::to_value(engine.state()).unwrap();
    let mut engine = Engine::restore(&rules(), settings, serde_json::from_value(saved).unwrap());
    assert!(engine.tick(240_000, &api2, &[]).notifications.is_empty());
    assert_eq!(engine.tick(300_000, &api2, &[]).notifications.len(), 1);
}

#[test]
fn keep_firing_for_rides_out_a_falling_rate() {
    let rules = RuleSet {
        files: Vec::new(),
        rules: load_str(
            Path::new("keep.yaml"),
            &RULES.replacen(
                "        for: 0s\n",
                "        for: 0s\n        keep_firing_for: 90s\n",
                1,
            ),
        )
        .unwrap(),
    };
    let mut engine = Engine::new(&rules, settings());
    let api2: Obs = &[("ErrorRate", "api", 2.0)];
    let api07: Obs = &[("ErrorRate", "api", 0.7)];
    let api0: Obs = &[("ErrorRate", "api", 0.0)];
    // The rate falls through the warning band: the critical keeps firing
    // (inhibiting the warning) while the warning level is breached, then
    // until it has been clear for 90 s; the warning, never told, resolves
    // with it silently.
    run(
        "keep_firing_for",
        &mut engine,
        &[],
        &[
            (0, api2, &["firing ErrorRate/critical@api"]),
            (60, api07, &[]),
            (120, api0, &[]),
            (150, api0, &[]),
            (180, api0, &["resolved ErrorRate/critical@api:resolved"]),
            (240, api0, &[]),
        ],
    );
}
