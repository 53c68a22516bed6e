//! A written metric (`metric`, `attribute`, `vital`, `window`, `filter`,
//! `group_by`) checked into a [`MetricWindow`]: the argument a kind needs
//! given exactly when it needs it, the layer parsed, the filter and the
//! series labels fitting the metric, the window above zero.

use super::kind::MetricWindow;
use super::written::{Filter, MetricKind};
use crate::alert::duration::Millis;
use crate::model::metric::{Metric, MetricFilter, SeriesLabel};
use crate::model::rum::MetricName;
use crate::model::Layer;

/// The parts of a `threshold` or `regression` condition that name its
/// metric, as written.
pub(super) struct WrittenMetric<'a> {
    pub kind: MetricKind,
    pub attribute: Option<&'a str>,
    pub vital: Option<&'a str>,
    pub window: Millis,
    pub filter: &'a Filter,
    pub group_by: &'a [String],
}

pub(super) fn check(written: WrittenMetric<'_>) -> Result<MetricWindow, String> {
    let metric = resolve(written.kind, written.attribute, written.vital)?;
    if written.window.0 <= 0 {
        return Err("`window` must be longer than 0s".into());
    }
    let filter = filter(written.filter)?;
    filter.fits(&metric)?;
    let group_by = written
        .group_by
        .iter()
        .map(|name| {
            SeriesLabel::parse(name)
                .filter(|label| metric.series_labels().contains(label))
                .ok_or_else(|| {
                    let possible: Vec<&str> =
                        metric.series_labels().iter().map(|l| l.as_str()).collect();
                    format!(
                        "cannot group {} by '{name}' (possible: {})",
                        words(&metric),
                        possible.join(", ")
                    )
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(MetricWindow {
        metric,
        filter,
        window: written.window,
        group_by,
    })
}

/// The metric a rule names; `attribute` and `vital` must be given exactly
/// when the kind needs them.
fn resolve(
    kind: MetricKind,
    attribute: Option<&str>,
    vital: Option<&str>,
) -> Result<Metric, String> {
    match (kind, attribute, vital) {
        (MetricKind::Attribute, Some(name), None) if !name.trim().is_empty() => {
            Ok(Metric::Attribute(name.trim().to_owned()))
        }
        (MetricKind::Attribute, _, _) => {
            Err("metric attribute needs `attribute: <span attribute name>` (and no `vital`)".into())
        }
        (MetricKind::VitalP75, None, Some(name)) => MetricName::parse(name)
            .map(Metric::VitalP75)
            .ok_or_else(|| format!("unknown vital '{name}' (expected LCP, INP, CLS, FCP or TTFB)")),
        (MetricKind::VitalP75, _, _) => {
            Err("metric vital_p75 needs `vital: LCP|INP|CLS|FCP|TTFB` (and no `attribute`)".into())
        }
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

fn filter(written: &Filter) -> Result<MetricFilter, String> {
    Ok(MetricFilter {
        layer: written
            .layer
            .as_deref()
            .map(str::parse::<Layer>)
            .transpose()?,
        service: written.service.clone(),
        route: written.route.clone(),
        page: written.page.clone(),
    })
}

/// `the error rate`, `the p95 duration`, `the p75 LCP`.
pub(super) fn words(metric: &Metric) -> String {
    match metric {
        Metric::ErrorRate => "the error rate".into(),
        Metric::Duration { percentile } => format!("the p{percentile} duration"),
        Metric::RequestRate => "the request rate".into(),
        Metric::CacheHitRatio => "the cache hit ratio".into(),
        Metric::Attribute(name) => format!("the average of {name}"),
        Metric::VitalP75(name) => format!("the p75 {name}"),
    }
}

/// `of gateway spans`, `of cms spans of service strapi`, `on page /blog`.
pub(super) fn filter_words(metric: &Metric, filter: &MetricFilter) -> String {
    if metric.is_rum() {
        return match &filter.page {
            Some(page) => format!("on page {page}"),
            None => "of page views".into(),
        };
    }
    let mut words = match filter.layer {
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
