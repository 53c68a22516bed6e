//! OTLP/JSON log requests (`ExportLogsServiceRequest`) decoded in one pass
//! on `otlp::json`'s scaffold: `request` the envelope (resource logs,
//! scope logs), `record` log records and how JSON sends their ids and
//! severity ([`record::Json`]). Every record ends in
//! `judge::judge_log_record`, as in the protobuf path.

mod record;
mod request;

use super::judge::ConvertedLogs;
use crate::ingest::IngestError;
use crate::model::{LayerRules, SpanLimits, TimeWindow};

/// What decoding a log request keeps: the rules records are judged by,
/// and what has been judged so far.
pub(crate) struct LogState<'a> {
    layers: &'a LayerRules,
    window: &'a TimeWindow,
    out: ConvertedLogs,
}

/// Decodes one `ExportLogsServiceRequest` in OTLP/JSON. An empty body is
/// an empty request (OTLP: answer success).
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> Result<ConvertedLogs, IngestError> {
    let state = LogState {
        layers,
        window,
        out: ConvertedLogs::new(limits, 0),
    };
    crate::ingest::otlp::json::decode::<_, request::Request>(body, state, "OTLP JSON")
        .map(|state| state.out)
}
