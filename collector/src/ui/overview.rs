//! `/ui/`: the state of the site at a glance. Web Vitals p75 per metric,
//! coloured by rating, each with a sparkline over the window; the layer
//! KPIs against their targets; what is firing; the newest builds and
//! deploys.

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;

use super::escape::{path_segment, Esc};
use super::layout::{self, empty, layer_chip, page, rating_class, rating_words, Nav};
use super::{format, svg, Page};
use crate::api::params::Params;
use crate::api::{active_alerts, ActiveAlert, ApiState, DEFAULT_BUCKETS};
use crate::model::rum::MetricName;
use crate::store::queries::{Buckets, Kpi, StoredBuild, TimeRange, VitalSeries};

/// The five Web Vitals, in the order people read them.
const VITALS: [MetricName; 5] = [
    MetricName::Lcp,
    MetricName::Inp,
    MetricName::Cls,
    MetricName::Fcp,
    MetricName::Ttfb,
];
const WINDOWS: [&str; 4] = ["15m", "1h", "24h", "7d"];
const DEFAULT_WINDOW: &str = "1h";
const BUILDS_SHOWN: u32 = 8;

/// What the overview shows; `alerts` is `None` when alerting is off.
pub struct Overview {
    pub window: String,
    pub range: TimeRange,
    pub buckets: Buckets,
    pub vitals: Vec<VitalSeries>,
    pub kpis: Vec<Kpi>,
    pub alerts: Option<Vec<ActiveAlert>>,
    pub builds: Vec<StoredBuild>,
}

