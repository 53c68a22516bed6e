//! The HTTP client the webhook, Slack and PagerDuty receivers share: one
//! POST of a JSON body within a timeout, its answer classified. hyper-util's
//! pooled client with rustls (Web PKI roots), the same stack the ClickHouse
//! client uses, so alerting adds no HTTP library to the build.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use super::NotifyError;

type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// How much of an error answer is kept for the log.
const ERROR_BODY_CHARS: usize = 300;

#[derive(Clone)]
pub(crate) struct HttpClient {
    client: Client<Connector, Full<Bytes>>,
    timeout: Duration,
}

impl HttpClient {
    pub fn new(timeout: Duration) -> Result<Self, NotifyError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| NotifyError::Transport(format!("TLS setup: {e}")))?
            .with_root_certificates(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            })
            .with_no_client_auth();
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_connect_timeout(Some(timeout));
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Ok(Self { client, timeout })
    }

    /// One POST of `body` as JSON with extra `headers`; 2xx is success.
    pub async fn post_json(
        &self,
        url: &str,
        headers: &[(&str, String)],
        body: Bytes,
    ) -> Result<(), NotifyError> {
        let mut request = http::Request::post(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header(
                http::header::USER_AGENT,
                concat!("jamscope/", env!("CARGO_PKG_VERSION")),
            );
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let request = request
            .body(Full::new(body))
            .map_err(|e| NotifyError::Build(format!("request: {e}")))?;
        let exchange = async {
            let response = self
                .client
                .request(request)
                .await
                .map_err(|e| NotifyError::Transport(error_chain(&e)))?;
            let status = response.status();
            // Read the whole answer, so the connection can be reused.
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| NotifyError::Transport(error_chain(&e)))?
                .to_bytes();
            if status.is_success() {
                Ok(())
            } else {
                Err(NotifyError::Status {
                    status: status.as_u16(),
                    body: String::from_utf8_lossy(&body)
                        .chars()
                        .take(ERROR_BODY_CHARS)
                        .collect(),
                })
            }
        };
        tokio::time::timeout(self.timeout, exchange)
            .await
            .map_err(|_| NotifyError::Timeout(self.timeout))?
    }
}

/// An error with its sources, e.g. "client error (Connect): tcp connect
/// error: Connection refused". No URL is included: Slack's is a secret.
fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
