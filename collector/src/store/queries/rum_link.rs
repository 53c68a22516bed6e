//! The link between a trace and the page view it belongs to: from a trace
//! id, the page views that carried it (the document's trace) or that
//! started it (their browser spans name them), with their vitals and
//! errors; from a page view, its trace ids and the traces its browser
//! spans started. The RUM tables index `TraceId` with a bloom filter; a
//! page view is found by its id, its spans by its app and time.

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::rum::PAGE_VIEW_ATTRIBUTE;
use crate::model::TraceId;

/// How long before its page view a browser span may start (the page load
/// starts with the navigation, before the page reports itself; clocks).
const SPANS_BEFORE_MILLIS: i64 = 10 * 60 * 1000;
/// How long after its start a page view's browser spans are looked for:
/// pages left open longer start traces that are not listed.
const SPANS_AFTER_MILLIS: i64 = 4 * 3600 * 1000;
/// Traces listed per page view, first started first.
const MAX_STARTED_TRACES: u32 = 500;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedPageView {
    pub page_view_id: String,
    pub session_id: String,
    pub app: String,
    pub path: String,
    pub route: String,
    pub browser: String,
    pub device: String,
    pub country: String,
    pub timestamp_ms: i64,
    /// Every trace of the page view: the document's, and those its browser
    /// spans started.
    pub trace_ids: Vec<String>,
}

/// A trace a page view's browser spans belong to, as the browser saw it:
/// its first browser span (the page load, or the request that started it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StartedTrace {
    pub trace_id: String,
    pub name: String,
    pub start_ms: i64,
    pub duration_ms: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedVital {
    pub name: String,
    pub value: f64,
    pub rating: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkedError {
    pub fingerprint: String,
    pub error_type: String,
    pub message: String,
    pub timestamp_ms: i64,
}

/// A page view with what it reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinkedRum {
    pub page_view: LinkedPageView,
    pub vitals: Vec<LinkedVital>,
    pub errors: Vec<LinkedError>,
    /// The traces its browser spans belong to, first started first.
    pub traces: Vec<StartedTrace>,
}

const PAGE_VIEW_COLUMNS: &str = "PageViewId AS page_view_id, any(SessionId) AS session_id, \
    any(App) AS app, any(Path) AS path, any(Route) AS route, any(Browser) AS browser, \
    any(DeviceClass) AS device, any(Country) AS country, \
    toUnixTimestamp64Milli(min(Timestamp)) AS timestamp_ms, \
    arraySort(groupUniqArrayIf(TraceId, TraceId != '')) AS trace_ids";

impl Queries {
    /// The page views of `trace_id`: those whose document it rendered, and
    /// `started_by` (the page views its browser spans name).
    pub async fn rum_for_trace(
        &self,
        trace_id: TraceId,
        started_by: &[String],
    ) -> Result<Vec<LinkedRum>, QueryError> {
        let rendered: Vec<LinkedPageView> = fetch_json(
            self.query(&format!(
                "SELECT {PAGE_VIEW_COLUMNS} FROM rum_page_views \
                 WHERE TraceId = {{trace_id:String}} GROUP BY PageViewId ORDER BY timestamp_ms"
            ))
            .param("trace_id", trace_id.to_string()),
            "page views of a trace",
        )
        .await?;
        let mut linked = Vec::with_capacity(rendered.len() + started_by.len());
        for page_view in rendered {
            linked.push(self.with_events(page_view, Some(trace_id)).await?);
        }
        for id in started_by {
            if linked.iter().any(|l| &l.page_view.page_view_id == id) {
                continue;
            }
            if let Some(started) = self.page_view(id).await? {
                linked.push(started);
            }
        }
        Ok(linked)
    }

