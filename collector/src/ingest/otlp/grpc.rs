//! OTLP/gRPC: each signal's `Export` (`TraceService/Export`, ...). tonic
//! reads the frames (and gunzips them) and hands over the message's bytes,
//! which the signal decodes in one pass as it does OTLP/HTTP bodies; this
//! only routes the method, calls the signal, and corrects the codes tonic
//! gives input it could not read (`OtlpCodes`). Its bounds (calls in
//! flight, the call deadline, the decoding budget) are `ingest::bounds`'.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::{Buf, Bytes};
use futures_util::future::{FutureExt, Map};
use std::marker::PhantomData;

use tonic::codec::{
    Codec, CompressionEncoding, DecodeBuf, Decoder, EnabledCompressionEncodings, EncodeBuf, Encoder,
};
use tonic::codegen::http::{
    HeaderMap, HeaderValue, Request as HttpRequest, Response as HttpResponse,
};
use tonic::codegen::{BoxFuture, Service, StdError};
use tonic::server::{Grpc, NamedService, UnaryService};
use tonic::{Code, Request, Response, Status};

use super::signal::Signal;
use super::Otlp;
use crate::ingest::bounds::{ChargedBody, SharedCharge, DECODED_PER_BODY_BYTE};
use crate::ingest::IngestError;
use crate::telemetry::Receiver;
use hyper::body::Body as HttpBody;

/// Signal `S`'s gRPC service: gzip both ways, messages up to the
/// decompressed size limit.
pub struct SignalService<S> {
    otlp: Otlp,
    max_message_bytes: usize,
    gzip: EnabledCompressionEncodings,
    signal: PhantomData<fn() -> S>,
}

impl<S> Clone for SignalService<S> {
    fn clone(&self) -> Self {
        Self {
            otlp: self.otlp.clone(),
            max_message_bytes: self.max_message_bytes,
            gzip: self.gzip,
            signal: PhantomData,
        }
    }
}

/// Signal `S`'s tonic service, wrapped so tonic's own refusals carry
/// OTLP's codes.
pub fn service<S: Signal>(otlp: Otlp) -> OtlpCodes<SignalService<S>> {
    let mut gzip = EnabledCompressionEncodings::default();
    gzip.enable(CompressionEncoding::Gzip);
    OtlpCodes(SignalService {
        max_message_bytes: otlp.config().max_decompressed_bytes,
        otlp,
        gzip,
        signal: PhantomData,
    })
}

impl<S: Signal> NamedService for SignalService<S> {
    const NAME: &'static str = S::GRPC_SERVICE;
}

impl<S: Signal, B> Service<HttpRequest<B>> for SignalService<S>
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
        let path = request.uri().path();
        let is_export = path
            .strip_prefix('/')
            .and_then(|path| path.strip_prefix(S::GRPC_SERVICE))
            .is_some_and(|method| method == "/Export");
        if !is_export {
            let unknown = Status::unimplemented(format!(
                "{path} is not a method of {}; it has one, Export",
                S::GRPC_SERVICE
            ));
            return Box::pin(async { Ok(unknown.into_http()) });
        }
        let export = Export::<S>(Arc::new(self.otlp.clone()), PhantomData);
        let mut grpc = Grpc::new(MessageBytes::<S::Response>(PhantomData))
            .apply_compression_config(self.gzip, self.gzip)
            .apply_max_message_size_config(Some(self.max_message_bytes), None);
        Box::pin(async move { Ok(grpc.unary(export, request).await) })
    }
}

/// One `Export` call: the message's bytes in, the partial-success answer
/// out.
struct Export<S>(Arc<Otlp>, PhantomData<fn() -> S>);

impl<S: Signal> UnaryService<Bytes> for Export<S> {
    type Response = S::Response;
    type Future = BoxFuture<Response<S::Response>, Status>;

    fn call(&mut self, request: Request<Bytes>) -> Self::Future {
        let otlp = Arc::clone(&self.0);
        Box::pin(async move {
            match export::<S>(&otlp, request).await {
                Ok(response) => Ok(Response::new(response)),
                Err(error) => Err(refused(&otlp, error)),
            }
        })
    }
}

async fn export<S: Signal>(
    otlp: &Otlp,
    request: Request<Bytes>,
) -> Result<S::Response, IngestError> {
    // The message's bytes were charged as they arrived; now what they
    // decode into. Held until the spans are queued.
    let charge = request.extensions().get::<SharedCharge>().cloned();
    let message = request.into_inner();
    if let Some(charge) = &charge {
        charge
            .grow(message.len().saturating_mul(DECODED_PER_BODY_BYTE))
            .await?;
    }
    let judged = S::decode_protobuf(otlp, &message)?;
    drop(message);
    // tonic has already read the message; waiting here for queue room
    // still slows the client down instead of refusing it at once.
    let accepted = S::accept(otlp, judged).await?;
    Ok(S::response(accepted))
}

fn refused(otlp: &Otlp, error: IngestError) -> Status {
    // Counted by the HTTP status of the same refusal, so both transports
    // share one set of label values.
    otlp.stats()
        .request_refused(Receiver::OtlpGrpc, error.http_status());
    error.grpc_status()
}

/// Requests are handed over as their bytes, for the signal's one-pass
/// decoder; answers (`R`) are encoded by prost.
struct MessageBytes<R>(PhantomData<fn() -> R>);

impl<R: prost::Message + Default + Send + 'static> Codec for MessageBytes<R> {
    type Encode = R;
    type Decode = Bytes;
    type Encoder = MessageBytes<R>;
    type Decoder = MessageBytes<R>;

    fn encoder(&mut self) -> Self::Encoder {
        MessageBytes(PhantomData)
    }

    fn decoder(&mut self) -> Self::Decoder {
        MessageBytes(PhantomData)
    }
}

impl<R: Send + 'static> Decoder for MessageBytes<R> {
    type Item = Bytes;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl<R: prost::Message + Send + 'static> Encoder for MessageBytes<R> {
    type Item = R;
    type Error = Status;

    fn encode(&mut self, item: R, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
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
