//! Email: a `Notification` as a multipart (text + HTML) message, sent over
//! SMTP (STARTTLS, implicit TLS or plain) with `lettre`; its table
//! `[alert.email]`, whose SMTP URL `smtp://user:pass@host:587?tls=starttls`
//! says where and how.

mod body;
mod smtp_url;

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::model::alert::Notification;

use super::receiver::{Deliver, KeyProblem, Receiver, ReceiverConfig, ReceiverKind, Shared};
use super::NotifyError;

pub use body::{html_body, subject, text_body};
pub use smtp_url::{SmtpTarget, SmtpTls};

/// `[alert.email]`: where alert email goes. Unset `smtp_url`: no email.
#[derive(Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EmailConfig {
    /// `smtp://user:pass@host:587?tls=starttls` (`tls` = `starttls`, `tls`
    /// or `none`; the port defaults to 587, 465 or 25 accordingly).
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub smtp_url: Option<String>,
    #[serde(deserialize_with = "crate::config_values::lenient_string")]
    pub from: Option<String>,
    /// Recipients: a TOML array or one comma-separated string.
    #[serde(deserialize_with = "crate::config_values::string_list")]
    pub to: Vec<String>,
}

impl fmt::Debug for EmailConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = self.redacted();
        f.debug_struct("EmailConfig")
            .field("smtp_url", &shown.smtp_url)
            .field("from", &shown.from)
            .field("to", &shown.to)
            .finish()
    }
}

impl EmailConfig {
    /// A copy safe to print: the SMTP password replaced.
    pub fn redacted(&self) -> Self {
        Self {
            smtp_url: self.smtp_url.as_deref().map(crate::redact::url),
            ..self.clone()
        }
    }

    /// The server, sender and recipients, parsed; the problem names the
    /// key at fault and never repeats the URL (it may hold a password).
    fn parts(&self, smtp_url: &str) -> Result<(SmtpTarget, Mailbox, Vec<Mailbox>), KeyProblem> {
        let target = SmtpTarget::parse(smtp_url).map_err(|e| ("alert.email.smtp_url", e))?;
        let from = self
            .from
            .as_deref()
            .ok_or_else(|| {
                (
                    "alert.email.from",
                    "is needed with alert.email.smtp_url".to_owned(),
                )
            })?
            .parse::<Mailbox>()
            .map_err(|e| ("alert.email.from", format!("is not an email address: {e}")))?;
        if self.to.is_empty() {
            return Err((
                "alert.email.to",
                "needs at least one address with alert.email.smtp_url".to_owned(),
            ));
        }
        let to = self
            .to
            .iter()
            .map(|to| {
                to.parse::<Mailbox>().map_err(|e| {
                    (
                        "alert.email.to",
                        format!("`{to}` is not an email address: {e}"),
                    )
                })
            })
            .collect::<Result<_, _>>()?;
        Ok((target, from, to))
    }
}

impl ReceiverConfig for EmailConfig {
    fn kind(&self) -> ReceiverKind {
        ReceiverKind::Email
    }

    fn is_set(&self) -> bool {
        self.smtp_url.is_some()
    }

    fn validate(&self) -> Result<(), KeyProblem> {
        match &self.smtp_url {
            Some(url) => self.parts(url).map(|_| ()),
            None if self.from.is_some() || !self.to.is_empty() => Err((
                "alert.email.smtp_url",
                "is needed to send email (alert.email.from / alert.email.to are set)".to_owned(),
            )),
            None => Ok(()),
        }
    }

    fn build(&self, shared: &Shared) -> Result<Box<dyn Deliver>, NotifyError> {
        let (target, from, to) = self
            .parts(self.smtp_url.as_deref().unwrap_or_default())
            .map_err(NotifyError::config)?;
        Ok(Box::new(EmailReceiver::new(
            target,
            from,
            to,
            shared.timeout,
        )?))
    }
}

/// Sends alert email through one SMTP server. A connection per message:
/// alerts are rare, and a pooled connection would only go stale.
pub struct EmailReceiver {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    to: Vec<Mailbox>,
    timeout: Duration,
}

