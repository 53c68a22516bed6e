//! The store writer: takes batches from a pipeline queue, encodes them into
//! RowBinary as they arrive, and inserts in chunks bounded by rows, bytes
//! and time, retrying with exponential backoff and jitter.
//!
//! Queue room is released only after ClickHouse confirmed the insert, so the
//! queue's bound covers everything acknowledged but not yet durable.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::sync::{mpsc, watch, Semaphore};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::rows::Table;
use crate::pipeline::{Batch, Room};
use crate::telemetry::Metrics;

#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub batch_rows: usize,
    pub batch_bytes: usize,
    pub flush_interval: Duration,
    pub insert_concurrency: usize,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// How long pending inserts keep retrying once shutdown has begun.
    pub shutdown_timeout: Duration,
}

/// A sealed chunk of encoded rows, ready to insert.
struct Chunk {
    data: Bytes,
    rows: usize,
    /// Held, not read: dropping the chunk after its insert frees queue room.
    _room: Room,
}

/// Runs until the queue's senders are all gone, then flushes what it holds.
/// `shutdown` turns to `true` when the process is stopping, which bounds how
/// long failed inserts keep retrying.
pub async fn run<T: Table>(
    client: clickhouse::Client,
    settings: WriterSettings,
    mut receiver: mpsc::UnboundedReceiver<Batch<T::Record>>,
    shutdown: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
) {
    let sql: Arc<str> = T::insert_sql().into();
    let in_flight = Arc::new(Semaphore::new(settings.insert_concurrency.max(1)));
    let mut inserts = JoinSet::new();
    let mut buf = Vec::new();
    let mut rows = 0usize;
    let mut room = Room::default();
    let mut ticker = tokio::time::interval(settings.flush_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);

    loop {
        let seal = tokio::select! {
            batch = receiver.recv() => match batch {
                Some(batch) => {
                    let (records, batch_room) = batch.into_parts();
                    for record in &records {
                        T::encode(record, &mut buf);
                    }
                    rows += records.len();
                    room.merge(batch_room);
                    rows >= settings.batch_rows || buf.len() >= settings.batch_bytes
                }
                None => break,
            },
            _ = ticker.tick() => rows > 0,
        };
        if seal {
            let chunk = Chunk {
                data: Bytes::from(std::mem::take(&mut buf)),
                rows: std::mem::take(&mut rows),
                _room: std::mem::take(&mut room),
            };
            let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else {
                break;
            };
            let (client, sql, settings, shutdown, metrics) = (
                client.clone(),
                Arc::clone(&sql),
                settings.clone(),
                shutdown.clone(),
                Arc::clone(&metrics),
            );
            inserts.spawn(async move {
                insert_with_retry(&client, &sql, chunk, &settings, shutdown, &metrics).await;
                drop(permit);
            });
            ticker.reset();
        }
        while inserts.try_join_next().is_some() {}
    }

    if rows > 0 {
        let chunk = Chunk {
            data: Bytes::from(buf),
            rows,
            _room: room,
        };
        insert_with_retry(&client, &sql, chunk, &settings, shutdown, &metrics).await;
    }
    while inserts.join_next().await.is_some() {}
    tracing::debug!(table = T::NAME, "writer drained");
}

async fn insert_with_retry(
    client: &clickhouse::Client,
    sql: &str,
    chunk: Chunk,
    settings: &WriterSettings,
    mut shutdown: watch::Receiver<bool>,
    metrics: &Metrics,
) {
    let mut delay = settings.retry_initial;
    let mut give_up_at: Option<Instant> = None;
    loop {
        match insert_once(client, sql, chunk.data.clone()).await {
            Ok(()) => {
                Metrics::add(&metrics.rows_written, chunk.rows as u64);
                Metrics::add(&metrics.inserts, 1);
                return; // dropping the chunk releases its queue room
            }
            Err(error) => {
                Metrics::add(&metrics.insert_attempts_failed, 1);
                tracing::warn!(rows = chunk.rows, %error, retry_in_ms = delay.as_millis() as u64, "insert failed; retrying");
            }
        }
        if *shutdown.borrow() {
            let deadline =
                *give_up_at.get_or_insert_with(|| Instant::now() + settings.shutdown_timeout);
            if Instant::now() >= deadline {
                Metrics::add(&metrics.rows_lost, chunk.rows as u64);
                tracing::error!(
                    rows = chunk.rows,
                    "giving up on an insert at shutdown: ClickHouse stayed unreachable"
                );
                return;
            }
        }
        // Full jitter keeps many collectors from retrying in lockstep.
        let jittered = delay.mul_f64(0.5 + fastrand::f64() * 0.5);
        if *shutdown.borrow() {
            tokio::time::sleep(jittered).await;
        } else {
            // Wake early when shutdown begins, so the deadline starts at once.
            tokio::select! {
                _ = tokio::time::sleep(jittered) => {}
                _ = shutdown.changed() => {}
            }
        }
        delay = (delay * 2).min(settings.retry_max);
    }
}

async fn insert_once(
    client: &clickhouse::Client,
    sql: &str,
    data: Bytes,
) -> clickhouse::error::Result<()> {
    let mut insert = client.insert_formatted_with(sql.to_owned());
    insert.send(data).await?;
    insert.end().await
}
