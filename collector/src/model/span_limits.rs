//! How much of one span (or log record) is stored: the OpenTelemetry SDK's span limits,
//! applied again at the collector, because not every sender has an SDK
//! (or a careful one). Excess attributes, events and links are dropped,
//! long strings cut; a span that lost anything says so with
//! `jamscope.truncated = true`, and the counts OpenTelemetry defines for
//! formats without dropped-count fields (`otel.dropped_attributes_count`,
//! `otel.dropped_events_count`, `otel.dropped_links_count`, the sender's
//! own counts plus ours) are added as attributes, since `otel_traces` has
//! no columns for them.

use serde::{Deserialize, Serialize};

use super::{AttributeValue, Attributes, LogRecord, Span};

/// The attribute marking a span (or resource) the collector cut.
pub const TRUNCATED_ATTRIBUTE: &str = "jamscope.truncated";

/// `[span_limits]` in the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SpanLimits {
    /// Attributes kept per span, per event, per link and per resource
    /// (also entries of a map value and elements of an array value).
    pub max_attributes: usize,
    /// Events kept per span: the first ones.
    pub max_events: usize,
    /// Links kept per span: the first ones.
    pub max_links: usize,
    /// Longest string (and byte string) kept, in bytes, cut at a character
    /// boundary: attribute keys and values, span and event names, status
    /// messages, trace states.
    pub max_value_bytes: usize,
}

impl Default for SpanLimits {
    /// The OpenTelemetry SDK's counts (128); its value length is
    /// unlimited, 16 KiB here keeps whole stack traces and SQL statements.
    fn default() -> Self {
        Self {
            max_attributes: 128,
            max_events: 128,
            max_links: 128,
            max_value_bytes: 16 << 10,
        }
    }
}

/// Counts the sender reported dropping (OTLP's `dropped_*_count`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SentDropped {
    pub attributes: u32,
    pub events: u32,
    pub links: u32,
}

/// What the limits took from one span (or resource).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Truncation {
    /// The span's (or resource's) own attributes dropped.
    pub attributes: u64,
    /// Attributes of events and links, entries of maps and elements of
    /// arrays dropped.
    pub nested: u64,
    pub events: u64,
    pub links: u64,
    /// Strings and byte strings cut.
    pub values: u64,
}

impl Truncation {
    pub fn any(&self) -> bool {
        *self != Truncation::default()
    }

    pub fn add(&mut self, other: &Truncation) {
        self.attributes += other.attributes;
        self.nested += other.nested;
        self.events += other.events;
        self.links += other.links;
        self.values += other.values;
    }
}

impl SpanLimits {
    /// Validation: every limit must leave something.
    pub fn validate(&self) -> Result<(), (&'static str, &'static str)> {
        if self.max_value_bytes < 16 {
            return Err(("span_limits.max_value_bytes", "must be at least 16"));
        }
        if self.max_attributes == 0 {
            return Err(("span_limits.max_attributes", "must be at least 1"));
        }
        Ok(())
    }

    /// Applies the limits to `span`, marks it when anything was cut and
    /// records the dropped counts (the sender's plus ours).
    pub fn apply(&self, span: &mut Span, sent: SentDropped) -> Truncation {
        let mut cut = Truncation::default();
        let dropped = self.attributes(&mut span.attributes, &mut cut);
        cut.attributes = dropped;
        cut.values += self.string(&mut span.name) + self.string(&mut span.trace_state);
        cut.values += self.string(&mut span.status.message);
        cut.events = drop_past(&mut span.events, self.max_events);
        for event in &mut span.events {
            cut.values += self.string(&mut event.name);
            let dropped = self.attributes(&mut event.attributes, &mut cut);
            cut.nested += dropped;
        }
        cut.links = drop_past(&mut span.links, self.max_links);
        for link in &mut span.links {
            cut.values += self.string(&mut link.trace_state);
            let dropped = self.attributes(&mut link.attributes, &mut cut);
            cut.nested += dropped;
        }
        mark(
            &mut span.attributes,
            &cut,
            [
                (
                    "otel.dropped_attributes_count",
                    u64::from(sent.attributes) + cut.attributes,
                ),
                (
                    "otel.dropped_events_count",
                    u64::from(sent.events) + cut.events,
                ),
                (
                    "otel.dropped_links_count",
                    u64::from(sent.links) + cut.links,
                ),
            ],
        );
        cut
    }

    /// Applies the limits to a log record: its attributes as a span's, its
    /// body as one attribute value (a string cut, an array or map bounded
    /// like one), its severity text and event name as names. A record that
    /// lost anything is marked, and the dropped attribute count (the
    /// sender's `dropped_attributes_count` plus ours) recorded, as a
    /// span's are.
    pub fn apply_to_log(&self, record: &mut LogRecord, sent_attributes: u32) -> Truncation {
        let mut cut = Truncation::default();
        let dropped = self.attributes(&mut record.attributes, &mut cut);
        cut.attributes = dropped;
        self.value(&mut record.body, &mut cut);
        cut.values += self.string(&mut record.severity_text) + self.string(&mut record.event_name);
        mark(
            &mut record.attributes,
            &cut,
            [(
                "otel.dropped_attributes_count",
                u64::from(sent_attributes) + cut.attributes,
            )],
        );
        cut
    }

