//! The store's part of the wiring: ClickHouse (configured or embedded),
//! its migrations, and one writer per table, each with its queue and
//! spool (the five metric tables' queues siblings on one bound); and the
//! port through which build events are written while their sender waits.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::ServeError;
use crate::config::Config;
use crate::errors::sourcemaps::Symbolicator;
use crate::errors::{RecordExceptions, Symbolicate};
use crate::ingest::builds::BuildSink;
use crate::ingest::otlp::MetricQueues;
use crate::ingest::rum::RumQueues;
use crate::model::build::Build;
use crate::model::{LogRecord, Span};
use crate::pipeline::Batch;
use crate::pipeline::Queue;
use crate::store::client::Connection;
use crate::store::embedded::{EmbeddedClickHouse, EmbeddedSettings};
use crate::store::rows::{
    BuildTable, ErrorEventTable, ExponentialHistogramTable, GaugeTable, HistogramTable, LogTable,
    RumErrorTable, RumPageViewTable, RumVitalTable, SpanTable, SumTable, SummaryTable, Table,
};
use crate::store::spool::Spool;
use crate::store::writer::{self, InsertTarget, Writer};
use crate::store::{schema, StoreError};
use crate::telemetry::{Metrics, WorkOutcome, WorkTracer};

/// Equal shares of the spool budget: spans, log records, each RUM table,
/// error events, and metrics, whose share its five tables split (one
/// request's points spread over them, as one request's spans or beacons
/// fill one table).
const SPOOL_SHARES: usize = 7;

/// The metric tables, splitting one spool share and one queue bound.
const METRIC_TABLES: usize = 5;

/// The longest a build event's INSERT may take to send, and to be
/// answered: its sender is waiting.
const BUILD_INSERT_TIMEOUT: Duration = Duration::from_secs(10);

/// The configured ClickHouse, or a freshly started embedded one.
pub(super) async fn connect(
    config: &Config,
) -> Result<(Option<EmbeddedClickHouse>, Connection), ServeError> {
    let ch = &config.clickhouse;
    let timeout = Duration::from_secs(ch.start_timeout_secs);
    let (embedded, url) = match &ch.url {
        Some(url) => (None, url.clone()),
        None => {
            let embedded = EmbeddedClickHouse::start(&EmbeddedSettings {
                data_dir: config.data_dir.clone(),
                python: ch.embedded_python.clone(),
                http_port: ch.embedded_http_port,
                tcp_port: ch.embedded_tcp_port,
                start_timeout: timeout,
            })
            .await?;
            tracing::info!(
                url = embedded.url(),
                engine = embedded.engine(),
                "embedded ClickHouse is up"
            );
            let url = embedded.url().to_owned();
            (Some(embedded), url)
        }
    };
    let connection = Connection::open(config.clickhouse.connection(url))?;
    connection.wait_until_ready(timeout).await?;
    Ok((embedded, connection))
}

/// Creates or upgrades the schema, as a span of the collector's own work.
pub(super) async fn migrate(
    config: &Config,
    connection: &Connection,
    tracer: &WorkTracer,
) -> Result<(), ServeError> {
    let span = tracer.migration(connection.database());
    match schema::migrate(connection, &config.clickhouse.schema()).await {
        Ok(applied) => {
            span.end_with_count(
                "jamscope.migrations_applied",
                applied.len(),
                WorkOutcome::Done,
            );
            Ok(())
        }
        Err(error) => {
            span.end(WorkOutcome::Error, Some(&error.to_string()));
            Err(error.into())
        }
    }
}

/// The queues the receivers fill, one per table.
pub(super) struct Queues {
    pub spans: Queue<Span>,
    pub logs: Queue<LogRecord>,
    pub rum: RumQueues,
    pub metric_points: MetricQueues,
}

/// The running writers, and the one deadline they drain by at shutdown.
pub(super) struct Writers {
    deadline: watch::Sender<Option<tokio::time::Instant>>,
    handles: Vec<JoinHandle<()>>,
}

impl Writers {
    /// One writer per table, each draining its own queue into ClickHouse,
    /// with its own spool. Browser errors are symbolicated on their way;
    /// spans and log records are read for exceptions, which `error_events`
    /// gets.
    pub(super) fn start(
        config: &Config,
        connection: &Connection,
        metrics: &Arc<Metrics>,
        tracer: &WorkTracer,
        symbolicator: &Arc<Symbolicator>,
    ) -> Result<(Writers, Queues), ServeError> {
        let (deadline, deadline_rx) = watch::channel(None);
        let mut spawner = Spawner {
            config,
            connection,
            metrics,
            tracer,
            deadline: deadline_rx,
            handles: Vec::new(),
        };
        let exceptions = spawner.spawn::<ErrorEventTable>()?;
        let symbolicate = Symbolicate(Arc::clone(symbolicator));
        let queues = Queues {
            spans: spawner.spawn_through::<SpanTable>(|batches| {
                let queue = exceptions.clone();
                crate::pipeline::through(batches, RecordExceptions { queue })
            })?,
            logs: spawner.spawn_through::<LogTable>(|batches| {
                crate::pipeline::through(batches, RecordExceptions { queue: exceptions })
            })?,
            rum: RumQueues {
                vitals: spawner.spawn::<RumVitalTable>()?,
                errors: spawner.spawn_through::<RumErrorTable>(|batches| {
                    crate::pipeline::through(batches, symbolicate)
                })?,
                page_views: spawner.spawn::<RumPageViewTable>()?,
            },
            metric_points: spawner.metric_queues()?,
        };
        let writers = Writers {
            deadline,
            handles: spawner.handles,
        };
        Ok((writers, queues))
    }

