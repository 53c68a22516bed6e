//! A rule's metric once checked: the kind with its argument (attribute
//! name, vital) resolved, its unit and which way is worse.

use crate::model::rum::MetricName;
use crate::model::Layer;

use super::condition::{Filter, MetricKind};

#[derive(Debug, Clone, PartialEq)]
pub enum Metric {
    ErrorRate,
    Duration {
        percentile: u8,
    },
    RequestRate,
    CacheHitRatio,
    /// The average of a numeric span attribute.
    Attribute(String),
    VitalP75(MetricName),
}

impl Metric {
    /// The metric a rule names; `attribute` and `vital` must be given
    /// exactly when the kind needs them.
    pub fn resolve(
        kind: MetricKind,
        attribute: Option<&str>,
        vital: Option<&str>,
    ) -> Result<Self, String> {
        match (kind, attribute, vital) {
            (MetricKind::Attribute, Some(name), None) if !name.trim().is_empty() => {
                Ok(Metric::Attribute(name.trim().to_owned()))
            }
            (MetricKind::Attribute, _, _) => Err(
                "metric attribute needs `attribute: <span attribute name>` (and no `vital`)".into(),
            ),
            (MetricKind::VitalP75, None, Some(name)) => MetricName::parse(name)
                .map(Metric::VitalP75)
                .ok_or_else(|| {
                    format!("unknown vital '{name}' (expected LCP, INP, CLS, FCP or TTFB)")
                }),
            (MetricKind::VitalP75, _, _) => Err(
                "metric vital_p75 needs `vital: LCP|INP|CLS|FCP|TTFB` (and no `attribute`)".into(),
            ),
            (_, Some(_), _) => Err("`attribute` is only for metric attribute".into()),
            (_, _, Some(_)) => Err("`vital` is only for metric vital_p75".into()),
            (MetricKind::ErrorRate, None, None) => Ok(Metric::ErrorRate),
            (MetricKind::P50Duration, None, None) => Ok(Metric::Duration { percentile: 50 }),
            (MetricKind::P95Duration, None, None) => Ok(Metric::Duration { percentile: 95 }),
            (MetricKind::P99Duration, None, None) => Ok(Metric::Duration { percentile: 99 }),
            (MetricKind::RequestRate, None, None) => Ok(Metric::RequestRate),
            (MetricKind::CacheHitRatio, None, None) => Ok(Metric::CacheHitRatio),
        }
    }

    /// Rule files give ratios in percent (0–100), durations in ms.
    pub fn unit(&self) -> &'static str {
        match self {
            Metric::ErrorRate | Metric::CacheHitRatio => "%",
            Metric::Duration { .. } => "ms",
            Metric::RequestRate => "/s",
            Metric::Attribute(_) => "",
            Metric::VitalP75(MetricName::Cls) => "",
            Metric::VitalP75(_) => "ms",
        }
    }

    pub fn is_percent(&self) -> bool {
        self.unit() == "%"
    }

    /// Whether a rising value is bad (a regression compares against this).
    pub fn higher_is_worse(&self) -> bool {
        !matches!(self, Metric::CacheHitRatio | Metric::RequestRate)
    }

    pub fn is_rum(&self) -> bool {
        matches!(self, Metric::VitalP75(_))
    }

    /// The series labels a metric can be split by.
    pub fn group_labels(&self) -> &'static [&'static str] {
        if self.is_rum() {
            &["page"]
        } else {
            &["service", "route", "layer"]
        }
    }

    pub fn words(&self) -> String {
        match self {
            Metric::ErrorRate => "the error rate".into(),
            Metric::Duration { percentile } => format!("the p{percentile} duration"),
            Metric::RequestRate => "the request rate".into(),
            Metric::CacheHitRatio => "the cache hit ratio".into(),
            Metric::Attribute(name) => format!("the average of {name}"),
            Metric::VitalP75(name) => format!("the p75 {name}"),
        }
    }

    /// Checks the filter fits the metric: pages for RUM, the rest for spans.
    pub fn check_filter(&self, filter: &Filter) -> Result<(), String> {
        if let Some(layer) = &filter.layer {
            layer.parse::<Layer>()?;
        }
        let span_fields =
            filter.layer.is_some() || filter.service.is_some() || filter.route.is_some();
        if self.is_rum() && span_fields {
            return Err("a vital is filtered by `page` only (not layer, service or route)".into());
        }
        if !self.is_rum() && filter.page.is_some() {
            return Err(
                "`page` filters vitals only; span metrics take layer, service or route".into(),
            );
        }
        Ok(())
    }
}

/// `of gateway spans`, `of cms spans of service strapi`, `on page /blog`.
pub fn filter_words(metric: &Metric, filter: &Filter) -> String {
    if metric.is_rum() {
        return match &filter.page {
            Some(page) => format!("on page {page}"),
            None => "of page views".into(),
        };
    }
    let layer = filter
        .layer
        .as_deref()
        .map(|l| l.parse::<Layer>().map_or(l.to_owned(), |l| l.to_string()));
    let mut words = match layer {
        Some(layer) => format!("of {layer} spans"),
        None => "of all spans".into(),
    };
    if let Some(service) = &filter.service {
        words.push_str(&format!(" of service {service}"));
    }
    if let Some(route) = &filter.route {
        words.push_str(&format!(" on route {route}"));
    }
    words
}
