//! Email: a `Notification` as a multipart (text + HTML) message, sent over
//! SMTP (STARTTLS, implicit TLS or plain) with `lettre`. The SMTP URL
//! `smtp://user:pass@host:587?tls=starttls` says where and how.

use std::fmt;
use std::fmt::Write as _;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::model::alert::{Alert, AlertStatus, Notification};

use super::{format_value, human_utc, title, trace_link, NotifyError};

/// How the SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpTls {
    /// Plain connection upgraded with STARTTLS (required, not optional).
    Starttls,
    /// TLS from the first byte ("SMTPS").
    Tls,
    /// No encryption: a local relay or a test server only.
    None,
}

impl SmtpTls {
    fn default_port(self) -> u16 {
        match self {
            SmtpTls::Starttls => 587,
            SmtpTls::Tls => 465,
            SmtpTls::None => 25,
        }
    }
}

/// A parsed SMTP URL. `Debug` hides the password.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpTarget {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// User and password, when the URL has them.
    pub credentials: Option<(String, String)>,
}

impl fmt::Debug for SmtpTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpTarget")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("user", &self.credentials.as_ref().map(|(user, _)| user))
            .finish()
    }
}

impl SmtpTarget {
    /// `smtp://[user:pass@]host[:port][?tls=starttls|tls|none]`; `tls`
    /// defaults to `starttls`, the port to 587, 465 or 25 by mode. The
    /// error never repeats the URL (it may hold a password).
    pub fn parse(text: &str) -> Result<Self, String> {
        let url = url::Url::parse(text).map_err(|e| format!("is not a URL: {e}"))?;
        if url.scheme() != "smtp" {
            return Err("must start with smtp://".into());
        }
        let host = match url.host_str() {
            Some(host) if !host.is_empty() => host.trim_matches(['[', ']']).to_owned(),
            _ => return Err("must name a host (smtp://host:587)".into()),
        };
        let mut tls = SmtpTls::Starttls;
        for (key, value) in url.query_pairs() {
            match (key.as_ref(), value.as_ref()) {
                ("tls", "starttls") => tls = SmtpTls::Starttls,
                ("tls", "tls") => tls = SmtpTls::Tls,
                ("tls", "none") => tls = SmtpTls::None,
                ("tls", other) => {
                    return Err(format!("has tls={other}; expected starttls, tls or none"))
                }
                (other, _) => return Err(format!("has an unknown parameter `{other}`")),
            }
        }
        if !matches!(url.path(), "" | "/") {
            return Err("must not have a path".into());
        }
        let decode = |part: &str| {
            percent_decode(part)
                .ok_or_else(|| "has a user or password that is not UTF-8".to_owned())
        };
        let credentials = if url.username().is_empty() {
            None
        } else {
            Some((
                decode(url.username())?,
                decode(url.password().unwrap_or(""))?,
            ))
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(tls.default_port()),
            tls,
            credentials,
        })
    }
}

/// `%40` → `@`; a `%` not followed by two hex digits is kept as it is.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = bytes
            .get(i + 1..i + 3)
            .filter(|_| bytes[i] == b'%')
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

/// The subject: `[FIRING:1] GatewayErrorRate critical`.
pub fn subject(notification: &Notification) -> String {
    title(notification)
}

/// The plain-text part: per alert its status, value, threshold, start (and
/// end) in UTC, annotations, labels and the example trace's link.
pub fn text_body(notification: &Notification) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}\n", title(notification));
    for alert in &notification.alerts {
        let _ = writeln!(
            out,
            "[{}] {} ({})",
            alert.status.as_str().to_ascii_uppercase(),
            alert.name(),
            severity_of(alert)
        );
        for (label, value) in facts(notification, alert) {
            let _ = writeln!(out, "  {label}: {value}");
        }
        out.push('\n');
    }
    if !notification.external_url.is_empty() {
        let _ = writeln!(out, "Jamscope: {}", notification.external_url);
    }
    out
}

