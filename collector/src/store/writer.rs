//! The store writer: takes batches from a pipeline queue, encodes them into
//! RowBinary as they arrive, and inserts in chunks bounded by rows, bytes
//! and time, retrying with exponential backoff and jitter.
//!
//! Queue room is released only after ClickHouse confirmed the insert, so the
//! queue's bound covers everything acknowledged but not yet durable.

use std::collections::VecDeque;
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
    let mut open_chunk = OpenChunk::new(&settings);
    // Sealed chunks waiting for an insert slot. Records are encoded as soon
    // as they arrive, even while every slot is busy, because RowBinary is a
    // fraction of the size of decoded spans: a slow ClickHouse then costs
    // encoded bytes, not decoded objects.
    let mut sealed: VecDeque<Chunk> = VecDeque::new();
    let mut receiving = true;
    let mut ticker = tokio::time::interval(settings.flush_interval);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);

    loop {
        tokio::select! {
            batch = receiver.recv(), if receiving => match batch {
                Some(batch) => {
                    open_chunk.add::<T>(batch);
                    if open_chunk.is_full(&settings) {
                        sealed.push_back(open_chunk.seal());
                        ticker.reset();
                    }
                }
                None => {
                    receiving = false;
                    if !open_chunk.is_empty() {
                        sealed.push_back(open_chunk.seal());
                    }
                }
            },
            permit = Arc::clone(&in_flight).acquire_owned(), if !sealed.is_empty() => {
                let (Ok(permit), Some(chunk)) = (permit, sealed.pop_front()) else { break };
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
            },
            _ = ticker.tick(), if receiving => {
                if !open_chunk.is_empty() {
                    sealed.push_back(open_chunk.seal());
                }
            },
            else => break,
        }
        while inserts.try_join_next().is_some() {}
    }
    while inserts.join_next().await.is_some() {}
    tracing::debug!(table = T::NAME, "writer drained");
}

/// The chunk being filled: encoded rows and the queue room they hold.
struct OpenChunk {
    buf: Vec<u8>,
    rows: usize,
    room: Room,
    capacity: usize,
}

impl OpenChunk {
    fn new(settings: &WriterSettings) -> Self {
        // Sized for a whole chunk up front: growing a multi-megabyte buffer
        // by doubling copied it over and over (seen in profiles).
        let capacity = settings.batch_bytes + settings.batch_bytes / 8;
        Self {
            buf: Vec::with_capacity(capacity),
            rows: 0,
            room: Room::default(),
            capacity,
        }
    }

    fn add<T: Table>(&mut self, batch: Batch<T::Record>) {
        let (records, room) = batch.into_parts();
        T::encode_all(&records, &mut self.buf);
        self.rows += records.len();
        self.room.merge(room);
    }

    fn is_full(&self, settings: &WriterSettings) -> bool {
        self.rows >= settings.batch_rows || self.buf.len() >= settings.batch_bytes
    }

    fn is_empty(&self) -> bool {
        self.rows == 0
    }

    fn seal(&mut self) -> Chunk {
        let mut data = std::mem::replace(&mut self.buf, Vec::with_capacity(self.capacity));
        // A chunk sealed by time may be small; while it waits for an insert
        // slot it should not hold a whole chunk's worth of memory.
        if data.len() < data.capacity() / 2 {
            data.shrink_to_fit();
        }
        Chunk {
            data: Bytes::from(data),
            rows: std::mem::take(&mut self.rows),
            _room: std::mem::take(&mut self.room),
        }
    }
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
