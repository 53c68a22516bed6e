//! Notifiers: tell on-call engineers about a `Notification` the rule engine
//! produced, by email, signed webhook, Slack and PagerDuty.
//!
//! Every receiver kind has the same shape: a pure function building its
//! message from a `Notification`, and a `send` making one attempt within a
//! timeout. This file holds what they share: the [`Notifier`] the engine
//! calls (routing by labels, one bounded queue and one task per receiver, so
//! `dispatch` never waits on a slow SMTP server), the retry with exponential
//! backoff and jitter, the counters ([`NotifyStats`]) and small renderers
//! (times, trace links) every message uses.

pub mod config;
pub mod email;
mod http;
pub mod pagerduty;
pub mod route;
pub mod slack;
pub mod webhook;

use std::fmt::Write as _;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::model::alert::{Alert, AlertStatus, Notification};

pub use config::{AlertConfig, RouteConfig};
pub use route::Routes;

/// The kinds of receiver, named as in `[[alert.routes]] receivers`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ReceiverKind {
    Email,
    Webhook,
    Slack,
    #[serde(rename = "pagerduty")]
    PagerDuty,
}

impl ReceiverKind {
    pub const ALL: [ReceiverKind; 4] = [
        ReceiverKind::Email,
        ReceiverKind::Webhook,
        ReceiverKind::Slack,
        ReceiverKind::PagerDuty,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReceiverKind::Email => "email",
            ReceiverKind::Webhook => "webhook",
            ReceiverKind::Slack => "slack",
            ReceiverKind::PagerDuty => "pagerduty",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    /// The configuration cannot work; `key` is the `[alert]` key at fault.
    #[error("invalid configuration: `{key}` {problem}")]
    Config { key: &'static str, problem: String },
    /// The message could not be built (e.g. an address the mail library
    /// refuses): retrying cannot help.
    #[error("cannot build the message: {0}")]
    Build(String),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    /// Connection refused, reset, TLS or SMTP transport failure.
    #[error("transport: {0}")]
    Transport(String),
    /// The receiver answered with an error status; 429 and 5xx are worth
    /// retrying, other 4xx are not. The body is cut short: it is logged.
    #[error("receiver answered {status}: {body}")]
    Status { status: u16, body: String },
    /// The SMTP server refused the message for good (5xx reply).
    #[error("SMTP server refused the message: {0}")]
    Refused(String),
}

impl NotifyError {
    /// Whether another attempt may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            NotifyError::Timeout(_) | NotifyError::Transport(_) => true,
            NotifyError::Status { status, .. } => *status == 429 || *status >= 500,
            NotifyError::Config { .. } | NotifyError::Build(_) | NotifyError::Refused(_) => false,
        }
    }
}

/// Counters per receiver kind. Shared by the notifier's tasks and whoever
/// renders `/metrics`.
#[derive(Debug, Default)]
pub struct NotifyStats {
    kinds: [KindStats; 4],
}

#[derive(Debug, Default)]
struct KindStats {
    sent: AtomicU64,
    failed: AtomicU64,
    dropped: AtomicU64,
    retries: AtomicU64,
}

impl NotifyStats {
    pub fn sent(&self, kind: ReceiverKind) -> u64 {
        self.kinds[kind.index()].sent.load(Ordering::Relaxed)
    }

    /// Notifications given up on after every attempt (or a permanent error).
    pub fn failed(&self, kind: ReceiverKind) -> u64 {
        self.kinds[kind.index()].failed.load(Ordering::Relaxed)
    }

    /// Notifications not queued because the receiver's queue was full.
    pub fn dropped(&self, kind: ReceiverKind) -> u64 {
        self.kinds[kind.index()].dropped.load(Ordering::Relaxed)
    }

    /// Attempts beyond the first.
    pub fn retries(&self, kind: ReceiverKind) -> u64 {
        self.kinds[kind.index()].retries.load(Ordering::Relaxed)
    }

    fn add(&self, kind: ReceiverKind, pick: fn(&KindStats) -> &AtomicU64) {
        pick(&self.kinds[kind.index()]).fetch_add(1, Ordering::Relaxed);
    }

