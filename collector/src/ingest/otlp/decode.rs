//! Which decoder a body goes to: its `Content-Type` names the encoding
//! (protobuf or JSON, nothing else), and the signal decodes it in one pass
//! into judged records (`traces/`). gRPC messages are protobuf always and
//! go straight to the signal's protobuf decoder (`grpc.rs`).

use super::signal::Signal;
use super::Otlp;
use crate::ingest::edge::MediaType;
use crate::ingest::IngestError;

/// How a request's body is encoded, and so its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Protobuf,
    Json,
}

impl Encoding {
    pub(super) fn of(media_type: &MediaType) -> Result<Self, IngestError> {
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

    pub(super) fn content_type(self) -> &'static str {
        match self {
            Encoding::Protobuf => "application/x-protobuf",
            Encoding::Json => "application/json",
        }
    }
}

/// `body` as signal `S`'s export request in `encoding`.
pub(super) fn decode<S: Signal>(
    otlp: &Otlp,
    encoding: Encoding,
    body: &[u8],
) -> Result<S::Judged, IngestError> {
    match encoding {
        Encoding::Protobuf => S::decode_protobuf(otlp, body),
        Encoding::Json => S::decode_json(otlp, body),
    }
}
