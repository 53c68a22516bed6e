//! A threshold rule made ready for the ingest path: its filter, labels and
//! bucket geometry worked out once, so a span costs a few comparisons per
//! rule and nothing is allocated unless the span counts for the rule. What
//! counts mirrors the KPI queries in `store::queries::layers`.

use std::cell::OnceCell;

use super::series::{Example, Sample};
use crate::alert::rules::{Comparison, Level, MetricWindow, Rule, WindowKind};
use crate::model::alert::LabelSet;
use crate::model::kpi::KpiSettings;
use crate::model::metric::{Metric, SeriesLabel};
use crate::model::rum::{RumRecord, Vital};
use crate::model::{AttributeValue, Attributes, Layer, Span, SpanKind, StatusCode};

const ROUTE_ATTRIBUTE: &str = "http.route";
const STATUS_CODE_ATTRIBUTE: &str = "http.response.status_code";

/// The CDN cache-status attribute and its hit values, lowercase.
#[derive(Debug, Clone)]
pub(super) struct CacheKpi {
    attribute: String,
    hits: Vec<String>,
}

impl CacheKpi {
    pub fn new(kpi: &KpiSettings) -> Self {
        Self {
            attribute: kpi.cache_status_attribute.clone(),
            hits: kpi
                .cache_hit_values
                .iter()
                .map(|v| v.to_ascii_lowercase())
                .collect(),
        }
    }
}

/// What a rule's windows hold data for: while a reloaded rule keeps all
/// of this, it keeps its series.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Condition {
    watched: MetricWindow,
    comparison: Comparison,
    levels: Vec<Level>,
}

/// One threshold rule, compiled.
#[derive(Debug, Clone)]
pub(super) struct Spec {
    pub name: String,
    pub condition: Condition,
    pub metric: Metric,
    pub window: i64,
    /// The bucket width: a whole number of seconds.
    pub width: i64,
    /// The most buckets a window can touch.
    pub capacity: usize,
    layer: Option<Layer>,
    service: Option<String>,
    route: Option<String>,
    page: Option<String>,
    group_by: Vec<SeriesLabel>,
}

/// A span with the attributes rules look up found at most once.
pub(super) struct SpanView<'a> {
    pub span: &'a Span,
    pub end_millis: i64,
    route: OnceCell<&'a str>,
}

impl<'a> SpanView<'a> {
    pub fn new(span: &'a Span) -> Self {
        Self {
            span,
            end_millis: i64::try_from(span.end_unix_nanos / 1_000_000).unwrap_or(i64::MAX),
            route: OnceCell::new(),
        }
    }

    fn route(&self) -> &'a str {
        self.route
            .get_or_init(|| match attribute(&self.span.attributes, ROUTE_ATTRIBUTE) {
                Some(AttributeValue::String(route)) => route,
                _ => "",
            })
    }
}

impl Spec {
    pub fn compile(rule: &Rule, kind: &WindowKind) -> Self {
        let WindowKind::Threshold(watched) = kind;
        let window = watched.window.0.max(1);
        let width = ((window + 30_000) / 60_000).max(1) * 1000;
        let capacity = usize::try_from(window / width)
            .unwrap_or(0)
            .saturating_add(2);
        let filter = &watched.filter;
        Self {
            name: rule.name.clone(),
            condition: Condition {
                watched: watched.clone(),
                comparison: rule.comparison,
                levels: rule.levels.clone(),
            },
            metric: watched.metric.clone(),
            window,
            width,
            capacity,
            layer: filter.layer,
            service: filter.service.clone(),
            route: filter.route.clone(),
            page: filter.page.clone(),
            group_by: watched.group_by.clone(),
        }
    }

    /// The start of the bucket holding `millis`, aligned on the epoch.
    pub fn bucket_start(&self, millis: i64) -> i64 {
        millis.div_euclid(self.width) * self.width
    }