    /// Prometheus text-format lines, e.g.
    /// `jamscope_notifications_total{receiver="email",outcome="sent"} 3`.
    pub fn render_prometheus(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP jamscope_notifications Notifications per receiver kind: sent, failed after retries, dropped on a full queue.\n");
        out.push_str("# TYPE jamscope_notifications counter\n");
        for kind in ReceiverKind::ALL {
            for (outcome, value) in [
                ("sent", self.sent(kind)),
                ("failed", self.failed(kind)),
                ("dropped", self.dropped(kind)),
            ] {
                let _ = writeln!(
                    out,
                    "jamscope_notifications_total{{receiver=\"{}\",outcome=\"{outcome}\"}} {value}",
                    kind.as_str()
                );
            }
        }
        out.push_str(
            "# HELP jamscope_notification_retries Attempts beyond the first, per receiver kind.\n",
        );
        out.push_str("# TYPE jamscope_notification_retries counter\n");
        for kind in ReceiverKind::ALL {
            let _ = writeln!(
                out,
                "jamscope_notification_retries_total{{receiver=\"{}\"}} {}",
                kind.as_str(),
                self.retries(kind)
            );
        }
        out
    }
}

/// How long and how often one notification is tried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No attempt starts after this much time since the first.
    pub budget: Duration,
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (after `attempt` failures):
    /// exponential, capped, with "equal jitter" (half fixed, half random),
    /// so receivers recovering from an outage are not hit in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(
                1u32.checked_shl(attempt.saturating_sub(1))
                    .unwrap_or(u32::MAX),
            )
            .min(self.max_backoff);
        let half = exp / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Runs `attempt` until it succeeds, fails permanently, or the policy's
/// attempts or time budget run out. Each failure is logged; retries are
/// counted. The caller counts the final outcome.
pub async fn with_retry<F, Fut>(
    kind: ReceiverKind,
    policy: &RetryPolicy,
    stats: &NotifyStats,
    mut attempt: F,
) -> Result<(), NotifyError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), NotifyError>>,
{
    let started = Instant::now();
    let mut failures = 0u32;
    loop {
        let error = match attempt().await {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        failures += 1;
        if !error.is_transient() || failures >= policy.max_attempts.max(1) {
            return Err(error);
        }
        let wait = policy.backoff(failures);
        if started.elapsed() + wait > policy.budget {
            return Err(error);
        }
        tracing::warn!(
            receiver = kind.as_str(),
            attempt = failures,
            retry_in_ms = wait.as_millis() as u64,
            %error,
            "notification attempt failed; retrying"
        );
        stats.add(kind, |k| &k.retries);
        tokio::time::sleep(wait).await;
    }
}

/// One configured receiver, ready to send.
enum Receiver {
    Email(email::EmailReceiver),
    Webhook(webhook::WebhookReceiver),
    Slack(slack::SlackReceiver),
    PagerDuty(pagerduty::PagerDutyReceiver),
}

impl Receiver {
    async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        match self {
            Receiver::Email(r) => r.send(notification).await,
            Receiver::Webhook(r) => r.send(notification).await,
            Receiver::Slack(r) => r.send(notification).await,
            Receiver::PagerDuty(r) => r.send(notification).await,
        }
    }
}

/// What `dispatch` did with one notification.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// Receivers whose queue took it.
    pub queued: Vec<ReceiverKind>,
    /// Receivers whose queue was full (or closed): dropped and counted.
    pub dropped: Vec<ReceiverKind>,
}

struct Queue {
    kind: ReceiverKind,
    sender: mpsc::Sender<Notification>,
}

/// The engine's handle: route a notification and queue it for each
/// receiver, never waiting. Created inside a tokio runtime.
pub struct Notifier {
    queues: Vec<Queue>,
    routes: Routes,
    external_url: Option<String>,
    stats: Arc<NotifyStats>,
    tasks: Vec<JoinHandle<()>>,
}

impl Notifier {
    /// Validates `config`, builds every configured receiver and spawns one
    /// task per receiver. With no receiver configured it accepts and drops
    /// nothing: `dispatch` queues nowhere.
    pub fn start(config: &AlertConfig) -> Result<Self, NotifyError> {
        Self::start_with_stats(config, Arc::new(NotifyStats::default()))
    }

