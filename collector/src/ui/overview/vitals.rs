//! The overview's Web Vitals: one card per metric with its p75, rating and
//! thresholds, and a sparkline of the p75 per time bucket of the window.

use maud::{html, Markup};

use super::Overview;
use crate::model::rum::MetricName;
use crate::store::queries::VitalSeries;
use crate::ui::layout::{rating_class, rating_words};
use crate::ui::{format, svg};

/// The five Web Vitals, in the order people read them.
const VITALS: [MetricName; 5] = [
    MetricName::Lcp,
    MetricName::Inp,
    MetricName::Cls,
    MetricName::Fcp,
    MetricName::Ttfb,
];

/// One card per Web Vital: its p75 and rating, a sparkline over the
/// window, its thresholds.
pub fn render(overview: &Overview) -> Markup {
    html! {
        div class="grid" id="vitals" {
            @for metric in VITALS {
                @let name = metric.as_str();
                @let (good, poor) = metric.thresholds();
                @let thresholds = html! {
                    div class="muted" {
                        small {
                            "good ≤ " (format::vital(name, good)) ", poor > " (format::vital(name, poor))
                        }
                    }
                };
                @if let Some(series) = overview.vitals.iter().find(|s| s.metric == name) {
                    @let rating = rating_class(series.rating);
                    section class={ "card " (rating) } data-metric=(name) data-p75=(series.p75)
                        data-rating=(rating) {
                        div class="label" { (name) }
                        div class="value" { (format::vital(name, series.p75)) }
                        div class="rating" {
                            (rating_words(series.rating)) " · " (series.count) " samples"
                        }
                        (svg::sparkline(
                            &per_bucket(overview, series),
                            Some(good),
                            &format!("{name} p75 per {} s", overview.buckets.step_ms / 1000),
                        ))
                        (thresholds)
                    }
                } @else {
                    section class="card unrated" data-metric=(name) {
                        div class="label" { (name) }
                        div class="value" { "–" }
                        div class="rating" { "no data in this window" }
                        (thresholds)
                    }
                }
            }
        }
    }
}

/// A series' p75 in each bucket of the window (`None`: no report then).
fn per_bucket(overview: &Overview, series: &VitalSeries) -> Vec<Option<f64>> {
    let mut values = vec![None; overview.buckets.count as usize];
    for point in &series.points {
        let index =
            (point.start_ms - overview.range.from_millis).div_euclid(overview.buckets.step_ms);
        if let Some(slot) = usize::try_from(index).ok().and_then(|i| values.get_mut(i)) {
            *slot = Some(point.p75);
        }
    }
    values
}
