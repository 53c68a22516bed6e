//! Real-user monitoring: what browsers report about page views, Web Vitals
//! and JavaScript errors, independent of the beacon's wire format.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use super::error::Frame;
use super::{Attributes, TraceId};

pub use super::error::Fingerprint;

/// The span attribute naming the page view a browser span belongs to: how
/// a trace finds the page view that started it, and a page view its traces.
pub const PAGE_VIEW_ATTRIBUTE: &str = "jamscope.page_view.id";
/// The span attribute naming the browser session (OpenTelemetry's).
pub const SESSION_ATTRIBUTE: &str = "session.id";
/// The span attribute holding the page's route template, when it named one.
pub const PAGE_ROUTE_ATTRIBUTE: &str = "jamscope.page.route";
/// The span attribute holding the page's path (without its query).
pub const PAGE_PATH_ATTRIBUTE: &str = "jamscope.page.path";

/// What the page itself said about where an event happened.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageInfo {
    pub app: String,
    pub release: String,
    pub environment: String,
    pub session_id: String,
    pub page_view_id: String,
    /// The trace of the request that rendered the document, when the page
    /// carried a valid `traceparent`.
    pub trace_id: Option<TraceId>,
    pub url: String,
    pub path: String,
    /// A route template such as `/products/:id`; empty when unknown.
    pub route: String,
    pub referrer: String,
    /// Network Information API effective type (`4g`, ...); empty when unknown.
    pub connection: String,
    /// The device class the page detected, when it sent one.
    pub device_class: Option<DeviceClass>,
}

/// What the collector learnt about the sender from the request itself.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClientInfo {
    pub browser: String,
    pub browser_version: String,
    pub os: String,
    /// From the user agent; the page's own answer wins (see [`PageContext`]).
    pub device_class: DeviceClass,
    /// ISO 3166-1 alpha-2, uppercase; empty when unknown.
    pub country: String,
    /// Already anonymised (see [`anonymize_ip`]): the full address is never kept.
    pub ip: Option<IpAddr>,
}

/// Everything the events of one beacon share.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PageContext {
    pub page: PageInfo,
    pub client: ClientInfo,
    pub received_at_millis: i64,
}

impl PageContext {
    /// The page knows its device best (touch, screen size); the user agent
    /// is the fallback, and the only source for bots.
    pub fn device_class(&self) -> DeviceClass {
        self.page.device_class.unwrap_or(self.client.device_class)
    }
}

/// One event together with the page it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct RumRecord<T> {
    pub context: Arc<PageContext>,
    pub event: T,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeviceClass {
    Desktop,
    Mobile,
    Tablet,
    Bot,
    #[default]
    Unknown,
}

impl DeviceClass {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "desktop" => Some(Self::Desktop),
            "mobile" => Some(Self::Mobile),
            "tablet" => Some(Self::Tablet),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Desktop => "desktop",
            Self::Mobile => "mobile",
            Self::Tablet => "tablet",
            Self::Bot => "bot",
            Self::Unknown => "",
        }
    }
}

/// The Web Vitals, by the names the `web-vitals` library reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MetricName {
    Lcp,
    Inp,
    Cls,
    Fcp,
    Ttfb,
    /// Removed in web-vitals v5, still sent by older pages.
    Fid,
}

impl MetricName {
    pub const ALL: [MetricName; 6] = [
        MetricName::Lcp,
        MetricName::Inp,
        MetricName::Cls,
        MetricName::Fcp,
        MetricName::Ttfb,
        MetricName::Fid,
    ];

    /// Case-insensitive, since hand-written beacons are not always careful.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|name| name.as_str().eq_ignore_ascii_case(text))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lcp => "LCP",
            Self::Inp => "INP",
            Self::Cls => "CLS",
            Self::Fcp => "FCP",
            Self::Ttfb => "TTFB",
            Self::Fid => "FID",
        }
    }

    /// The (good, poor) boundaries web-vitals rates with; FID's are from
    /// web.dev, the rest from the library.
    pub fn thresholds(self) -> (f64, f64) {
        match self {
            Self::Lcp => (2500.0, 4000.0),
            Self::Inp => (200.0, 500.0),
            Self::Cls => (0.1, 0.25),
            Self::Fcp => (1800.0, 3000.0),
            Self::Ttfb => (800.0, 1800.0),
            Self::Fid => (100.0, 300.0),
        }
    }

    /// The largest value a real page can report. CLS is a unitless score
    /// (sums of shift fractions); the rest are milliseconds, and ten
    /// minutes is beyond any page load or interaction worth keeping.
    pub fn max_value(self) -> f64 {
        match self {
            Self::Cls => 100.0,
            _ => 600_000.0,
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Self::Cls => "",
            _ => " ms",
        }
    }
}