    /// As [`Notifier::start`], counting into `stats` (e.g. the ones
    /// `/metrics` renders).
    pub fn start_with_stats(
        config: &AlertConfig,
        stats: Arc<NotifyStats>,
    ) -> Result<Self, NotifyError> {
        config
            .validate()
            .map_err(|(key, problem)| NotifyError::Config { key, problem })?;
        let timeout = Duration::from_millis(config.send_timeout_ms);
        let policy = config.retry_policy();
        let mut receivers = Vec::new();
        if let Some(smtp) = config.smtp()? {
            receivers.push((
                ReceiverKind::Email,
                Receiver::Email(email::EmailReceiver::new(
                    smtp,
                    config.email_from_mailbox()?,
                    config.email_to_mailboxes()?,
                    timeout,
                )?),
            ));
        }
        let client = http::HttpClient::new(timeout)?;
        if let Some(url) = &config.webhook_url {
            let secret = config.webhook_secret.clone().unwrap_or_default();
            receivers.push((
                ReceiverKind::Webhook,
                Receiver::Webhook(webhook::WebhookReceiver::new(
                    client.clone(),
                    url.clone(),
                    secret,
                )),
            ));
        }
        if let Some(url) = &config.slack_webhook_url {
            receivers.push((
                ReceiverKind::Slack,
                Receiver::Slack(slack::SlackReceiver::new(client.clone(), url.clone())),
            ));
        }
        if let Some(key) = &config.pagerduty_routing_key {
            receivers.push((
                ReceiverKind::PagerDuty,
                Receiver::PagerDuty(pagerduty::PagerDutyReceiver::new(
                    client.clone(),
                    config.pagerduty_url.clone(),
                    key.clone(),
                )),
            ));
        }
        let configured: Vec<ReceiverKind> = receivers.iter().map(|(kind, _)| *kind).collect();
        let routes = Routes::new(&config.routes, &configured);
        let mut queues = Vec::new();
        let mut tasks = Vec::new();
        for (kind, receiver) in receivers {
            let (sender, receiver_queue) = mpsc::channel(config.queue_capacity.max(1));
            queues.push(Queue { kind, sender });
            tasks.push(tokio::spawn(run_receiver(
                kind,
                receiver,
                receiver_queue,
                policy,
                Arc::clone(&stats),
            )));
        }
        Ok(Self {
            queues,
            routes,
            external_url: config.external_url.clone(),
            stats,
            tasks,
        })
    }

    /// Routes `notification` by its alerts' labels and queues, for each
    /// receiver, the alerts routed to it. Returns at once: a full queue
    /// drops the notification for that receiver (logged and counted).
    pub fn dispatch(&self, mut notification: Notification) -> Dispatched {
        if notification.external_url.is_empty() {
            if let Some(url) = &self.external_url {
                notification.external_url = url.clone();
            }
        }
        let mut outcome = Dispatched::default();
        for queue in &self.queues {
            let Some(part) = self.routes.for_receiver(&notification, queue.kind) else {
                continue;
            };
            match queue.sender.try_send(part) {
                Ok(()) => outcome.queued.push(queue.kind),
                Err(error) => {
                    let reason = match error {
                        mpsc::error::TrySendError::Full(_) => "queue full",
                        mpsc::error::TrySendError::Closed(_) => "receiver stopped",
                    };
                    tracing::error!(
                        receiver = queue.kind.as_str(),
                        group_key = %notification.group_key,
                        reason,
                        "notification dropped"
                    );
                    self.stats.add(queue.kind, |k| &k.dropped);
                    outcome.dropped.push(queue.kind);
                }
            }
        }
        outcome
    }

    pub fn stats(&self) -> Arc<NotifyStats> {
        Arc::clone(&self.stats)
    }

    /// The receivers configured, in a fixed order.
    pub fn receivers(&self) -> Vec<ReceiverKind> {
        self.queues.iter().map(|q| q.kind).collect()
    }

    /// Stops taking notifications and gives the queued ones until
    /// `deadline` to be delivered; what is left is abandoned.
    pub async fn shutdown(self, deadline: Duration) {
        drop(self.queues);
        let all = futures_util::future::join_all(self.tasks);
        if tokio::time::timeout(deadline, all).await.is_err() {
            tracing::warn!("notifications still pending at shutdown were abandoned");
        }
    }
}

/// One receiver's task: its queue, one notification at a time, each with
/// the retry policy. A slow receiver only delays its own queue.
async fn run_receiver(
    kind: ReceiverKind,
    receiver: Receiver,
    mut queue: mpsc::Receiver<Notification>,
    policy: RetryPolicy,
    stats: Arc<NotifyStats>,
) {
    while let Some(notification) = queue.recv().await {
        let result = with_retry(kind, &policy, &stats, || receiver.send(&notification)).await;
        match result {
            Ok(()) => {
                stats.add(kind, |k| &k.sent);
                tracing::info!(
                    receiver = kind.as_str(),
                    group_key = %notification.group_key,
                    status = notification.status.as_str(),
                    alerts = notification.alerts.len(),
                    "notification sent"
                );
            }
            Err(error) => {
                stats.add(kind, |k| &k.failed);
                tracing::error!(
                    receiver = kind.as_str(),
                    group_key = %notification.group_key,
                    %error,
                    "notification failed"
                );
            }
        }
    }
}

