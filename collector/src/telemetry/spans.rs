//! Spans of the collector's own work, for `[self_telemetry]`: one per
//! ClickHouse insert attempt, one per spool replay (the parent of its
//! attempts), one per migration run. Plain `opentelemetry` calls; with
//! self telemetry off every span here is a no-op.
//!
//! No feedback loop: the collector may export its spans to itself, so
//! they are stored in `otel_traces` by the same writer that makes them.
//! The rule that ends it: the writer records spans for a chunk only when
//! the chunk holds at least one row that is *not* the collector's own
//! telemetry (service [`WorkTracer::own_service`]; the RUM tables never
//! hold the collector's rows). The collector's own spans are never such
//! rows, so a chunk of only them makes no span: its spans cause no spans
//! of their own (the chain is one step long), and every span recorded
//! traces back to a chunk with client rows (at most one per insert
//! attempt or replay of such a chunk, plus one migration span per start).
//! Without client traffic the count stops growing. The mark survives the
//! spool: such chunks get a token the replay recognises
//! (`store::writer::chunk`); only data left unsealed by a crash is resealed
//! unmarked, once per restart. Requests are never traced, so exporting to
//! ourselves creates no span either.

use std::sync::Arc;

use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::trace::SdkTracer;

use super::FailureClass;

/// Starts spans of the collector's own work, or nothing when self
/// telemetry is off (the default).
#[derive(Clone, Default)]
pub struct WorkTracer {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    tracer: SdkTracer,
    /// `self_telemetry.service_name`: spans of this service are the
    /// collector's own.
    service_name: String,
}

/// How one insert attempt, a whole replay or a migration run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkOutcome {
    Written,
    Failed(FailureClass),
    /// The retry budget or the shutdown deadline ran out first.
    GaveUp,
    /// Work other than an insert (a migration run) succeeded.
    Done,
    /// Work other than an insert failed.
    Error,
}

impl WorkOutcome {
    fn as_str(self) -> &'static str {
        match self {
            WorkOutcome::Written => "written",
            WorkOutcome::Failed(FailureClass::Transient) => "transient_failure",
            WorkOutcome::Failed(FailureClass::Permanent) => "permanent_failure",
            WorkOutcome::GaveUp => "gave_up",
            WorkOutcome::Done => "done",
            WorkOutcome::Error => "error",
        }
    }
}

impl WorkTracer {
    pub fn new(tracer: SdkTracer, service_name: String) -> Self {
        Self {
            inner: Some(Arc::new(Inner {
                tracer,
                service_name,
            })),
        }
    }

    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// The service name of the collector's own spans, when on: spans of
    /// this service are the collector's own telemetry.
    pub fn own_service(&self) -> Option<&str> {
        self.inner.as_ref().map(|inner| inner.service_name.as_str())
    }

    /// One INSERT of `rows` rows into `table`; a child of `parent` (a
    /// replay) when given.
    pub fn insert(&self, table: &'static str, rows: usize, parent: Option<&WorkSpan>) -> WorkSpan {
        self.start(
            format!("INSERT {table}"),
            SpanKind::Client,
            vec![
                KeyValue::new("db.system.name", "clickhouse"),
                KeyValue::new("db.operation.name", "INSERT"),
                KeyValue::new("db.collection.name", table),
                KeyValue::new("jamscope.rows", count(rows)),
            ],
            parent,
        )
    }

    /// Writing one chunk read back from the disk spool.
    pub fn replay(&self, table: &'static str, rows: usize) -> WorkSpan {
        self.start(
            format!("spool replay {table}"),
            SpanKind::Internal,
            vec![
                KeyValue::new("db.system.name", "clickhouse"),
                KeyValue::new("db.collection.name", table),
                KeyValue::new("jamscope.rows", count(rows)),
            ],
            None,
        )
    }

    /// One run of the schema migrations at start.
    pub fn migration(&self, database: &str) -> WorkSpan {
        self.start(
            "migrate".to_owned(),
            SpanKind::Internal,
            vec![
                KeyValue::new("db.system.name", "clickhouse"),
                KeyValue::new("db.namespace", database.to_owned()),
            ],
            None,
        )
    }

    fn start(
        &self,
        name: String,
        kind: SpanKind,
        attributes: Vec<KeyValue>,
        parent: Option<&WorkSpan>,
    ) -> WorkSpan {
        let Some(inner) = &self.inner else {
            return WorkSpan { context: None };
        };
        // A fresh context, never the ambient one: our spans have no
        // parent but our own.
        let parent = parent.and_then(|p| p.context.clone()).unwrap_or_default();
        let span = inner
            .tracer
            .span_builder(name)
            .with_kind(kind)
            .with_attributes(attributes)
            .start_with_context(&inner.tracer, &parent);
        WorkSpan {
            context: Some(parent.with_span(span)),
        }
    }
}

