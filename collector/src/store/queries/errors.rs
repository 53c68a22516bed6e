//! Error groups of every layer, read from `error_groups` (one row per
//! group, release and hour, kept by views; see `schema::errors`) with
//! what people decided (`error_decisions`): the list `/api/errors` and the
//! errors page show, one group, and the groups alert rules watch (new
//! ones, regressed ones). A group's state is decided here, in SQL, so a
//! filter by state and the limit apply together.
//!
//! Windows are counted in whole hours: the hour the window starts in is
//! counted whole. First and last sightings are exact.

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError, TimeRange};
use crate::model::error::{Frame, GroupState, NEW_FOR_MILLIS};

/// Which groups a list shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupFilter {
    pub layer: Option<String>,
    pub service: Option<String>,
    pub release: Option<String>,
    pub state: Option<GroupState>,
}

/// One error group over a window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorGroup {
    pub fingerprint: String,
    pub error_type: String,
    pub message: String,
    /// Occurrences in the window.
    pub count: u64,
    /// Browser sessions it happened in (0 for backend errors).
    pub sessions: u64,
    /// Traces it happened in.
    pub traces: u64,
    /// The first and last sightings in the window.
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// The first sighting of all that is stored.
    pub first_seen_ever_ms: i64,
    /// Releases it was seen in, in the window.
    pub releases: Vec<String>,
    /// `browser`, `cdn`, `gateway`, `cms`, `function` or `other`.
    pub layer: String,
    /// The app (browser) or service.
    pub service: String,
    pub state: GroupState,
    /// When it regressed; 0 unless its state is `regressed`.
    pub regressed_at_ms: i64,
    /// The newest occurrence's frames, each `function (file:line:column)`.
    pub sample_stack: Vec<String>,
    /// The same frames whole: in-app flag, source context, notes.
    pub sample_frames: Vec<Frame>,
    /// The trace of the newest occurrence that had one (of equally new
    /// ones, the largest id: the same answer from one server or a
    /// cluster); empty when none had one.
    pub sample_trace_id: String,
    pub sample_span_id: String,
    /// The page view of the sample, for browser errors.
    pub sample_page_view_id: String,
    /// What symbolication made of the sample's stack (browser errors).
    pub symbolication: String,
}

/// A group that turned new or regressed, for alert rules.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEvent {
    pub fingerprint: String,
    /// First seen, or regressed.
    pub at_millis: i64,
    pub occurrences: u64,
    pub layer: String,
    pub service: String,
    pub error_type: String,
    pub message: String,
    /// Where it was first seen: a page's route or path, a span's name.
    pub place: String,
    /// The release it was first seen (or regressed) in.
    pub release: String,
    pub example_trace_id: String,
}

/// The newest decision per group.
const DECISIONS: &str = "SELECT Fingerprint, argMax(Decision, DecidedAt) AS decision, \
        max(DecidedAt) AS decided_at, argMax(ResolvedReleases, DecidedAt) AS resolved_releases \
    FROM error_decisions GROUP BY Fingerprint";

/// Rows of resolved groups seen after their resolution in a release they
/// had not been seen in then (or without a release: seen again at all).
fn regressed_rows() -> String {
    format!(
        "error_groups AS r GLOBAL INNER JOIN ({DECISIONS}) AS x ON r.Fingerprint = x.Fingerprint \
         WHERE x.decision = 'resolved' AND r.LastSeen > x.decided_at \
           AND (r.Release = '' OR NOT has(x.resolved_releases, r.Release))"
    )
}

/// A group's sample as ClickHouse returns the tuple: type, message,
/// trace, span, page view, frames (JSON), symbolication.
type Sample = (String, String, String, String, String, String, String);

#[derive(Deserialize)]
struct GroupRow {
    fingerprint: String,
    layer: String,
    service: String,
    count: u64,
    sessions: u64,
    traces: u64,
    first_seen_ms: i64,
    last_seen_ms: i64,
    first_seen_ever_ms: i64,
    releases: Vec<String>,
    state: String,
    regressed_at_ms: i64,
    sample: Sample,
}

