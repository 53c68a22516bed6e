//! What every receiver kind implements, and nothing more: its table in
//! `[alert]` ([`ReceiverConfig`]: is it set, is it valid, build the
//! receiver) and the receiver itself ([`Receiver`]: a pure `message` and
//! one `send`). Routing, queues, retries and counters are the notifier's
//! (`mod.rs`), written once over these traits.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::model::alert::Notification;

use super::http::HttpClient;
use super::retry::{with_retry, RetryPolicy};
use super::stats::NotifyStats;
use super::NotifyError;

/// The kinds of receiver, named as in `[[alert.routes]] receivers` and in
/// the `receiver` label of the notification metrics.
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
}

/// A key at fault and what is wrong with it, e.g. `("alert.email.to",
/// "needs at least one address ...")`.
pub type KeyProblem = (&'static str, String);

/// One receiver kind: turns a notification into its message, and delivers
/// a message once.
pub trait Receiver: Send + Sync + 'static {
    /// One notification as this receiver sends it. Built once; every
    /// attempt sends the same message.
    type Message: Send + Sync;

    /// The message for `notification`. Pure: no I/O, no clock, so each
    /// receiver's format is tested without a network.
    fn message(&self, notification: &Notification) -> Result<Self::Message, NotifyError>;

    /// One attempt at delivering `message`, within the send timeout. The
    /// error says whether another attempt may help
    /// ([`NotifyError::is_transient`]).
    fn send(&self, message: &Self::Message)
        -> impl Future<Output = Result<(), NotifyError>> + Send;
}

/// A receiver's table under `[alert]` (`[alert.email]`, ...).
pub trait ReceiverConfig {
    /// Which receiver this table configures.
    fn kind(&self) -> ReceiverKind;

    /// Whether the receiver is wanted: the key saying where to send is set.
    fn is_set(&self) -> bool;

    /// Checks the table, set or not (an unset table may still hold keys
    /// that need the one missing); the problem names the key at fault
    /// (`alert.<kind>.<key>`) and never repeats a secret.
    fn validate(&self) -> Result<(), KeyProblem>;

    /// The receiver, ready to send; called only for a set, valid table.
    fn build(&self, shared: &Shared) -> Result<Box<dyn Deliver>, NotifyError>;
}

/// What every receiver is built with.
pub struct Shared {
    /// One attempt's limit: connect, send, answer.
    pub timeout: Duration,
    /// The HTTP client of the receivers that POST (pooled connections).
    pub(crate) http: HttpClient,
}

impl Shared {
    pub fn new(timeout: Duration) -> Result<Self, NotifyError> {
        Ok(Self {
            timeout,
            http: HttpClient::new(timeout)?,
        })
    }
}

/// How a notification's delivery is retried and counted.
pub struct Attempts<'a> {
    pub kind: ReceiverKind,
    pub policy: &'a RetryPolicy,
    pub stats: &'a NotifyStats,
}

type DeliveryFuture<'a> = Pin<Box<dyn Future<Output = Result<(), NotifyError>> + Send + 'a>>;

/// A [`Receiver`] with its message type out of sight, as the notifier's
/// tasks hold it: every receiver gets it from the blanket impl below.
pub trait Deliver: Send + Sync {
    /// Builds the message once, then sends it until it is delivered, fails
    /// for good, or `attempts` run out.
    fn deliver<'a>(
        &'a self,
        notification: &'a Notification,
        attempts: Attempts<'a>,
    ) -> DeliveryFuture<'a>;
}

impl<R: Receiver> Deliver for R {
    fn deliver<'a>(
        &'a self,
        notification: &'a Notification,
        attempts: Attempts<'a>,
    ) -> DeliveryFuture<'a> {
        Box::pin(async move {
            let message = self.message(notification)?;
            with_retry(attempts.kind, attempts.policy, attempts.stats, || {
                self.send(&message)
            })
            .await
        })
    }
}
