//! The store writer, one per table: takes batches from its pipeline queue,
//! encodes them into RowBinary as they arrive, seals chunks by rows, bytes
//! and time, and inserts them; the disk spool takes what ClickHouse cannot.
//!
//! The invariants it keeps:
//! - queue room is released only once a chunk is durable: confirmed by
//!   ClickHouse, or written to the spool (fsync'd);
//! - every chunk has one deduplication token, fixed when it is sealed and
//!   reused by every retry, split and replay, so ClickHouse stores it once;
//! - a failing chunk never blocks the others for long: transient failures
//!   retry within `retry_budget`, then the chunk goes to the spool;
//!   permanent ones are split until the bad rows are isolated
//!   (`insert.rs`), and those are kept in the dead-letter store;
//! - shutdown has one deadline for everything: what is not confirmed by
//!   then is spooled, so nothing acknowledged is lost while the disk has
//!   room.
//!
//! In durable mode every batch is appended to the spool before its request
//! is acknowledged; batches arriving together share one fsync.
//!
//! A table is written one of two ways, both through its [`Table`] shape:
//! - queued: [`run`]`::<T>` takes batches from `T`'s pipeline queue, as
//!   above (spans, RUM: whatever requests are acknowledged for);
//! - now: [`insert_now`]`::<T>` writes a few rows while its caller waits
//!   for ClickHouse, without queue, spool or retry (build events, the
//!   alert tables), and the caller answers a failure.
//!
//! Rows refused for good by either go nowhere silently: the queued writer
//! keeps them in `rejected_rows` (`dead_letter.rs`); a direct insert
//! returns the failure to its caller.

mod chunk;
mod dead_letter;
mod failure;
mod insert;
mod target;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

use super::rows::Table;
use super::spool::{new_token, Spool, SpoolError};
use crate::pipeline::{Ack, Batch, SubmitError};
use crate::telemetry::{TableStats, WorkTracer};
use chunk::{Chunk, OpenChunk};
pub use failure::{FailureClass, InsertFailure};
use insert::{write_chunk, InsertContext, Outcome};
pub use target::{insert_now, InsertTarget};

#[derive(Debug, Clone)]
pub struct WriterSettings {
    pub batch_rows: usize,
    pub batch_bytes: usize,
    pub flush_interval: Duration,
    pub insert_concurrency: usize,
    pub retry_initial: Duration,
    pub retry_max: Duration,
    /// How long one chunk retries transient failures before it goes to
    /// the spool (and its queue room is released).
    pub retry_budget: Duration,
}

/// Batches a durable-mode writer takes before one fsync covers them all.
const GROUP_COMMIT_BATCHES: usize = 256;

/// Everything one table's writer works with.
pub struct Writer {
    pub target: InsertTarget,
    pub settings: WriterSettings,
    /// `None`: no disk spool (what ClickHouse cannot take stays in memory,
    /// holding its queue room, and is lost past the shutdown deadline).
    pub spool: Option<Spool>,
    /// Acknowledge requests only once their rows are in the spool.
    pub durable: bool,
    pub dead_letter_dir: PathBuf,
    pub stats: Arc<TableStats>,
    /// Spans of inserts and replays (a no-op unless `[self_telemetry]`).
    pub tracer: WorkTracer,
}

/// The shutdown deadline: `None` while running.
pub type Deadline = watch::Receiver<Option<Instant>>;

/// Runs until the queue's senders are all gone and everything is written
/// or spooled, or until the shutdown deadline.
pub async fn run<T: Table>(
    writer: Writer,
    receiver: mpsc::UnboundedReceiver<Batch<T::Record>>,
    shutdown: Deadline,
) {
    let Writer {
        target,
        settings,
        spool,
        durable,
        dead_letter_dir,
        stats,
        tracer,
    } = writer;
    let ctx = Arc::new(InsertContext {
        target,
        table: T::NAME,
        sql: T::insert_sql(),
        settings: settings.clone(),
        stats,
        dead_letter_dir,
        tracer,
    });
    let durable = durable && spool.is_some();
    let mut state = State::<T> {
        open: OpenChunk::new(settings.batch_bytes),
        sealed: VecDeque::new(),
        inserts: JoinSet::new(),
        spool,
        durable,
        awaiting_sync: Vec::new(),
        unwritten: Vec::new(),
        unwritten_rows: 0,
        unwritten_bytes: 0,
        next_replay_at: Instant::now(),
        ctx,
        shutdown,
        _table: std::marker::PhantomData,
    };
    state.publish_spool();
    state.run(receiver).await;
}

