//! How one notification is tried again: exponential backoff with jitter,
//! bounded by attempts and by time. Every receiver kind shares it.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::receiver::ReceiverKind;
use super::stats::NotifyStats;
use super::NotifyError;

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
        stats.retried(kind);
        tokio::time::sleep(wait).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

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
}
