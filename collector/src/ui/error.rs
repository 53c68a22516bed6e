//! The one place a failed page becomes a response: the API's error (a bad
//! parameter, an unknown id, ClickHouse unreachable) with its status code,
//! shown as an HTML page in the same shell.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use maud::html;

use super::layout::{page, Nav};
use crate::api::ApiError;
use crate::store::queries::QueryError;

#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct UiError(#[from] ApiError);

impl From<QueryError> for UiError {
    fn from(error: QueryError) -> Self {
        Self(ApiError::from(error))
    }
}

impl UiError {
    pub fn not_found(message: impl Into<String>) -> Self {
        Self(ApiError::NotFound(message.into()))
    }

    pub fn status(&self) -> StatusCode {
        self.0.status()
    }
}

/// The error page: its status, what went wrong, and a way back.
pub fn render(status: StatusCode, message: &str) -> String {
    let title = status.canonical_reason().unwrap_or("Error");
    page(
        title,
        Nav::None,
        html! {
            h1 { (status.as_u16()) " " (title) }
            p class="panel" id="error-message" { (message) }
            p { a href="/ui/" { "Back to the overview" } }
        },
    )
}

impl IntoResponse for UiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self.0, "web UI page failed");
        }
        (status, Html(render(status, &self.0.to_string()))).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_keep_the_api_status_and_escape_the_message() {
        let error = UiError::from(ApiError::BadParameter("bad '<x>'".into()));
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let html = render(error.status(), &error.to_string());
        assert!(html.contains("<h1>400 Bad Request</h1>"));
        // An apostrophe needs no entity in text (maud writes it as is).
        assert!(html.contains("bad '&lt;x&gt;'"));
        assert_eq!(UiError::not_found("gone").status(), StatusCode::NOT_FOUND);
    }
}