struct State<T: Table> {
    open: OpenChunk,
    /// Sealed chunks waiting for an insert slot.
    sealed: VecDeque<Chunk>,
    inserts: JoinSet<(Chunk, Outcome)>,
    spool: Option<Spool>,
    durable: bool,
    /// Durable-mode requests whose rows are encoded, waiting to be written
    /// to the spool and fsync'd together.
    awaiting_sync: Vec<Ack>,
    /// Their rows in the open chunk (from, to), and how much that is.
    unwritten: Vec<(chunk::Mark, chunk::Mark)>,
    unwritten_rows: usize,
    unwritten_bytes: usize,
    /// Replays pause after a failed one, like retries do.
    next_replay_at: Instant,
    ctx: Arc<InsertContext>,
    shutdown: Deadline,
    _table: std::marker::PhantomData<T>,
}

impl<T: Table> State<T> {
    async fn run(&mut self, mut receiver: mpsc::UnboundedReceiver<Batch<T::Record>>) {
        let settings = self.ctx.settings.clone();
        let mut receiving = true;
        let mut ticker = tokio::time::interval(settings.flush_interval);
        ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let mut shutdown = self.shutdown.clone();
        let mut watching = true;
        loop {
            let deadline = *shutdown.borrow();
            if deadline.is_some_and(|d| Instant::now() >= d) {
                break;
            }
            self.dispatch(deadline.is_some());
            if !receiving && self.sealed.is_empty() && self.inserts.is_empty() {
                break;
            }
            let slot_free = self.inserts.len() < settings.insert_concurrency.max(1);
            let replay_wait = self.replay_pending()
                && self.sealed.is_empty()
                && slot_free
                && Instant::now() < self.next_replay_at;
            // After an outage with nothing left to write, only a probe can
            // tell that ClickHouse is back (and make /readyz say so).
            let probe_wait = self.ctx.stats.is_failing()
                && self.inserts.is_empty()
                && self.sealed.is_empty()
                && !self.replay_pending();
            tokio::select! {
                batch = receiver.recv(), if receiving => match batch {
                    Some(batch) => {
                        self.take(batch);
                        // Group commit: take what else has arrived, then
                        // one fsync acknowledges all of it.
                        for _ in 0..GROUP_COMMIT_BATCHES {
                            match receiver.try_recv() {
                                Ok(batch) => self.take(batch),
                                Err(_) => break,
                            }
                        }
                        self.sync_and_acknowledge();
                    }
                    None => {
                        receiving = false;
                        self.seal();
                    }
                },
                Some(joined) = self.inserts.join_next(), if !self.inserts.is_empty() => {
                    if let Ok((chunk, outcome)) = joined {
                        self.finish(chunk, outcome);
                    }
                }
                _ = ticker.tick(), if receiving => self.seal(),
                _ = tokio::time::sleep_until(self.next_replay_at), if replay_wait => {}
                _ = tokio::time::sleep(settings.retry_max), if probe_wait => self.probe().await,
                changed = shutdown.changed(), if watching => watching = changed.is_ok(),
                _ = sleep_until_opt(deadline) => {}
            }
            self.spill_while_failing();
        }
        self.finish_at_deadline(receiver).await;
        self.publish_spool();
        tracing::debug!(table = T::NAME, "writer stopped");
    }

    /// Encodes a batch onto the open chunk (and, in durable mode, appends
    /// it to the spool before anyone is told it is accepted).
    fn take(&mut self, batch: Batch<T::Record>) {
        let (records, mut room, ack) = batch.into_parts();
        if let Some(own) = self.ctx.tracer.own_service() {
            // Stops at the first record from another service: a client's
            // batch costs one comparison.
            if !self.open.is_traced() && records.iter().any(|r| !T::is_from_service(r, own)) {
                self.open.mark_traced();
            }
        }
        let mark = self.open.encode::<T>(&records);
        drop(records);
        // From here the queue holds what memory holds: the encoded rows.
        room.settle(self.open.size_since(mark).1);
        if self.durable {
            // Written to the spool with the others of this group, in one
            // blocking section at the fsync; refused now if it cannot fit.
            let (rows, bytes) = self.open.size_since(mark);
            let fits = self.spool.as_ref().is_some_and(|spool| {
                spool.has_room_for(
                    self.unwritten.len() + 1,
                    self.unwritten_rows + rows,
                    self.unwritten_bytes + bytes,
                )
            });
            if !fits {
                self.open.rollback(mark);
                if let Some(ack) = ack {
                    let _ = ack.send(Err(SubmitError::SpoolFull("the disk spool is full".into())));
                }
                return;
            }
            self.unwritten.push((mark, self.open.mark()));
            self.unwritten_rows += rows;
            self.unwritten_bytes += bytes;
        }
        self.open.hold(room);
        if let Some(ack) = ack {
            self.awaiting_sync.push(ack);
        }
        let settings = &self.ctx.settings;
        if self.open.rows() >= settings.batch_rows || self.open.bytes() >= settings.batch_bytes {
            self.seal();
        }
    }

