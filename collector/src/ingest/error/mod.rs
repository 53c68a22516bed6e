//! Every way a request can fail, and the one place each becomes an HTTP
//! status (with `Retry-After` where retrying helps) or a gRPC status (with
//! `RetryInfo` where retrying helps, as OTLP/gRPC asks).

mod retry_info;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::access::Denial;
use crate::pipeline::SubmitError;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IngestError {
    #[error("{0}")]
    BadRequest(String),
    /// A body of zero bytes (after decompression). Bad input for beacons
    /// and build events; OTLP/HTTP answers it as an empty request.
    #[error("request body is empty")]
    EmptyBody,
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A missing or unknown ingest key.
    #[error("{0}")]
    Unauthorized(String),
    /// A sender that is known and not allowed (a browser origin).
    #[error("{0}")]
    Forbidden(String),
    /// A receiver that is turned off by configuration.
    #[error("{0}")]
    NotFound(String),
    /// A signed request accepted before (a replay).
    #[error("{0}")]
    Conflict(String),
    /// The body did not arrive within `requests.body_read_timeout_ms`.
    #[error("{0}")]
    Timeout(String),
    /// The store did not take a request that waits for it; retry later.
    #[error("{0}")]
    Unavailable(String),
    /// A rate limit (`access::limits`) was reached; retry after the
    /// seconds given.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Queue(#[from] SubmitError),
}

impl From<Denial> for IngestError {
    fn from(denial: Denial) -> Self {
        match denial {
            Denial::Unauthenticated(message) => IngestError::Unauthorized(message),
            Denial::RateLimited {
                message,
                retry_after_secs,
            } => IngestError::RateLimited {
                message,
                retry_after_secs,
            },
        }
    }
}

impl IngestError {
    pub fn http_status(&self) -> StatusCode {
        match self {
            IngestError::BadRequest(_) | IngestError::EmptyBody => StatusCode::BAD_REQUEST,
            IngestError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            IngestError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            IngestError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            IngestError::Forbidden(_) => StatusCode::FORBIDDEN,
            IngestError::NotFound(_) => StatusCode::NOT_FOUND,
            IngestError::Conflict(_) => StatusCode::CONFLICT,
            IngestError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            IngestError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            IngestError::Queue(SubmitError::Full { .. } | SubmitError::SpoolFull(_)) => {
                StatusCode::TOO_MANY_REQUESTS
            }
            IngestError::Queue(SubmitError::SpoolFailed(_)) => StatusCode::SERVICE_UNAVAILABLE,
            IngestError::Queue(SubmitError::Closed) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// Seconds a client should wait before retrying, when retrying helps.
    pub fn retry_after_secs(&self) -> Option<u64> {
        match self {
            IngestError::Queue(SubmitError::Full { .. }) => Some(1),
            IngestError::Queue(SubmitError::SpoolFull(_)) => Some(5),
            IngestError::Queue(SubmitError::Closed | SubmitError::SpoolFailed(_)) => Some(5),
            IngestError::Unavailable(_) => Some(5),
            IngestError::RateLimited {
                retry_after_secs, ..
            } => Some(*retry_after_secs),
            _ => None,
        }
    }

    /// The answer for an endpoint that speaks JSON (beacons, build events):
    /// the status, `{"error": "..."}` and `Retry-After` where it helps.
    pub fn json_response(&self) -> Response {
        self.with_retry_after(
            (
                self.http_status(),
                Json(serde_json::json!({ "error": self.to_string() })),
            )
                .into_response(),
        )
    }

    /// `response` (this refusal, written in some receiver's protocol) with
    /// `Retry-After` where retrying helps.
    pub fn with_retry_after(&self, mut response: Response) -> Response {
        if let Some(seconds) = self.retry_after_secs() {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }

    /// The gRPC answer, by OTLP's table of retryable codes: malformed input
    /// is `INVALID_ARGUMENT` (not retryable); a message too large is
    /// `RESOURCE_EXHAUSTED` without `RetryInfo`, which OTLP says clients
    /// must not retry (the same code gRPC servers give an oversized
    /// message; `OUT_OF_RANGE` would be retried, forever); overload is
    /// `RESOURCE_EXHAUSTED` and unavailability `UNAVAILABLE`, both with
    /// `RetryInfo`, which makes them retryable after the delay given.
    pub fn grpc_status(&self) -> tonic::Status {
        use tonic::Code;
        let message = self.to_string();
        let code = match self {
            IngestError::BadRequest(_)
            | IngestError::EmptyBody
            | IngestError::UnsupportedMediaType(_) => Code::InvalidArgument,
            IngestError::PayloadTooLarge(_) => Code::ResourceExhausted,
            IngestError::Queue(SubmitError::Full { .. } | SubmitError::SpoolFull(_)) => {
                Code::ResourceExhausted
            }
            IngestError::RateLimited { .. } => Code::ResourceExhausted,
            IngestError::Queue(SubmitError::Closed | SubmitError::SpoolFailed(_))
            | IngestError::Unavailable(_) => Code::Unavailable,
            IngestError::Unauthorized(_) => Code::Unauthenticated,
            IngestError::Forbidden(_) => Code::PermissionDenied,
            IngestError::NotFound(_) => Code::Unimplemented,
            IngestError::Conflict(_) => Code::AlreadyExists,
            IngestError::Timeout(_) => Code::DeadlineExceeded,
        };
        match self.retry_after_secs() {
            Some(seconds) => retry_info::with_retry_info(code, message, seconds),
            None => tonic::Status::new(code, message),
        }
    }
}
