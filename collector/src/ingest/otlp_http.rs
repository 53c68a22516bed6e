//! OTLP/HTTP: `POST /v1/traces` with protobuf or JSON bodies. Responses use
//! the request's own encoding, as the OTLP specification asks.

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message;

use super::body::{read_body, ReadBody};
use super::otlp_convert::ConvertedTraces;
use super::{accept_converted, otlp_json, otlp_protobuf, Accepted, IngestError, IngestState};
use crate::telemetry::Receiver;

pub const TRACES_PATH: &str = "/v1/traces";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn from_headers(headers: &HeaderMap) -> Result<Self, IngestError> {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let media_type = content_type.split(';').next().unwrap_or("").trim();
        match media_type.to_ascii_lowercase().as_str() {
            "application/x-protobuf" | "application/protobuf" => Ok(Encoding::Protobuf),
            "application/json" => Ok(Encoding::Json),
            "" => Err(IngestError::UnsupportedMediaType(
                "missing Content-Type: use application/x-protobuf or application/json".into(),
            )),
            other => Err(IngestError::UnsupportedMediaType(format!(
                "Content-Type '{other}' is not supported: use application/x-protobuf or application/json"
            ))),
        }
    }

    fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// The handler: extract, decode, call the domain, answer.
pub async fn export_traces(
    State(state): State<IngestState>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let encoding = match Encoding::from_headers(&headers) {
        Ok(encoding) => encoding,
        Err(error) => return error_response(&state, None, error),
    };
    let result = async {
        state.spans.wait_for_room(state.queue_wait()).await?;
        let bytes = match read_body(&headers, body, &state.limits).await {
            Ok(bytes) => bytes,
            // OTLP: an empty request is answered with success. Zero bytes
            // are the protobuf encoding of one; JSON gets the same leniency.
            Err(IngestError::EmptyBody) => ReadBody::empty(),
            Err(error) => return Err(error),
        };
        let converted = decode(encoding, &bytes, &state)?;
        accept_converted(&state, converted).await
    }
    .await;
    match result {
        Ok(accepted) => success_response(encoding, accepted),
        Err(error) => error_response(&state, Some(encoding), error),
    }
}

/// Decodes a body straight into spans, in one pass (`otlp_protobuf`,
/// `otlp_json`).
fn decode(
    encoding: Encoding,
    bytes: &[u8],
    state: &IngestState,
) -> Result<ConvertedTraces, IngestError> {
    let window = state.span_window();
    match encoding {
        Encoding::Protobuf => {
            otlp_protobuf::decode(bytes, &state.layers, &window, &state.span_limits)
        }
        Encoding::Json => otlp_json::decode(bytes, &state.layers, &window, &state.span_limits),
    }
}

fn success_response(encoding: Encoding, accepted: Accepted) -> Response {
    // Set when spans were rejected, or (rejected 0) to carry a warning.
    let partial = (accepted.rejected_spans > 0 || accepted.message.is_some()).then(|| {
        ExportTracePartialSuccess {
            rejected_spans: accepted.rejected_spans as i64,
            error_message: accepted.message.unwrap_or_default(),
        }
    });
    let body = match encoding {
        Encoding::Protobuf => ExportTraceServiceResponse {
            partial_success: partial,
        }
        .encode_to_vec(),
        // ProtoJSON spells int64 as a string.
        Encoding::Json => match partial {
            Some(p) => serde_json::json!({
                "partialSuccess": {
                    "rejectedSpans": p.rejected_spans.to_string(),
                    "errorMessage": p.error_message,
                }
            }),
            None => serde_json::json!({}),
        }
        .to_string()
        .into_bytes(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, encoding.content_type())],
        body,
    )
        .into_response()
}

/// `google.rpc.Status`, the error body OTLP/HTTP specifies.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}

fn error_response(state: &IngestState, encoding: Option<Encoding>, error: IngestError) -> Response {
    let status = error.http_status();
    state.metrics.request_refused(Receiver::OtlpHttp, status);
    if error.retry_after_secs().is_none() {
        tracing::debug!(%error, status = status.as_u16(), "OTLP/HTTP request refused");
    }
    let grpc_code = error.grpc_status().code() as i32;
    let message = error.to_string();
    let (content_type, body) = match encoding {
        Some(Encoding::Protobuf) => (
            "application/x-protobuf",
            RpcStatus {
                code: grpc_code,
                message,
            }
            .encode_to_vec(),
        ),
        Some(Encoding::Json) => (
            "application/json",
            serde_json::json!({ "code": grpc_code, "message": message })
                .to_string()
                .into_bytes(),
        ),
        None => ("text/plain; charset=utf-8", message.into_bytes()),
    };
    let mut response = (status, [(header::CONTENT_TYPE, content_type)], body).into_response();
    if let Some(seconds) = error.retry_after_secs() {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}