    /// Sets the one deadline for everything pending; what ClickHouse has not
    /// confirmed by then is spooled.
    pub(super) fn set_deadline(&self, grace: Duration) {
        let _ = self
            .deadline
            .send(Some(tokio::time::Instant::now() + grace));
    }

    /// Waits for every writer to drain its queue (they see the end once
    /// every sender of their queue is gone).
    pub(super) async fn finish(self) {
        for handle in self.handles {
            let _ = handle.await;
        }
    }
}

struct Spawner<'a> {
    config: &'a Config,
    connection: &'a Connection,
    metrics: &'a Arc<Metrics>,
    tracer: &'a WorkTracer,
    deadline: writer::Deadline,
    handles: Vec<JoinHandle<()>>,
}

/// What a writer reads its batches from.
type Batches<T> = tokio::sync::mpsc::UnboundedReceiver<Batch<T>>;

impl Spawner<'_> {
    /// Table `T`'s queue (of `writer.queue_bytes`) and writer.
    fn spawn<T: Table>(&mut self) -> Result<Queue<T::Record>, ServeError> {
        self.spawn_through::<T>(|batches| batches)
    }

    /// A queue whose batches take `route` (a `pipeline::through` step) on
    /// their way to `T`'s writer.
    fn spawn_through<T: Table>(
        &mut self,
        route: impl FnOnce(Batches<T::Record>) -> Batches<T::Record>,
    ) -> Result<Queue<T::Record>, ServeError> {
        let spool_config = &self.config.spool;
        let (queue, receiver) = crate::pipeline::queue_with(
            self.config.writer.queue_bytes,
            spool_config.enabled && spool_config.durable,
        );
        self.writer::<T>(&queue, route(receiver), SPOOL_SHARES)?;
        Ok(queue)
    }

    /// The five metric tables' writers, their queues siblings on one
    /// bound of `writer.queue_bytes`: a metric export's points are admitted
    /// together, and five tables of metrics hold no more memory than one
    /// table of spans. A writer per table keeps each INSERT to one table,
    /// its chunks and spool segments as every other table's.
    fn metric_queues(&mut self) -> Result<MetricQueues, ServeError> {
        let gauges = self.spawn_sharing::<GaugeTable>(None)?;
        Ok(MetricQueues {
            sums: self.spawn_sharing::<SumTable>(Some(&gauges))?,
            histograms: self.spawn_sharing::<HistogramTable>(Some(&gauges))?,
            exponential_histograms: self
                .spawn_sharing::<ExponentialHistogramTable>(Some(&gauges))?,
            summaries: self.spawn_sharing::<SummaryTable>(Some(&gauges))?,
            gauges,
        })
    }

    /// A metric table's queue (a sibling of `bound`'s, or the first of
    /// them) and writer, on its part of the metrics' spool share.
    fn spawn_sharing<T: Table>(
        &mut self,
        bound: Option<&Queue<crate::model::datapoint::GaugePoint>>,
    ) -> Result<Queue<T::Record>, ServeError> {
        let spool_config = &self.config.spool;
        let (queue, receiver) = match bound {
            Some(first) => first.sibling(),
            None => crate::pipeline::queue_with(
                self.config.writer.queue_bytes,
                spool_config.enabled && spool_config.durable,
            ),
        };
        self.writer::<T>(&queue, receiver, SPOOL_SHARES * METRIC_TABLES)?;
        Ok(queue)
    }

    /// Starts table `T`'s writer on `receiver`, its spool taking
    /// `1 / spool_shares` of the spool budget.
    fn writer<T: Table>(
        &mut self,
        queue: &Queue<T::Record>,
        receiver: Batches<T::Record>,
        spool_shares: usize,
    ) -> Result<(), ServeError> {
        let config = self.config;
        let spool_config = &config.spool;
        let stats = self.metrics.table(T::NAME, queue.depth());
        let spool = if spool_config.enabled {
            let settings = spool_config.for_table(&config.data_dir, T::NAME, spool_shares);
            let (spool, recovery) = Spool::open(settings).map_err(StoreError::from)?;
            if recovery.chunks > 0 || recovery.damaged_segments > 0 {
                tracing::info!(
                    table = T::NAME,
                    chunks = recovery.chunks,
                    rows = recovery.rows,
                    damaged_segments = recovery.damaged_segments,
                    "spool holds rows from an earlier run; replaying them"
                );
            }
            stats.spool_damaged(recovery.damaged_segments);
            Some(spool)
        } else {
            None
        };
        let writer = Writer {
            target: InsertTarget {
                client: self.connection.client(),
                send_timeout: Duration::from_millis(config.writer.send_timeout_ms),
                response_timeout: Duration::from_millis(config.writer.response_timeout_ms),
            },
            settings: config.writer.settings(),
            spool,
            durable: spool_config.durable,
            dead_letter_dir: config.data_dir.join("rejected"),
            stats,
            tracer: self.tracer.clone(),
        };
        self.handles.push(tokio::spawn(writer::run::<T>(
            writer,
            receiver,
            self.deadline.clone(),
        )));
        Ok(())
    }
}

/// Build events are written while their sender waits (`ingest::builds`).
pub(super) struct StoreBuilds(InsertTarget);

impl StoreBuilds {
    pub(super) fn new(connection: &Connection) -> Self {
        Self(InsertTarget {
            client: connection.client(),
            send_timeout: BUILD_INSERT_TIMEOUT,
            response_timeout: BUILD_INSERT_TIMEOUT,
        })
    }
}

impl BuildSink for StoreBuilds {
    fn insert<'a>(
        &'a self,
        build: &'a Build,
    ) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            writer::insert_now::<BuildTable>(&self.0, std::slice::from_ref(build))
                .await
                .map_err(|failure| failure.message)
        })
    }
}
