//! `GET /rum.js`: the browser SDK, built into the binary so the collector
//! and the beacon format it accepts always ship together.

use std::sync::LazyLock;

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use twox_hash::XxHash64;

pub const SCRIPT_PATH: &str = "/rum.js";

const SCRIPT: &[u8] = include_bytes!("../../../../rum-beacon/dist/rum.js");

/// A day: pages pick up a new SDK within one, and revalidation after that
/// is a 304 thanks to the ETag.
const CACHE_CONTROL: &str = "public, max-age=86400";

/// A strong ETag: a hash of the exact bytes, computed once.
static ETAG: LazyLock<String> =
    LazyLock::new(|| format!("\"{:016x}\"", XxHash64::oneshot(0, SCRIPT)));

pub async fn serve_script(headers: HeaderMap) -> Response {
    let etag = ETAG.as_str();
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| matches_etag(tags, etag));
    let common = [
        (header::ETAG, etag),
        (header::CACHE_CONTROL, CACHE_CONTROL),
        // Lets pages load it with `crossorigin`, which browsers require
        // before they show a cross-origin script's errors in full.
        (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
    ];
    if cached {
        return (StatusCode::NOT_MODIFIED, common).into_response();
    }
    (
        StatusCode::OK,
        common,
        [(
            header::CONTENT_TYPE,
            "application/javascript; charset=utf-8",
        )],
        SCRIPT,
    )
        .into_response()
}

/// `If-None-Match` compares weakly (RFC 9110 §13.1.2): a `W/` prefix does
/// not matter, and `*` matches any current representation.
fn matches_etag(if_none_match: &str, etag: &str) -> bool {
    if_none_match
        .split(',')
        .map(str::trim)
        .any(|tag| tag == "*" || tag.strip_prefix("W/").unwrap_or(tag) == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(if_none_match: Option<&str>) -> Response {
        let mut headers = HeaderMap::new();
        if let Some(tag) = if_none_match {
            headers.insert(header::IF_NONE_MATCH, tag.parse().unwrap());
        }
        serve_script(headers).await
    }

    #[tokio::test]
    async fn the_script_is_served_with_a_strong_etag_and_revalidates() {
        let response = get(None).await;
        assert_eq!(response.status(), StatusCode::OK);
        let etag = response.headers()[header::ETAG]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(etag.starts_with('"') && etag.len() == 18, "{etag}");
        assert_eq!(response.headers()[header::CACHE_CONTROL], CACHE_CONTROL);
        assert!(response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("application/javascript"));
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(&body[..], SCRIPT);

        let revalidated = get(Some(&etag)).await;
        assert_eq!(revalidated.status(), StatusCode::NOT_MODIFIED);
        assert_eq!(revalidated.headers()[header::ETAG], etag.as_str());
        assert_eq!(
            get(Some(&format!("\"other\", W/{etag}"))).await.status(),
            StatusCode::NOT_MODIFIED
        );
        assert_eq!(get(Some("\"stale\"")).await.status(), StatusCode::OK);
    }
}