    /// One page view by id, with its vitals, errors and traces.
    pub async fn page_view(&self, page_view_id: &str) -> Result<Option<LinkedRum>, QueryError> {
        let views: Vec<LinkedPageView> = fetch_json(
            self.query(&format!(
                "SELECT {PAGE_VIEW_COLUMNS} FROM ( \
                    SELECT PageViewId, SessionId, App, Path, Route, Browser, DeviceClass, Country, Timestamp, TraceId \
                    FROM rum_page_views WHERE PageViewId = {{id:String}} \
                    UNION ALL \
                    SELECT PageViewId, SessionId, App, Path, Route, Browser, DeviceClass, Country, Timestamp, TraceId \
                    FROM rum_vitals WHERE PageViewId = {{id:String}}) \
                 GROUP BY PageViewId"
            ))
            .param("id", page_view_id),
            "page view",
        )
        .await?;
        match views.into_iter().next() {
            Some(view) => Ok(Some(self.with_events(view, None).await?)),
            None => Ok(None),
        }
    }

    /// The page view's vitals, errors and started traces. Given the trace
    /// its rows carry, they are found through the `TraceId` bloom filter
    /// every RUM table has, rather than by scanning for the page view id.
    async fn with_events(
        &self,
        mut page_view: LinkedPageView,
        trace_id: Option<TraceId>,
    ) -> Result<LinkedRum, QueryError> {
        let trace = trace_id.map(|t| t.to_string()).unwrap_or_default();
        let vitals = self.query(
            "SELECT Name AS name, argMax(Value, Timestamp) AS value, \
                    argMax(Rating, Timestamp) AS rating \
             FROM rum_vitals WHERE PageViewId = {id:String} \
               AND ({trace:String} = '' OR TraceId = {trace:String}) \
             GROUP BY Name, MetricId ORDER BY name",
        );
        let errors = self.query(
            "SELECT Fingerprint AS fingerprint, ErrorType AS error_type, Message AS message, \
                    toUnixTimestamp64Milli(Timestamp) AS timestamp_ms \
             FROM rum_errors WHERE PageViewId = {id:String} \
               AND ({trace:String} = '' OR TraceId = {trace:String}) \
             ORDER BY Timestamp",
        );
        let id = page_view.page_view_id.clone();
        let (vitals, errors, traces) = tokio::try_join!(
            fetch_json(
                vitals.param("id", id.clone()).param("trace", trace.clone()),
                "vitals of a page view"
            ),
            fetch_json(
                errors.param("id", id).param("trace", trace),
                "errors of a page view"
            ),
            self.started_traces(&page_view),
        )?;
        let ids = &mut page_view.trace_ids;
        ids.extend(traces.iter().map(|t| t.trace_id.clone()));
        ids.sort_unstable();
        ids.dedup();
        Ok(LinkedRum {
            page_view,
            vitals,
            errors,
            traces,
        })
    }

    /// The traces the page view's browser spans belong to: spans of its app
    /// (the service of browser spans) near its time, naming it.
    async fn started_traces(
        &self,
        page_view: &LinkedPageView,
    ) -> Result<Vec<StartedTrace>, QueryError> {
        fetch_json(
            self.query(
                "SELECT TraceId AS trace_id, argMin(SpanName, Timestamp) AS name, \
                        toUnixTimestamp64Milli(min(Timestamp)) AS start_ms, \
                        argMin(Duration, Timestamp) / 1e6 AS duration_ms \
                 FROM otel_traces \
                 WHERE ServiceName = if({app:String} = '', 'unknown_service', {app:String}) \
                   AND Layer = 'browser' \
                   AND Timestamp >= fromUnixTimestamp64Milli({from:Int64}) \
                   AND Timestamp <= fromUnixTimestamp64Milli({to:Int64}) \
                   AND SpanAttributes[{attribute:String}] = {id:String} \
                 GROUP BY TraceId ORDER BY start_ms, trace_id LIMIT {limit:UInt32}",
            )
            .param("app", page_view.app.clone())
            .param("from", page_view.timestamp_ms - SPANS_BEFORE_MILLIS)
            .param("to", page_view.timestamp_ms + SPANS_AFTER_MILLIS)
            .param("attribute", PAGE_VIEW_ATTRIBUTE)
            .param("id", page_view.page_view_id.clone())
            .param("limit", MAX_STARTED_TRACES),
            "traces a page view started",
        )
        .await
    }
}
