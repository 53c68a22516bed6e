//! How each case's request goes out, and how its answer's message is read:
//! per endpoint, the place that endpoint puts its words.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use prost::Message;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::Status;

use crate::harness::{block_on, Collector};
use crate::payload::RpcStatus;

/// One request of the table.
pub enum Request {
    Http {
        method: &'static str,
        path: String,
        headers: Vec<(&'static str, String)>,
        body: Vec<u8>,
    },
    /// The bytes of one `TraceService/Export` message, sent as they are.
    Grpc(Vec<u8>),
    /// A message to another method of the trace service.
    GrpcMethod(&'static str, Vec<u8>),
}

/// What came back: the HTTP status (or the gRPC code) and the message.
pub struct Reply {
    pub status: u16,
    pub message: String,
}

pub fn send(collector: &Collector, request: &Request) -> Reply {
    match request {
        Request::Http {
            method,
            path,
            headers,
            body,
        } => http(collector, method, path, headers, body.clone()),
        Request::Grpc(message) => grpc(collector, "Export", message.clone()),
        Request::GrpcMethod(method, message) => grpc(collector, method, message.clone()),
    }
}

fn http(
    collector: &Collector,
    method: &str,
    path: &str,
    headers: &[(&'static str, String)],
    body: Vec<u8>,
) -> Reply {
    block_on(async {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut request = reqwest::Client::new()
            .request(method, format!("{}{path}", collector.http_url()))
            .body(body);
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("collector answers");
        let status = response.status().as_u16();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let body = response.bytes().await.expect("body").to_vec();
        Reply {
            status,
            message: message(path, status, &content_type, &body),
        }
    })
}

/// OTLP answers in the request's encoding (a `google.rpc.Status` or the
/// partial success); the other endpoints answer `{"error": "..."}`.
fn message(path: &str, status: u16, content_type: &str, body: &[u8]) -> String {
    let otlp = path.starts_with("/v1/traces");
    if content_type.starts_with("application/x-protobuf") {
        if status == 200 {
            return ExportTraceServiceResponse::decode(body)
                .expect("ExportTraceServiceResponse")
                .partial_success
                .map(|p| p.error_message)
                .unwrap_or_default();
        }
        return RpcStatus::decode(body).expect("google.rpc.Status").message;
    }
    if content_type.starts_with("application/json") {
        let value: serde_json::Value = serde_json::from_slice(body).expect("JSON body");
        let text = match (otlp, status) {
            (true, 200) => &value["partialSuccess"]["errorMessage"],
            (true, _) => &value["message"],
            (false, _) => &value["error"],
        };
        return text.as_str().unwrap_or_default().to_owned();
    }
    String::from_utf8_lossy(body).into_owned()
}

fn grpc(collector: &Collector, method: &str, message: Vec<u8>) -> Reply {
    block_on(async {
        let channel = tonic::transport::Endpoint::from_shared(collector.grpc_url())
            .expect("endpoint")
            .connect()
            .await
            .expect("gRPC connects");
        let mut client = tonic::client::Grpc::new(channel);
        client.ready().await.expect("ready");
        let path = tonic::codegen::http::uri::PathAndQuery::try_from(format!(
            "/opentelemetry.proto.collector.trace.v1.TraceService/{method}"
        ))
        .expect("gRPC path");
        match client.unary(tonic::Request::new(message), path, Raw).await {
            Ok(response) => Reply {
                status: 0,
                message: ExportTraceServiceResponse::decode(&response.into_inner()[..])
                    .expect("ExportTraceServiceResponse")
                    .partial_success
                    .map(|p| p.error_message)
                    .unwrap_or_default(),
            },
            Err(status) => Reply {
                status: status.code() as u16,
                message: status.message().to_owned(),
            },
        }
    })
}

/// A codec that sends and receives message bytes untouched, so a case can
/// send what no generated client would.
#[derive(Clone, Copy)]
struct Raw;

impl Codec for Raw {
    type Encode = Vec<u8>;
    type Decode = Vec<u8>;
    type Encoder = Raw;
    type Decoder = Raw;

    fn encoder(&mut self) -> Raw {
        Raw
    }

    fn decoder(&mut self) -> Raw {
        Raw
    }
}

impl Encoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn encode(&mut self, item: Vec<u8>, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        bytes::BufMut::put_slice(dst, &item);
        Ok(())
    }
}

impl Decoder for Raw {
    type Item = Vec<u8>;
    type Error = Status;

    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Vec<u8>>, Status> {
        let mut out = vec![0; bytes::Buf::remaining(src)];
        bytes::Buf::copy_to_slice(src, &mut out);
        Ok(Some(out))
    }
}