    /// Applies the limits to a resource's attributes, marking them when
    /// anything was cut.
    pub fn apply_to_resource(&self, attributes: &mut Attributes) -> Truncation {
        let mut cut = Truncation::default();
        let dropped = self.attributes(attributes, &mut cut);
        cut.attributes = dropped;
        mark(attributes, &cut, []);
        cut
    }

    /// Keeps the first `max_attributes`, cuts keys and values; returns how
    /// many were dropped (nested drops and cut values go to `cut`).
    fn attributes(&self, attributes: &mut Attributes, cut: &mut Truncation) -> u64 {
        let dropped = drop_past(attributes, self.max_attributes);
        for (key, value) in attributes.iter_mut() {
            cut.values += self.string(key);
            self.value(value, cut);
        }
        dropped
    }

    fn value(&self, value: &mut AttributeValue, cut: &mut Truncation) {
        match value {
            AttributeValue::String(text) => cut.values += self.string(text),
            AttributeValue::Bytes(bytes) if bytes.len() > self.max_value_bytes => {
                bytes.truncate(self.max_value_bytes);
                bytes.shrink_to_fit();
                cut.values += 1;
            }
            AttributeValue::Array(items) => {
                cut.nested += drop_past(items, self.max_attributes);
                for item in items {
                    self.value(item, cut);
                }
            }
            AttributeValue::Map(entries) => {
                let dropped = self.attributes(entries, cut);
                cut.nested += dropped;
            }
            AttributeValue::Bytes(_)
            | AttributeValue::Bool(_)
            | AttributeValue::Int(_)
            | AttributeValue::Double(_)
            | AttributeValue::Empty => {}
        }
    }

    /// Cuts `text` to `max_value_bytes` at a character boundary and gives
    /// the rest of its memory back; 1 when it was cut.
    fn string(&self, text: &mut String) -> u64 {
        if text.len() <= self.max_value_bytes {
            return 0;
        }
        let mut end = self.max_value_bytes;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        // A 10 MiB value cut to 16 KiB must not keep its 10 MiB while the
        // span waits in the queue.
        text.shrink_to_fit();
        1
    }
}

/// Marks `attributes` when the limits cut anything, and adds each dropped
/// count that is not zero.
fn mark<const N: usize>(attributes: &mut Attributes, cut: &Truncation, counts: [(&str, u64); N]) {
    if cut.any() {
        attributes.push((TRUNCATED_ATTRIBUTE.to_owned(), AttributeValue::Bool(true)));
    }
    for (name, count) in counts {
        if count > 0 {
            let count = i64::try_from(count).unwrap_or(i64::MAX);
            attributes.push((name.to_owned(), AttributeValue::Int(count)));
        }
    }
}

