//! Secrets out of what people and logs see: `config check`, log lines,
//! the start banner. One spelling, `<redacted>`, everywhere.

/// What a secret is shown as.
pub const REDACTED: &str = "<redacted>";

/// `url` with the password of its user info (`scheme://user:pass@host`)
/// replaced by [`REDACTED`]; a URL without one is returned unchanged. Done
/// on the text rather than through a URL parser, which would
/// percent-encode `<` and `>` and normalise the rest of the URL.
pub fn url(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    // The authority ends at the first `/`, `?` or `#`; a password may hold
    // `@` only percent-encoded, so its last `@` ends the user info.
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    let Some(at) = authority.rfind('@') else {
        return url.to_owned();
    };
    let Some(colon) = authority[..at].find(':') else {
        return url.to_owned();
    };
    format!(
        "{}{}{REDACTED}{}",
        &url[..scheme_end],
        &authority[..=colon],
        &url[scheme_end + at..]
    )
}

/// Every entry of a list of secrets, each shown as [`REDACTED`] (how many
/// there are is not a secret, and helps during a rotation).
pub fn all(secrets: &[String]) -> Vec<String> {
    secrets.iter().map(|_| REDACTED.to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_replaced_and_nothing_else_changes() {
        assert_eq!(
            url("https://jamscope:s3cret@ch.example:8443/?database=x"),
            "https://jamscope:<redacted>@ch.example:8443/?database=x"
        );
        assert_eq!(
            url("http://u:p%40ss@127.0.0.1:4318"),
            "http://u:<redacted>@127.0.0.1:4318"
        );
        assert_eq!(url("http://user@host/x"), "http://user@host/x");
        assert_eq!(url("http://host/a@b:c"), "http://host/a@b:c");
        assert_eq!(url("http://host:8123"), "http://host:8123");
        assert_eq!(url("not a url"), "not a url");
    }

    #[test]
    fn lists_keep_their_length() {
        assert_eq!(
            all(&["a".into(), "b".into()]),
            [REDACTED.to_owned(), REDACTED.to_owned()]
        );
    }
}