impl fmt::Display for MetricName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rating {
    Good,
    NeedsImprovement,
    Poor,
}

impl Rating {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "good" => Some(Self::Good),
            "needs-improvement" => Some(Self::NeedsImprovement),
            "poor" => Some(Self::Poor),
            _ => None,
        }
    }

    /// The rating web-vitals gives: above the poor boundary is poor, above
    /// the good boundary needs improvement, the boundaries themselves rate
    /// on the better side.
    pub fn of(name: MetricName, value: f64) -> Self {
        let (good, poor) = name.thresholds();
        if value > poor {
            Self::Poor
        } else if value > good {
            Self::NeedsImprovement
        } else {
            Self::Good
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Good => "good",
            Self::NeedsImprovement => "needs-improvement",
            Self::Poor => "poor",
        }
    }
}

/// How the page was reached, as web-vitals reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NavigationType {
    Navigate,
    Reload,
    BackForward,
    BackForwardCache,
    Prerender,
    Restore,
}

impl NavigationType {
    const ALL: [NavigationType; 6] = [
        NavigationType::Navigate,
        NavigationType::Reload,
        NavigationType::BackForward,
        NavigationType::BackForwardCache,
        NavigationType::Prerender,
        NavigationType::Restore,
    ];

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Navigate => "navigate",
            Self::Reload => "reload",
            Self::BackForward => "back-forward",
            Self::BackForwardCache => "back-forward-cache",
            Self::Prerender => "prerender",
            Self::Restore => "restore",
        }
    }
}

/// One Web Vitals report. CLS and INP report again under the same
/// `metric_id` as they grow; the store keeps the latest per id.
#[derive(Debug, Clone, PartialEq)]
pub struct Vital {
    pub name: MetricName,
    pub value: f64,
    pub rating: Rating,
    pub delta: f64,
    pub metric_id: String,
    pub navigation_type: Option<NavigationType>,
    /// Flat attribution fields (element selector, sub-part durations, ...).
    pub attribution: Attributes,
    pub timestamp_millis: i64,
    /// When the page view the metric belongs to started: the same for
    /// every report of one `metric_id`, so the store can keep all of them
    /// together (see [`page_started_at`]).
    pub page_started_at_millis: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StackFrame {
    pub file: String,
    /// Empty for anonymous code.
    pub function: String,
    pub line: u32,
    pub column: u32,
}

/// An uncaught error or unhandled rejection.
#[derive(Debug, Clone, PartialEq)]
pub struct RumError {
    pub message: String,
    pub error_type: String,
    /// Innermost frame first, as the browser sent them (minified).
    pub stack: Vec<StackFrame>,
    /// The same frames as people read them: symbolicated where the
    /// release's source maps cover them, else as sent with a note why.
    pub frames: Vec<Frame>,
    /// What symbolication made of the whole stack, in a few words; empty
    /// when it was not tried (no stack).
    pub symbolication: String,
    /// Groups occurrences of the same error; see [`Fingerprint::of`] and,
    /// once symbolicated, [`Fingerprint::of_frames`].
    pub fingerprint: Fingerprint,
    pub timestamp_millis: i64,
}

impl RumError {
    pub fn new(
        message: String,
        error_type: String,
        stack: Vec<StackFrame>,
        timestamp_millis: i64,
    ) -> Self {
        let fingerprint = Fingerprint::of(&error_type, &message, &stack);
        let frames = stack.iter().map(Frame::as_sent).collect();
        Self {
            message,
            error_type,
            stack,
            frames,
            symbolication: String::new(),
            fingerprint,
            timestamp_millis,
        }
    }

