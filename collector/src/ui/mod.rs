//! The built-in web UI under `/ui/`: server-rendered HTML over the same
//! reads as the JSON API (`store::queries`, `api::trace_view`,
//! `store::alerts`), never a second copy of a query. One file per page,
//! each a `show` handler (read the request, query, call `render`) and a
//! pure `render` (data in, HTML out) written as maud templates, which
//! escape every spliced value unless it is markup built here. `layout` the
//! shared shell, `window` the time-window picker, `svg` the charts, `link`
//! stored ids inside URLs, `format` numbers and times, `error` the one
//! place failures become an HTML error page. The stylesheet and the small
//! script are static files served here, so the Content-Security-Policy
//! allows only this origin.

mod alerts;
mod error;
mod errors;
mod format;
mod guard;
mod layout;
mod link;
mod login;
mod logs;
mod overview;
mod page_view;
mod svg;
mod trace;
mod traces;
mod window;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

pub use error::UiError;
pub use guard::require_key_or_sign_in;

use crate::api::ApiState;

/// No inline script or style, nothing from elsewhere; `fetch` only to
/// this origin (the silence and error-state buttons).
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// The pages, which read stored data: `server.rs` puts them behind the
/// API key when keys are configured.
pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/ui/", get(overview::show))
        .route("/ui/traces", get(traces::show))
        .route("/ui/traces/{trace_id}", get(trace::show))
        .route("/ui/page-views/{page_view_id}", get(page_view::show))
        .route("/ui/logs", get(logs::show))
        .route("/ui/errors", get(errors::show))
        .route("/ui/alerts", get(alerts::show))
        .route("/ui/{*rest}", get(not_found))
        .layer(middleware::from_fn(security_headers))
        .with_state(state)
}

/// What anyone may fetch: redirects, the sign-in form, the stylesheet,
/// script and icon.
pub fn public_router() -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/login", get(login::form).post(login::submit))
        .route("/ui/logout", get(login::logout))
        .route(
            "/ui/app.css",
            get(|| asset("text/css; charset=utf-8", layout::CSS)),
        )
        .route(
            "/ui/app.js",
            get(|| asset("text/javascript; charset=utf-8", layout::JS)),
        )
        .route(
            "/ui/favicon.svg",
            get(|| asset("image/svg+xml", layout::FAVICON)),
        )
        .layer(middleware::from_fn(security_headers))
}

async fn asset(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}

async fn not_found() -> UiError {
    UiError::not_found("there is no such page")
}

/// Every UI response: the policy above, no sniffing, no framing, no
/// referrer leaving the collector; pages are not cached.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "no-referrer"),
    ] {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// An HTML page or the error page, for handlers.
type Page = Result<axum::response::Html<String>, UiError>;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use axum::body::Body;
    use axum::http::{Request, StatusCode};
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;
    use crate::model::kpi::KpiSettings;
    use crate::store::queries::Queries;

    /// The UI without ClickHouse: routes that query nothing still answer.
    fn app() -> Router {
        router(ApiState {
            queries: Arc::new(Queries::new(
                clickhouse::Client::default(),
                KpiSettings::default(),
            )),
            alerts: None,
            rules: None,
            errors: None,
        })
        .merge(public_router())
    }

    async fn get(uri: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = app()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8(bytes.to_vec()).unwrap(),
        )
    }

    #[test]
    fn the_policy_allows_only_this_origin() {
        assert!(HeaderValue::from_str(CONTENT_SECURITY_POLICY).is_ok());
        assert!(!CONTENT_SECURITY_POLICY.contains("unsafe"));
        assert!(CONTENT_SECURITY_POLICY.contains("script-src 'self'"));
    }

    #[tokio::test]
    async fn the_root_redirects_to_the_ui() {
        for uri in ["/", "/ui"] {
            let (status, headers, _) = get(uri).await;
            assert!(status.is_redirection(), "{uri}: {status}");
            assert_eq!(headers[header::LOCATION], "/ui/");
        }
    }

    #[tokio::test]
    async fn assets_and_pages_carry_the_security_headers() {
        let (status, headers, body) = get("/ui/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript"));
        assert!(body.contains("/api/silences"));
        assert_eq!(
            headers[header::CONTENT_SECURITY_POLICY],
            CONTENT_SECURITY_POLICY
        );
        let (status, headers, body) = get("/ui/app.css").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains(".waterfall"));
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");

        // Answered without a query: alerting off, a bad id, no such page.
        let (status, headers, body) = get("/ui/alerts").await;
        assert_eq!(status, StatusCode::OK);
        assert!(body.contains("Alerting is off"));
        assert_eq!(headers[header::CACHE_CONTROL], "no-store");
        assert_eq!(headers[header::X_FRAME_OPTIONS], "DENY");
        let (status, headers, body) = get("/ui/traces/not-a-trace").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        assert!(body.contains("trace id must be 32 hex digits"));
        assert!(headers.contains_key(header::CONTENT_SECURITY_POLICY));
        let (status, _, body) = get("/ui/page-views/%3Cscript%3E").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(!body.contains("<script>"));
        let (status, _, body) = get("/ui/nothing/here").await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(body.contains("404 Not Found"));
        let (status, _, body) = get("/ui/traces?servce=x").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.contains("'servce'"));
    }
}
