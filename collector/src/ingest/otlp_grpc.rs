//! OTLP/gRPC: `opentelemetry.proto.collector.trace.v1.TraceService/Export`.
//! tonic decodes (and gunzips) the message; this only calls the domain.

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use tonic::codec::CompressionEncoding;
use tonic::{Request, Response, Status};

use super::{accept_traces, IngestState};
use crate::telemetry::Receiver;

pub struct OtlpGrpc {
    state: IngestState,
}

/// The tonic service, with gzip both ways and the decompressed size limit.
pub fn service(state: IngestState) -> TraceServiceServer<OtlpGrpc> {
    let limit = state.limits.max_decompressed_bytes;
    TraceServiceServer::new(OtlpGrpc { state })
        .accept_compressed(CompressionEncoding::Gzip)
        .send_compressed(CompressionEncoding::Gzip)
        .max_decoding_message_size(limit)
}

#[tonic::async_trait]
impl TraceService for OtlpGrpc {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        // tonic has already read and decoded the message; waiting here
        // still slows the client down instead of refusing it at once.
        match accept_traces(&self.state, request.into_inner()).await {
            Ok(accepted) => Ok(Response::new(ExportTraceServiceResponse {
                partial_success: (accepted.rejected_spans > 0).then(|| ExportTracePartialSuccess {
                    rejected_spans: accepted.rejected_spans as i64,
                    error_message: accepted.rejection_reason.unwrap_or_default(),
                }),
            })),
            Err(error) => {
                // Counted by the HTTP status of the same refusal, so both
                // transports share one set of label values.
                self.state
                    .metrics
                    .request_refused(Receiver::OtlpGrpc, error.http_status());
                Err(error.grpc_status())
            }
        }
    }
}
