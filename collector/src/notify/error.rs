//! How a notification can fail, and whether trying again may help.

use std::time::Duration;

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

    /// A key's problem found while checking or building a receiver.
    pub fn config((key, problem): (&'static str, String)) -> Self {
        NotifyError::Config { key, problem }
    }
}
