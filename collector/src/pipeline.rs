//! The bounded queues between receivers and the store writer.
//!
//! Backpressure is decided here and only here: a queue holds at most
//! `capacity` records that were acknowledged to a client but not yet written
//! to ClickHouse. A receiver that cannot get room answers "retry later"
//! (HTTP 429 / gRPC RESOURCE_EXHAUSTED) instead of buffering without bound.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Told to a durable-mode receiver once its records are on disk (or why
/// they could not be).
pub type Ack = oneshot::Sender<Result<(), SubmitError>>;

/// Records handed over together, holding their room in the queue until the
/// batch is dropped (after the store has written it).
pub struct Batch<T> {
    pub records: Vec<T>,
    room: OwnedSemaphorePermit,
    ack: Option<Ack>,
}

impl<T> Batch<T> {
    /// Splits the batch into its records, the room they hold (so a consumer
    /// can release the records early and the room when durable), and, in
    /// durable mode, whom to tell once they are on disk.
    pub fn into_parts(self) -> (Vec<T>, Room, Option<Ack>) {
        (self.records, Room(Some(self.room)), self.ack)
    }
}

/// Queue room held by records on their way to storage; released on drop.
#[derive(Default)]
pub struct Room(Option<OwnedSemaphorePermit>);

impl Room {
    pub fn merge(&mut self, other: Room) {
        match (&mut self.0, other.0) {
            (Some(mine), Some(theirs)) => mine.merge(theirs),
            (mine @ None, theirs) => *mine = theirs,
            (Some(_), None) => {}
        }
    }

    pub fn records(&self) -> usize {
        self.0.as_ref().map_or(0, |p| p.num_permits())
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SubmitError {
    #[error(
        "the write queue is full ({queued} of {capacity} records waiting for storage); retry later"
    )]
    Full { queued: usize, capacity: usize },
    #[error("the collector is shutting down")]
    Closed,
    #[error("{records} records in one request exceed the whole write queue ({capacity}); send smaller requests")]
    TooLarge { records: usize, capacity: usize },
    /// ClickHouse is not keeping up and the disk spool has no room either.
    #[error("{0}; retry later")]
    SpoolFull(String),
    /// Durable mode could not write the records to disk.
    #[error("the records could not be written to the disk spool: {0}")]
    SpoolFailed(String),
}

pub struct Queue<T> {
    sender: mpsc::UnboundedSender<Batch<T>>,
    room: Arc<Semaphore>,
    capacity: usize,
    /// Acknowledge only once the consumer has the records on disk.
    durable: bool,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            room: Arc::clone(&self.room),
            capacity: self.capacity,
            durable: self.durable,
        }
    }
}

/// How full a queue is, readable without a handle that could submit.
#[derive(Clone)]
pub struct Depth {
    room: Arc<Semaphore>,
    capacity: usize,
}

