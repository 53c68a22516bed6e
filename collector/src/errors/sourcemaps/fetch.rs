//! Maps fetched from where a bundle says they are: the bundle's
//! `//# sourceMappingURL=` comment (a URL relative to the bundle, or an
//! inline `data:` URL), followed only when the bundle's origin and the
//! map's are both on `sourcemaps.fetch_origins`. Off by default: an
//! attacker's page could otherwise make the collector fetch anything.

use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use url::Url;

use super::parsed::ParsedMap;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// An HTTP(S) client trusting the Web PKI roots: for fetching maps, and
/// for `jamscope sourcemaps` talking to a collector.
pub(super) type HttpClient = Client<Connector, Full<Bytes>>;

pub(super) fn http_client(connect_timeout: Duration) -> Option<HttpClient> {
    let tls = crate::tls_trust::client_config(None, false).ok()?;
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    http.set_connect_timeout(Some(connect_timeout));
    let connector = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http()
        .enable_http1()
        .wrap_connector(http);
    Some(Client::builder(TokioExecutor::new()).build(connector))
}

/// Fetches bundles and maps from the allowed origins.
pub struct Fetcher {
    origins: Vec<String>,
    client: HttpClient,
    timeout: Duration,
    max_bytes: usize,
}

impl Fetcher {
    /// `None` when no origin is allowed (fetching is off).
    pub fn new(origins: &[String], timeout: Duration, max_bytes: usize) -> Option<Fetcher> {
        if origins.is_empty() {
            return None;
        }
        Some(Fetcher {
            origins: origins.to_vec(),
            client: http_client(timeout)?,
            timeout,
            max_bytes,
        })
    }

    /// Whether the bundle at `url` may be fetched.
    pub fn allows(&self, url: &str) -> bool {
        origin_of(url).is_some_and(|origin| self.origins.contains(&origin))
    }

    /// The map the bundle at `bundle_url` points to, parsed with the bundle.
    pub async fn fetch(&self, bundle_url: &str) -> Result<ParsedMap, String> {
        let bundle = self.get(bundle_url).await?;
        let bundle = String::from_utf8(bundle.to_vec())
            .map_err(|_| format!("{bundle_url} is not UTF-8 text"))?;
        let reference = match sourcemap::locate_sourcemap_reference_slice(bundle.as_bytes()) {
            Ok(Some(reference)) => reference.get_url().to_owned(),
            _ => return Err(format!("{bundle_url} has no sourceMappingURL comment")),
        };
        let map = match inline_map(&reference) {
            Some(inline) => inline?,
            None => {
                let map_url = Url::parse(bundle_url)
                    .and_then(|base| base.join(&reference))
                    .map_err(|e| format!("sourceMappingURL {reference} is not a URL: {e}"))?;
                if !self.allows(map_url.as_str()) {
                    return Err(format!(
                        "the map at {map_url} is on an origin sourcemaps.fetch_origins does not list"
                    ));
                }
                self.get(map_url.as_str()).await?.to_vec()
            }
        };
        ParsedMap::parse(&map, bundle).map_err(|e| format!("the fetched map is broken: {e}"))
    }

    async fn get(&self, url: &str) -> Result<Bytes, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let request = async {
            let response = self
                .client
                .get(uri)
                .await
                .map_err(|e| format!("fetching {url}: {e}"))?;
            if !response.status().is_success() {
                return Err(format!("fetching {url}: {}", response.status()));
            }
            Limited::new(response.into_body(), self.max_bytes)
                .collect()
                .await
                .map(|body| body.to_bytes())
                .map_err(|e| format!("reading {url}: {e}"))
        };
        tokio::time::timeout(self.timeout, request)
            .await
            .map_err(|_| format!("fetching {url} took longer than {:?}", self.timeout))?
    }
}

/// The map inside a `data:application/json;base64,…` reference.
fn inline_map(reference: &str) -> Option<Result<Vec<u8>, String>> {
    let data = reference.strip_prefix("data:")?;
    let (_, encoded) = data.split_once(";base64,")?;
    Some(
        base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|e| format!("the inline map is not base64: {e}")),
    )
}

/// `scheme://host[:port]` of an http(s) URL, as browsers write origins.
pub fn origin_of(url: &str) -> Option<String> {
    let parsed = Url::parse(url).ok()?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return None;
    }
    Some(parsed.origin().ascii_serialization())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://cdn.shop.test/assets/app.js?v=1").as_deref(),
            Some("https://cdn.shop.test")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/a.js").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("file:///etc/passwd"), None);
        assert_eq!(origin_of("not a url"), None);
    }

    #[test]
    fn only_listed_origins_are_fetched_and_none_by_default() {
        assert!(Fetcher::new(&[], Duration::from_secs(1), 1).is_none());
        let fetcher =
            Fetcher::new(&["https://cdn.shop.test".into()], Duration::from_secs(1), 1).unwrap();
        assert!(fetcher.allows("https://cdn.shop.test/app.js"));
        assert!(!fetcher.allows("https://cdn.shop.test.evil.test/app.js"));
        assert!(!fetcher.allows("http://cdn.shop.test/app.js"));
    }

    #[test]
    fn inline_maps_are_decoded() {
        let reference = "data:application/json;charset=utf-8;base64,eyJ2ZXJzaW9uIjozfQ==";
        assert_eq!(
            inline_map(reference).unwrap().unwrap(),
            br#"{"version":3}"#.to_vec()
        );
        assert!(inline_map("app.js.map").is_none());
    }
}