/// The HTML part: the same facts as the text, as a table per alert.
pub fn html_body(notification: &Notification) -> String {
    let mut out = String::from("<!DOCTYPE html>\n<html><body style=\"font-family:sans-serif\">\n");
    let _ = writeln!(out, "<h2>{}</h2>", escape_html(&title(notification)));
    for alert in &notification.alerts {
        let colour = match alert.status {
            AlertStatus::Firing => "#c0392b",
            AlertStatus::Resolved => "#27ae60",
        };
        let _ = writeln!(
            out,
            "<h3><span style=\"color:{colour}\">[{}]</span> {} ({})</h3>",
            alert.status.as_str().to_ascii_uppercase(),
            escape_html(alert.name()),
            escape_html(severity_of(alert))
        );
        out.push_str("<table cellpadding=\"4\">\n");
        for (label, value) in facts(notification, alert) {
            let cell = if label == "Example trace" {
                let href = escape_html(&value);
                format!("<a href=\"{href}\">{href}</a>")
            } else {
                escape_html(&value)
            };
            let _ = writeln!(
                out,
                "<tr><th align=\"left\">{label}</th><td>{cell}</td></tr>"
            );
        }
        out.push_str("</table>\n");
    }
    out.push_str("</body></html>\n");
    out
}

/// (label, value) lines shared by both parts, so they never disagree.
fn facts(notification: &Notification, alert: &Alert) -> Vec<(&'static str, String)> {
    let mut facts = vec![
        ("Status", alert.status.as_str().to_owned()),
        ("Severity", severity_of(alert).to_owned()),
        ("Value", format_value(alert.value)),
        ("Threshold", alert.threshold.clone()),
        ("Started", human_utc(alert.starts_at_millis)),
    ];
    if let Some(ends) = alert.ends_at_millis {
        facts.push(("Ended", human_utc(ends)));
    }
    if let Some(summary) = alert.annotations.get("summary") {
        facts.push(("Summary", summary.clone()));
    }
    if let Some(description) = alert.annotations.get("description") {
        facts.push(("Description", description.clone()));
    }
    let labels: Vec<String> = alert
        .labels
        .iter()
        .filter(|(k, _)| k.as_str() != "alertname" && k.as_str() != "severity")
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if !labels.is_empty() {
        facts.push(("Labels", labels.join(", ")));
    }
    if let Some(link) = trace_link(notification, alert) {
        facts.push(("Example trace", link));
    }
    facts
}