impl Depth {
    pub fn queued(&self) -> usize {
        self.capacity - self.room.available_permits()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

/// Creates a queue holding at most `capacity` records. The channel itself is
/// unbounded because the semaphore already bounds what it can hold.
pub fn queue<T>(capacity: usize) -> (Queue<T>, mpsc::UnboundedReceiver<Batch<T>>) {
    queue_with(capacity, false)
}

/// Like [`queue`]; with `durable`, a submit returns only once the consumer
/// acknowledged the records as written to disk.
pub fn queue_with<T>(
    capacity: usize,
    durable: bool,
) -> (Queue<T>, mpsc::UnboundedReceiver<Batch<T>>) {
    let (sender, receiver) = mpsc::unbounded_channel();
    let queue = Queue {
        sender,
        room: Arc::new(Semaphore::new(capacity)),
        capacity,
        durable,
    };
    (queue, receiver)
}

impl<T> Queue<T> {
    /// Hands records to the consumer, or refuses at once when there is no
    /// room (tests of the queue itself).
    #[cfg(test)]
    pub fn try_submit(&self, records: Vec<T>) -> Result<(), SubmitError> {
        use tokio::sync::TryAcquireError;
        if records.is_empty() {
            return Ok(());
        }
        let wanted = self.permits_for(records.len())?;
        let room = match Arc::clone(&self.room).try_acquire_many_owned(wanted) {
            Ok(room) => room,
            Err(TryAcquireError::NoPermits) => return Err(self.full()),
            Err(TryAcquireError::Closed) => return Err(SubmitError::Closed),
        };
        self.sender
            .send(Batch {
                records,
                room,
                ack: None,
            })
            .map_err(|_| SubmitError::Closed)
    }

    /// Waits until at least a twentieth of the queue is free, or fails
    /// with [`SubmitError::Full`] after `timeout`. Receivers call this
    /// before reading a body: a slow database then slows clients down
    /// (their requests wait) instead of having them decode, be refused and
    /// retry, which costs the CPU the writer needs.
    pub async fn wait_for_room(&self, timeout: Duration) -> Result<(), SubmitError> {
        let probe = (self.capacity / 20).max(1) as u32;
        match tokio::time::timeout(timeout, self.room.acquire_many(probe)).await {
            Ok(Ok(_released_at_once)) => Ok(()),
            Ok(Err(_)) => Err(SubmitError::Closed),
            Err(_) => Err(self.full()),
        }
    }

    /// Hands records to the consumer, waiting up to `timeout` for room.
    pub async fn submit_within(
        &self,
        records: Vec<T>,
        timeout: Duration,
    ) -> Result<(), SubmitError> {
        if records.is_empty() {
            return Ok(());
        }
        let wanted = self.permits_for(records.len())?;
        let room =
            match tokio::time::timeout(timeout, Arc::clone(&self.room).acquire_many_owned(wanted))
                .await
            {
                Ok(Ok(room)) => room,
                Ok(Err(_)) => return Err(SubmitError::Closed),
                Err(_) => return Err(self.full()),
            };
        self.send(records, room).await
    }

    /// Hands records with their room to the consumer; in durable mode,
    /// waits for its word that they are on disk.
    async fn send(&self, records: Vec<T>, room: OwnedSemaphorePermit) -> Result<(), SubmitError> {
        let (ack, acked) = if self.durable {
            let (tx, rx) = oneshot::channel();
            (Some(tx), Some(rx))
        } else {
            (None, None)
        };
        self.sender
            .send(Batch { records, room, ack })
            .map_err(|_| SubmitError::Closed)?;
        match acked {
            Some(acked) => acked.await.unwrap_or(Err(SubmitError::Closed)),
            None => Ok(()),
        }
    }

    pub fn depth(&self) -> Depth {
        Depth {
            room: Arc::clone(&self.room),
            capacity: self.capacity,
        }
    }

    fn permits_for(&self, records: usize) -> Result<u32, SubmitError> {
        u32::try_from(records)
            .ok()
            .filter(|&n| n as usize <= self.capacity)
            .ok_or(SubmitError::TooLarge {
                records,
                capacity: self.capacity,
            })
    }

    fn full(&self) -> SubmitError {
        SubmitError::Full {
            queued: self.queued(),
            capacity: self.capacity,
        }
    }

    /// Records accepted and not yet written.
    pub fn queued(&self) -> usize {
        self.capacity - self.room.available_permits()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_when_full_and_recovers_when_written() {
        let (queue, mut receiver) = queue::<u32>(3);
        queue.try_submit(vec![1, 2]).unwrap();
        assert_eq!(
            queue.try_submit(vec![3, 4]),
            Err(SubmitError::Full {
                queued: 2,
                capacity: 3
            })
        );
        let batch = receiver.try_recv().unwrap();
        let (records, room, _) = batch.into_parts();
        assert_eq!(records, vec![1, 2]);
        assert_eq!(queue.queued(), 2, "room is held until the write is done");
        drop(room);
        queue.try_submit(vec![3, 4]).unwrap();
    }

    #[tokio::test]
    async fn waiting_submit_gets_room_when_it_frees_up() {
        let (queue, mut receiver) = queue::<u32>(2);
        queue.try_submit(vec![1, 2]).unwrap();
        let wait = Duration::from_millis(20);
        assert!(matches!(
            queue.wait_for_room(wait).await,
            Err(SubmitError::Full { .. })
        ));
        assert!(matches!(
            queue.submit_within(vec![3], wait).await,
            Err(SubmitError::Full { .. })
        ));
        let held = receiver.try_recv().unwrap();
        let waiter = {
            let queue = queue.clone();
            tokio::spawn(async move { queue.submit_within(vec![3], Duration::from_secs(5)).await })
        };
        drop(held);
        waiter.await.unwrap().unwrap();
        queue.wait_for_room(wait).await.unwrap();
    }

    #[test]
    fn a_request_larger_than_the_queue_is_refused_for_good() {
        let (queue, _receiver) = queue::<u32>(2);
        assert_eq!(
            queue.try_submit(vec![1, 2, 3]),
            Err(SubmitError::TooLarge {
                records: 3,
                capacity: 2
            })
        );
    }

    #[test]
    fn merged_room_counts_all_records() {
        let (queue, mut receiver) = queue::<u32>(10);
        queue.try_submit(vec![1, 2]).unwrap();
        queue.try_submit(vec![3]).unwrap();
        let mut room = Room::default();
        room.merge(receiver.try_recv().unwrap().into_parts().1);
        room.merge(receiver.try_recv().unwrap().into_parts().1);
        assert_eq!(room.records(), 3);
        drop(room);
        assert_eq!(queue.queued(), 0);
    }
}
