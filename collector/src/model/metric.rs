//! What a metric over stored or streaming data is: which aggregate (error
//! rate, a percentile, an attribute's average, a Web Vital's p75, ...),
//! over which spans or page views, split into which series. Alert rules
//! name these, the streaming windows count them and the store computes
//! them in SQL: one definition, so both give the same value.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::rum::MetricName;
use super::Layer;

/// A metric with its argument (attribute name, vital) resolved.
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
    /// Ratios are given in percent (0–100), durations in ms.
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

    /// Computed over page views' vitals rather than spans.
    pub fn is_rum(&self) -> bool {
        matches!(self, Metric::VitalP75(_))
    }

    /// The series labels the metric can be split by.
    pub fn series_labels(&self) -> &'static [SeriesLabel] {
        if self.is_rum() {
            &[SeriesLabel::Page]
        } else {
            &[SeriesLabel::Service, SeriesLabel::Route, SeriesLabel::Layer]
        }
    }
}

/// Which spans (or page views) a metric is computed over. A span metric
/// reads `layer`, `service` and `route`; a vital reads `page` (the route
/// of the page when it had one, else its path).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricFilter {
    pub layer: Option<Layer>,
    pub service: Option<String>,
    pub route: Option<String>,
    pub page: Option<String>,
}

impl MetricFilter {
    /// Whether the filter names only what `metric` is computed over.
    pub fn fits(&self, metric: &Metric) -> Result<(), String> {
        let span_fields = self.layer.is_some() || self.service.is_some() || self.route.is_some();
        if metric.is_rum() && span_fields {
            return Err("a vital is filtered by `page` only (not layer, service or route)".into());
        }
        if !metric.is_rum() && self.page.is_some() {
            return Err(
                "`page` filters vitals only; span metrics take layer, service or route".into(),
            );
        }
        Ok(())
    }
}

/// A label a metric's series are split by (`group_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeriesLabel {
    /// A span's `service.name`.
    Service,
    /// A span's `http.route`.
    Route,
    /// A span's layer.
    Layer,
    /// A page view's route, else its path.
    Page,
}

impl SeriesLabel {
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesLabel::Service => "service",
            SeriesLabel::Route => "route",
            SeriesLabel::Layer => "layer",
            SeriesLabel::Page => "page",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        [Self::Service, Self::Route, Self::Layer, Self::Page]
            .into_iter()
            .find(|label| label.as_str() == name)
    }
}

impl fmt::Display for SeriesLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a metric's value now is compared with to call it a regression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The same window, 24 hours earlier.
    SameHourYesterday,
    /// The 24 hours before the last successful deploy.
    BeforeLastDeploy,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn series_labels_parse_from_their_names() {
        for label in Metric::ErrorRate
            .series_labels()
            .iter()
            .chain(Metric::VitalP75(MetricName::Lcp).series_labels())
        {
            assert_eq!(SeriesLabel::parse(label.as_str()), Some(*label));
        }
        assert_eq!(SeriesLabel::parse("1); DROP TABLE x; --"), None);
    }

    #[test]
    fn filters_fit_their_metric() {
        let page = MetricFilter {
            page: Some("/".into()),
            ..MetricFilter::default()
        };
        let layer = MetricFilter {
            layer: Some(Layer::Cdn),
            ..MetricFilter::default()
        };
        assert!(page.fits(&Metric::VitalP75(MetricName::Inp)).is_ok());
        assert!(page.fits(&Metric::ErrorRate).is_err());
        assert!(layer.fits(&Metric::ErrorRate).is_ok());
        assert!(layer.fits(&Metric::VitalP75(MetricName::Inp)).is_err());
    }
}
