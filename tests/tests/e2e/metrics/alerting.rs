//! The shipped CMS pool rule (`alert-rules/layers.yaml`,
//! `CmsPoolUtilisation`, a `metric` condition) on a CMS exporting the
//! semantic-convention connection metrics: 85 % of the pool in use fires
//! it, 50 % resolves it. The rule runs as shipped but for its durations
//! (`for` 0s, a 10 s window), so the breach starts and ends in seconds.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::metrics::v1::{
    metric::Data, number_data_point, Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::{metrics_url, now_nanos};
use crate::alerting::{
    alert_options, rules_dir, statuses, wait_until, wait_until_leading, Receivers,
};
use crate::harness::{repo_root, Collector};
use crate::payload::{post, string_attribute};

/// The shipped pool rule alone, with its durations shortened.
fn shipped_pool_rule() -> String {
    let shipped = std::fs::read_to_string(repo_root().join("alert-rules/layers.yaml"))
        .expect("the shipped rules");
    let start = shipped
        .find("      - alert: CmsPoolUtilisation\n")
        .expect("the shipped pool rule");
    let rule = &shipped[start..];
    let end = rule[1..]
        .find("      - alert: ")
        .map_or(rule.len(), |i| i + 1);
    let rule = &rule[..end];
    assert!(rule.contains("type: metric"), "a metric rule:\n{rule}");
    let short = rule
        .replace("for: 5m", "for: 0s")
        .replace("window: 5m", "window: 10s");
    format!("groups:\n  - name: layers\n    rules:\n{short}")
}

/// One export of the pool's state, as an up-down counter and its maximum
/// (cumulative sums, the way SDKs send up-down counters), from `started`.
fn pool(used: i64, idle: i64, max: i64, started: u64) -> Vec<u8> {
    let point = |value: i64, state: Option<&str>| NumberDataPoint {
        attributes: std::iter::once(string_attribute("db.client.connection.pool.name", "main"))
            .chain(state.map(|s| string_attribute("db.client.connection.state", s)))
            .collect(),
        start_time_unix_nano: started,
        time_unix_nano: now_nanos(),
        value: Some(number_data_point::Value::AsInt(value)),
        ..Default::default()
    };
    let up_down = |name: &str, points| Metric {
        name: name.into(),
        unit: "{connection}".into(),
        data: Some(Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: 2,
            is_monotonic: false,
        })),
        ..Default::default()
    };
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    string_attribute("service.name", "strapi"),
                    string_attribute("jamstack.layer", "cms"),
                ],
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                metrics: vec![
                    up_down(
                        "db.client.connection.count",
                        vec![point(used, Some("used")), point(idle, Some("idle"))],
                    ),
                    up_down("db.client.connection.max", vec![point(max, None)]),
                ],
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
    .encode_to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_pool_rule_fires_at_85_percent_and_resolves_at_50() {
    let receivers = Receivers::start().await;
    let rules = rules_dir(&shipped_pool_rule());
    let collector = Collector::start_with(alert_options(&receivers, rules.path()));
    wait_until_leading(&collector).await;

    // The CMS exports every half second; `used` is what the test sets.
    let used = Arc::new(AtomicU64::new(17));
    let exporting = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let exporter = {
        let (used, exporting, url) = (
            Arc::clone(&used),
            Arc::clone(&exporting),
            metrics_url(&collector),
        );
        let started = now_nanos() - 60_000_000_000;
        std::thread::spawn(move || {
            while exporting.load(Ordering::SeqCst) {
                let used = used.load(Ordering::SeqCst) as i64;
                let (status, _, _) = post(
                    &url,
                    Some("application/x-protobuf"),
                    None,
                    pool(used, 20 - used, 20, started),
                );
                assert_eq!(status, 200);
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };

    wait_until("the firing webhook", Duration::from_secs(30), || {
        !receivers.webhook.accepted().is_empty()
    })
    .await;
    let firing = receivers.webhooks();
    assert_eq!(
        statuses(&firing),
        vec![("firing".to_owned(), vec!["warning:firing".to_owned()])]
    );
    let alert = &firing[0]["alerts"][0];
    assert_eq!(alert["labels"]["alertname"], "CmsPoolUtilisation");
    assert_eq!(alert["labels"]["service"], "strapi");
    assert_eq!(
        alert["annotations"]["summary"],
        "strapi: connection pool 85 % used"
    );

    used.store(10, Ordering::SeqCst);
    wait_until("the resolved webhook", Duration::from_secs(30), || {
        receivers.webhook.accepted().len() >= 2
    })
    .await;
    exporting.store(false, Ordering::SeqCst);
    exporter.join().expect("exporter");
    assert_eq!(
        statuses(&receivers.webhooks()),
        vec![
            ("firing".to_owned(), vec!["warning:firing".to_owned()]),
            ("resolved".to_owned(), vec!["warning:resolved".to_owned()]),
        ]
    );
}
