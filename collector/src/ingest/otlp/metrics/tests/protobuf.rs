//! The one-pass protobuf decoder: what prost reads, it reads alike,
//! including what encoders rarely do (merged messages, unpacked numbers).

use prost::Message;

use super::{every_kind, reference, request_of, shown, window, T};
use crate::ingest::otlp::metrics::protobuf::decode;
use crate::ingest::otlp::metrics::ConvertedMetrics;
use crate::model::datapoint::{Number, Temporality};
use crate::model::{AttributeValue, Layer, LayerRules};

fn decoded(body: &[u8]) -> ConvertedMetrics {
    decode(body, &LayerRules::default(), &window()).expect("decodes")
}

#[test]
fn every_kind_decodes_like_the_reference() {
    let request = request_of(every_kind());
    let one_pass = decoded(&request.encode_to_vec());
    let generated = reference(request);
    assert_eq!(shown(&one_pass), shown(&generated));
    assert_eq!(one_pass.rejected(), 0, "{:?}", one_pass.message());
    let points = &one_pass.points;
    assert_eq!(points.len(), 5);
    let gauge = &points.gauges[0];
    assert_eq!(gauge.metric.name, "pool.usage");
    assert_eq!(gauge.producer.resource.service_name, "cms");
    assert_eq!(gauge.producer.resource.layer, Layer::Cms);
    assert_eq!(gauge.producer.scope_dropped_attributes, 3);
    assert_eq!(
        gauge.producer.scope_attributes,
        [("lib".to_owned(), AttributeValue::String("x".into()))]
    );
    assert_eq!(
        gauge.producer.scope_schema_url,
        "https://opentelemetry.io/schemas/1.30.0"
    );
    assert_eq!(gauge.exemplars[0].trace_id.map(|t| t.0), Some([7; 16]));
    let sum = &points.sums[0].value;
    assert_eq!(sum.value, Number::Int(42));
    assert_eq!(sum.temporality, Temporality::Cumulative);
    assert!(sum.monotonic);
    let histogram = &points.histograms[0];
    assert_eq!(histogram.value.bucket_counts, [1, 2, 3]);
    assert_eq!(
        histogram.exemplars[0].span_id, None,
        "an exemplar without a span id"
    );
    let exponential = &points.exponential_histograms[0].value;
    assert_eq!(exponential.scale, -2);
    assert_eq!(exponential.positive.offset, -3);
    assert_eq!(points.summaries[0].value.quantiles.len(), 2);
    assert_eq!(points.summaries[0].time_unix_nanos, T);
}

#[test]
fn a_kind_sent_twice_merges_and_another_kind_replaces_it() {
    let mut kinds = every_kind();
    let summary = kinds.pop().unwrap();
    let sum = kinds.swap_remove(1);
    let mut body = Vec::new();
    // One metric message with: sum, the same sum again (merged: two
    // points), then the name again last.
    let mut metric = sum.encode_to_vec();
    let data = sum.data.clone().unwrap();
    let mut again = opentelemetry_proto::tonic::metrics::v1::Metric {
        data: Some(data),
        ..Default::default()
    }
    .encode_to_vec();
    metric.append(&mut again);
    prost::encoding::string::encode(1, &"requests.total".to_owned(), &mut metric);
    let mut scope = Vec::new();
    prost::encoding::bytes::encode(2, &metric, &mut scope);
    // And a second metric: a summary, then a gauge of the same message:
    // the gauge replaces it.
    let mut replaced = summary.encode_to_vec();
    replaced.append(&mut kinds[0].clone().encode_to_vec());
    prost::encoding::bytes::encode(2, &replaced, &mut scope);
    let mut resource = Vec::new();
    prost::encoding::bytes::encode(2, &scope, &mut resource);
    prost::encoding::bytes::encode(1, &resource, &mut body);

    let one_pass = decoded(&body);
    let generated = reference(
        opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest::decode(
            &body[..],
        )
        .unwrap(),
    );
    assert_eq!(shown(&one_pass), shown(&generated));
    assert_eq!(one_pass.points.sums.len(), 2);
    assert_eq!(one_pass.points.sums[0].metric.name, "requests.total");
    assert_eq!(one_pass.points.summaries.len(), 0);
    assert_eq!(one_pass.points.gauges.len(), 1);
}

#[test]
fn bucket_counts_may_come_unpacked() {
    // HistogramDataPoint with count 3, bucket counts 1 and 2 as two
    // unpacked fixed64 fields, one bound.
    let mut point = Vec::new();
    prost::encoding::fixed64::encode(3, &T, &mut point);
    prost::encoding::fixed64::encode(4, &3, &mut point);
    prost::encoding::fixed64::encode(6, &1, &mut point);
    prost::encoding::fixed64::encode(6, &2, &mut point);
    prost::encoding::double::encode(7, &10.0, &mut point);
    let mut histogram = Vec::new();
    prost::encoding::bytes::encode(1, &point, &mut histogram);
    prost::encoding::int32::encode(2, &2, &mut histogram);
    let mut metric = Vec::new();
    prost::encoding::string::encode(1, &"h".to_owned(), &mut metric);
    prost::encoding::bytes::encode(9, &histogram, &mut metric);
    let mut scope = Vec::new();
    prost::encoding::bytes::encode(2, &metric, &mut scope);
    let mut resource = Vec::new();
    prost::encoding::bytes::encode(2, &scope, &mut resource);
    let mut body = Vec::new();
    prost::encoding::bytes::encode(1, &resource, &mut body);
    let one_pass = decoded(&body);
    assert_eq!(one_pass.points.histograms[0].value.bucket_counts, [1, 2]);
    assert_eq!(one_pass.points.histograms[0].value.explicit_bounds, [10.0]);
}

#[test]
fn refusals_name_the_field() {
    let mut body = request_of(every_kind()).encode_to_vec();
    // The second metric's name ("requests") made not UTF-8.
    let at = body
        .windows(8)
        .position(|w| w == b"requests")
        .expect("the name");
    body[at] = 0xff;
    let error = decode(&body, &LayerRules::default(), &window())
        .expect_err("refused")
        .to_string();
    assert!(
        error.ends_with(
            "ExportMetricsServiceRequest: resource_metrics[0].scope_metrics[0].metrics[1].name: string is not UTF-8"
        ),
        "{error}"
    );
    assert!(decode(&[], &LayerRules::default(), &window())
        .unwrap()
        .points
        .is_empty());
}