pub async fn show(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Page {
    let params = Params::new(query, &["window"])?;
    let window = params
        .text("window")?
        .unwrap_or_else(|| DEFAULT_WINDOW.to_owned());
    // The default window is DEFAULT_WINDOW's hour.
    let range = params.range(Duration::from_secs(3600))?;
    let buckets = Buckets::over(range, DEFAULT_BUCKETS);
    let queries = &state.queries;
    let (vitals, kpis, builds) = tokio::try_join!(
        queries.vitals_series(range, buckets),
        queries.layer_kpis(range),
        queries.recent_builds(BUILDS_SHOWN),
    )?;
    let alerts = match &state.alerts {
        Some(store) => Some(active_alerts(store).await?),
        None => None,
    };
    Ok(Html(render(&Overview {
        window,
        range,
        buckets,
        vitals,
        kpis,
        alerts,
        builds,
    })))
}

pub fn render(overview: &Overview) -> String {
    let mut body = format!(
        "<h1>Overview</h1><p class=\"muted\">The last {}: {} to {}.</p>{}",
        Esc(&overview.window),
        format::time(overview.range.from_millis),
        format::time(overview.range.to_millis),
        layout::window_links("/ui/", &overview.window, &WINDOWS)
    );
    body.push_str("<h2>Web Vitals <span class=\"muted\">p75</span></h2>");
    body.push_str(&vitals(overview));
    body.push_str("<h2>Layer KPIs</h2>");
    body.push_str(&kpis(&overview.kpis));
    body.push_str("<h2>Alerts</h2>");
    body.push_str(&alerts(overview.alerts.as_deref()));
    body.push_str("<h2>Builds and deploys</h2>");
    body.push_str(&builds(&overview.builds));
    body.push_str(
        "<p><a href=\"/ui/traces?sort=slowest\">The slowest traces</a> · \
         <a href=\"/ui/errors\">JavaScript errors</a></p>",
    );
    page("Overview", Nav::Overview, &body)
}

fn vitals(overview: &Overview) -> String {
    let mut out = String::from("<div class=\"grid\" id=\"vitals\">");
    for metric in VITALS {
        let name = metric.as_str();
        let series = overview.vitals.iter().find(|s| s.metric == name);
        let (good, poor) = metric.thresholds();
        let thresholds = format!(
            "good ≤ {}, poor > {}",
            format::vital(name, good),
            format::vital(name, poor)
        );
        match series {
            Some(series) => {
                let mut values = vec![None; overview.buckets.count as usize];
                for point in &series.points {
                    let index = (point.start_ms - overview.range.from_millis)
                        .div_euclid(overview.buckets.step_ms);
                    if let Some(slot) = usize::try_from(index).ok().and_then(|i| values.get_mut(i))
                    {
                        *slot = Some(point.p75);
                    }
                }
                out.push_str(&format!(
                    "<section class=\"card {class}\" data-metric=\"{name}\" data-p75=\"{p75}\" data-rating=\"{rating}\">\
                     <div class=\"label\">{name}</div><div class=\"value\">{value}</div>\
                     <div class=\"rating\">{words} · {count} samples</div>{spark}\
                     <div class=\"muted\"><small>{thresholds}</small></div></section>",
                    class = rating_class(series.rating),
                    p75 = series.p75,
                    rating = rating_class(series.rating),
                    value = format::vital(name, series.p75),
                    words = rating_words(series.rating),
                    count = series.count,
                    spark = svg::sparkline(
                        &values,
                        Some(good),
                        &format!("{name} p75 per {} s", overview.buckets.step_ms / 1000)
                    ),
                ));
            }
            None => out.push_str(&format!(
                "<section class=\"card unrated\" data-metric=\"{name}\">\
                 <div class=\"label\">{name}</div><div class=\"value\">–</div>\
                 <div class=\"rating\">no data in this window</div>\
                 <div class=\"muted\"><small>{thresholds}</small></div></section>"
            )),
        }
    }
    out.push_str("</div>");
    out
}

fn kpis(kpis: &[Kpi]) -> String {
    if kpis.is_empty() {
        return empty("No spans in this window.");
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"kpis\"><thead><tr><th>Layer</th><th>KPI</th>\
         <th class=\"num\">Value</th><th class=\"num\">Target</th><th>Verdict</th>\
         <th class=\"num wide\">Samples</th></tr></thead><tbody>",
    );
    for kpi in kpis {
        let (class, verdict) = match kpi.met {
            Some(true) => ("pass", "pass"),
            Some(false) => ("fail", "fail"),
            None if kpi.value.is_some() => ("nodata", "tracked"),
            None => ("nodata", "no data"),
        };
        let value = kpi
            .value
            .map(|v| format!("{} {}", format::number(v), Esc(kpi.unit)))
            .unwrap_or_else(|| "–".to_owned());
        out.push_str(&format!(
            "<tr data-kpi=\"{}\"><td>{}</td><td>{}</td><td class=\"num\">{value}</td>\
             <td class=\"num\">{} {}</td><td><span class=\"badge {class}\">{verdict}</span></td>\
             <td class=\"num wide\">{}</td></tr>",
            Esc(kpi.name),
            layer_chip(kpi.layer),
            Esc(&format::words(kpi.name)),
            Esc(&kpi.target),
            if kpi.target == "tracked" {
                ""
            } else {
                kpi.unit
            },
            kpi.samples
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

fn alerts(alerts: Option<&[ActiveAlert]>) -> String {
    let Some(alerts) = alerts else {
        return empty("Alerting is off on this collector (alert.enabled = false).");
    };
    if alerts.is_empty() {
        return empty("Nothing is firing.");
    }
    let mut out = String::from("<ul class=\"panel\" id=\"alerts\">");
    for alert in alerts {
        let name = alert.labels.get("alertname").map_or("", String::as_str);
        let summary = alert.annotations.get("summary").map_or("", String::as_str);
        out.push_str(&format!(
            "<li><span class=\"badge {state}\">{state}</span> <strong>{}</strong> {} \
             <span class=\"muted\">since {}</span></li>",
            Esc(name),
            Esc(summary),
            format::time(alert.starts_at_millis),
            state = alert.state,
        ));
    }
    out.push_str("</ul><p><a href=\"/ui/alerts\">All alerts, silences and history</a></p>");
    out
}

fn builds(builds: &[StoredBuild]) -> String {
    if builds.is_empty() {
        return empty("No build or deploy events yet (POST /v1/builds).");
    }
    let mut out = String::from(
        "<div class=\"scroll\"><table id=\"builds\"><thead><tr><th>Pipeline</th><th>Kind</th>\
         <th>Status</th><th class=\"wide\">Commit</th><th>Finished</th></tr></thead><tbody>",
    );
    for build in builds {
        let class = match build.status.as_str() {
            "success" => "pass",
            "failed" => "fail",
            _ => "nodata",
        };
        out.push_str(&format!(
            "<tr data-build=\"{}\"><td>{}</td><td>{}</td><td><span class=\"badge {class}\">{}</span></td>\
             <td class=\"wide mono\">{}</td><td>{}</td></tr>",
            Esc(&path_segment(&build.id)),
            Esc(&build.pipeline),
            Esc(&build.kind),
            Esc(&build.status),
            Esc(&build.commit),
            format::time(build.finished_at_ms)
        ));
    }
    out.push_str("</tbody></table></div>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::queries::VitalPoint;

    fn overview() -> Overview {
        let range = TimeRange {
            from_millis: 1_763_892_000_000,
            to_millis: 1_763_895_600_000,
        };
        Overview {
            window: "1h".into(),
            range,
            buckets: Buckets::over(range, 24),
            vitals: Vec::new(),
            kpis: Vec::new(),
            alerts: Some(Vec::new()),
            builds: Vec::new(),
        }
    }

    #[test]
    fn an_empty_collector_shows_empty_states() {
        let html = render(&overview());
        assert!(html.contains("no data in this window"));
        assert!(html.contains("No spans in this window."));
        assert!(html.contains("Nothing is firing."));
        assert!(html.contains("No build or deploy events yet"));
        let off = render(&Overview {
            alerts: None,
            ..overview()
        });
        assert!(off.contains("Alerting is off"));
    }

    #[test]
    fn vitals_are_coloured_by_rating_with_a_sparkline() {
        let mut data = overview();
        let from = data.range.from_millis;
        data.vitals.push(VitalSeries {
            metric: "LCP".into(),
            p75: 4_200.0,
            rating: "poor",
            count: 3,
            points: vec![
                VitalPoint {
                    start_ms: from,
                    p75: 1_000.0,
                    count: 1,
                },
                VitalPoint {
                    start_ms: from + data.buckets.step_ms * 5,
                    p75: 4_200.0,
                    count: 2,
                },
            ],
        });
        let html = render(&data);
        assert!(html.contains("<section class=\"card poor\" data-metric=\"LCP\" data-p75=\"4200\""));
        assert!(html.contains("4.20 s"));
        // Buckets 0 and 5 of 24, over 100 units.
        assert!(html.contains("<polyline class=\"spark-line\" points=\"0.00,"));
        assert!(html.contains(" 21.74,"));
    }

    #[test]
    fn stored_strings_are_escaped() {
        let mut data = overview();
        data.builds.push(StoredBuild {
            id: "<b>".into(),
            pipeline: "<script>alert(1)</script>".into(),
            kind: "deploy".into(),
            status: "success".into(),
            commit: "\"><img>".into(),
            started_at_ms: 0,
            finished_at_ms: 0,
            stages: Default::default(),
            received_at_ms: 0,
        });
        let html = render(&data);
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>alert"));
        assert!(!html.contains("\"><img>"));
    }
}
