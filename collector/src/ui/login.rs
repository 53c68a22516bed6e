//! Signing in to the web UI when API keys are configured: a form takes
//! the key and stores it in an HttpOnly, SameSite=Strict cookie, which the
//! key check reads like an `x-api-key` header (so the pages and the
//! silence buttons' `fetch` calls to `/api` present it). SameSite=Strict
//! keeps other sites' pages from using it.

use axum::body::Bytes;
use axum::extract::Query;
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::layout::{self, Nav};
use crate::access::KEY_COOKIE;

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    refused: Option<String>,
}

pub async fn form(Query(query): Query<LoginQuery>) -> Html<String> {
    Html(render(
        local_path(query.next.as_deref()),
        query.refused.is_some(),
    ))
}

/// The sign-in form: `next` is where to go after, `refused` says the last
/// key was wrong.
fn render(next: &str, refused: bool) -> String {
    layout::page(
        "Sign in",
        Nav::None,
        html! {
            h1 { "Sign in" }
            @if refused {
                p class="error" role="alert" { "That key was not accepted." }
            }
            p { "This collector asks for an API key (one of " code { "auth.api_keys" } ")." }
            form method="post" action="/ui/login" {
                input type="hidden" name="next" value=(next);
                label {
                    "API key "
                    input type="password" name="key" autocomplete="current-password" required;
                }
                button type="submit" { "Sign in" }
            }
        },
    )
}

/// `POST /ui/login` (form body `key`, `next`): sets the cookie and goes
/// back. The key is checked by the next page's guard, which sends the
/// browser back here with `refused` when it is wrong.
pub async fn submit(body: Bytes) -> Response {
    let mut key = String::new();
    let mut next = None;
    for (name, value) in url::form_urlencoded::parse(&body) {
        match name.as_ref() {
            "key" => key = value.trim().to_owned(),
            "next" => next = Some(value.into_owned()),
            _ => {}
        }
    }
    let target = local_path(next.as_deref()).to_owned();
    let value: String = url::form_urlencoded::byte_serialize(key.as_bytes()).collect();
    (
        [(
            header::SET_COOKIE,
            format!("{KEY_COOKIE}={value}; Path=/; HttpOnly; SameSite=Strict"),
        )],
        Redirect::to(&target),
    )
        .into_response()
}

pub async fn logout() -> Response {
    (
        [(
            header::SET_COOKIE,
            format!("{KEY_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"),
        )],
        Redirect::to("/ui/login"),
    )
        .into_response()
}

/// Where to go after signing in: a UI path of this collector, never
/// another site (`//evil.example` is refused).
fn local_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with("/ui") && !path.starts_with("//") && !path.contains('\\') =>
        {
            path
        }
        _ => "/ui/",
    }
}

#[cfg(test)]
mod tests {
    use super::{local_path, render};

    #[test]
    fn the_form_keeps_where_to_go_next() {
        let html = render("/ui/traces?window=1h&layer=\"x", true);
        assert!(html.contains(
            "<input type=\"hidden\" name=\"next\" value=\"/ui/traces?window=1h&amp;layer=&quot;x\">"
        ));
        assert!(html.contains("<input type=\"password\" name=\"key\""));
        assert!(html.contains("That key was not accepted."));
        assert!(!render("/ui/", false).contains("not accepted"));
    }

    #[test]
    fn only_local_ui_paths_are_followed() {
        assert_eq!(
            local_path(Some("/ui/traces?layer=cdn")),
            "/ui/traces?layer=cdn"
        );
        for bad in [
            "https://evil.example/ui",
            "//evil.example",
            "/api/alerts",
            "/ui\\..\\x",
        ] {
            assert_eq!(local_path(Some(bad)), "/ui/", "{bad}");
        }
        assert_eq!(local_path(None), "/ui/");
    }
}