    fn sync_and_acknowledge(&mut self) {
        if self.awaiting_sync.is_empty() && self.unwritten.is_empty() {
            return;
        }
        let unwritten = std::mem::take(&mut self.unwritten);
        self.unwritten_rows = 0;
        self.unwritten_bytes = 0;
        let open = &self.open;
        let synced = match &mut self.spool {
            Some(spool) => blocking(|| {
                for (from, to) in unwritten {
                    let (row_ends, rows) = open.between(from, to);
                    spool.append(&row_ends, rows)?;
                }
                spool.sync()
            })
            .map_err(refusal),
            None => Ok(()),
        };
        for ack in self.awaiting_sync.drain(..) {
            let _ = ack.send(synced.clone());
        }
        self.publish_spool();
    }

    /// Closes the open chunk under a fresh token; in durable mode the seal
    /// goes to the spool first, so a replay after a crash reuses the token.
    fn seal(&mut self) {
        if self.open.is_empty() {
            return;
        }
        self.sync_and_acknowledge();
        let token = if self.ctx.tracer.is_on() && !self.open.is_traced() {
            chunk::untraced_token()
        } else {
            new_token()
        };
        let mut chunk = self.open.seal(token);
        if self.durable {
            if let Some(spool) = &mut self.spool {
                match blocking(|| spool.seal(&chunk.token, chunk.rows(), true)) {
                    Ok(spool_ref) => chunk.spooled = Some(spool_ref),
                    // Its data stays in the spool unsealed; a restart would
                    // seal it anew. This run inserts it from memory.
                    Err(error) => {
                        tracing::error!(table = T::NAME, %error, "could not seal a chunk in the spool")
                    }
                }
            }
        }
        self.sealed.push_back(chunk);
    }

    /// Starts inserts while slots are free: memory chunks first, then
    /// replays from the spool (not during shutdown).
    fn dispatch(&mut self, stopping: bool) {
        while self.inserts.len() < self.ctx.settings.insert_concurrency.max(1) {
            let chunk = match self.sealed.pop_front() {
                Some(chunk) => chunk,
                // Only a chunk actually waiting is read back: `blocking`
                // hands the worker thread over, far too costly to pay per
                // received batch (measured: 8x the RSS, a third more CPU).
                None if !stopping
                    && self.replay_pending()
                    && Instant::now() >= self.next_replay_at =>
                {
                    match self.next_replay() {
                        Some(chunk) => chunk,
                        None => break,
                    }
                }
                None => break,
            };
            let ctx = Arc::clone(&self.ctx);
            let shutdown = self.shutdown.clone();
            self.inserts.spawn(async move {
                let outcome = write_chunk(&ctx, &chunk, shutdown).await;
                (chunk, outcome)
            });
        }
    }

    /// Asks ClickHouse whether it answers again; clears the failing state
    /// when it does.
    async fn probe(&self) {
        let answer = tokio::time::timeout(
            self.ctx.target.response_timeout,
            self.ctx.target.client.query("SELECT 1").execute(),
        )
        .await;
        if matches!(answer, Ok(Ok(()))) {
            self.ctx.stats.recovered();
            tracing::info!(table = T::NAME, "ClickHouse answers again");
        }
    }

    fn replay_pending(&self) -> bool {
        self.spool.as_ref().is_some_and(Spool::has_waiting)
    }

    fn next_replay(&mut self) -> Option<Chunk> {
        let spool = self.spool.as_mut()?;
        match blocking(|| spool.next_replay()) {
            Ok(Some(spooled)) => Some(Chunk {
                traced: chunk::is_traced(&spooled.token),
                token: spooled.token,
                data: spooled.data.into(),
                row_ends: spooled.row_ends,
                spooled: Some(spooled.spool_ref),
                room: Default::default(),
            }),
            Ok(None) => None,
            Err(error) => {
                tracing::error!(table = T::NAME, %error, "could not read a chunk back from the spool");
                self.next_replay_at = Instant::now() + self.ctx.settings.retry_max;
                None
            }
        }
    }

