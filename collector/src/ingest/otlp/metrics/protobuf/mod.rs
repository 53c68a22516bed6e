//! OTLP protobuf metric requests (OTLP/HTTP bodies and OTLP/gRPC
//! messages) decoded in one pass, straight into domain points: the
//! envelope here (request, resource, scope, metric), the data and its
//! points in `points.rs`.
//!
//! It accepts exactly what `prost` and the reference conversion accept
//! and ends in the same judgement (`judge::judge_metric`); a property test
//! decodes generated and damaged bodies both ways and compares. As in
//! `prost`, a singular message field sent twice merges into the first
//! (a metric's `sum` sent twice is one sum with the points of both; a
//! different kind replaces the earlier one), scalars keep their last value,
//! repeated numbers may come packed or not, unknown fields are skipped and
//! strings must be UTF-8.
//!
//! Resources and scopes are read before their metrics even when they come
//! after them on the wire (a second look over the message), so each point
//! gets its producer in one pass. A metric's name may follow its data, so
//! its points are judged when the metric's message ends.

mod points;

use std::sync::Arc;

use super::judge::{judge_metric, producer, ConvertedMetrics, RawMetric};
use crate::ingest::otlp::protobuf::{
    attributes_field, resource_group, scope_group, Reader, WireResult,
};
use crate::ingest::IngestError;
use crate::model::datapoint::Producer;
use crate::model::{Attributes, LayerRules, TimeWindow};

/// Decodes one `ExportMetricsServiceRequest`. A body that is not one is
/// refused whole (400) with the path of the offending field; points that
/// are well-formed but wrong are rejected one by one.
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
) -> Result<ConvertedMetrics, IngestError> {
    let mut decoder = Decoder {
        layers,
        window,
        out: ConvertedMetrics::default(),
    };
    match decoder.request(Reader::new(body)) {
        Ok(()) => Ok(decoder.out),
        Err(error) => Err(IngestError::BadRequest(format!(
            "body is not a valid OTLP protobuf ExportMetricsServiceRequest: {error}"
        ))),
    }
}

struct Decoder<'r> {
    layers: &'r LayerRules,
    window: &'r TimeWindow,
    out: ConvertedMetrics,
}

impl Decoder<'_> {
    /// `ExportMetricsServiceRequest`, depth 0.
    fn request(&mut self, mut r: Reader<'_>) -> WireResult<()> {
        let mut index = 0;
        while !r.is_empty() {
            match r.key()? {
                (1, wt) => {
                    let message = r.message(wt, 1)?;
                    self.resource_metrics(message)
                        .map_err(|e| e.within("resource_metrics", Some(index)))?;
                    index += 1;
                }
                (tag, wt) => r.skip(tag, wt, 0)?,
            }
        }
        Ok(())
    }

    /// `ResourceMetrics`, depth 1: its resource and schema URL first, then
    /// its scopes.
    fn resource_metrics(&mut self, message: Reader<'_>) -> WireResult<()> {
        let (attributes, schema_url) = resource_group(message)?;
        let resource = Resource {
            attributes,
            schema_url,
        };
        message.each_message(2, 2, "scope_metrics", |m| self.scope_metrics(m, &resource))
    }

    /// `ScopeMetrics`, depth 2: its scope and schema URL first, then its
    /// metrics.
    fn scope_metrics(&mut self, message: Reader<'_>, resource: &Resource) -> WireResult<()> {
        let producer = producer(
            resource.attributes.clone(),
            resource.schema_url.clone(),
            scope_group(message)?,
            self.layers,
        );
        message.each_message(2, 3, "metrics", |m| self.metric(m, &producer))
    }

    /// `Metric`, depth 3, judged once its message ends (its name may
    /// follow its data).
    fn metric(&mut self, mut r: Reader<'_>, producer: &Arc<Producer>) -> WireResult<()> {
        let mut metric = RawMetric::default();
        while !r.is_empty() {
            match r.key()? {
                (1, wt) => metric.name = r.string(wt).map_err(|e| e.within("name", None))?,
                (2, wt) => {
                    metric.description = r.string(wt).map_err(|e| e.within("description", None))?
                }
                (3, wt) => metric.unit = r.string(wt).map_err(|e| e.within("unit", None))?,
                (tag @ (5 | 7 | 9 | 10 | 11), wt) => {
                    points::data(tag, r.message(wt, 4)?, &mut metric.data)?
                }
                // Metadata is not stored, but is checked like any attribute.
                (12, wt) => attributes_field(&mut r, wt, 4, &mut Attributes::new())
                    .map_err(|e| e.within("metadata", None))?,
                (tag, wt) => r.skip(tag, wt, 3)?,
            }
        }
        judge_metric(metric, producer, self.window, &mut self.out);
        Ok(())
    }
}

/// A resource as the metric tables keep it, before its scopes are read.
struct Resource {
    attributes: Attributes,
    schema_url: String,
}
