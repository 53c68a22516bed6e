//! What is kept of a visitor, over real HTTP into a real ClickHouse:
//! stored URLs lose their query and fragment (but allowlisted
//! parameters), the client address and country are believed only from
//! trusted proxies, CORS never allows credentials, and `config check`
//! shows no secret.

use serde_json::json;

use crate::harness::{run_jamscope, Collector};
use crate::rum::{beacon, request, rum_url, sdk_batch, start, CHROME, SITE};

/// One page view whose page URL, path and referrer carry secrets in their
/// queries and fragments.
fn page_view_with_secrets(page_view_id: &str) -> String {
    let mut batch: serde_json::Value =
        serde_json::from_str(&sdk_batch(page_view_id, json!([{"type": "page_view"}]))).unwrap();
    batch["page"] = json!({
        "url": "https://shop.test/account/reset?token=s3cret&utm_source=news&email=a%40b.test#access_token=t0k3n",
        "path": "/account/reset?token=s3cret",
        "route": "/account/reset",
        "referrer": "https://mail.example/inbox?id=42#msg"
    });
    batch.to_string()
}

fn stored_page(collector: &Collector, page_view_id: &str) -> serde_json::Value {
    assert_eq!(collector.wait_for_rows("rum_page_views", 1), 1);
    collector.query(&format!(
        "SELECT Url, Path, Referrer FROM rum_page_views WHERE PageViewId = '{page_view_id}'"
    ))[0]
        .clone()
}

#[test]
fn stored_urls_carry_no_query_or_fragment_by_default() {
    let collector = start(&[]);
    let reply = beacon(&rum_url(&collector), page_view_with_secrets("p-strip"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let page = stored_page(&collector, "p-strip");
    assert_eq!(
        page,
        json!({"Url": "https://shop.test/account/reset", "Path": "/account/reset",
               "Referrer": "https://mail.example/inbox"})
    );
    let everything = collector.query("SELECT * FROM rum_page_views");
    let text = serde_json::to_string(&everything).unwrap();
    for secret in ["s3cret", "t0k3n", "a%40b.test", "id=42"] {
        assert!(!text.contains(secret), "{secret} stored: {text}");
    }
}

#[test]
fn allowlisted_query_parameters_are_kept() {
    let collector = start(&[("JAMSCOPE_RUM_KEEP_QUERY_PARAMS", "utm_source,utm_medium")]);
    let reply = beacon(&rum_url(&collector), page_view_with_secrets("p-keep"));
    assert_eq!(reply.status, 200, "{}", reply.body);
    let page = stored_page(&collector, "p-keep");
    assert_eq!(
        page["Url"],
        "https://shop.test/account/reset?utm_source=news"
    );
    assert_eq!(page["Path"], "/account/reset");
    assert_eq!(page["Referrer"], "https://mail.example/inbox");
}

/// A beacon as a proxy in front of the collector forwards it.
fn proxied_beacon(collector: &Collector, page_view_id: &str) -> u16 {
    request(
        "POST",
        &rum_url(collector),
        &[
            ("content-type", "text/plain;charset=UTF-8"),
            ("origin", SITE),
            ("user-agent", CHROME),
            // The visitor forged the first entry; the proxy appended the
            // address it saw.
            ("x-forwarded-for", "192.0.2.1, 203.0.113.77"),
            ("cf-ipcountry", "NL"),
        ],
        sdk_batch(page_view_id, json!([{"type": "page_view"}])),
    )
    .status
}

fn stored_client(collector: &Collector) -> (String, String) {
    assert_eq!(collector.wait_for_rows("rum_page_views", 1), 1);
    let row = &collector.query("SELECT ClientIp, Country FROM rum_page_views")[0];
    (
        row["ClientIp"].as_str().unwrap_or_default().to_owned(),
        row["Country"].as_str().unwrap_or_default().to_owned(),
    )
}

#[test]
fn behind_a_trusted_proxy_the_forwarded_client_and_country_are_stored() {
    let collector = start(&[("JAMSCOPE_RUM_TRUSTED_PROXIES", "127.0.0.1/32")]);
    assert_eq!(proxied_beacon(&collector, "p-trusted"), 200);
    assert_eq!(
        stored_client(&collector),
        ("203.0.113.0".to_owned(), "NL".to_owned()),
        "the right-most untrusted hop, anonymised; the proxy's country"
    );
}

#[test]
fn without_trusting_the_peer_forwarded_headers_and_country_are_ignored() {
    // Some proxies are trusted, but not the one this request comes from.
    let collector = start(&[("JAMSCOPE_RUM_TRUSTED_PROXIES", "10.0.0.0/8")]);
    assert_eq!(proxied_beacon(&collector, "p-untrusted"), 200);
    assert_eq!(
        stored_client(&collector),
        ("127.0.0.0".to_owned(), String::new()),
        "the socket peer, anonymised; no country"
    );
}

#[test]
fn the_removed_forwarded_for_switch_is_a_clear_config_error() {
    let output = run_jamscope(
        &["config", "check"],
        &[("JAMSCOPE_RUM_TRUST_FORWARDED_FOR", "true")],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("rum.trust_forwarded_for") && stderr.contains("rum.trusted_proxies"),
        "{stderr}"
    );
}

#[test]
fn cors_answers_never_allow_credentials() {
    let collector = start(&[]);
    let reply = beacon(
        &rum_url(&collector),
        sdk_batch("p-cors", json!([{"type": "page_view"}])),
    );
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply
            .headers
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(SITE.as_bytes())
    );
    assert!(
        reply
            .headers
            .get("access-control-allow-credentials")
            .is_none(),
        "{:?}",
        reply.headers
    );
}

#[test]
fn config_check_shows_no_secret() {
    let secrets = [
        (
            "JAMSCOPE_CLICKHOUSE_URL",
            "https://jamscope:ch-pass-1@ch.example:8443",
        ),
        ("JAMSCOPE_CLICKHOUSE_PASSWORD", "ch-pass-2"),
        (
            "JAMSCOPE_SELF_TELEMETRY_ENDPOINT",
            "http://otel:otel-pass-3@127.0.0.1:4318",
        ),
        ("JAMSCOPE_RUM_KEYS", "rum-key-4,rum-key-5"),
        ("JAMSCOPE_BUILD_WEBHOOK_SECRET", "build-secret-6"),
        (
            "JAMSCOPE_ALERT_WEBHOOK_URL",
            "https://hook:hook-pass-7@hooks.example/x",
        ),
        ("JAMSCOPE_ALERT_WEBHOOK_SECRET", "webhook-secret-8"),
    ];
    let output = run_jamscope(&["config", "check"], &secrets);
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    for secret in [
        "ch-pass-1",
        "ch-pass-2",
        "otel-pass-3",
        "rum-key-4",
        "rum-key-5",
        "build-secret-6",
        "hook-pass-7",
        "webhook-secret-8",
    ] {
        assert!(!stdout.contains(secret), "{secret} shown:\n{stdout}");
        assert!(!stderr.contains(secret), "{secret} logged:\n{stderr}");
    }
    assert!(
        stdout.contains("https://jamscope:<redacted>@ch.example:8443"),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://otel:<redacted>@127.0.0.1:4318"),
        "{stdout}"
    );
    assert!(stdout.contains("\"<redacted>\""), "{stdout}");
}
