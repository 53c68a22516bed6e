//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.
//! tonic reads the frames (and gunzips them) and hands over the message's
//! bytes, which `otlp_protobuf` decodes in one pass as it does OTLP/HTTP
//! bodies; this only routes the method, calls the domain, and corrects the
//! codes tonic gives input it could not read (`OtlpCodes`).

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::future::{FutureExt, Map};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceResponse,
};
use prost::Message as _;
use tonic::codec::{
    Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings, EncodeBuf, Encoder,
};
use tonic::codegen::http::{
    HeaderMap, HeaderValue, Request as HttpRequest, Response as HttpResponse,
};
use tonic::codegen::{BoxFuture, Service, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::bounds::{ChargedBody, SharedCharge, DECODED_PER_BODY_BYTE};
use super::{accept_converted, otlp_protobuf, IngestError, IngestState};
use crate::telemetry::Receiver;
use hyper::body::Body as HttpBody;

/// The one method this service has.
const EXPORT_PATH: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

/// The trace service: gzip both ways, messages up to the decompressed size
/// limit.
#[derive(Clone)]
pub struct TraceExport {
    state: Arc<IngestState>,
    max_message_bytes: usize,
    gzip: EnabledCompressionEncodings,
}

/// The tonic service, wrapped so tonic's own refusals carry OTLP's codes.
pub fn service(state: IngestState) -> OtlpCodes<TraceExport> {
    let mut gzip = EnabledCompressionEncodings::default();
    gzip.enable(CompressionEncoding::Gzip);
    OtlpCodes(TraceExport {
        max_message_bytes: state.limits.max_decompressed_bytes,
        state: Arc::new(state),
        gzip,
    })
}

impl NamedService for TraceExport {
    const NAME: &'static str = "opentelemetry.proto.collector.trace.v1.TraceService";
}

impl<B> Service<HttpRequest<B>> for TraceExport
where
    B: HttpBody + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = HttpResponse<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Infallible>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        if request.uri().path() != EXPORT_PATH {
            let unknown = Status::unimplemented(format!(
                "{} is not a method of the trace service; it has one, Export",
                request.uri().path()
            ));
            return Box::pin(async { Ok(unknown.into_http()) });
        }
        let export = Export(Arc::clone(&self.state));
        let mut grpc = Grpc::new(MessageBytes)
            .apply_compression_config(self.gzip, self.gzip)
            .apply_max_message_size_config(Some(self.max_message_bytes), None);
        Box::pin(async move { Ok(grpc.unary(export, request).await) })
    }
}

/// One `Export` call: the message's bytes in, the partial-success answer
/// out.
struct Export(Arc<IngestState>);

impl UnaryService<Bytes> for Export {
    type Response = ExportTraceServiceResponse;
    type Future = BoxFuture<Response<ExportTraceServiceResponse>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let state = Arc::clone(&self.0);
        Box::pin(async move {
            match export(&state, request).await {
                Ok(response) => Ok(Response::new(response)),
                Err(error) => Err(refused(&state, error)),
            }
        })
    }
}

async fn export(
    state: &IngestState,
    request: Request<Bytes>,
) -> Result<ExportTraceServiceResponse, IngestError> {
    // The message's bytes were charged as they arrived; now what they
    // decode into. Held until the spans are queued.
    let charge = request.extensions().get::<SharedCharge>().cloned();
    let message = request.into_inner();
    if let Some(charge) = &charge {
        charge
            .grow(message.len().saturating_mul(DECODED_PER_BODY_BYTE))
            .await?;
    }
    let converted = otlp_protobuf::decode(
        &message,
        &state.layers,
        &state.span_window(),
        &state.span_limits,
    )?;
    drop(message);
    // tonic has already read the message; waiting here for queue room
    // still slows the client down instead of refusing it at once.
    let accepted = accept_converted(state, converted).await?;
    Ok(ExportTraceServiceResponse {
        // Set when spans were rejected, or (rejected 0) to warn.
        partial_success: (accepted.rejected_spans > 0 || accepted.message.is_some()).then(|| {
            ExportTracePartialSuccess {
                rejected_spans: accepted.rejected_spans as i64,
                error_message: accepted.message.unwrap_or_default(),
            }
        }),
    })
}