/// A started span; ended by one of its `end_*` methods (or on drop).
pub struct WorkSpan {
    context: Option<Context>,
}

impl WorkSpan {
    /// Ends with `outcome`; a failure's `message` becomes the error status.
    pub fn end(self, outcome: WorkOutcome, message: Option<&str>) {
        let Some(context) = &self.context else {
            return;
        };
        let span = context.span();
        span.set_attribute(KeyValue::new("jamscope.outcome", outcome.as_str()));
        if !matches!(outcome, WorkOutcome::Written | WorkOutcome::Done) {
            span.set_status(Status::error(
                message.unwrap_or(outcome.as_str()).to_owned(),
            ));
        }
        span.end();
    }

    /// Ends a replay or migration with a count of what it did.
    pub fn end_with_count(self, key: &'static str, value: usize, outcome: WorkOutcome) {
        if let Some(context) = &self.context {
            context
                .span()
                .set_attribute(KeyValue::new(key, count(value)));
        }
        self.end(outcome, None);
    }
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry::trace::{Status, TracerProvider as _};
    use opentelemetry_sdk::error::OTelSdkResult;
    use opentelemetry_sdk::trace::{SdkTracerProvider, SpanData, SpanExporter};
    use std::sync::Mutex;

    /// Keeps every span ended, in order.
    #[derive(Debug, Clone, Default)]
    struct Kept(Arc<Mutex<Vec<SpanData>>>);

    impl SpanExporter for Kept {
        async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
            self.0.lock().unwrap().extend(batch);
            Ok(())
        }
    }

    fn attribute(span: &SpanData, key: &str) -> Option<String> {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    }

    #[test]
    fn inserts_of_a_replay_are_its_children_with_table_rows_and_outcome() {
        let kept = Kept::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(kept.clone())
            .build();
        let tracer = WorkTracer::new(provider.tracer("test"), "jamscope".into());
        assert_eq!(tracer.own_service(), Some("jamscope"));

        let replay = tracer.replay("rum_vitals", 10);
        tracer.insert("rum_vitals", 10, Some(&replay)).end(
            WorkOutcome::Failed(FailureClass::Transient),
            Some("timeout"),
        );
        tracer
            .insert("rum_vitals", 10, Some(&replay))
            .end(WorkOutcome::Written, None);
        replay.end_with_count("jamscope.rows_written", 10, WorkOutcome::Written);
        tracer
            .insert("otel_traces", 3, None)
            .end(WorkOutcome::Written, None);

        let spans = kept.0.lock().unwrap().clone();
        let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
        assert_eq!(
            names,
            [
                "INSERT rum_vitals",
                "INSERT rum_vitals",
                "spool replay rum_vitals",
                "INSERT otel_traces"
            ]
        );
        let replay_id = spans[2].span_context.span_id();
        assert_eq!(spans[0].parent_span_id, replay_id);
        assert_eq!(spans[1].parent_span_id, replay_id);
        assert_eq!(
            spans[0].span_context.trace_id(),
            spans[2].span_context.trace_id()
        );
        assert_ne!(spans[3].parent_span_id, replay_id, "a root of its own");
        assert_eq!(
            attribute(&spans[0], "db.collection.name").as_deref(),
            Some("rum_vitals")
        );
        assert_eq!(attribute(&spans[0], "jamscope.rows").as_deref(), Some("10"));
        assert_eq!(
            attribute(&spans[0], "jamscope.outcome").as_deref(),
            Some("transient_failure")
        );
        assert_eq!(spans[0].status, Status::error("timeout"));
        assert_eq!(
            attribute(&spans[1], "jamscope.outcome").as_deref(),
            Some("written")
        );
        assert_eq!(spans[1].status, Status::Unset);
        assert_eq!(
            attribute(&spans[2], "jamscope.rows_written").as_deref(),
            Some("10")
        );
    }

    #[test]
    fn off_means_no_spans_and_nothing_is_own() {
        let tracer = WorkTracer::default();
        assert!(!tracer.is_on());
        assert_eq!(tracer.own_service(), None);
        let span = tracer.insert("otel_traces", 3, None);
        assert!(span.context.is_none());
        span.end(WorkOutcome::Written, None);
    }
}
