//! Who sent a beacon, from the request rather than its body: the client
//! address (anonymised before anything keeps it; behind trusted proxies,
//! as the edge found it: `ingest::edge::forwarded`), browser, OS and device class from the
//! user agent, and the country a trusted proxy or CDN put in a header.

use axum::http::{header, HeaderMap};

use crate::ingest::edge::Client;
use crate::model::rum::{anonymize_ip, ClientInfo, DeviceClass};

/// Headers CDNs and proxies use for the visitor's country (Cloudflare's,
/// then a generic one a proxy can set).
const COUNTRY_HEADERS: [&str; 2] = ["cf-ipcountry", "x-country"];
/// User agents past this length are cut before parsing; real ones are
/// a few hundred bytes.
const MAX_USER_AGENT_BYTES: usize = 1024;

/// Who sent a beacon. The address and the country headers are believed
/// from a trusted proxy only: anyone else can write any header.
pub fn client_info(headers: &HeaderMap, client: Client) -> ClientInfo {
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let agent = parse_user_agent(user_agent);
    ClientInfo {
        browser: agent.browser,
        browser_version: agent.browser_version,
        os: agent.os,
        device_class: agent.device_class,
        country: if client.via_trusted_proxy {
            country(headers)
        } else {
            String::new()
        },
        ip: client.ip.map(anonymize_ip),
    }
}

/// Two ASCII letters, uppercased; Cloudflare's `XX` (unknown) and `T1`
/// (Tor) and anything else are dropped.
fn country(headers: &HeaderMap) -> String {
    COUNTRY_HEADERS
        .iter()
        .find_map(|name| headers.get(*name))
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|code| code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .map(str::to_ascii_uppercase)
        .filter(|code| code != "XX")
        .unwrap_or_default()
}

#[derive(Debug, PartialEq, Default)]
struct UserAgent {
    browser: String,
    /// The major version only: full versions change weekly and would make
    /// every dashboard grouping by version useless.
    browser_version: String,
    os: String,
    device_class: DeviceClass,
}

fn parse_user_agent(user_agent: &str) -> UserAgent {
    let mut end = user_agent.len().min(MAX_USER_AGENT_BYTES);
    while !user_agent.is_char_boundary(end) {
        end -= 1;
    }
    let user_agent = &user_agent[..end];
    let Some(parsed) = woothee::parser::Parser::new().parse(user_agent) else {
        return UserAgent::default();
    };
    let known = |value: &str| {
        if value == woothee::woothee::VALUE_UNKNOWN {
            String::new()
        } else {
            value.to_owned()
        }
    };
    // woothee has no tablet category: iPads and Android devices without
    // "Mobile" in their user agent (Google's rule for tablets) are tablets.
    let device_class = match parsed.category {
        "pc" => DeviceClass::Desktop,
        "smartphone"
            if parsed.os == "iPad"
                || (parsed.os == "Android" && !user_agent.contains("Mobile")) =>
        {
            DeviceClass::Tablet
        }
        "smartphone" | "mobilephone" => DeviceClass::Mobile,
        "crawler" => DeviceClass::Bot,
        _ => DeviceClass::Unknown,
    };
    let major = parsed.version.split('.').next().unwrap_or("");
    UserAgent {
        browser: known(parsed.name),
        browser_version: known(major),
        os: known(parsed.os),
        device_class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::edge::TrustedProxies;
    use std::net::SocketAddr;

    const CHROME_MAC: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
    const SAFARI_IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    const SAFARI_IPAD: &str = "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1";
    const ANDROID_TABLET: &str = "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36";
    const FIREFOX_WINDOWS: &str =
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
    const GOOGLEBOT: &str =
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn user_agents_give_browser_major_version_os_and_device() {
        let chrome = parse_user_agent(CHROME_MAC);
        assert_eq!(
            (chrome.browser.as_str(), chrome.browser_version.as_str()),
            ("Chrome", "131")
        );
        assert_eq!(chrome.os, "Mac OSX");
        assert_eq!(chrome.device_class, DeviceClass::Desktop);
        assert_eq!(
            parse_user_agent(SAFARI_IPHONE).device_class,
            DeviceClass::Mobile
        );
        assert_eq!(parse_user_agent(SAFARI_IPHONE).browser, "Safari");
        assert_eq!(
            parse_user_agent(SAFARI_IPAD).device_class,
            DeviceClass::Tablet
        );
        assert_eq!(
            parse_user_agent(ANDROID_TABLET).device_class,
            DeviceClass::Tablet
        );
        let firefox = parse_user_agent(FIREFOX_WINDOWS);
        assert_eq!(
            (firefox.browser.as_str(), firefox.browser_version.as_str()),
            ("Firefox", "133")
        );
        assert_eq!(parse_user_agent(GOOGLEBOT).device_class, DeviceClass::Bot);
        assert_eq!(parse_user_agent(""), UserAgent::default());
    }

    fn trusted(entries: &[&str]) -> TrustedProxies {
        let entries: Vec<String> = entries.iter().map(|e| e.to_string()).collect();
        TrustedProxies::parse(&entries).unwrap()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_and_its_country_header_is_ignored() {
        let peer: SocketAddr = "198.51.100.23:50000".parse().unwrap();
        let sent = headers(&[("x-forwarded-for", "203.0.113.9"), ("cf-ipcountry", "DE")]);
        let info = client_info(
            &sent,
            Client::of(&sent, Some(peer), &trusted(&["10.0.0.0/8"])),
        );
        assert_eq!(
            info.ip.map(|ip| ip.to_string()).as_deref(),
            Some("198.51.100.0")
        );
        assert_eq!(info.country, "");
    }

    #[test]
    fn behind_a_trusted_proxy_the_forwarded_client_and_country_are_used() {
        let peer: SocketAddr = "10.0.0.5:50000".parse().unwrap();
        let sent = headers(&[
            ("x-forwarded-for", "1.1.1.1, 2001:db8:aa:bb::1, 10.0.0.1"),
            ("cf-ipcountry", "fr"),
        ]);
        let info = client_info(
            &sent,
            Client::of(&sent, Some(peer), &trusted(&["10.0.0.0/8"])),
        );
        assert_eq!(
            info.ip.map(|ip| ip.to_string()).as_deref(),
            Some("2001:db8:aa::")
        );
        assert_eq!(info.country, "FR");
        let unknown_peer = client_info(&sent, Client::of(&sent, None, &trusted(&["10.0.0.0/8"])));
        assert_eq!((unknown_peer.ip, unknown_peer.country.as_str()), (None, ""));
    }

    #[test]
    fn countries_are_two_letters_from_the_cdn() {
        assert_eq!(country(&headers(&[("cf-ipcountry", "de")])), "DE");
        assert_eq!(country(&headers(&[("x-country", "FR")])), "FR");
        assert_eq!(country(&headers(&[("cf-ipcountry", "XX")])), "");
        assert_eq!(country(&headers(&[("cf-ipcountry", "T1")])), "");
        assert_eq!(country(&headers(&[("cf-ipcountry", "DEU")])), "");
        assert_eq!(country(&HeaderMap::new()), "");
    }
}
