//! OTLP traces, protobuf and JSON: any bytes decode or are refused without
//! a panic and within a bound on memory; every span of a decodable request
//! is either kept or counted as rejected; JSON and protobuf agree.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use proptest::collection::vec;
use proptest::prelude::*;
use prost::Message;

use super::meter::peak_bytes;
use super::strategies::{damaged, json_with_keys, request};
use super::{config, converted, decoded, MAX_INPUT};
use crate::ingest::otlp::traces::reference::convert_request;
use crate::ingest::otlp::traces::{json as otlp_json, protobuf as otlp_protobuf, ConvertedTraces};

/// Decoded spans hold more than their bytes (a 3-byte `{},` in an array
/// is a 32-byte value, grown by doubling), so the bound is linear with a
/// generous factor; what it catches is memory driven by a declared length
/// or growing faster than the input.
const BYTES_PER_INPUT_BYTE: usize = 96;
const BASE_BYTES: usize = 256 << 10;

pub(super) fn bound(input: usize) -> usize {
    BASE_BYTES + BYTES_PER_INPUT_BYTE * input
}

/// Through the generated types, as gRPC requests are decoded.
fn protobuf(body: &[u8]) -> Option<ConvertedTraces> {
    converted::<ExportTraceServiceRequest, _>(convert_request, body)
}

/// In one pass, as OTLP/HTTP protobuf bodies are decoded.
fn protobuf_one_pass(body: &[u8]) -> Option<ConvertedTraces> {
    decoded(otlp_protobuf::decode, body)
}

/// Both protobuf decoders refuse the same bodies and, from the others,
/// keep the same spans and say the same things.
fn assert_protobuf_decoders_agree(body: &[u8]) -> Result<(), TestCaseError> {
    let generated = protobuf(body);
    let one_pass = protobuf_one_pass(body);
    prop_assert_eq!(
        generated.is_some(),
        one_pass.is_some(),
        "decodes either way"
    );
    if let (Some(generated), Some(one_pass)) = (generated, one_pass) {
        prop_assert_eq!(&one_pass.spans, &generated.spans);
        prop_assert_eq!(one_pass.rejected(), generated.rejected());
        prop_assert_eq!(one_pass.dropped_links, generated.dropped_links);
        prop_assert_eq!(one_pass.message(), generated.message());
        prop_assert_eq!(one_pass.truncated, generated.truncated);
    }
    Ok(())
}

fn json(body: &[u8]) -> Option<ConvertedTraces> {
    decoded(otlp_json::decode, body)
}

fn span_count(request: &ExportTraceServiceRequest) -> usize {
    request
        .resource_spans
        .iter()
        .flat_map(|rs| &rs.scope_spans)
        .map(|ss| ss.spans.len())
        .sum()
}

/// The keys the JSON decoder knows, in both spellings, plus a stranger.
const OTLP_KEYS: &[&str] = &[
    "resourceSpans",
    "resource_spans",
    "resource",
    "attributes",
    "scopeSpans",
    "scope_spans",
    "scope",
    "name",
    "version",
    "spans",
    "traceId",
    "spanId",
    "parentSpanId",
    "parent_span_id",
    "traceState",
    "kind",
    "startTimeUnixNano",
    "endTimeUnixNano",
    "events",
    "links",
    "status",
    "code",
    "message",
    "timeUnixNano",
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
    "instrumentationLibrarySpans",
    "droppedAttributesCount",
    "unknownField",
];

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn any_bytes_as_protobuf(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| protobuf(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
    }

    #[test]
    fn any_bytes_as_protobuf_in_one_pass(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn any_bytes_as_json(body in vec(any::<u8>(), 0..MAX_INPUT)) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()), "{peak} bytes for {} in", body.len());
    }
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn every_protobuf_span_is_kept_or_counted(request in request()) {
        let total = span_count(&request);
        let converted = protobuf(&request.encode_to_vec()).expect("a valid encoding decodes");
        prop_assert_eq!(converted.spans.len() as u64 + converted.rejected(), total as u64);
        // A rejection or a dropped link always comes with words.
        prop_assert_eq!(
            converted.message().is_some(),
            converted.rejected() > 0 || converted.dropped_links > 0
        );
    }

    #[test]
    fn json_decodes_what_protobuf_decodes(request in request()) {
        // The generated types' serde output is OTLP JSON (hex ids, int64 as
        // strings): the one-pass decoder must reach the same spans.
        let body = serde_json::to_vec(&request).expect("serializes");
        let from_protobuf = protobuf(&request.encode_to_vec()).expect("decodes");
        let from_json = json(&body).expect("OTLP JSON decodes");
        prop_assert_eq!(&from_json.spans, &from_protobuf.spans);
        prop_assert_eq!(from_json.rejected(), from_protobuf.rejected());
        prop_assert_eq!(from_json.dropped_links, from_protobuf.dropped_links);
    }

    #[test]
    fn damaged_protobuf(body in request().prop_flat_map(|r| damaged(r.encode_to_vec()))) {
        let (_, peak) = peak_bytes(|| protobuf(&body));
        prop_assert!(peak <= bound(body.len()));
    }

    #[test]
    fn protobuf_decoders_agree(request in request()) {
        assert_protobuf_decoders_agree(&request.encode_to_vec())?;
    }

    #[test]
    fn protobuf_decoders_agree_on_damaged_bodies(body in request().prop_flat_map(|r| damaged(r.encode_to_vec()))) {
        let (_, peak) = peak_bytes(|| protobuf_one_pass(&body));
        prop_assert!(peak <= bound(body.len()));
        assert_protobuf_decoders_agree(&body)?;
    }

    #[test]
    fn damaged_json(body in request().prop_flat_map(|r| damaged(serde_json::to_vec(&r).unwrap_or_default()))) {
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }

    #[test]
    fn json_in_otlp_words(document in json_with_keys(OTLP_KEYS)) {
        let body = serde_json::to_vec(&document).unwrap_or_default();
        let (_, peak) = peak_bytes(|| json(&body));
        prop_assert!(peak <= bound(body.len()));
    }
}

/// Jamstack-shaped requests, as the benchmarks send them.
#[path = "../../benches/common/mod.rs"]
mod jamstack;

#[test]
fn decoding_stays_within_what_the_budget_charges() {
    use crate::ingest::bounds::DECODED_PER_BODY_BYTE;
    let request = jamstack::request(1000);
    let protobuf_body = request.encode_to_vec();
    let json_body = serde_json::to_vec(&request).expect("OTLP JSON");
    for (format, body, decode) in [
        (
            "protobuf",
            &protobuf_body,
            protobuf as fn(&[u8]) -> Option<ConvertedTraces>,
        ),
        ("protobuf in one pass", &protobuf_body, protobuf_one_pass),
        ("json", &json_body, json),
    ] {
        let (converted, peak) = peak_bytes(|| decode(body));
        let spans = converted.map_or(0, |c| c.spans.len());
        assert_eq!(spans, 1000, "{format}");
        assert!(
            peak <= DECODED_PER_BODY_BYTE * body.len(),
            "{format}: decoding {} bytes peaked at {peak} (x{:.1})",
            body.len(),
            peak as f64 / body.len() as f64
        );
    }
}
