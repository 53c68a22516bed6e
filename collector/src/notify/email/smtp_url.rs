//! The SMTP URL, `smtp://[user:pass@]host[:port][?tls=starttls|tls|none]`:
//! where alert email is sent and how the connection is secured. Errors
//! never repeat the URL, which may hold a password.

use std::fmt;

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
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|text| text.into_owned())
                .map_err(|_| "has a user or password that is not UTF-8".to_owned())
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

#[cfg(test)]
mod tests {
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
}
