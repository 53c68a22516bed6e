//! OTLP logs, protobuf and JSON: any bytes decode or are refused without
//! a panic and within a bound on memory; the one-pass protobuf decoder
//! agrees with the generated types; every record of a decodable request
//! is either kept or counted as rejected; JSON and protobuf agree.

use opentelemetry_proto::tonic::collector::logs::v1::ExportLogsServiceRequest;
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

use super::meter::peak_bytes;
use super::otlp::bound;
use super::strategies::{damaged, json_with_keys, log_request};
use super::{config, converted, decoded, MAX_INPUT};
use crate::ingest::otlp::logs::reference::convert_request;
use crate::ingest::otlp::logs::{json as otlp_json, protobuf as otlp_protobuf, ConvertedLogs};

/// Through the generated types, as the reference.
fn protobuf(body: &[u8]) -> Option<ConvertedLogs> {
    converted::<ExportLogsServiceRequest, _>(convert_request, body)
}

/// In one pass, as OTLP/HTTP and gRPC bodies are decoded.
fn protobuf_one_pass(body: &[u8]) -> Option<ConvertedLogs> {
    decoded(otlp_protobuf::decode, body)
}

fn json(body: &[u8]) -> Option<ConvertedLogs> {
    decoded(otlp_json::decode, body)
}

/// Both protobuf decoders refuse the same bodies and, from the others,
/// keep the same records and say the same things.
fn assert_protobuf_decoders_agree(body: &[u8]) -> Result<(), TestCaseError> {
    let generated = protobuf(body);
    let one_pass = protobuf_one_pass(body);
    prop_assert_eq!(
        generated.is_some(),
        one_pass.is_some(),
        "decodes either way"
    );
    if let (Some(generated), Some(one_pass)) = (generated, one_pass) {
        prop_assert_eq!(&one_pass.records, &generated.records);
        prop_assert_eq!(one_pass.rejected(), generated.rejected());
        prop_assert_eq!(one_pass.message(), generated.message());
        prop_assert_eq!(one_pass.truncated, generated.truncated);
    }
    Ok(())
}

fn record_count(request: &ExportLogsServiceRequest) -> usize {
    request
        .resource_logs
        .iter()
        .flat_map(|rl| &rl.scope_logs)
        .map(|sl| sl.log_records.len())
        .sum()
}

/// The keys the JSON decoder knows, in both spellings, plus a stranger.
const OTLP_LOG_KEYS: &[&str] = &[
    "resourceLogs",
    "resource_logs",
    "resource",
    "attributes",
    "scopeLogs",
    "scope_logs",
    "scope",
    "schemaUrl",
    "name",
    "version",
    "logRecords",
    "log_records",
    "timeUnixNano",
    "observedTimeUnixNano",
    "severityNumber",
    "severityText",
    "body",
    "droppedAttributesCount",
    "flags",
    "traceId",
    "spanId",
    "eventName",
    "key",
    "value",
    "stringValue",
    "boolValue",
    "intValue",
    "doubleValue",
    "bytesValue",
    "arrayValue",
    "kvlistValue",
    "values",
    "unknownField",
];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_bytes_as_log_protobuf_in_one_pass(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn any_bytes_as_log_json(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn every_protobuf_log_record_is_kept_or_counted(request in log_request()) {
        let total = record_count(&request);
        let converted = protobuf_one_pass(&request.encode_to_vec()).expect("a valid encoding decodes");
        prop_assert_eq!(converted.records.len() as u64 + converted.rejected(), total as u64);
        // A rejection always comes with words.
        prop_assert_eq!(converted.message().is_some(), converted.rejected() > 0);
    }

    #[test]
    fn log_json_decodes_what_protobuf_decodes(request in log_request()) {
        // The generated types' serde output is OTLP JSON (hex ids, 64-bit
        // integers as strings): the one-pass decoder must reach the same
        // records.
        let body = serde_json::to_vec(&request).expect("serializes");
        let from_protobuf = protobuf_one_pass(&request.encode_to_vec()).expect("decodes");
        let from_json = json(&body).expect("OTLP JSON decodes");
        prop_assert_eq!(&from_json.records, &from_protobuf.records);
        prop_assert_eq!(from_json.rejected(), from_protobuf.rejected());
    }

    #[test]
    fn log_protobuf_decoders_agree(request in log_request()) {
        assert_protobuf_decoders_agree(&request.encode_to_vec())?;
    }

    #[test]
    fn log_protobuf_decoders_agree_on_damaged_bodies(body in log_request().prop_flat_map(|r| damaged(r.encode_to_vec()))) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()));
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn damaged_log_json(body in log_request().prop_flat_map(|r| damaged(serde_json::to_vec(&r).unwrap_or_default()))) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }

    #[test]
    fn json_in_otlp_log_words(document in json_with_keys(OTLP_LOG_KEYS)) {
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }
}
