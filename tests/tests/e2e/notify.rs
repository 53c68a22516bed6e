//! Alert notifications delivered to real receivers on loopback: a real SMTP
//! server (Python aiosmtpd, `tests/clients/python/smtp_sink.py`), and HTTP
//! receivers (axum, in the test) standing in for a webhook endpoint, Slack
//! and PagerDuty; plus a receiver that fails before it succeeds, one that
//! is down, and one that never answers. The notifier is the library's
//! (`jamscope::notify`), called as the rule engine calls it. Every server
//! is stopped when its test ends, pass or fail.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use jamscope::model::alert::{Alert, AlertStatus, LabelSet, Notification};
use jamscope::notify::{
    DeliveryConfig, EmailConfig, Notifier, NotifyConfig, NotifyStats, PagerDutyConfig,
    ReceiverKind, RouteConfig, SlackConfig, WebhookConfig,
};
use sha2::Sha256;

use crate::harness::free_port;
use crate::receivers::{Recorder, SmtpSink};

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const EXTERNAL_URL: &str = "http://jamscope.test:4318";
const SECRET: &str = "webhook-shared-secret";

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn alert(name: &str, severity: &str, status: AlertStatus) -> Alert {
    let labels = labels(&[
        ("alertname", name),
        ("severity", severity),
        ("service", "api-gateway"),
    ]);
    let starts = 1_795_428_000_000;
    Alert {
        fingerprint: Alert::fingerprint_of(&labels),
        labels,
        annotations: self::labels(&[
            ("summary", "Gateway error rate above 1 %"),
            ("description", "5xx answers from the gateway rose"),
        ]),
        status,
        value: 0.034,
        threshold: "> 0.01".into(),
        starts_at_millis: starts,
        ends_at_millis: (status == AlertStatus::Resolved).then_some(starts + 600_000),
        example_trace_id: Some(TRACE_ID.into()),
    }
}

fn notification(status: AlertStatus, alerts: Vec<Alert>) -> Notification {
    Notification {
        group_key: "{}:{alertname=\"GatewayErrorRate\"}".into(),
        status,
        group_labels: labels(&[("alertname", "GatewayErrorRate")]),
        alerts,
        external_url: String::new(),
    }
}

/// Retries fast, so the tests do not wait on backoff.
fn quick_delivery() -> DeliveryConfig {
    DeliveryConfig {
        send_timeout_ms: 2_000,
        retry_max_attempts: 4,
        retry_initial_ms: 20,
        retry_max_ms: 50,
        retry_budget_secs: 10,
        ..DeliveryConfig::default()
    }
}

fn quick_config() -> NotifyConfig {
    NotifyConfig {
        external_url: Some(EXTERNAL_URL.into()),
        delivery: quick_delivery(),
        ..NotifyConfig::default()
    }
}

fn signed_webhook(url: String) -> WebhookConfig {
    WebhookConfig {
        url: Some(url),
        secret: Some(SECRET.into()),
    }
}

/// What `/metrics` shows of `stats`: the families in a registry of their own.
fn exposition(stats: &NotifyStats) -> String {
    let mut registry = prometheus_client::registry::Registry::with_prefix("jamscope");
    stats.register(&mut registry);
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).expect("encoded");
    text
}

async fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// --- Tests ------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn email_firing_then_resolved_arrives_once_each() {
    let sink = SmtpSink::start("jam@scope:p@ss word");
    let config = NotifyConfig {
        email: EmailConfig {
            smtp_url: Some(format!(
                "smtp://jam%40scope:p%40ss%20word@127.0.0.1:{}?tls=none",
                sink.port
            )),
            from: Some("Jamscope <alerts@jamscope.test>".into()),
            to: vec!["oncall@example.test".into(), "lead@example.test".into()],
        },
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    assert_eq!(notifier.receivers(), [ReceiverKind::Email]);
    let stats = notifier.stats();

    let firing = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
    notifier.dispatch(notification(AlertStatus::Firing, vec![firing]));
    wait_until("the firing email", Duration::from_secs(20), || {
        sink.messages().len() == 1
    })
    .await;
    let resolved = alert("GatewayErrorRate", "critical", AlertStatus::Resolved);
    notifier.dispatch(notification(AlertStatus::Resolved, vec![resolved]));
    wait_until("the resolved email", Duration::from_secs(20), || {
        sink.messages().len() == 2
    })
    .await;
    notifier.shutdown(Duration::from_secs(5)).await;
    // Once each: nothing more arrives.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let messages = sink.messages();
    assert_eq!(messages.len(), 2, "{messages:#?}");
    assert_eq!(stats.sent(ReceiverKind::Email), 2);
    assert_eq!(stats.failed(ReceiverKind::Email), 0);

    let link = format!("{EXTERNAL_URL}/api/traces/{TRACE_ID}");
    for (message, subject) in messages.iter().zip([
        "[FIRING:1] GatewayErrorRate critical",
        "[RESOLVED] GatewayErrorRate critical",
    ]) {
        assert_eq!(message["subject"], subject);
        assert_eq!(message["authenticated_as"], "jam@scope");
        assert_eq!(message["mail_from"], "alerts@jamscope.test");
        assert_eq!(
            message["rcpt_tos"],
            serde_json::json!(["oncall@example.test", "lead@example.test"])
        );
        assert_eq!(message["content_type"], "multipart/alternative");
        let text = message["text"].as_str().expect("a text part");
        let html = message["html"].as_str().expect("an HTML part");
        for part in [text, html] {
            assert!(part.contains("0.034"), "value missing: {part}");
            assert!(part.contains(&link), "trace link missing: {part}");
            assert!(part.contains("2026-11-23 10:00:00 UTC"), "{part}");
            assert!(part.contains("Gateway error rate above 1 %"), "{part}");
        }
        assert!(text.contains("Threshold: > 0.01"), "{text}");
        assert!(html.contains("&gt; 0.01"), "{html}");
    }
    assert!(messages[1]["text"]
        .as_str()
        .is_some_and(|t| t.contains("Ended: 2026-11-23 10:10:00 UTC")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_is_signed_and_alertmanager_v4() {
    let receiver = Recorder::start(0).await;
    let config = NotifyConfig {
        webhook: signed_webhook(receiver.url("/alerts")),
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    let firing = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
    let fingerprint = firing.fingerprint.clone();
    let outcome = notifier.dispatch(notification(AlertStatus::Firing, vec![firing]));
    assert_eq!(outcome.queued, [ReceiverKind::Webhook]);
    wait_until("the webhook", Duration::from_secs(10), || {
        receiver.accepted().len() == 1
    })
    .await;
    notifier.shutdown(Duration::from_secs(5)).await;

    // Verified as a receiver would: HMAC-SHA256 over timestamp "." body.
    let request = &receiver.accepted()[0];
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{name} missing"))
            .to_owned()
    };
    assert_eq!(header("content-type"), "application/json");
    let timestamp = header("x-jamscope-timestamp");
    let signature = header("x-jamscope-signature");
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(&request.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(signature, format!("sha256={expected}"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let sent: u64 = timestamp.parse().expect("Unix seconds");
    assert!(now.abs_diff(sent) < 300, "timestamp {sent}, now {now}");
    assert!(jamscope::signing::verify(
        SECRET.as_bytes(),
        &timestamp,
        &request.body,
        &signature
    ));

    let body = receiver.json(0);
    assert_eq!(body["version"], "4");
    assert_eq!(body["groupKey"], "{}:{alertname=\"GatewayErrorRate\"}");
    assert_eq!(body["truncatedAlerts"], 0);
    assert_eq!(body["status"], "firing");
    assert_eq!(body["receiver"], "webhook");
    assert_eq!(body["groupLabels"]["alertname"], "GatewayErrorRate");
    assert_eq!(body["commonLabels"]["severity"], "critical");
    assert_eq!(
        body["commonAnnotations"]["summary"],
        "Gateway error rate above 1 %"
    );
    assert_eq!(body["externalURL"], EXTERNAL_URL);
    let alert = &body["alerts"][0];
    assert_eq!(alert["status"], "firing");
    assert_eq!(alert["labels"]["alertname"], "GatewayErrorRate");
    assert_eq!(alert["annotations"]["example_trace_id"], TRACE_ID);
    assert_eq!(alert["startsAt"], "2026-11-23T10:00:00.000Z");
    assert_eq!(alert["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(
        alert["generatorURL"],
        format!("{EXTERNAL_URL}/api/traces/{TRACE_ID}")
    );
    assert_eq!(alert["fingerprint"], fingerprint.as_str());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_send_critical_alerts_to_pagerduty_and_slack() {
    let webhook = Recorder::start(0).await;
    let slack = Recorder::start(0).await;
    let pagerduty = Recorder::start(0).await;
    let config = NotifyConfig {
        webhook: signed_webhook(webhook.url("/hook")),
        slack: SlackConfig {
            webhook_url: Some(slack.url("/services/T0/B0/X")),
        },
        pagerduty: PagerDutyConfig {
            routing_key: Some("R0UTING-KEY".into()),
            url: pagerduty.url("/v2/enqueue"),
        },
        routes: vec![
            RouteConfig {
                matchers: labels(&[("severity", "critical")]),
                receivers: vec![ReceiverKind::PagerDuty, ReceiverKind::Slack],
            },
            RouteConfig {
                matchers: LabelSet::new(),
                receivers: vec![ReceiverKind::Webhook],
            },
        ],
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    let critical = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
    let warning = alert("CmsQueryP95", "warning", AlertStatus::Firing);
    let outcome = notifier.dispatch(notification(
        AlertStatus::Firing,
        vec![critical.clone(), warning],
    ));
    assert_eq!(outcome.queued.len(), 3);
    wait_until("three receivers", Duration::from_secs(10), || {
        webhook.accepted().len() == 1
            && slack.accepted().len() == 1
            && pagerduty.accepted().len() == 1
    })
    .await;
    // The webhook gets both alerts; PagerDuty and Slack only the critical one.
    assert_eq!(webhook.json(0)["alerts"].as_array().map(Vec::len), Some(2));

    let trigger = pagerduty.json(0);
    assert_eq!(trigger["routing_key"], "R0UTING-KEY");
    assert_eq!(trigger["event_action"], "trigger");
    assert_eq!(trigger["dedup_key"], critical.fingerprint.as_str());
    assert_eq!(trigger["payload"]["severity"], "critical");
    assert_eq!(trigger["payload"]["source"], "api-gateway");
    assert_eq!(trigger["payload"]["timestamp"], "2026-11-23T10:00:00.000Z");
    assert!(trigger["payload"]["summary"]
        .as_str()
        .is_some_and(|s| s.contains("GatewayErrorRate") && s.contains("0.034")));
    assert_eq!(trigger["payload"]["custom_details"]["threshold"], "> 0.01");
    assert_eq!(
        trigger["links"][0]["href"],
        format!("{EXTERNAL_URL}/api/traces/{TRACE_ID}")
    );

    let message = slack.json(0);
    assert_eq!(message["text"], "[FIRING:1] GatewayErrorRate critical");
    let blocks = message["blocks"].as_array().expect("blocks");
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0]["type"], "header");
    assert_eq!(blocks[0]["text"]["type"], "plain_text");
    assert_eq!(blocks[1]["type"], "section");
    assert!(blocks[1]["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .any(|f| f["text"] == "*Value*\n0.034"));

    // Resolving closes the PagerDuty incident by the same key.
    let resolved = alert("GatewayErrorRate", "critical", AlertStatus::Resolved);
    notifier.dispatch(notification(AlertStatus::Resolved, vec![resolved]));
    wait_until("the resolve event", Duration::from_secs(10), || {
        pagerduty.accepted().len() == 2
    })
    .await;
    let resolve = pagerduty.json(1);
    assert_eq!(resolve["event_action"], "resolve");
    assert_eq!(resolve["dedup_key"], critical.fingerprint.as_str());
    notifier.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_failing_twice_gets_the_notification_once() {
    let receiver = Recorder::start(2).await;
    let config = NotifyConfig {
        webhook: signed_webhook(receiver.url("/alerts")),
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    let stats = notifier.stats();
    let firing = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
    notifier.dispatch(notification(AlertStatus::Firing, vec![firing]));
    wait_until("delivery after retries", Duration::from_secs(10), || {
        stats.sent(ReceiverKind::Webhook) == 1
    })
    .await;
    notifier.shutdown(Duration::from_secs(5)).await;
    assert_eq!(receiver.seen(), 3);
    assert_eq!(receiver.accepted().len(), 1);
    assert_eq!(stats.retries(ReceiverKind::Webhook), 2);
    assert_eq!(stats.failed(ReceiverKind::Webhook), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_receiver_that_is_down_is_counted_and_dispatch_does_not_wait() {
    let port = free_port(); // nothing listens there
    let config = NotifyConfig {
        webhook: signed_webhook(format!("http://127.0.0.1:{port}/alerts")),
        delivery: DeliveryConfig {
            retry_max_attempts: 3,
            ..quick_delivery()
        },
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    let stats = notifier.stats();
    let firing = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
    let started = Instant::now();
    let outcome = notifier.dispatch(notification(AlertStatus::Firing, vec![firing]));
    assert!(started.elapsed() < Duration::from_millis(100));
    assert_eq!(outcome.queued, [ReceiverKind::Webhook]);
    wait_until("the failure", Duration::from_secs(10), || {
        stats.failed(ReceiverKind::Webhook) == 1
    })
    .await;
    assert_eq!(stats.sent(ReceiverKind::Webhook), 0);
    assert_eq!(stats.retries(ReceiverKind::Webhook), 2);
    assert!(exposition(&stats)
        .contains("jamscope_notifications_total{receiver=\"webhook\",outcome=\"failed\"} 1\n"));
    notifier.shutdown(Duration::from_secs(5)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_drops_and_counts_without_waiting() {
    // Accepts connections and never answers: every attempt hangs until
    // the send timeout.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("address");
    let hang = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            open.push(socket);
        }
    });
    let config = NotifyConfig {
        webhook: signed_webhook(format!("http://{addr}/alerts")),
        delivery: DeliveryConfig {
            queue_capacity: 1,
            retry_max_attempts: 1,
            send_timeout_ms: 1_000,
            ..quick_delivery()
        },
        ..quick_config()
    };
    let notifier = Notifier::start(&config).expect("notifier");
    let stats = notifier.stats();
    let started = Instant::now();
    let mut dropped = 0;
    for _ in 0..5 {
        let firing = alert("GatewayErrorRate", "critical", AlertStatus::Firing);
        let outcome = notifier.dispatch(notification(AlertStatus::Firing, vec![firing]));
        dropped += outcome.dropped.len();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(started.elapsed() < Duration::from_millis(800));
    // One in flight, one queued, the rest dropped (four if the task had
    // not yet taken the first off the queue on a busy machine).
    assert!((3..=4).contains(&dropped), "{dropped} dropped");
    assert_eq!(stats.dropped(ReceiverKind::Webhook), dropped as u64);
    assert!(exposition(&stats).contains(&format!(
        "jamscope_notifications_total{{receiver=\"webhook\",outcome=\"dropped\"}} {dropped}\n"
    )));
    notifier.shutdown(Duration::from_secs(5)).await;
    hang.abort();
}