    /// What `span` adds to this rule; `None` when it does not count.
    pub fn span_sample(&self, view: &SpanView<'_>, cache: &CacheKpi) -> Option<Sample> {
        let span = view.span;
        let filtered = !self.metric.is_rum()
            && self.layer.is_none_or(|layer| span.resource.layer == layer)
            && self
                .service
                .as_ref()
                .is_none_or(|s| *s == span.resource.service_name)
            && self.route.as_ref().is_none_or(|r| r == view.route());
        if !filtered {
            return None;
        }
        let example = |score: f64| {
            Some(Example {
                trace_id: span.trace_id,
                score,
            })
        };
        let is_request = matches!(span.kind, SpanKind::Server | SpanKind::Unspecified);
        let mut sample = Sample::default();
        match &self.metric {
            Metric::ErrorRate | Metric::RequestRate if !is_request => return None,
            Metric::ErrorRate => {
                sample.requests = 1;
                if is_error(span) {
                    sample.errors = 1;
                    sample.example = example(view.end_millis as f64);
                }
            }
            Metric::RequestRate => sample.requests = 1,
            Metric::Duration { .. } => {
                let nanos = span.duration_nanos();
                sample.dist_value = Some(nanos / 1000);
                sample.example = example(nanos as f64 / 1e6);
            }
            Metric::CacheHitRatio => {
                let status = attribute(&span.attributes, &cache.attribute)?;
                let hit = match status {
                    AttributeValue::String(s) if s.is_empty() => return None,
                    AttributeValue::String(s) => {
                        cache.hits.iter().any(|h| s.eq_ignore_ascii_case(h))
                    }
                    AttributeValue::Empty => return None,
                    _ => false,
                };
                sample.cache_lookups = 1;
                if hit {
                    sample.cache_hits = 1;
                } else {
                    sample.example = example(view.end_millis as f64);
                }
            }
            Metric::Attribute(name) => {
                let value = number(attribute(&span.attributes, name)?)?;
                sample.value = Some(value);
                sample.example = example(value);
            }
            Metric::VitalP75(_) => return None,
        }
        Some(sample)
    }

    /// What a vital adds to this rule; `None` when it does not count.
    pub fn vital_sample(&self, record: &RumRecord<Vital>) -> Option<Sample> {
        let Metric::VitalP75(name) = self.metric else {
            return None;
        };
        let page = &record.context.page;
        let on_page = self
            .page
            .as_ref()
            .is_none_or(|p| *p == page.route || *p == page.path);
        if record.event.name != name || !on_page || !record.event.value.is_finite() {
            return None;
        }
        let value = record.event.value.max(0.0);
        Some(Sample {
            // Saturating: an absurd value becomes the largest kept.
            dist_value: Some((value * 1000.0).round() as u64),
            example: page.trace_id.map(|trace_id| Example {
                trace_id,
                score: value,
            }),
            ..Sample::default()
        })
    }

    /// A span's value of a series label; rules split span metrics by
    /// span labels only, so a page is "".
    pub fn span_label<'a>(view: &SpanView<'a>, label: SeriesLabel) -> &'a str {
        match label {
            SeriesLabel::Service => &view.span.resource.service_name,
            SeriesLabel::Route => view.route(),
            SeriesLabel::Layer => view.span.resource.layer.as_str(),
            SeriesLabel::Page => "",
        }
    }

    /// A vital's value of a series label: its page (the route when known,
    /// else the path); rules split vitals by page only.
    pub fn vital_label(record: &RumRecord<Vital>, label: SeriesLabel) -> &str {
        let page = &record.context.page;
        match label {
            SeriesLabel::Page if page.route.is_empty() => &page.path,
            SeriesLabel::Page => &page.route,
            SeriesLabel::Service | SeriesLabel::Route | SeriesLabel::Layer => "",
        }
    }

    /// The series key: each label value, length first, in `group_by`
    /// order, written into `key` (cleared first).
    pub fn key<'a>(&self, key: &mut Vec<u8>, value: impl Fn(SeriesLabel) -> &'a str) {
        key.clear();
        for label in &self.group_by {
            let value = value(*label);
            let length = u32::try_from(value.len()).unwrap_or(u32::MAX);
            key.extend_from_slice(&length.to_le_bytes());
            key.extend_from_slice(value.as_bytes());
        }
    }

    pub fn labels<'a>(&self, value: impl Fn(SeriesLabel) -> &'a str) -> LabelSet {
        self.group_by
            .iter()
            .map(|label| (label.as_str().to_owned(), value(*label).to_owned()))
            .collect()
    }
}

fn attribute<'a>(attributes: &'a Attributes, key: &str) -> Option<&'a AttributeValue> {
    attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v)
}

/// Status Error, or an HTTP status of 500 and above (as ClickHouse's
/// `toUInt16OrZero` reads the attribute).
fn is_error(span: &Span) -> bool {
    span.status.code == StatusCode::Error
        || match attribute(&span.attributes, STATUS_CODE_ATTRIBUTE) {
            Some(AttributeValue::Int(code)) => (500..=i64::from(u16::MAX)).contains(code),
            Some(AttributeValue::String(code)) => code.parse::<u16>().is_ok_and(|c| c >= 500),
            _ => false,
        }
}

fn number(value: &AttributeValue) -> Option<f64> {
    let number = match value {
        AttributeValue::Int(i) => *i as f64,
        AttributeValue::Double(d) => *d,
        AttributeValue::String(s) => s.parse().ok()?,
        _ => return None,
    };
    number.is_finite().then_some(number)
}
