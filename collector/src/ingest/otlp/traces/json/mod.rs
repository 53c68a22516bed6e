//! OTLP/JSON trace requests (`ExportTraceServiceRequest`) decoded in one
//! pass on `otlp::json`'s scaffold: `request` the envelope (resource spans,
//! scope spans), `span` spans with their events, links and status, and how
//! JSON sends ids and enums ([`span::Json`]). Every span ends in
//! `judge::judge_span`, as in the protobuf path.

mod request;
pub(crate) mod span;

use super::judge::ConvertedTraces;
use crate::ingest::IngestError;
use crate::model::{LayerRules, SpanLimits, TimeWindow};

/// What decoding a trace request keeps: the rules spans are judged by, and
/// what has been judged so far.
pub(crate) struct TraceState<'a> {
    layers: &'a LayerRules,
    window: &'a TimeWindow,
    out: ConvertedTraces,
}

/// Decodes one `ExportTraceServiceRequest` in OTLP/JSON. An empty body is
/// an empty request (OTLP: answer success).
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> Result<ConvertedTraces, IngestError> {
    let state = TraceState {
        layers,
        window,
        out: ConvertedTraces::new(limits, 0),
    };
    crate::ingest::otlp::json::decode::<_, request::Request>(body, state, "OTLP JSON")
        .map(|state| state.out)
}