fn refused(state: &IngestState, error: IngestError) -> Status {
    // Counted by the HTTP status of the same refusal, so both transports
    // share one set of label values.
    state
        .metrics
        .request_refused(Receiver::OtlpGrpc, error.http_status());
    error.grpc_status()
}

/// Requests are handed over as their bytes, for `otlp_protobuf`; answers
/// are encoded by prost.
#[derive(Debug, Clone, Copy, Default)]
struct MessageBytes;

impl Codec for MessageBytes {
    type Encode = ExportTraceServiceResponse;
    type Decode = Bytes;
    type Encoder = MessageBytes;
    type Decoder = MessageBytes;

    fn encoder(&mut self) -> Self::Encoder {
        MessageBytes
    }

    fn decoder(&mut self) -> Self::Decoder {
        MessageBytes
    }
}

impl Decoder for MessageBytes {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Encoder for MessageBytes {
    type Item = ExportTraceServiceResponse;
    type Error = Status;

    fn encode(
        &mut self,
        item: ExportTraceServiceResponse,
        dst: &mut EncodeBuf<'_>,
    ) -> Result<(), Status> {
        item.encode(dst)
            .map_err(|error| Status::internal(format!("encoding the answer: {error}")))
    }
}

/// Rewrites the codes tonic answers before the handler runs, which OTLP
/// clients would misread: a message that does not decode (or decompress) is
/// `INTERNAL` (not retryable, but says the server broke) and becomes
/// `INVALID_ARGUMENT`; a message over the size limit is `OUT_OF_RANGE`,
/// which OTLP clients retry, and becomes `RESOURCE_EXHAUSTED` without
/// `RetryInfo`, which they must not. The handler itself never answers
/// either code (`IngestError::grpc_status`), so only tonic's are changed.
#[derive(Clone)]
pub struct OtlpCodes<S>(S);

impl<S: NamedService> NamedService for OtlpCodes<S> {
    const NAME: &'static str = S::NAME;
}

type Answer<B> = Result<HttpResponse<B>, Infallible>;

impl<S, B, R> Service<HttpRequest<B>> for OtlpCodes<S>
where
    S: Service<HttpRequest<ChargedBody<B>>, Response = HttpResponse<R>, Error = Infallible>,
    B: HttpBody,
{
    type Response = HttpResponse<R>;
    type Error = Infallible;
    type Future = Map<S::Future, fn(Answer<R>) -> Answer<R>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: HttpRequest<B>) -> Self::Future {
        // The message's bytes are charged to the decoding budget as they
        // arrive, and stay charged (through the extension) until the
        // handler has queued its spans.
        let charge = SharedCharge::new();
        let (mut parts, body) = request.into_parts();
        parts.extensions.insert(charge.clone());
        let request = HttpRequest::from_parts(parts, ChargedBody::new(body, charge));
        self.0.call(request).map(|answer| {
            answer.map(|mut response| {
                correct_code(response.headers_mut());
                response
            })
        })
    }
}

/// A refusal before the handler is a trailers-only response: its
/// `grpc-status` is a header.
fn correct_code(headers: &mut HeaderMap) {
    let code = headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i32>().ok())
        .map(Code::from_i32);
    let corrected = match code {
        Some(Code::Internal) => Code::InvalidArgument,
        Some(Code::OutOfRange) => Code::ResourceExhausted,
        _ => return,
    };
    headers.insert("grpc-status", HeaderValue::from(corrected as i32));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoder_codes_become_otlp_codes() {
        for (from, to) in [
            (Code::Internal, Code::InvalidArgument),
            (Code::OutOfRange, Code::ResourceExhausted),
            (Code::Unavailable, Code::Unavailable),
            (Code::Ok, Code::Ok),
        ] {
            let mut headers = HeaderMap::new();
            headers.insert("grpc-status", HeaderValue::from(from as i32));
            correct_code(&mut headers);
            assert_eq!(headers["grpc-status"], (to as i32).to_string(), "{from:?}");
        }
    }
}
