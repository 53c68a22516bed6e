//! The byte budget of request decoding: one byte-weighted semaphore for
//! the whole process, so the bodies held at once (as sent, decompressed
//! and decoded) stay under `requests.max_decoding_bytes` however many
//! requests arrive and however large each is.
//!
//! A request charges bytes as it comes to hold them (a chunk of body read,
//! a step of decompression), not what it announces: a client that
//! declares a large `Content-Length` and sends slowly holds only what it
//! sent. Its [`Charge`] is released when dropped, after the records were
//! converted and queued. Growing a charge waits at most
//! `requests.decoding_wait_ms`; requests that each hold part of the budget
//! and wait for more therefore cannot wait on each other for long: the
//! waiting ones are answered 503 and let go of what they hold.
//!
//! The budget is process-wide, installed once by `serve`; without it (unit
//! tests, tools) charges only count.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};

use crate::ingest::IngestError;

static BUDGET: OnceLock<DecodeBudget> = OnceLock::new();

/// What a decoded body holds, per byte of the body it came from, charged
/// once the body is read: the message and the spans converted from it.
/// Protobuf is the heavy case (a 1000-span Jamstack export peaks at about
/// 4.4 times its size while decoded and converted, JSON at about 1.6 times
/// its larger body); `fuzz::otlp` checks both stay within it.
pub const DECODED_PER_BODY_BYTE: usize = 5;

/// The process's decoding budget.
#[derive(Debug)]
pub struct DecodeBudget {
    permits: Arc<Semaphore>,
    total: usize,
    wait: Duration,
}

impl DecodeBudget {
    /// Installs the budget for the process; the first call wins (one
    /// process runs one server), later calls return false.
    pub fn install(total_bytes: usize, wait: Duration) -> bool {
        let total = total_bytes.min(Semaphore::MAX_PERMITS);
        BUDGET
            .set(DecodeBudget {
                permits: Arc::new(Semaphore::new(total)),
                total,
                wait,
            })
            .is_ok()
    }

    /// A new, empty charge against the installed budget.
    pub fn charge() -> Charge {
        Charge {
            budget: BUDGET.get(),
            permit: None,
            bytes: 0,
        }
    }
}

/// Bytes one request holds; given back when dropped.
#[derive(Debug)]
pub struct Charge {
    budget: Option<&'static DecodeBudget>,
    permit: Option<OwnedSemaphorePermit>,
    bytes: usize,
}

impl Charge {
    /// Bytes charged so far.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Charges `bytes` more, waiting for room up to the budget's wait.
    pub async fn grow(&mut self, bytes: usize) -> Result<(), IngestError> {
        let Some(budget) = self.budget else {
            self.bytes += bytes;
            return Ok(());
        };
        let n = self.permits_for(budget, bytes)?;
        let permit = match Arc::clone(&budget.permits).try_acquire_many_owned(n) {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(busy(budget)),
            Err(TryAcquireError::NoPermits) => {
                let acquire = Arc::clone(&budget.permits).acquire_many_owned(n);
                match tokio::time::timeout(budget.wait, acquire).await {
                    Ok(Ok(permit)) => permit,
                    Ok(Err(_)) | Err(_) => return Err(busy(budget)),
                }
            }
        };
        self.keep(permit, bytes);
        Ok(())
    }

    /// Charges `bytes` more without waiting; false when there is no room.
    pub fn try_grow(&mut self, bytes: usize) -> bool {
        let Some(budget) = self.budget else {
            self.bytes += bytes;
            return true;
        };
        let Ok(n) = self.permits_for(budget, bytes) else {
            return false;
        };
        match Arc::clone(&budget.permits).try_acquire_many_owned(n) {
            Ok(permit) => {
                self.keep(permit, bytes);
                true
            }
            Err(_) => false,
        }
    }

    /// The permits for `bytes` more; refused when the request as a whole
    /// would hold more than the whole budget (config validation keeps the
    /// body limits below it, so this means a body past its limits).
    fn permits_for(&self, budget: &DecodeBudget, bytes: usize) -> Result<u32, IngestError> {
        let after = self.bytes.saturating_add(bytes);
        if after > budget.total {
            return Err(IngestError::PayloadTooLarge(format!(
                "the request needs more than requests.max_decoding_bytes ({} bytes) to decode",
                budget.total
            )));
        }
        u32::try_from(bytes).map_err(|_| {
            IngestError::PayloadTooLarge(format!("{bytes} bytes cannot be decoded at once"))
        })
    }

    fn keep(&mut self, permit: OwnedSemaphorePermit, bytes: usize) {
        match &mut self.permit {
            Some(held) => held.merge(permit),
            None => self.permit = Some(permit),
        }
        self.bytes += bytes;
    }
}

fn busy(budget: &DecodeBudget) -> IngestError {
    IngestError::Unavailable(format!(
        "the collector is decoding as many bytes as it may (requests.max_decoding_bytes) and \
         none came free within {} ms; retry later",
        budget.wait.as_millis()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(total: usize, wait_ms: u64) -> &'static DecodeBudget {
        // Each test has a budget of its own, not the process's.
        Box::leak(Box::new(DecodeBudget {
            permits: Arc::new(Semaphore::new(total)),
            total,
            wait: Duration::from_millis(wait_ms),
        }))
    }

    fn charge(budget: &'static DecodeBudget) -> Charge {
        Charge {
            budget: Some(budget),
            permit: None,
            bytes: 0,
        }
    }

    #[tokio::test]
    async fn charges_hold_bytes_until_dropped() {
        let budget = budget(100, 20);
        let mut first = charge(budget);
        first.grow(60).await.unwrap();
        first.grow(30).await.unwrap();
        assert_eq!(first.bytes(), 90);
        let mut second = charge(budget);
        assert!(!second.try_grow(20));
        let error = second.grow(20).await.unwrap_err();
        assert!(matches!(error, IngestError::Unavailable(_)), "{error}");
        assert_eq!(error.retry_after_secs(), Some(5));
        drop(first);
        second.grow(20).await.unwrap();
        assert!(second.try_grow(80));
    }

    #[tokio::test]
    async fn a_waiting_charge_gets_room_freed_meanwhile() {
        let budget = budget(100, 2_000);
        let mut holder = charge(budget);
        holder.grow(100).await.unwrap();
        let waiter = tokio::spawn(async move {
            let mut waiting = charge(budget);
            waiting.grow(50).await.map(|()| waiting.bytes())
        });
        tokio::time::sleep(Duration::from_millis(20)).await;
        drop(holder);
        assert_eq!(waiter.await.unwrap(), Ok(50));
    }

    #[tokio::test]
    async fn more_than_the_whole_budget_is_refused_at_once() {
        let mut big = charge(budget(100, 5_000));
        let error = big.grow(101).await.unwrap_err();
        assert!(matches!(error, IngestError::PayloadTooLarge(_)), "{error}");
    }

    #[tokio::test]
    async fn without_a_budget_charges_only_count() {
        let mut free = Charge {
            budget: None,
            permit: None,
            bytes: 0,
        };
        free.grow(usize::MAX / 2).await.unwrap();
        assert!(free.try_grow(5));
        assert_eq!(free.bytes(), usize::MAX / 2 + 5);
    }
}
