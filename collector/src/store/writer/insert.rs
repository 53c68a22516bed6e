//! Writing one chunk: INSERT with its deduplication token and timeouts,
//! retrying transient failures with backoff within the chunk's retry
//! budget, and splitting on permanent failures until the bad rows are
//! isolated (they go to the dead-letter table, the rest is written).

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::watch;
use tokio::time::Instant;

use super::chunk::Chunk;
use super::dead_letter::{self, DeadRow};
use super::failure::{FailureClass, InsertFailure};
use super::target::InsertTarget;
use super::WriterSettings;
use crate::telemetry::{TableStats, WorkOutcome, WorkSpan, WorkTracer};

/// Past this many splits of one chunk, every row still failing goes to the
/// dead-letter table at once: a schema that refuses every row should not
/// cost one INSERT per row.
const MAX_SPLITS: usize = 32;

/// What a chunk's writer needs, shared by its insert tasks.
pub struct InsertContext {
    pub target: InsertTarget,
    pub table: &'static str,
    pub sql: String,
    pub settings: WriterSettings,
    pub stats: Arc<TableStats>,
    pub dead_letter_dir: PathBuf,
    pub tracer: WorkTracer,
}

/// How writing a chunk ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every row is in ClickHouse or in the dead-letter store.
    Written { rows: usize, dead: usize },
    /// The retry budget or the shutdown deadline ran out first.
    GaveUp,
}

enum Stop {
    GaveUp,
    Permanent(InsertFailure),
}

pub async fn write_chunk(
    ctx: &InsertContext,
    chunk: &Chunk,
    mut shutdown: watch::Receiver<Option<Instant>>,
) -> Outcome {
    let budget_end = Instant::now() + ctx.settings.retry_budget;
    let replay =
        (chunk.traced && chunk.is_replay()).then(|| ctx.tracer.replay(ctx.table, chunk.rows()));
    // Row ranges still to write; a permanent failure pushes its halves.
    let mut ranges: Vec<Range<usize>> = Vec::with_capacity(2 * MAX_SPLITS);
    ranges.push(0..chunk.rows());
    let mut dead = Vec::new();
    let mut written = 0;
    let mut splits = 0;
    while let Some(range) = ranges.pop() {
        match insert_with_retry(
            ctx,
            chunk,
            &range,
            budget_end,
            &mut shutdown,
            replay.as_ref(),
        )
        .await
        {
            Ok(()) => written += range.len(),
            Err(Stop::GaveUp) => {
                if let Some(replay) = replay {
                    replay.end_with_count("jamscope.rows_written", written, WorkOutcome::GaveUp);
                }
                return Outcome::GaveUp;
            }
            Err(Stop::Permanent(failure)) if range.len() == 1 || splits >= MAX_SPLITS => {
                tracing::warn!(table = ctx.table, rows = range.len(), code = ?failure.code, reason = %failure.message, "rows refused for good; keeping them in the dead-letter store");
                dead.extend(range.map(|row| DeadRow {
                    row: chunk.bytes_of(&(row..row + 1)),
                    failure: failure.clone(),
                }));
            }
            Err(Stop::Permanent(_)) => {
                splits += 1;
                let middle = range.start + range.len() / 2;
                // Popped last-in first: the first half is tried first.
                ranges.push(middle..range.end);
                ranges.push(range.start..middle);
            }
        }
    }
    if !dead.is_empty() {
        let place = dead_letter::store(
            &ctx.target,
            ctx.table,
            &chunk.token,
            &dead,
            &ctx.dead_letter_dir,
        )
        .await;
        ctx.stats.dead_lettered(dead.len() as u64, place);
    }
    if let Some(replay) = replay {
        replay.end_with_count("jamscope.rows_written", written, WorkOutcome::Written);
    }
    Outcome::Written {
        rows: written,
        dead: dead.len(),
    }
}

async fn insert_with_retry(
    ctx: &InsertContext,
    chunk: &Chunk,
    range: &Range<usize>,
    budget_end: Instant,
    shutdown: &mut watch::Receiver<Option<Instant>>,
    replay: Option<&WorkSpan>,
) -> Result<(), Stop> {
    let token = chunk.token_of(range);
    let mut delay = ctx.settings.retry_initial;
    loop {
        let span = chunk
            .traced
            .then(|| ctx.tracer.insert(ctx.table, range.len(), replay));
        let attempt = ctx.target.insert(&ctx.sql, chunk.bytes_of(range), &token);
        let result = tokio::select! {
            result = attempt => result,
            _ = stop_time(budget_end, shutdown) => {
                if let Some(span) = span {
                    span.end(WorkOutcome::GaveUp, None);
                }
                return Err(Stop::GaveUp);
            }
        };
        match result {
            Ok(took) => {
                ctx.stats.insert_succeeded(range.len() as u64, took);
                if let Some(span) = span {
                    span.end(WorkOutcome::Written, None);
                }
                return Ok(());
            }
            Err(failure) => {
                ctx.stats.insert_failed(failure.class);
                if let Some(span) = span {
                    span.end(WorkOutcome::Failed(failure.class), Some(&failure.message));
                }
                if failure.class == FailureClass::Permanent {
                    return Err(Stop::Permanent(failure));
                }
                tracing::warn!(table = ctx.table, rows = range.len(), error = %failure.message, retry_in_ms = delay.as_millis() as u64, "insert failed; retrying");
            }
        }
        // Full jitter keeps many collectors from retrying in lockstep.
        let jittered = delay.mul_f64(0.5 + fastrand::f64() * 0.5);
        tokio::select! {
            _ = tokio::time::sleep(jittered) => {}
            _ = stop_time(budget_end, shutdown) => return Err(Stop::GaveUp),
        }
        delay = (delay * 2).min(ctx.settings.retry_max);
    }
}

/// Completes at the end of the retry budget or at the shutdown deadline,
/// whichever comes first, noticing a deadline set while waiting.
async fn stop_time(budget_end: Instant, shutdown: &mut watch::Receiver<Option<Instant>>) {
    loop {
        let deadline = shutdown
            .borrow()
            .map_or(budget_end, |deadline| deadline.min(budget_end));
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return,
            changed = shutdown.changed() => {
                if changed.is_err() {
                    tokio::time::sleep_until(deadline).await;
                    return;
                }
            }
        }
    }
}
