//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.
//! tonic decodes (and gunzips) the message; this only calls the domain, and
//! corrects the codes tonic gives input it could not read (`OtlpCodes`).

use std::convert::Infallible;
use std::task::{Context, Poll};

use futures_util::future::{FutureExt, Map};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::codegen::http::{
    HeaderMap, HeaderValue, Request as HttpRequest, Response as HttpResponse,
};
use tonic::codegen::Service;
use tonic::server::NamedService;
use tonic::{Code, Request, Response, Status};

use super::bounds::{ChargedBody, SharedCharge, DECODED_PER_BODY_BYTE};
use super::{accept_traces, IngestError, IngestState};
use crate::telemetry::Receiver;
use hyper::body::Body as HttpBody;
use prost::Message as _;

pub struct OtlpGrpc {
    state: IngestState,
}

/// The tonic service, with gzip both ways and the decompressed size limit.
pub fn service(state: IngestState) -> OtlpCodes<TraceServiceServer<OtlpGrpc>> {
    let limit = state.limits.max_decompressed_bytes;
    OtlpCodes(
        TraceServiceServer::new(OtlpGrpc { state })
            .accept_compressed(CompressionEncoding::Gzip)
            .send_compressed(CompressionEncoding::Gzip)
            .max_decoding_message_size(limit),
    )
}

#[tonic::async_trait]
impl TraceService for OtlpGrpc {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        // The body's bytes were charged as they arrived; now what they
        // decode into. Held until the spans are queued.
        let charge = request.extensions().get::<SharedCharge>().cloned();
        let message = request.into_inner();
        if let Some(charge) = &charge {
            let decoded = message.encoded_len().saturating_mul(DECODED_PER_BODY_BYTE);
            if let Err(error) = charge.grow(decoded).await {
                return Err(self.refused(error));
            }
        }
        // tonic has already read and decoded the message; waiting here
        // still slows the client down instead of refusing it at once.
        match accept_traces(&self.state, message).await {
            Ok(accepted) => Ok(Response::new(ExportTraceServiceResponse {
                // Set when spans were rejected, or (rejected 0) to warn.
                partial_success: (accepted.rejected_spans > 0 || accepted.message.is_some()).then(
                    || ExportTracePartialSuccess {
                        rejected_spans: accepted.rejected_spans as i64,
                        error_message: accepted.message.unwrap_or_default(),
                    },
                ),
            })),
            Err(error) => Err(self.refused(error)),
        }
    }
}

impl OtlpGrpc {
    fn refused(&self, error: IngestError) -> Status {
        // Counted by the HTTP status of the same refusal, so both
        // transports share one set of label values.
        self.state
            .metrics
            .request_refused(Receiver::OtlpGrpc, error.http_status());
        error.grpc_status()
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
