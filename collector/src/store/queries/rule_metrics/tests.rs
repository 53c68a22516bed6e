use super::*;
use crate::model::rum::MetricName;
use crate::model::Layer;

fn labels(pairs: &[(&str, &str)]) -> LabelSet {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn worse_is_higher_except_for_hit_ratio_and_rate() {
    let gateway = labels(&[("layer", "gateway")]);
    let cdn = labels(&[("layer", "cdn")]);
    let cms = labels(&[("layer", "cms")]);
    let points = compare(
        &Metric::Duration { percentile: 95 },
        vec![
            (gateway.clone(), 300.0),
            (cdn.clone(), 50.0),
            (cms.clone(), 10.0),
        ],
        vec![(gateway.clone(), 200.0), (cdn.clone(), 0.0)],
    );
    // cdn: a baseline of 0; cms: no baseline.
    assert_eq!(
        points,
        [RegressionPoint {
            labels: gateway.clone(),
            current: 300.0,
            baseline: 200.0,
            percent_worse: 50.0,
        }]
    );
    let points = compare(
        &Metric::CacheHitRatio,
        vec![(cdn.clone(), 72.0)],
        vec![(cdn.clone(), 90.0)],
    );
    assert!((points[0].percent_worse - 20.0).abs() < 1e-9);
    let points = compare(
        &Metric::ErrorRate,
        vec![(gateway.clone(), 1.0)],
        vec![(gateway, 2.0)],
    );
    assert_eq!(points[0].percent_worse, -50.0);
}

#[test]
fn labels_map_to_fixed_columns_only() {
    let duration = Metric::Duration { percentile: 95 };
    assert_eq!(
        label_column(&duration, SeriesLabel::Service),
        Some("toString(ServiceName)")
    );
    assert_eq!(
        label_column(&duration, SeriesLabel::Route),
        Some("SpanAttributes['http.route']")
    );
    assert_eq!(label_column(&duration, SeriesLabel::Page), None);
    // Text never names a column: only a parsed label does.
    assert_eq!(SeriesLabel::parse("1); DROP TABLE x; --"), None);
    let lcp = Metric::VitalP75(MetricName::Lcp);
    assert_eq!(label_column(&lcp, SeriesLabel::Page), Some("page"));
    assert_eq!(label_column(&lcp, SeriesLabel::Service), None);
}

#[test]
fn filters_and_names_are_parameters_not_sql() {
    let filter = MetricFilter {
        layer: Some(Layer::Gateway),
        service: Some("x' OR 1=1 --".into()),
        route: Some("/api/:id".into()),
        page: None,
    };
    for metric in [
        Metric::ErrorRate,
        Metric::Duration { percentile: 99 },
        Metric::RequestRate,
        Metric::CacheHitRatio,
        Metric::Attribute("db.pool' --".into()),
    ] {
        let sql = metric_sql(&metric, &filter, "CAST([], 'Array(String)')", "", true);
        assert!(!sql.contains("OR 1=1") && !sql.contains("db.pool"), "{sql}");
        assert!(sql.contains("ServiceName = {service:String}"), "{sql}");
        assert!(sql.contains("Layer = {layer:String}"), "{sql}");
    }
    let sql = metric_sql(
        &Metric::Duration { percentile: 95 },
        &MetricFilter::default(),
        "x",
        "",
        true,
    );
    assert!(sql.contains("quantile(0.95)(Duration / 1e6)"), "{sql}");
    assert!(
        sql.contains("SpanKind IN ('Server', 'Unspecified')"),
        "{sql}"
    );
    let page = MetricFilter {
        page: Some("/blog".into()),
        ..MetricFilter::default()
    };
    let sql = metric_sql(&Metric::VitalP75(MetricName::Inp), &page, "x", "", true);
    assert!(
        sql.contains("FROM rum_vitals") && sql.contains("page = {page:String}"),
        "{sql}"
    );
    assert!(!sql.contains("/blog"));
}