// --- Rendering shared by every message -------------------------------------

/// `2026-11-23T10:00:00.000Z` for Unix milliseconds, any i64 (no panics).
pub fn rfc3339_millis(millis: i64) -> String {
    let secs = millis.div_euclid(1000);
    let ms = millis.rem_euclid(1000);
    let days = secs.div_euclid(86_400);
    let day_secs = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{ms:03}Z",
        day_secs / 3600,
        day_secs % 3600 / 60,
        day_secs % 60
    )
}

/// `2026-11-23 10:00:00 UTC`: what a person reads in an email or chat.
pub fn human_utc(millis: i64) -> String {
    let iso = rfc3339_millis(millis);
    format!("{} {} UTC", &iso[..10], &iso[11..19])
}

/// Days since 1970-01-01 → (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `{external_url}/api/traces/{trace_id}` when the alert has an example
/// trace and a URL to build on. Only hex ids are linked: the id came from
/// stored data and ends up in URLs and HTML.
pub fn trace_link(notification: &Notification, alert: &Alert) -> Option<String> {
    let id = alert.example_trace_id.as_deref()?;
    if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let base = notification.external_url.trim_end_matches('/');
    if base.is_empty() {
        return None;
    }
    Some(format!("{base}/api/traces/{id}"))
}

/// A value as people read it: no trailing zeros, no exponent for usual
/// magnitudes.
pub fn format_value(value: f64) -> String {
    if value.is_finite() && value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        let text = format!("{value:.6}");
        let text = text.trim_end_matches('0').trim_end_matches('.');
        if text == "0" || text == "-0" {
            value.to_string()
        } else {
            text.to_owned()
        }
    }
}

/// `[FIRING:2] GatewayErrorRate critical` or `[RESOLVED] GatewayErrorRate
/// critical`: the alert name and severity the group shares (else its group
/// labels' values).
pub fn title(notification: &Notification) -> String {
    let common = notification.common_labels();
    let mut words = Vec::new();
    match common.get("alertname") {
        Some(name) => {
            words.push(name.clone());
            if let Some(severity) = common.get("severity") {
                words.push(severity.clone());
            }
        }
        None => words.extend(notification.group_labels.values().cloned()),
    }
    let state = match notification.status {
        AlertStatus::Firing => format!(
            "[FIRING:{}]",
            notification
                .alerts
                .iter()
                .filter(|a| a.status == AlertStatus::Firing)
                .count()
        ),
        AlertStatus::Resolved => "[RESOLVED]".to_owned(),
    };
    if words.is_empty() {
        state
    } else {
        format!("{state} {}", words.join(" "))
    }
}

/// Shared test data for the builders' unit tests.
#[cfg(test)]
pub(crate) mod fixtures {
    use crate::model::alert::{Alert, AlertStatus, LabelSet, Notification};

    pub const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    /// 2026-11-23T10:00:00Z
    pub const STARTS: i64 = 1_795_428_000_000;

    pub fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    pub fn alert(status: AlertStatus) -> Alert {
        let labels = labels(&[
            ("alertname", "GatewayErrorRate"),
            ("severity", "critical"),
            ("service", "api-gateway"),
        ]);
        Alert {
            fingerprint: Alert::fingerprint_of(&labels),
            labels,
            annotations: self::labels(&[
                ("summary", "Gateway error rate above 1 %"),
                ("description", "5xx answers from the gateway <b>rose</b>"),
            ]),
            status,
            value: 0.034,
            threshold: "> 0.01".into(),
            starts_at_millis: STARTS,
            ends_at_millis: (status == AlertStatus::Resolved).then_some(STARTS + 600_000),
            example_trace_id: Some(TRACE_ID.into()),
        }
    }

