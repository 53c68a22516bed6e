//! OTLP/HTTP: `POST` of one signal's export request, protobuf or JSON, as
//! a [`Receiver`]. Answers use the request's own encoding, as the OTLP
//! specification asks: the export response (with its partial success) on
//! success, a `google.rpc.Status` on refusal.

use std::marker::PhantomData;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use prost::Message;

use super::signal::{Accepted, Signal};
use super::Otlp;
use crate::ingest::edge::{BodyLimits, MediaType};
use crate::ingest::receiver::{Incoming, Receiver};
use crate::ingest::IngestError;
use crate::telemetry::{IngestStats, Receiver as ReceiverName};

/// How a request's body is encoded, and so its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    fn of(media_type: &MediaType) -> Result<Self, IngestError> {
        const USE: &str = "use application/x-protobuf or application/json";
        match media_type {
            MediaType::Absent => Err(IngestError::UnsupportedMediaType(format!(
                "missing Content-Type: {USE}"
            ))),
            named if named.is("application/x-protobuf") || named.is("application/protobuf") => {
                Ok(Encoding::Protobuf)
            }
            named if named.is("application/json") => Ok(Encoding::Json),
            other => Err(IngestError::UnsupportedMediaType(format!(
                "Content-Type '{}' is not supported: {USE}",
                other.shown()
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

/// The OTLP/HTTP receiver of signal `S`.
pub struct OtlpHttp<S> {
    otlp: Otlp,
    signal: PhantomData<fn() -> S>,
}

impl<S> OtlpHttp<S> {
    pub fn new(otlp: Otlp) -> Self {
        Self {
            otlp,
            signal: PhantomData,
        }
    }
}

impl<S> Clone for OtlpHttp<S> {
    fn clone(&self) -> Self {
        Self::new(self.otlp.clone())
    }
}

impl<S: Signal> Receiver for OtlpHttp<S> {
    const NAME: ReceiverName = ReceiverName::OtlpHttp;
    // OTLP: an empty request is answered with success. Zero bytes are the
    // protobuf encoding of one; JSON gets the same leniency.
    const EMPTY_BODY_IS_EMPTY_REQUEST: bool = true;
    type Format = Encoding;
    type Decoded = S::Judged;
    type Accepted = Accepted;

    fn stats(&self) -> &IngestStats {
        self.otlp.stats()
    }

    fn body_limits(&self) -> BodyLimits {
        self.otlp.config().body_limits()
    }

    fn admit(&self, incoming: &Incoming) -> Result<Encoding, IngestError> {
        Encoding::of(&MediaType::of(&incoming.parts.headers))
    }

    async fn wait_for_room(&self) -> Result<(), IngestError> {
        S::wait_for_room(&self.otlp).await
    }

    fn decode(
        &self,
        _: &Incoming,
        encoding: Encoding,
        body: &[u8],
    ) -> Result<S::Judged, IngestError> {
        match encoding {
            Encoding::Protobuf => S::decode_protobuf(&self.otlp, body),
            Encoding::Json => S::decode_json(&self.otlp, body),
        }
    }

    async fn accept(&self, _: &Incoming, judged: S::Judged) -> Result<Accepted, IngestError> {
        S::accept(&self.otlp, judged).await
    }

    fn answer(&self, encoding: Encoding, accepted: Accepted) -> Response {
        let body = match encoding {
            Encoding::Protobuf => S::response(accepted).encode_to_vec(),
            // ProtoJSON spells int64 as a string.
            Encoding::Json => match accepted.partial() {
                true => serde_json::json!({
                    "partialSuccess": {
                        S::REJECTED_FIELD: accepted.rejected.to_string(),
                        "errorMessage": accepted.message.unwrap_or_default(),
                    }
                }),
                false => serde_json::json!({}),
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

    fn refusal(&self, encoding: Option<Encoding>, error: &IngestError) -> Response {
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
        error.with_retry_after(
            (
                error.http_status(),
                [(header::CONTENT_TYPE, content_type)],
                body,
            )
                .into_response(),
        )
    }
}

/// `google.rpc.Status`, the error body OTLP/HTTP specifies.
#[derive(Clone, PartialEq, prost::Message)]
struct RpcStatus {
    #[prost(int32, tag = "1")]
    code: i32,
    #[prost(string, tag = "2")]
    message: String,
}
