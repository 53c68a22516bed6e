//! `/ui/`: the state of the site at a glance. Web Vitals p75 per metric,
//! coloured by rating, each with a sparkline over the window (`vitals`); the layer
//! KPIs against their targets; what is firing; the newest builds and
//! deploys.

mod vitals;

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::Html;
use maud::{html, Markup};

use super::alerts::{alert_name, alert_summary};
use super::layout::{empty, layer_chip, page, scroll_table, Nav};
use super::link::path_segment;
use super::window::WindowChoice;
use super::{format, Page};
use crate::api::{active_alerts, ActiveAlert, ApiState, DEFAULT_BUCKETS};
use crate::store::queries::{Buckets, Kpi, StoredBuild, TimeRange, VitalSeries};

const WINDOWS: WindowChoice = WindowChoice {
    path: "/ui/",
    options: &["15m", "1h", "24h", "7d"],
    default: "1h",
    default_length: Duration::from_secs(3600),
};
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
    let window = WINDOWS.asked_in(query)?;
    let range = window.range;
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
        window: window.name,
        range,
        buckets,
        vitals,
        kpis,
        alerts,
        builds,
    })))
}

pub fn render(overview: &Overview) -> String {
    let body = html! {
        h1 { "Overview" }
        p class="muted" {
            "The last " (overview.window) ": " (format::time(overview.range.from_millis))
            " to " (format::time(overview.range.to_millis)) "."
        }
        (WINDOWS.links(&overview.window))
        h2 { "Web Vitals " span class="muted" { "p75" } }
        (vitals::render(overview))
        h2 { "Layer KPIs" }
        (kpis(&overview.kpis))
        h2 { "Alerts" }
        (alerts(overview.alerts.as_deref()))
        h2 { "Builds and deploys" }
        (builds(&overview.builds))
        p {
            a href="/ui/traces?sort=slowest" { "The slowest traces" } " · "
            a href="/ui/errors" { "JavaScript errors" }
        }
    };
    page("Overview", Nav::Overview, body)
}

fn kpis(kpis: &[Kpi]) -> Markup {
    if kpis.is_empty() {
        return empty("No spans in this window.");
    }
    let head = html! {
        th { "Layer" } th { "KPI" } th class="num" { "Value" } th class="num" { "Target" }
        th { "Verdict" } th class="num wide" { "Samples" }
    };
    let rows = html! {
        @for kpi in kpis {
            @let (class, verdict) = match kpi.met {
                Some(true) => ("pass", "pass"),
                Some(false) => ("fail", "fail"),
                None if kpi.value.is_some() => ("nodata", "tracked"),
                None => ("nodata", "no data"),
            };
            tr data-kpi=(kpi.name) {
                td { (layer_chip(kpi.layer)) }
                td { (format::words(kpi.name)) }
                td class="num" {
                    @if let Some(value) = kpi.value {
                        (format::number(value)) " " (kpi.unit)
                    } @else {
                        "–"
                    }
                }
                td class="num" { (kpi.target) " " @if kpi.target != "tracked" { (kpi.unit) } }
                td { span class={ "badge " (class) } { (verdict) } }
                td class="num wide" { (kpi.samples) }
            }
        }
    };
    scroll_table("kpis", head, rows)
}

fn alerts(alerts: Option<&[ActiveAlert]>) -> Markup {
    let Some(alerts) = alerts else {
        return empty("Alerting is off on this collector (alert.enabled = false).");
    };
    if alerts.is_empty() {
        return empty("Nothing is firing.");
    }
    html! {
        ul class="panel" id="alerts" {
            @for alert in alerts {
                li {
                    span class={ "badge " (alert.state) } { (alert.state) } " "
                    strong { (alert_name(alert)) } " " (alert_summary(alert)) " "
                    span class="muted" { "since " (format::time(alert.starts_at_millis)) }
                }
            }
        }
        p { a href="/ui/alerts" { "All alerts, silences and history" } }
    }
}

fn builds(builds: &[StoredBuild]) -> Markup {
    if builds.is_empty() {
        return empty("No build or deploy events yet (POST /v1/builds).");
    }
    let head = html! {
        th { "Pipeline" } th { "Kind" } th { "Status" } th class="wide" { "Commit" }
        th { "Finished" }
    };
    let rows = html! {
        @for build in builds {
            @let class = match build.status.as_str() {
                "success" => "pass",
                "failed" => "fail",
                _ => "nodata",
            };
            tr data-build=(path_segment(&build.id)) {
                td { (build.pipeline) }
                td { (build.kind) }
                td { span class={ "badge " (class) } { (build.status) } }
                td class="wide mono" { (build.commit) }
                td { (format::time(build.finished_at_ms)) }
            }
        }
    };
    scroll_table("builds", head, rows)
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
