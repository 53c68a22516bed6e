//! Every way an API request can fail, and the one place each becomes a
//! status code and a JSON body `{"error": "..."}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::store::queries::QueryError;
use crate::store::writer::InsertFailure;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A query parameter or path segment that is missing, unknown or
    /// malformed; the message names it.
    #[error("{0}")]
    BadParameter(String),
    #[error("{0}")]
    NotFound(String),
    /// A body past its limit.
    #[error("{0}")]
    TooLarge(String),
    #[error(transparent)]
    Query(#[from] QueryError),
    /// ClickHouse did not store what the request asked to store.
    #[error(transparent)]
    Write(#[from] InsertFailure),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadParameter(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Query(QueryError::Invalid(_)) => StatusCode::BAD_REQUEST,
            ApiError::Query(_) | ApiError::Write(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            tracing::warn!(error = %self, "API query failed");
        }
        (
            status,
            Json(serde_json::json!({ "error": self.to_string() })),
        )
            .into_response()
    }
}