impl GroupRow {
    fn into_group(self) -> ErrorGroup {
        let (error_type, message, trace, span, page_view, frames, symbolication) = self.sample;
        let sample_frames: Vec<Frame> = serde_json::from_str(&frames).unwrap_or_default();
        ErrorGroup {
            sample_stack: sample_frames.iter().map(Frame::to_string).collect(),
            sample_frames,
            fingerprint: self.fingerprint,
            error_type,
            message,
            count: self.count,
            sessions: self.sessions,
            traces: self.traces,
            first_seen_ms: self.first_seen_ms,
            last_seen_ms: self.last_seen_ms,
            first_seen_ever_ms: self.first_seen_ever_ms,
            releases: self.releases,
            layer: self.layer,
            service: self.service,
            state: GroupState::parse(&self.state).unwrap_or(GroupState::Ongoing),
            regressed_at_ms: self.regressed_at_ms,
            sample_trace_id: trace,
            sample_span_id: span,
            sample_page_view_id: page_view,
            symbolication,
        }
    }
}

#[derive(Deserialize)]
struct EventRow {
    fingerprint: String,
    at_millis: i64,
    occurrences: u64,
    layer: String,
    service: String,
    release: String,
    /// The first occurrence's place, type and message.
    first: (String, String, String),
    sample: Sample,
}

impl EventRow {
    fn into_event(self) -> GroupEvent {
        let (_, _, trace, ..) = self.sample;
        let (place, error_type, message) = self.first;
        GroupEvent {
            fingerprint: self.fingerprint,
            at_millis: self.at_millis,
            occurrences: self.occurrences,
            layer: self.layer,
            service: self.service,
            error_type,
            message,
            place,
            release: self.release,
            example_trace_id: trace,
        }
    }
}

/// What an alert rule's group query selects per group, from rows `r`.
const EVENT_COLUMNS: &str = "sum(r.Occurrences) AS occurrences, any(r.Layer) AS layer, \
    min(r.Service) AS service, argMinMerge(r.First) AS first, \
    argMin(r.Release, r.FirstSeen) AS release, argMaxMerge(r.Sample) AS sample";

impl Queries {
    /// The groups of `range` that `filter` lets through, most frequent first.
    pub async fn error_groups(
        &self,
        range: TimeRange,
        filter: &GroupFilter,
        limit: u32,
        now_millis: i64,
    ) -> Result<Vec<ErrorGroup>, QueryError> {
        let text = |value: &Option<String>| value.clone().unwrap_or_default();
        let rows: Vec<GroupRow> = fetch_json(
            self.query(&format!(
                "SELECT g.Fingerprint AS fingerprint, g.layer AS layer, g.service AS service, \
                        g.count AS count, g.sessions AS sessions, g.traces AS traces, \
                        toUnixTimestamp64Milli(g.first_seen) AS first_seen_ms, \
                        toUnixTimestamp64Milli(g.last_seen) AS last_seen_ms, \
                        toUnixTimestamp64Milli(e.first_seen_ever) AS first_seen_ever_ms, \
                        g.releases AS releases, g.sample AS sample, \
                        toUnixTimestamp64Milli(rg.regressed_at) AS regressed_at_ms, \
                        multiIf(d.decision = 'ignored', 'ignored', \
                                d.decision = 'resolved' AND regressed_at_ms > 0, 'regressed', \
                                d.decision = 'resolved', 'resolved', \
                                first_seen_ever_ms >= {{now:Int64}} - {NEW_FOR_MILLIS}, 'new', \
                                'ongoing') AS state \
                 FROM ( \
                     SELECT Fingerprint, any(Layer) AS layer, min(Service) AS service, \
                            sum(Occurrences) AS count, uniqMerge(Sessions) AS sessions, \
                            uniqMerge(Traces) AS traces, min(FirstSeen) AS first_seen, \
                            max(LastSeen) AS last_seen, \
                            arraySort(groupUniqArray(toString(Release))) AS releases, \
                            argMaxMerge(Sample) AS sample \
                     FROM error_groups \
                     WHERE Hour >= toStartOfHour(fromUnixTimestamp64Milli({{from:Int64}})) \
                       AND Hour <= fromUnixTimestamp64Milli({{to:Int64}}) \
                       AND ({{layer:String}} = '' OR Layer = {{layer:String}}) \
                       AND ({{service:String}} = '' OR Service = {{service:String}}) \
                       AND ({{release:String}} = '' OR Release = {{release:String}}) \
                     GROUP BY Fingerprint \
                 ) AS g \
                 GLOBAL LEFT JOIN ( \
                     SELECT Fingerprint, min(FirstSeen) AS first_seen_ever FROM error_groups \
                     GROUP BY Fingerprint \
                 ) AS e ON e.Fingerprint = g.Fingerprint \
                 GLOBAL LEFT JOIN ({DECISIONS}) AS d ON d.Fingerprint = g.Fingerprint \
                 GLOBAL LEFT JOIN ( \
                     SELECT r.Fingerprint AS Fingerprint, \
                            min(greatest(r.FirstSeen, x.decided_at)) AS regressed_at \
                     FROM {} GROUP BY r.Fingerprint \
                 ) AS rg ON rg.Fingerprint = g.Fingerprint \
                 WHERE ({{state:String}} = '' OR state = {{state:String}}) \
                 ORDER BY count DESC, last_seen_ms DESC, fingerprint \
                 LIMIT {{limit:UInt32}}",
                regressed_rows()
            ))
            .param("from", range.from_millis)
            .param("to", range.to_millis)
            .param("now", now_millis)
            .param("layer", text(&filter.layer))
            .param("service", text(&filter.service))
            .param("release", text(&filter.release))
            .param("state", filter.state.map_or("", GroupState::as_str))
            .param("limit", limit),
            "error groups",
        )
        .await?;
        Ok(rows.into_iter().map(GroupRow::into_group).collect())
    }