    pub fn notification(status: AlertStatus) -> Notification {
        Notification {
            group_key: "{}:{alertname=\"GatewayErrorRate\"}".into(),
            status,
            group_labels: labels(&[("alertname", "GatewayErrorRate")]),
            alerts: vec![alert(status)],
            external_url: "https://jamscope.example/".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::fixtures::*;
    use super::*;
    use std::sync::atomic::AtomicU32;

    #[test]
    fn times_render_in_utc() {
        assert_eq!(rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339_millis(STARTS + 5), "2026-11-23T10:00:00.005Z");
        assert_eq!(rfc3339_millis(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(human_utc(STARTS), "2026-11-23 10:00:00 UTC");
        // Extreme values do not panic.
        let _ = rfc3339_millis(i64::MIN);
        let _ = rfc3339_millis(i64::MAX);
    }

    #[test]
    fn titles_count_firing_alerts() {
        assert_eq!(
            title(&notification(AlertStatus::Firing)),
            "[FIRING:1] GatewayErrorRate critical"
        );
        assert_eq!(
            title(&notification(AlertStatus::Resolved)),
            "[RESOLVED] GatewayErrorRate critical"
        );
    }

    #[test]
    fn trace_links_need_a_hex_id_and_a_base() {
        let mut n = notification(AlertStatus::Firing);
        let alert = n.alerts[0].clone();
        assert_eq!(
            trace_link(&n, &alert).as_deref(),
            Some("https://jamscope.example/api/traces/4bf92f3577b34da6a3ce929d0e0e4736")
        );
        let mut odd = alert.clone();
        odd.example_trace_id = Some("<script>".into());
        assert_eq!(trace_link(&n, &odd), None);
        n.external_url.clear();
        assert_eq!(trace_link(&n, &alert), None);
    }

    #[test]
    fn values_are_short() {
        assert_eq!(format_value(0.034), "0.034");
        assert_eq!(format_value(250.0), "250");
        assert_eq!(format_value(1.5), "1.5");
        assert_eq!(format_value(1e-9), "0.000000001");
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let policy = RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(1000),
            budget: Duration::from_secs(60),
        };
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            let third = policy.backoff(3);
            assert!(third >= Duration::from_millis(200) && third <= Duration::from_millis(400));
            let late = policy.backoff(30);
            assert!(late >= Duration::from_millis(500) && late <= Duration::from_millis(1000));
        }
    }

    fn quick_policy(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            budget: Duration::from_secs(5),
        }
    }

    #[tokio::test]
    async fn retries_transient_errors_up_to_the_limit() {
        let stats = NotifyStats::default();
        let calls = AtomicU32::new(0);
        let result = with_retry(ReceiverKind::Webhook, &quick_policy(3), &stats, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async { Err(NotifyError::Transport("refused".into())) }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 3);
        assert_eq!(stats.retries(ReceiverKind::Webhook), 2);

        let calls = AtomicU32::new(0);
        let result = with_retry(ReceiverKind::Webhook, &quick_policy(3), &stats, || {
            let n = calls.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 1 {
                    Err(NotifyError::Status {
                        status: 503,
                        body: String::new(),
                    })
                } else {
                    Ok(())
                }
            }
        })
        .await;
        assert!(result.is_ok());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn permanent_errors_are_not_retried() {
        let stats = NotifyStats::default();
        let calls = AtomicU32::new(0);
        let result = with_retry(ReceiverKind::Slack, &quick_policy(5), &stats, || {
            calls.fetch_add(1, Ordering::SeqCst);
            async {
                Err(NotifyError::Status {
                    status: 400,
                    body: "bad".into(),
                })
            }
        })
        .await;
        assert!(result.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[test]
    fn stats_render_as_prometheus_lines() {
        let stats = NotifyStats::default();
        stats.add(ReceiverKind::Email, |k| &k.sent);
        stats.add(ReceiverKind::PagerDuty, |k| &k.failed);
        let text = stats.render_prometheus();
        assert!(
            text.contains("jamscope_notifications_total{receiver=\"email\",outcome=\"sent\"} 1\n")
        );
        assert!(text.contains(
            "jamscope_notifications_total{receiver=\"pagerduty\",outcome=\"failed\"} 1\n"
        ));
        assert!(text.contains(
            "jamscope_notifications_total{receiver=\"webhook\",outcome=\"dropped\"} 0\n"
        ));
        assert!(text.contains("# TYPE jamscope_notifications counter\n"));
    }

    #[tokio::test]
    async fn a_notifier_without_receivers_queues_nowhere() {
        let notifier = Notifier::start(&AlertConfig::default()).expect("valid");
        let outcome = notifier.dispatch(notification(AlertStatus::Firing));
        assert!(outcome.queued.is_empty() && outcome.dropped.is_empty());
        notifier.shutdown(Duration::from_secs(1)).await;
    }
}