    fn finish(&mut self, chunk: Chunk, outcome: Outcome) {
        let stats = &self.ctx.stats;
        match outcome {
            Outcome::Written { .. } => {
                let replay = chunk.is_replay();
                if let (Some(spool_ref), Some(spool)) = (chunk.spooled, &mut self.spool) {
                    if replay {
                        stats.replayed(chunk.rows() as u64);
                    }
                    if let Err(error) = blocking(|| spool.done(spool_ref)) {
                        tracing::warn!(table = T::NAME, %error, "could not record a spooled chunk as written; it will be inserted again and deduplicated");
                    }
                }
                self.publish_spool();
                // ClickHouse takes rows again: replay what waits at once.
                self.next_replay_at = Instant::now();
                // Dropping the chunk releases its queue room.
            }
            Outcome::GaveUp => {
                self.next_replay_at = Instant::now() + self.ctx.settings.retry_max;
                if let (Some(spool_ref), Some(spool)) = (chunk.spooled, &mut self.spool) {
                    // Already on disk: the spool replays it later.
                    spool.release(spool_ref);
                } else if let Err(chunk) = self.spill(chunk) {
                    // No room on disk either: keep it (and its queue room,
                    // so clients are slowed down) and try again.
                    self.sealed.push_front(chunk);
                }
            }
        }
    }

    /// Moves a memory chunk to the spool, releasing its queue room.
    fn spill(&mut self, chunk: Chunk) -> Result<(), Chunk> {
        let Some(spool) = &mut self.spool else {
            return Err(chunk);
        };
        match blocking(|| spool.spill(&chunk.token, &chunk.row_ends, &chunk.data)) {
            Ok(_) => {
                self.ctx.stats.spilled(chunk.rows() as u64);
                self.publish_spool();
                Ok(())
            }
            Err(error) => {
                tracing::warn!(table = T::NAME, %error, rows = chunk.rows(), "could not spool a chunk");
                Err(chunk)
            }
        }
    }

    /// While ClickHouse fails, chunks waiting for a slot go to disk at
    /// once, so clients keep being accepted (up to the spool's size).
    fn spill_while_failing(&mut self) {
        if !self.ctx.stats.is_failing() || self.spool.is_none() {
            return;
        }
        while let Some(chunk) = self.sealed.pop_front() {
            if chunk.spooled.is_some() {
                // Durable: on disk already. Its room is released; the spool
                // replays it.
                if let (Some(spool_ref), Some(spool)) = (chunk.spooled, &mut self.spool) {
                    spool.release(spool_ref);
                }
                continue;
            }
            if let Err(chunk) = self.spill(chunk) {
                self.sealed.push_front(chunk);
                break;
            }
        }
    }

    /// At the deadline (or once all is written): whatever memory still
    /// holds goes to the spool; what cannot is counted as lost.
    async fn finish_at_deadline(
        &mut self,
        mut receiver: mpsc::UnboundedReceiver<Batch<T::Record>>,
    ) {
        // Batches still in the channel were acknowledged too.
        while let Ok(batch) = receiver.try_recv() {
            self.take(batch);
        }
        self.sync_and_acknowledge();
        self.seal();
        // Insert tasks stop at the deadline by themselves.
        while let Some(joined) = self.inserts.join_next().await {
            if let Ok((chunk, outcome)) = joined {
                self.finish(chunk, outcome);
            }
        }
        while let Some(chunk) = self.sealed.pop_front() {
            if chunk.spooled.is_some() {
                continue;
            }
            let rows = chunk.rows() as u64;
            if self.spill(chunk).is_err() {
                self.ctx.stats.lost(rows);
                tracing::error!(
                    table = T::NAME,
                    rows,
                    "acknowledged rows lost at shutdown: ClickHouse did not take them and the spool could not"
                );
            }
        }
    }

    fn publish_spool(&self) {
        if let Some(spool) = &self.spool {
            self.ctx.stats.set_spool(spool.stats());
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Runs file I/O on this worker thread while letting the runtime move
/// other tasks away from it.
fn blocking<R>(f: impl FnOnce() -> R) -> R {
    tokio::task::block_in_place(f)
}

fn refusal(error: SpoolError) -> SubmitError {
    match error {
        SpoolError::Full { .. } => SubmitError::SpoolFull(error.to_string()),
        other => SubmitError::SpoolFailed(other.to_string()),
    }
}