    /// The releases a group has been seen in, or `None` when no group has
    /// that fingerprint.
    pub async fn error_group_releases(
        &self,
        fingerprint: &str,
    ) -> Result<Option<Vec<String>>, QueryError> {
        #[derive(Deserialize)]
        struct Releases {
            releases: Vec<String>,
        }
        let found: Vec<Releases> = fetch_json(
            self.query(
                "SELECT arraySort(groupUniqArray(toString(Release))) AS releases \
                 FROM error_groups WHERE Fingerprint = {fingerprint:String} \
                 GROUP BY Fingerprint",
            )
            .param("fingerprint", fingerprint),
            "an error group's releases",
        )
        .await?;
        Ok(found.into_iter().next().map(|r| r.releases))
    }

    /// Groups of every layer first seen at or after `new_since_millis`
    /// (of those seen since `lookback_from_millis`).
    pub async fn new_error_groups(
        &self,
        new_since_millis: i64,
        lookback_from_millis: i64,
    ) -> Result<Vec<GroupEvent>, QueryError> {
        let rows: Vec<EventRow> = fetch_json(
            self.query(&format!(
                "SELECT r.Fingerprint AS fingerprint, \
                        toUnixTimestamp64Milli(min(r.FirstSeen)) AS at_millis, {EVENT_COLUMNS} \
                 FROM error_groups AS r \
                 WHERE r.Hour >= toStartOfHour(fromUnixTimestamp64Milli({{from:Int64}})) \
                 GROUP BY r.Fingerprint HAVING at_millis >= {{since:Int64}} \
                 ORDER BY at_millis, fingerprint LIMIT 1000"
            ))
            .param("from", lookback_from_millis)
            .param("since", new_since_millis),
            "finding new error groups",
        )
        .await?;
        Ok(rows.into_iter().map(EventRow::into_event).collect())
    }

    /// Groups that regressed at or after `since_millis`.
    pub async fn regressed_error_groups(
        &self,
        since_millis: i64,
    ) -> Result<Vec<GroupEvent>, QueryError> {
        let rows: Vec<EventRow> = fetch_json(
            self.query(&format!(
                "SELECT r.Fingerprint AS fingerprint, \
                        toUnixTimestamp64Milli(min(greatest(r.FirstSeen, x.decided_at))) AS at_millis, \
                        {EVENT_COLUMNS} \
                 FROM {} \
                 GROUP BY r.Fingerprint HAVING at_millis >= {{since:Int64}} \
                 ORDER BY at_millis, fingerprint LIMIT 1000",
                regressed_rows()
            ))
            .param("since", since_millis),
            "finding regressed error groups",
        )
        .await?;
        Ok(rows.into_iter().map(EventRow::into_event).collect())
    }
}
