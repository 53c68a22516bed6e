//! Keys before limits, limits per client and key, the counters.

use super::*;
use crate::telemetry::Metrics;

fn access(keys: &[&str], limits: LimitsConfig) -> (Access, Metrics) {
    let metrics = Metrics::default();
    let auth = AuthConfig {
        api_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        api_keys_file: None,
    };
    let access = Access::new(&auth, &[], &limits, metrics.access()).expect("access");
    (access, metrics)
}

/// A key as `Authorization` and `x-api-key` would present it.
fn key<'a>(authorization: Option<&'a [u8]>, api_key: Option<&'a [u8]>) -> Option<&'a [u8]> {
    presented_key(authorization, api_key)
}

fn retry_after(denial: &Denial) -> Option<u64> {
    match denial {
        Denial::RateLimited {
            retry_after_secs, ..
        } => Some(*retry_after_secs),
        Denial::Unauthenticated(_) => None,
    }
}

#[test]
fn keys_are_checked_before_their_limit_and_the_global_one() {
    let limits = LimitsConfig {
        per_ip_per_minute: 0,
        per_key_per_minute: 2,
        global_per_minute: 3,
    };
    let (access, metrics) = access(&["k-one", "k-two"], limits);
    let missing = access
        .admit(Endpoint::OtlpHttp, key(None, None))
        .unwrap_err();
    assert!(matches!(missing, Denial::Unauthenticated(_)), "{missing}");
    let wrong = access
        .admit(Endpoint::Api, key(Some(b"Bearer nope"), None))
        .unwrap_err();
    assert_eq!(wrong.to_string(), "unknown API key");
    assert!(access
        .admit(Endpoint::OtlpHttp, key(Some(b"Bearer k-one"), None))
        .is_ok());
    assert!(access
        .admit(Endpoint::OtlpHttp, key(None, Some(b"k-one")))
        .is_ok());
    let over_key = access
        .admit(Endpoint::OtlpGrpc, key(None, Some(b"k-one")))
        .unwrap_err();
    assert!(retry_after(&over_key).is_some(), "{over_key}");
    assert!(over_key.to_string().contains("per_key"), "{over_key}");
    assert!(access
        .admit(Endpoint::OtlpHttp, key(None, Some(b"k-two")))
        .is_ok());
    let over_global = access
        .admit(Endpoint::OtlpHttp, key(None, Some(b"k-two")))
        .unwrap_err();
    assert!(over_global.to_string().contains("global"), "{over_global}");
    assert!(retry_after(&over_global).is_some_and(|s| s >= 1));
    let text = metrics.render();
    assert!(
        text.contains("jamscope_requests_rate_limited_total{limit=\"global\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("jamscope_requests_unauthenticated_total{endpoint=\"api\"} 1"),
        "{text}"
    );
}

#[test]
fn without_keys_only_the_limits_apply() {
    let limits = LimitsConfig {
        per_ip_per_minute: 1,
        per_key_per_minute: 1,
        global_per_minute: 0,
    };
    let (access, _) = access(&[], limits);
    for _ in 0..5 {
        assert!(access.admit(Endpoint::Api, None).is_ok());
    }
    let ip = Some("192.0.2.9".parse().expect("ip"));
    assert!(access.admit_browser(ip).is_ok());
    assert!(retry_after(&access.admit_browser(ip).unwrap_err()).is_some());
    assert!(access.admit_browser(None).is_ok());
}

#[test]
fn browser_keys_rotate_and_are_counted_when_missing_or_unknown() {
    let metrics = Metrics::default();
    let browser_keys = ["old".to_owned(), "new".to_owned()];
    let access = Access::new(
        &AuthConfig::default(),
        &browser_keys,
        &LimitsConfig::default(),
        metrics.access(),
    )
    .expect("access");
    let missing = access.admit_browser_key(None).unwrap_err();
    assert!(
        missing.to_string().contains("missing ingest key"),
        "{missing}"
    );
    assert_eq!(
        access.admit_browser_key(Some(b"wrong")).unwrap_err(),
        Denial::Unauthenticated("unknown ingest key".into())
    );
    for key in ["old", "new"] {
        assert!(access.admit_browser_key(Some(key.as_bytes())).is_ok());
    }
    assert!(
        metrics
            .render()
            .contains("jamscope_requests_unauthenticated_total{endpoint=\"rum\"} 2"),
        "{}",
        metrics.render()
    );
    let open = Access::new(
        &AuthConfig::default(),
        &[],
        &LimitsConfig::default(),
        metrics.access(),
    )
    .expect("access");
    assert!(open.admit_browser_key(None).is_ok());
}

#[test]
fn label_values_are_the_ones_telemetry_shows_from_the_start() {
    use crate::telemetry::{KEYED_ENDPOINTS, LIMIT_KINDS};
    for kind in LimitKind::ALL {
        assert!(LIMIT_KINDS.contains(&kind.as_str()), "{kind:?}");
    }
    for endpoint in Endpoint::ALL {
        assert!(KEYED_ENDPOINTS.contains(&endpoint.as_str()), "{endpoint:?}");
    }
    assert!(KEYED_ENDPOINTS.contains(&BROWSER_ENDPOINT));
}
