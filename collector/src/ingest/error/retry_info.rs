//! gRPC error details: `google.rpc.Status` carrying a `google.rpc.RetryInfo`,
//! sent as `grpc-status-details-bin`. OTLP clients retry `RESOURCE_EXHAUSTED`
//! only when it carries `RetryInfo`, and wait the delay it gives. The three
//! messages are small and stable, so they are declared here rather than
//! pulling in a crate of every Google API type.

use prost::Message;

/// `google.rpc.Status`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RpcStatus {
    #[prost(int32, tag = "1")]
    pub code: i32,
    #[prost(string, tag = "2")]
    pub message: String,
    #[prost(message, repeated, tag = "3")]
    pub details: Vec<ProtoAny>,
}

/// `google.protobuf.Any`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ProtoAny {
    #[prost(string, tag = "1")]
    pub type_url: String,
    #[prost(bytes = "vec", tag = "2")]
    pub value: Vec<u8>,
}

/// `google.rpc.RetryInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct RetryInfo {
    #[prost(message, optional, tag = "1")]
    pub retry_delay: Option<ProtoDuration>,
}

/// `google.protobuf.Duration`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct ProtoDuration {
    #[prost(int64, tag = "1")]
    pub seconds: i64,
    #[prost(int32, tag = "2")]
    pub nanos: i32,
}

pub(crate) const RETRY_INFO_TYPE: &str = "type.googleapis.com/google.rpc.RetryInfo";

/// A status telling the client to retry after `seconds`.
pub(crate) fn with_retry_info(code: tonic::Code, message: String, seconds: u64) -> tonic::Status {
    let retry = RetryInfo {
        retry_delay: Some(ProtoDuration {
            seconds: i64::try_from(seconds).unwrap_or(i64::MAX),
            nanos: 0,
        }),
    };
    let details = RpcStatus {
        code: code as i32,
        message: message.clone(),
        details: vec![ProtoAny {
            type_url: RETRY_INFO_TYPE.into(),
            value: retry.encode_to_vec(),
        }],
    };
    tonic::Status::with_details(code, message, details.encode_to_vec().into())
}

/// The retry delay a status carries, in seconds.
#[cfg(test)]
fn retry_delay_secs(status: &tonic::Status) -> Option<i64> {
    let details = RpcStatus::decode(status.details()).ok()?;
    details
        .details
        .iter()
        .find(|any| any.type_url == RETRY_INFO_TYPE)
        .and_then(|any| RetryInfo::decode(&any.value[..]).ok())
        .and_then(|info| info.retry_delay)
        .map(|delay| delay.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::IngestError;
    use crate::pipeline::SubmitError;
    use tonic::Code;

    #[test]
    fn retryable_refusals_carry_retry_info_and_final_ones_do_not() {
        let full = IngestError::Queue(SubmitError::Full {
            queued: 10,
            capacity: 10,
        })
        .grpc_status();
        assert_eq!(full.code(), Code::ResourceExhausted);
        assert_eq!(retry_delay_secs(&full), Some(1));
        let unavailable = IngestError::Unavailable("down".into()).grpc_status();
        assert_eq!(unavailable.code(), Code::Unavailable);
        assert_eq!(retry_delay_secs(&unavailable), Some(5));

        let too_large = IngestError::PayloadTooLarge("big".into()).grpc_status();
        assert_eq!(too_large.code(), Code::ResourceExhausted);
        assert_eq!(retry_delay_secs(&too_large), None, "not retryable");
        let bad = IngestError::BadRequest("bad".into()).grpc_status();
        assert_eq!(bad.code(), Code::InvalidArgument);
        assert_eq!(retry_delay_secs(&bad), None);
    }
}
