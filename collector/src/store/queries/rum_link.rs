//! The link between a trace and the page view it rendered: from a trace
//! id, the page views that carried it (with their vitals and errors); from
//! a page view, its trace ids. The RUM tables index `TraceId` with a bloom
//! filter; a page view is found by its id.

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::TraceId;

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
    pub trace_ids: Vec<String>,
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
}

const PAGE_VIEW_COLUMNS: &str = "PageViewId AS page_view_id, any(SessionId) AS session_id, \
    any(App) AS app, any(Path) AS path, any(Route) AS route, any(Browser) AS browser, \
    any(DeviceClass) AS device, any(Country) AS country, \
    toUnixTimestamp64Milli(min(Timestamp)) AS timestamp_ms, \
    arraySort(groupUniqArrayIf(TraceId, TraceId != '')) AS trace_ids";

impl Queries {
    /// The page views whose document was rendered by `trace_id`.
    pub async fn rum_for_trace(&self, trace_id: TraceId) -> Result<Vec<LinkedRum>, QueryError> {
        let views: Vec<LinkedPageView> = fetch_json(
            self.query(&format!(
                "SELECT {PAGE_VIEW_COLUMNS} FROM rum_page_views \
                 WHERE TraceId = {{trace_id:String}} GROUP BY PageViewId ORDER BY timestamp_ms"
            ))
            .param("trace_id", trace_id.to_string()),
            "page views of a trace",
        )
        .await?;
        let mut linked = Vec::with_capacity(views.len());
        for page_view in views {
            linked.push(self.with_events(page_view, Some(trace_id)).await?);
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

    /// The page view's vitals and errors. Given the trace, the rows are
    /// found through the `TraceId` bloom filter every RUM table has, rather
    /// than by scanning for the page view id.
    async fn with_events(
        &self,
        page_view: LinkedPageView,
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
        let (vitals, errors) = tokio::try_join!(
            fetch_json(
                vitals.param("id", id.clone()).param("trace", trace.clone()),
                "vitals of a page view"
            ),
            fetch_json(
                errors.param("id", id).param("trace", trace),
                "errors of a page view"
            ),
        )?;
        Ok(LinkedRum {
            page_view,
            vitals,
            errors,
        })
    }
}