impl EmailReceiver {
    pub fn new(
        target: SmtpTarget,
        from: Mailbox,
        to: Vec<Mailbox>,
        timeout: Duration,
    ) -> Result<Self, NotifyError> {
        let setup = |e: lettre::transport::smtp::Error| NotifyError::Config {
            key: "alert.email.smtp_url",
            problem: e.to_string(),
        };
        let builder = match target.tls {
            SmtpTls::Starttls => {
                AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&target.host).map_err(setup)?
            }
            SmtpTls::Tls => {
                AsyncSmtpTransport::<Tokio1Executor>::relay(&target.host).map_err(setup)?
            }
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&target.host),
        };
        let mut builder = builder.port(target.port).timeout(Some(timeout));
        if let Some((user, password)) = target.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.build(),
            from,
            to,
            timeout,
        })
    }
}

impl Receiver for EmailReceiver {
    /// The whole multipart message, ready to send.
    type Message = Message;

    fn message(&self, notification: &Notification) -> Result<Message, NotifyError> {
        let mut builder = Message::builder()
            .from(self.from.clone())
            .subject(subject(notification));
        for recipient in &self.to {
            builder = builder.to(recipient.clone());
        }
        builder
            .multipart(MultiPart::alternative_plain_html(
                text_body(notification),
                html_body(notification),
            ))
            .map_err(|e| NotifyError::Build(e.to_string()))
    }

    /// One attempt: connect, send, within the timeout.
    async fn send(&self, message: &Message) -> Result<(), NotifyError> {
        match tokio::time::timeout(self.timeout, self.transport.send(message.clone())).await {
            Err(_) => Err(NotifyError::Timeout(self.timeout)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(NotifyError::Refused(e.to_string())),
            Ok(Err(e)) => Err(NotifyError::Transport(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::notification;
    use super::*;
    use crate::model::alert::AlertStatus;

    fn email_config() -> EmailConfig {
        EmailConfig {
            smtp_url: Some("smtp://alerts:s3cret@127.0.0.1:2525?tls=none".into()),
            from: Some("Jamscope <alerts@example.com>".into()),
            to: vec!["oncall@example.com".into()],
        }
    }

    fn error_key(config: &EmailConfig) -> &'static str {
        config.validate().expect_err("invalid").0
    }

    #[test]
    fn the_message_is_multipart_alternative() {
        let n = notification(AlertStatus::Firing);
        let config = email_config();
        let (target, from, to) = config
            .parts(config.smtp_url.as_deref().unwrap_or_default())
            .expect("valid");
        let receiver = EmailReceiver::new(target, from, to, Duration::from_secs(1)).expect("built");
        let message = receiver.message(&n).expect("built");
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(
            raw.contains("Subject: [FIRING:1] GatewayErrorRate critical"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("To: oncall@example.com"));
    }

    #[test]
    fn email_needs_sender_and_recipients() {
        assert_eq!(email_config().validate(), Ok(()));
        let mut config = email_config();
        config.from = None;
        assert_eq!(error_key(&config), "alert.email.from");
        let mut config = email_config();
        config.to.clear();
        assert_eq!(error_key(&config), "alert.email.to");
        let mut config = email_config();
        config.to = vec!["not an address".into()];
        assert_eq!(error_key(&config), "alert.email.to");
        let mut config = email_config();
        config.smtp_url = Some("http://mail.example".into());
        assert_eq!(error_key(&config), "alert.email.smtp_url");
        let mut config = email_config();
        config.smtp_url = None;
        assert_eq!(error_key(&config), "alert.email.smtp_url");
        assert!(!config.is_set());
        assert_eq!(EmailConfig::default().validate(), Ok(()));
    }

    #[test]
    fn the_password_is_hidden() {
        let config = email_config();
        assert!(!format!("{config:?}").contains("s3cret"));
        assert_eq!(
            config.redacted().smtp_url.as_deref(),
            Some("smtp://alerts:<redacted>@127.0.0.1:2525?tls=none")
        );
    }
}
