//! Which web origins may send beacons, and the CORS answers built from the
//! same list, so what the browser is told and what the collector accepts
//! can never disagree.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, Method};
use tower_http::cors::{AllowHeaders, AllowOrigin, CorsLayer};

/// How long a browser may cache a preflight answer (Chromium caps it at 2 h).
const PREFLIGHT_MAX_AGE: Duration = Duration::from_secs(2 * 60 * 60);

/// Origins as configured: `*`, exact origins (`https://shop.example`), and
/// any-subdomain patterns (`https://*.example.com`, for preview deploys).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AllowedOrigins {
    any: bool,
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Pattern {
    Exact(String),
    /// `scheme://` + one or more labels + `suffix` (`.example.com[:port]`).
    Subdomains {
        scheme: String,
        suffix: String,
    },
}

impl AllowedOrigins {
    /// Parses configured entries; the error names the first bad one.
    pub fn parse(entries: &[String]) -> Result<Self, String> {
        let mut origins = AllowedOrigins::default();
        for entry in entries {
            let entry = entry.trim();
            if entry == "*" {
                origins.any = true;
            } else {
                origins.patterns.push(Pattern::parse(entry)?);
            }
        }
        Ok(origins)
    }

    /// Whether a request's `Origin` header value is allowed.
    pub fn allows(&self, origin: &str) -> bool {
        if self.any {
            return true;
        }
        let origin = origin.trim().to_ascii_lowercase();
        self.patterns.iter().any(|pattern| pattern.matches(&origin))
    }
}

impl Pattern {
    fn parse(entry: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!("'{entry}' is not an origin ({why}; e.g. https://shop.example, https://*.shop.example or *)")
        };
        // Sandboxed iframes and file:// pages send the literal origin "null".
        if entry == "null" {
            return Ok(Pattern::Exact(entry.to_owned()));
        }
        let lower = entry.to_ascii_lowercase();
        let (scheme, authority) = lower.split_once("://").ok_or_else(|| bad("no scheme"))?;
        let authority = authority.strip_suffix('/').unwrap_or(authority);
        if scheme.is_empty()
            || !scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
        {
            return Err(bad("bad scheme"));
        }
        if authority.is_empty() || authority.contains(['/', '?', '#', '@']) {
            return Err(bad("an origin has no path, query or user"));
        }
        // Browsers leave the default port out of `Origin`.
        let default_port = match scheme {
            "https" => Some(":443"),
            "http" => Some(":80"),
            _ => None,
        };
        let authority = default_port
            .and_then(|port| authority.strip_suffix(port))
            .unwrap_or(authority);
        match authority.strip_prefix("*.") {
            Some(suffix) if !suffix.is_empty() && !suffix.contains('*') => {
                Ok(Pattern::Subdomains {
                    scheme: format!("{scheme}://"),
                    suffix: format!(".{suffix}"),
                })
            }
            _ if authority.contains('*') => Err(bad(
                "`*` only as the first label, as in https://*.shop.example",
            )),
            _ => Ok(Pattern::Exact(format!("{scheme}://{authority}"))),
        }
    }

    fn matches(&self, origin: &str) -> bool {
        match self {
            Pattern::Exact(exact) => origin == exact,
            Pattern::Subdomains { scheme, suffix } => origin
                .strip_prefix(scheme.as_str())
                .and_then(|rest| rest.strip_suffix(suffix.as_str()))
                .is_some_and(|labels| !labels.is_empty() && !labels.contains([':', '/'])),
        }
    }
}

/// Headers browser SDKs send that need a preflight's permission: the key
/// (`x-api-key`), and Faro's session id and idempotency key.
const SDK_HEADERS: [&str; 3] = ["x-api-key", "x-faro-session-id", "idempotency-key"];

/// CORS for every endpoint pages send to (beacons, OTLP, Faro). The allowed
/// origin is echoed exactly (with `Vary: Origin`), so the answer names the
/// one page it is for; `Retry-After` is readable, so an SDK backs off as
/// told.
/// Credentials are never allowed: a beacon needs no cookie, and without
/// `Access-Control-Allow-Credentials` no page can read an answer that was
/// sent with the visitor's cookies. `sendBeacon` of a string is a simple
/// request that is sent either way; the SDK's `fetch` fallback omits
/// credentials.
pub fn cors_layer(origins: Arc<AllowedOrigins>) -> CorsLayer {
    CorsLayer::new()
        .allow_origin(AllowOrigin::predicate(move |origin, _| {
            origin.to_str().is_ok_and(|origin| origins.allows(origin))
        }))
        .allow_methods([Method::POST, Method::OPTIONS])
        .allow_headers(AllowHeaders::list(
            [header::CONTENT_TYPE, header::CONTENT_ENCODING]
                .into_iter()
                .chain(SDK_HEADERS.map(HeaderName::from_static)),
        ))
        .expose_headers([header::RETRY_AFTER])
        .max_age(PREFLIGHT_MAX_AGE)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origins(entries: &[&str]) -> AllowedOrigins {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        AllowedOrigins::parse(&entries).expect("valid")
    }

    #[test]
    fn exact_origins_match_case_insensitively_and_without_default_ports() {
        let allowed = origins(&[
            "https://Shop.example/",
            "http://localhost:8080",
            "https://a.example:443",
        ]);
        assert!(allowed.allows("https://shop.example"));
        assert!(allowed.allows("HTTPS://SHOP.EXAMPLE"));
        assert!(allowed.allows("http://localhost:8080"));
        assert!(allowed.allows("https://a.example"));
        assert!(!allowed.allows("http://shop.example"), "scheme matters");
        assert!(!allowed.allows("https://shop.example:8443"), "port matters");
        assert!(!allowed.allows("https://evil-shop.example"));
        assert!(!allowed.allows("https://shop.example.evil.test"));
        assert!(!allowed.allows("null"));
    }

    #[test]
    fn subdomain_patterns_match_any_depth_but_not_the_bare_domain() {
        let allowed = origins(&["https://*.shop.example"]);
        assert!(allowed.allows("https://preview-42.shop.example"));
        assert!(allowed.allows("https://a.b.shop.example"));
        assert!(!allowed.allows("https://shop.example"));
        assert!(!allowed.allows("https://evilshop.example"));
        assert!(!allowed.allows("http://a.shop.example"));
        assert!(!allowed.allows("https://a.shop.example:8443"));
    }

    #[test]
    fn a_star_allows_everything_and_nothing_allows_nothing() {
        assert!(origins(&["*"]).allows("https://anything.test"));
        assert!(!origins(&[]).allows("https://anything.test"));
        assert!(origins(&["null"]).allows("null"));
    }

    #[test]
    fn entries_that_are_not_origins_are_refused() {
        for bad in [
            "shop.example",
            "https://shop.example/path",
            "https://",
            "https://*",
            "https://a.*.example",
            "://x",
        ] {
            let error = AllowedOrigins::parse(&[bad.to_owned()]).unwrap_err();
            assert!(error.contains(bad), "{error}");
        }
    }
}
