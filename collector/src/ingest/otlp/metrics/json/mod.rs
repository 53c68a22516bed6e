//! OTLP/JSON metric requests (`ExportMetricsServiceRequest`) decoded in
//! one pass on `otlp::json`'s scaffold: `request` the envelope (resource
//! metrics, scope metrics), `metric` a metric and its kind, `point` the
//! data points with their exemplars. Every metric ends in
//! `judge::judge_metric`, as in the protobuf path, once its resource group
//! closes (JSON keys come in any order).

mod metric;
mod point;
mod request;

use super::judge::ConvertedMetrics;
use crate::ingest::IngestError;
use crate::model::{LayerRules, TimeWindow};

/// What decoding a metric request keeps: the rules points are judged by,
/// and what has been judged so far.
pub(crate) struct MetricState<'a> {
    layers: &'a LayerRules,
    window: &'a TimeWindow,
    out: ConvertedMetrics,
}

/// Decodes one `ExportMetricsServiceRequest` in OTLP/JSON. An empty body
/// is an empty request (OTLP: answer success).
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
) -> Result<ConvertedMetrics, IngestError> {
    let state = MetricState {
        layers,
        window,
        out: ConvertedMetrics::default(),
    };
    crate::ingest::otlp::json::decode::<_, request::Request>(body, state, "OTLP JSON")
        .map(|state| state.out)
}