fn severity_of(alert: &Alert) -> &str {
    alert.labels.get("severity").map_or("none", String::as_str)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The whole message, ready to send.
pub fn build_message(
    notification: &Notification,
    from: &Mailbox,
    to: &[Mailbox],
) -> Result<Message, NotifyError> {
    let mut builder = Message::builder()
        .from(from.clone())
        .subject(subject(notification));
    for recipient in to {
        builder = builder.to(recipient.clone());
    }
    builder
        .multipart(MultiPart::alternative_plain_html(
            text_body(notification),
            html_body(notification),
        ))
        .map_err(|e| NotifyError::Build(e.to_string()))
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
            key: "alert.smtp_url",
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

    /// One attempt: build, connect, send, within the timeout.
    pub async fn send(&self, notification: &Notification) -> Result<(), NotifyError> {
        let message = build_message(notification, &self.from, &self.to)?;
        match tokio::time::timeout(self.timeout, self.transport.send(message)).await {
            Err(_) => Err(NotifyError::Timeout(self.timeout)),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_permanent() => Err(NotifyError::Refused(e.to_string())),
            Ok(Err(e)) => Err(NotifyError::Transport(e.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::{notification, TRACE_ID};
    use super::*;

    #[test]
    fn smtp_urls_parse_with_defaults_per_mode() {
        let target =
            SmtpTarget::parse("smtp://alerts%40example.com:p%40ss@mail.example:2525?tls=tls")
                .expect("valid");
        assert_eq!(target.host, "mail.example");
        assert_eq!(target.port, 2525);
        assert_eq!(target.tls, SmtpTls::Tls);
        assert_eq!(
            target.credentials,
            Some(("alerts@example.com".into(), "p@ss".into()))
        );
        assert!(!format!("{target:?}").contains("p@ss"));

        let plain = SmtpTarget::parse("smtp://mail.example").expect("valid");
        assert_eq!(
            (plain.port, plain.tls, plain.credentials),
            (587, SmtpTls::Starttls, None)
        );
        let tls = SmtpTarget::parse("smtp://mail.example?tls=tls").expect("valid");
        assert_eq!(tls.port, 465);
        let none = SmtpTarget::parse("smtp://127.0.0.1?tls=none").expect("valid");
        assert_eq!((none.port, none.tls), (25, SmtpTls::None));
    }

    #[test]
    fn bad_smtp_urls_are_explained_without_the_password() {
        for (url, expected) in [
            ("http://mail.example", "smtp://"),
            ("smtp://u:hunter2@mail.example?tls=ssl", "tls=ssl"),
            (
                "smtp://u:hunter2@mail.example?tsl=none",
                "unknown parameter",
            ),
            ("mail.example:587", "smtp://"),
            ("not a url", "URL"),
            ("smtp://mail.example/inbox", "path"),
        ] {
            let error = SmtpTarget::parse(url).expect_err(url);
            assert!(error.contains(expected), "{url}: {error}");
            assert!(!error.contains("hunter2"), "{error}");
        }
    }

    #[test]
    fn firing_email_has_every_fact_in_both_parts() {
        let n = notification(AlertStatus::Firing);
        assert_eq!(subject(&n), "[FIRING:1] GatewayErrorRate critical");
        let link = format!("https://jamscope.example/api/traces/{TRACE_ID}");
        let text = text_body(&n);
        let html = html_body(&n);
        for expected in [
            "GatewayErrorRate",
            "critical",
            "0.034",
            "2026-11-23 10:00:00 UTC",
            "Gateway error rate above 1 %",
            link.as_str(),
        ] {
            assert!(text.contains(expected), "text lacks {expected}: {text}");
            assert!(html.contains(expected), "html lacks {expected}: {html}");
        }
        assert!(text.contains("> 0.01"), "{text}");
        assert!(html.contains("&gt; 0.01"), "{html}");
        // Annotations are escaped in HTML, kept as written in text.
        assert!(text.contains("<b>rose</b>"));
        assert!(html.contains("&lt;b&gt;rose&lt;/b&gt;"));
        assert!(html.contains(&format!("<a href=\"{link}\">")));
        assert!(!text.contains("Ended"));
    }

    #[test]
    fn resolved_email_says_so_and_when() {
        let n = notification(AlertStatus::Resolved);
        assert_eq!(subject(&n), "[RESOLVED] GatewayErrorRate critical");
        let text = text_body(&n);
        assert!(
            text.contains("[RESOLVED] GatewayErrorRate (critical)"),
            "{text}"
        );
        assert!(text.contains("Ended: 2026-11-23 10:10:00 UTC"), "{text}");
    }

    #[test]
    fn the_message_is_multipart_alternative() {
        let n = notification(AlertStatus::Firing);
        let from: Mailbox = "Jamscope <alerts@example.com>".parse().expect("address");
        let to: Mailbox = "oncall@example.com".parse().expect("address");
        let message = build_message(&n, &from, &[to]).expect("built");
        let raw = String::from_utf8_lossy(&message.formatted()).into_owned();
        assert!(
            raw.contains("Subject: [FIRING:1] GatewayErrorRate critical"),
            "{raw}"
        );
        assert!(raw.contains("multipart/alternative"));
        assert!(raw.contains("text/plain") && raw.contains("text/html"));
        assert!(raw.contains("To: oncall@example.com"));
    }
}