    /// Takes resolved frames (from source maps) and groups the error by
    /// them: the original file and function of its top in-app frame.
    pub fn resolved(&mut self, frames: Vec<Frame>, symbolication: String) {
        self.fingerprint = Fingerprint::of_frames("", &self.error_type, &self.message, &frames);
        self.frames = frames;
        self.symbolication = symbolication;
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageView {
    pub timestamp_millis: i64,
}

/// How far a browser clock may run ahead of ours, and how old a report may
/// be (a page kept in the back-forward cache reports late).
pub const MAX_CLOCK_AHEAD_MILLIS: i64 = 5 * 60 * 1000;
pub const MAX_REPORT_AGE_MILLIS: i64 = 24 * 60 * 60 * 1000;

/// The time to store for an event: the browser's, kept within a plausible
/// window around the receive time so a wrong clock cannot put rows years
/// away (outside the TTL, or in a partition of their own).
pub fn event_time(sent_millis: Option<i64>, received_millis: i64) -> i64 {
    sent_millis.unwrap_or(received_millis).clamp(
        received_millis - MAX_REPORT_AGE_MILLIS,
        received_millis + MAX_CLOCK_AHEAD_MILLIS,
    )
}

/// When the page view behind a vital started, derived from what every
/// report of one metric id shares: the id itself. web-vitals (v3 to v5, so
/// also the Jamscope SDK) makes ids as `v5-${Date.now()}-${random}`, the
/// moment the metric was set up, at page load or on a back-forward-cache
/// restore. That time is taken when the id has this form and the time lies
/// in the window [`event_time`] keeps (so a wrong clock cannot place a row
/// years away); otherwise the report's own, already kept, time is the best
/// there is, and re-reports of such an id are only kept together when
/// they fall on the same day.
pub fn page_started_at(metric_id: &str, report_millis: i64, received_millis: i64) -> i64 {
    web_vitals_id_millis(metric_id)
        .filter(|started| {
            (received_millis - MAX_REPORT_AGE_MILLIS..=received_millis + MAX_CLOCK_AHEAD_MILLIS)
                .contains(started)
        })
        .unwrap_or(report_millis)
}

/// The `Date.now()` inside a web-vitals id: `v<digits>-<13 digits>-<digits>`.
/// The SQL in `store::schema::rum` (`PAGE_STARTED_AT_SQL`) mirrors this for
/// rows stored before the column existed.
fn web_vitals_id_millis(metric_id: &str) -> Option<i64> {
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    let mut parts = metric_id.split('-');
    let (version, millis, random) = (parts.next()?, parts.next()?, parts.next()?);
    let well_formed = parts.next().is_none()
        && version.strip_prefix('v').is_some_and(all_digits)
        && millis.len() == 13
        && all_digits(millis)
        && all_digits(random);
    if well_formed {
        millis.parse().ok()
    } else {
        None
    }
}

/// Drops the host part of an address before it is stored: an IPv4 address
/// keeps its /24, an IPv6 address its /48 (the last 80 bits become zero).
/// Enough for a region or a network, not for a person.
pub fn anonymize_ip(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, c, _] = v4.octets();
            IpAddr::from([a, b, c, 0])
        }
        IpAddr::V6(v6) => {
            let segments = v6.segments();
            IpAddr::from([segments[0], segments[1], segments[2], 0, 0, 0, 0, 0])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_follow_the_web_vitals_thresholds() {
        assert_eq!(Rating::of(MetricName::Lcp, 2500.0), Rating::Good);
        assert_eq!(
            Rating::of(MetricName::Lcp, 2500.1),
            Rating::NeedsImprovement
        );
        assert_eq!(Rating::of(MetricName::Lcp, 4000.1), Rating::Poor);
        assert_eq!(Rating::of(MetricName::Inp, 300.0), Rating::NeedsImprovement);
        assert_eq!(Rating::of(MetricName::Inp, 501.0), Rating::Poor);
        assert_eq!(Rating::of(MetricName::Cls, 0.05), Rating::Good);
        assert_eq!(Rating::of(MetricName::Cls, 0.3), Rating::Poor);
        assert_eq!(
            Rating::of(MetricName::Fcp, 1900.0),
            Rating::NeedsImprovement
        );
        assert_eq!(Rating::of(MetricName::Ttfb, 1801.0), Rating::Poor);
        assert_eq!(Rating::of(MetricName::Fid, 99.0), Rating::Good);
    }

    #[test]
    fn metric_names_parse_case_insensitively() {
        assert_eq!(MetricName::parse("LCP"), Some(MetricName::Lcp));
        assert_eq!(MetricName::parse("ttfb"), Some(MetricName::Ttfb));
        assert_eq!(MetricName::parse("FID"), Some(MetricName::Fid));
        assert_eq!(MetricName::parse("TBT"), None);
    }

    #[test]
    fn event_times_are_kept_near_the_receive_time() {
        let now = 1_732_380_000_000;
        assert_eq!(event_time(None, now), now);
        assert_eq!(event_time(Some(now - 1000), now), now - 1000);
        assert_eq!(
            event_time(Some(now + 3_600_000), now),
            now + MAX_CLOCK_AHEAD_MILLIS
        );
        assert_eq!(event_time(Some(0), now), now - MAX_REPORT_AGE_MILLIS);
    }

    #[test]
    fn the_page_start_comes_from_a_web_vitals_id() {
        let now = 1_732_380_000_000;
        let report = now - 1_000;
        // The SDK's ids (web-vitals v5), and web-vitals v4's, carry the time
        // the page view's metric was set up.
        let sdk_id = format!("v5-{}-1234567890123", now - 600_000);
        assert_eq!(page_started_at(&sdk_id, report, now), now - 600_000);
        let v4_id = format!("v4-{}-8234567890123", now - 3_600_000);
        assert_eq!(page_started_at(&v4_id, report, now), now - 3_600_000);
        // Nearly a day ago, and a little ahead of our clock, are still kept.
        let old = now - MAX_REPORT_AGE_MILLIS;
        assert_eq!(page_started_at(&format!("v3-{old}-1"), report, now), old);
        let ahead = now + MAX_CLOCK_AHEAD_MILLIS;
        assert_eq!(
            page_started_at(&format!("v5-{ahead}-1"), report, now),
            ahead
        );
    }

    #[test]
    fn other_ids_and_absurd_times_fall_back_to_the_report_time() {
        let now = 1_732_380_000_000;
        let report = now - 1_000;
        for id in [
            "abc",
            "v5-lcp-1",
            "v5-1-2",
            "5-1732379000000-1234567890123",
            "v-1732379000000-1",
            "v5-1732379000000-",
            "v5-1732379000000-12-3",
            "v5-+732379000000-1",
            "v5-1732379000000-1234567890123 ",
        ] {
            assert_eq!(page_started_at(id, report, now), report, "{id:?}");
        }
        // Well formed, but a clock years off or a day and more ago.
        let absurd = "v5-4102444800000-1234567890123";
        assert_eq!(page_started_at(absurd, report, now), report);
        let stale = format!("v5-{}-1", now - MAX_REPORT_AGE_MILLIS - 1);
        assert_eq!(page_started_at(&stale, report, now), report);
        let early = format!("v5-{}-1", now + MAX_CLOCK_AHEAD_MILLIS + 1);
        assert_eq!(page_started_at(&early, report, now), report);
    }

    #[test]
    fn ipv4_addresses_lose_their_last_octet() {
        let ip: IpAddr = "203.0.113.77".parse().unwrap();
        assert_eq!(anonymize_ip(ip).to_string(), "203.0.113.0");
        let mapped: IpAddr = "::ffff:203.0.113.77".parse().unwrap();
        assert_eq!(anonymize_ip(mapped).to_string(), "203.0.113.0");
    }

    #[test]
    fn ipv6_addresses_keep_only_their_first_48_bits() {
        let ip: IpAddr = "2001:db8:85a3:1234:5678:8a2e:370:7334".parse().unwrap();
        assert_eq!(anonymize_ip(ip).to_string(), "2001:db8:85a3::");
        let loopback: IpAddr = "::1".parse().unwrap();
        assert_eq!(anonymize_ip(loopback).to_string(), "::");
    }

    #[test]
    fn the_page_device_class_wins_over_the_user_agent() {
        let mut context = PageContext::default();
        context.client.device_class = DeviceClass::Desktop;
        assert_eq!(context.device_class(), DeviceClass::Desktop);
        context.page.device_class = Some(DeviceClass::Tablet);
        assert_eq!(context.device_class(), DeviceClass::Tablet);
    }
}