/// Drops the items past `max`; how many were dropped.
fn drop_past<T>(items: &mut Vec<T>, max: usize) -> u64 {
    let dropped = items.len().saturating_sub(max);
    if dropped > 0 {
        items.truncate(max);
        items.shrink_to_fit();
    }
    dropped as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Event, Link, SpanId, TraceId};

    fn span() -> Span {
        Span::for_tests(1, 2)
    }

    fn small() -> SpanLimits {
        SpanLimits {
            max_attributes: 2,
            max_events: 1,
            max_links: 1,
            max_value_bytes: 16,
        }
    }

    fn attribute<'a>(span: &'a Span, key: &str) -> Option<&'a AttributeValue> {
        span.attributes
            .iter()
            .find_map(|(k, v)| (k == key).then_some(v))
    }

    #[test]
    fn a_span_within_the_limits_is_left_alone() {
        let mut within = span();
        within.attributes = vec![("a".into(), AttributeValue::String("x".into()))];
        let before = within.clone();
        assert_eq!(
            small().apply(&mut within, SentDropped::default()),
            Truncation::default()
        );
        assert_eq!(within, before);
    }

    #[test]
    fn excess_is_dropped_strings_cut_and_the_span_marked() {
        let mut big = span();
        big.attributes = vec![
            ("long".into(), AttributeValue::String("é".repeat(100))),
            ("b".into(), AttributeValue::Bytes(vec![1; 100])),
            ("c".into(), AttributeValue::Int(1)),
        ];
        let event = Event {
            time_unix_nanos: 1,
            name: "e".into(),
            attributes: vec![
                ("x".into(), AttributeValue::Int(1)),
                ("y".into(), AttributeValue::Int(2)),
                ("z".into(), AttributeValue::Int(3)),
            ],
        };
        big.events = vec![event.clone(), event];
        let link = Link {
            trace_id: TraceId([1; 16]),
            span_id: SpanId([1; 8]),
            trace_state: String::new(),
            attributes: Vec::new(),
        };
        big.links = vec![link.clone(), link.clone(), link];
        let cut = small().apply(
            &mut big,
            SentDropped {
                attributes: 5,
                events: 0,
                links: 0,
            },
        );
        assert_eq!(
            cut,
            Truncation {
                attributes: 1,
                nested: 1,
                events: 1,
                links: 2,
                values: 2,
            }
        );
        assert_eq!(big.events.len(), 1);
        assert_eq!(big.events[0].attributes.len(), 2);
        assert_eq!(big.links.len(), 1);
        let Some(AttributeValue::String(long)) = attribute(&big, "long") else {
            panic!("kept");
        };
        assert_eq!(long, &"é".repeat(8), "cut at a character boundary");
        assert_eq!(
            attribute(&big, "b"),
            Some(&AttributeValue::Bytes(vec![1; 16]))
        );
        assert_eq!(attribute(&big, "c"), None, "past the count");
        assert_eq!(
            attribute(&big, TRUNCATED_ATTRIBUTE),
            Some(&AttributeValue::Bool(true))
        );
        assert_eq!(
            attribute(&big, "otel.dropped_attributes_count"),
            Some(&AttributeValue::Int(6)),
            "the sender's 5 and our 1"
        );
        assert_eq!(
            attribute(&big, "otel.dropped_events_count"),
            Some(&AttributeValue::Int(1))
        );
        assert_eq!(
            attribute(&big, "otel.dropped_links_count"),
            Some(&AttributeValue::Int(2))
        );
    }

    #[test]
    fn the_senders_dropped_counts_are_kept_without_a_mark() {
        let mut reported = span();
        let cut = small().apply(
            &mut reported,
            SentDropped {
                attributes: 0,
                events: 3,
                links: 0,
            },
        );
        assert!(!cut.any());
        assert_eq!(attribute(&reported, TRUNCATED_ATTRIBUTE), None);
        assert_eq!(
            attribute(&reported, "otel.dropped_events_count"),
            Some(&AttributeValue::Int(3))
        );
    }

    #[test]
    fn nested_values_and_names_are_bounded_too() {
        let mut nested = span();
        nested.name = "n".repeat(40);
        nested.attributes = vec![(
            "k".repeat(40),
            AttributeValue::Array(vec![
                AttributeValue::String("v".repeat(40)),
                AttributeValue::Map(vec![
                    ("a".into(), AttributeValue::Int(1)),
                    ("b".into(), AttributeValue::Int(2)),
                    ("c".into(), AttributeValue::Int(3)),
                ]),
                AttributeValue::Empty,
            ]),
        )];
        let cut = small().apply(&mut nested, SentDropped::default());
        assert_eq!(nested.name.len(), 16);
        assert_eq!(nested.attributes[0].0.len(), 16);
        let AttributeValue::Array(items) = &nested.attributes[0].1 else {
            panic!("an array");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0], AttributeValue::String("v".repeat(16)));
        assert!(matches!(&items[1], AttributeValue::Map(m) if m.len() == 2));
        assert_eq!((cut.nested, cut.values), (2, 3));
    }

    #[test]
    fn a_log_records_body_and_attributes_are_bounded_and_marked() {
        let mut record = LogRecord::for_tests(1, &"b".repeat(40));
        record.attributes = (0..3)
            .map(|i| (format!("k{i}"), AttributeValue::Int(i)))
            .collect();
        record.severity_text = "s".repeat(20);
        let cut = small().apply_to_log(&mut record, 4);
        assert_eq!((cut.attributes, cut.values), (1, 2));
        assert_eq!(record.body, AttributeValue::String("b".repeat(16)));
        assert_eq!(record.severity_text.len(), 16);
        let find = |key: &str| {
            record
                .attributes
                .iter()
                .find_map(|(k, v)| (k == key).then_some(v.clone()))
        };
        assert_eq!(find(TRUNCATED_ATTRIBUTE), Some(AttributeValue::Bool(true)));
        assert_eq!(
            find("otel.dropped_attributes_count"),
            Some(AttributeValue::Int(5)),
            "the sender's 4 and our 1"
        );

        let mut structured = LogRecord::for_tests(1, "");
        structured.body = AttributeValue::Map(
            (0..3)
                .map(|i| (format!("k{i}"), AttributeValue::Int(i)))
                .collect(),
        );
        let cut = small().apply_to_log(&mut structured, 0);
        assert_eq!(cut.nested, 1);
        assert!(matches!(&structured.body, AttributeValue::Map(m) if m.len() == 2));
    }

    #[test]
    fn resources_are_bounded_and_marked() {
        let mut attributes: Attributes = (0..5)
            .map(|i| (format!("k{i}"), AttributeValue::Int(i)))
            .collect();
        let cut = small().apply_to_resource(&mut attributes);
        assert_eq!(cut.attributes, 3);
        assert_eq!(attributes.len(), 3);
        assert_eq!(attributes[2].0, TRUNCATED_ATTRIBUTE);
    }
}
