//! The pages' guard: a browser without an accepted API key (header or the
//! sign-in cookie) is sent to the sign-in form instead of getting a 401;
//! one over its rate limit gets the error page with `Retry-After`.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};

use crate::access::{self, Access, Denial, Endpoint};

/// Middleware on the pages that read stored data.
pub async fn require_key_or_sign_in(
    State(access): State<Arc<Access>>,
    request: Request,
    next: Next,
) -> Response {
    let key = access::from_headers(request.headers());
    match access.admit(Endpoint::Api, key.as_deref()) {
        Ok(()) => next.run(request).await,
        Err(Denial::Unauthenticated(_)) => {
            let path = request
                .uri()
                .path_and_query()
                .map_or("/ui/", |p| p.as_str());
            let tried = access::from_cookie(request.headers()).is_some();
            let next_path: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
            let refused = if tried { "&refused=1" } else { "" };
            Redirect::to(&format!("/ui/login?next={next_path}{refused}")).into_response()
        }
        Err(Denial::RateLimited {
            message,
            retry_after_secs,
        }) => {
            let status = StatusCode::TOO_MANY_REQUESTS;
            let mut response =
                (status, Html(super::error::render(status, &message))).into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
            response
        }
    }
}
