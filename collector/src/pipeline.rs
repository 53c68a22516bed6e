//! The bounded queues between receivers and the store writer.
//!
//! Backpressure is decided here and only here: a queue holds at most
//! `capacity` bytes of records that were acknowledged to a client but not
//! yet written to ClickHouse, counted as the writer encodes them (RowBinary,
//! what sits in memory until ClickHouse confirms). A receiver that cannot
//! get room answers "retry later" (HTTP 429 / gRPC RESOURCE_EXHAUSTED)
//! instead of buffering without bound.
//!
//! A batch's encoded size is known only once the writer has encoded it, so
//! a submit reserves an estimate (its records × the queue's running mean of
//! bytes per record) and the writer settles the reservation to the exact
//! size ([`Room::settle`]), which also updates the mean. Bytes, not records,
//! because memory is what the bound protects: a thousand spans of ten
//! attributes and a thousand of two hundred are not the same load.

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, OwnedSemaphorePermit, Semaphore};

/// Told to a durable-mode receiver once its records are on disk (or why
/// they could not be).
pub type Ack = oneshot::Sender<Result<(), SubmitError>>;

/// The mean encoded size a new queue assumes until its writer has settled
/// a batch: about a span of a dozen attributes.
pub const INITIAL_BYTES_PER_RECORD: usize = 1024;

/// `bytes_per_record` before the first settled batch.
const UNKNOWN: usize = 0;

/// Records handed over together, holding their room in the queue until the
/// batch is dropped (after the store has written it).
pub struct Batch<T> {
    pub records: Vec<T>,
    room: Room,
    ack: Option<Ack>,
}

impl<T> Batch<T> {
    /// Splits the batch into its records, the room they hold (so a consumer
    /// can release the records early and the room when durable), and, in
    /// durable mode, whom to tell once they are on disk.
    pub fn into_parts(self) -> (Vec<T>, Room, Option<Ack>) {
        (self.records, self.room, self.ack)
    }
}

/// What the handles of one queue share.
struct Shared {
    room: Arc<Semaphore>,
    capacity: usize,
    /// Records holding room (for the gauge people read; the bound is bytes).
    records: AtomicUsize,
    /// Running mean of encoded bytes per record, from settled batches
    /// ([`UNKNOWN`] before the first).
    bytes_per_record: AtomicUsize,
}

impl Shared {
    fn queued_bytes(&self) -> usize {
        self.capacity.saturating_sub(self.room.available_permits())
    }
}

/// Queue room held by records on their way to storage; released on drop.
/// Boxed: chunks carry one, and are moved about whole.
#[derive(Default)]
pub struct Room(Option<Box<Held>>);

struct Held {
    permit: OwnedSemaphorePermit,
    records: usize,
    shared: Arc<Shared>,
}

impl Room {
    fn new(permit: OwnedSemaphorePermit, records: usize, shared: Arc<Shared>) -> Self {
        shared.records.fetch_add(records, Ordering::Relaxed);
        Room(Some(Box::new(Held {
            permit,
            records,
            shared,
        })))
    }

    /// Takes over `other`'s room (of the same queue: one writer per table).
    pub fn merge(&mut self, mut other: Room) {
        let Some(theirs) = other.0.take() else {
            return;
        };
        match &mut self.0 {
            Some(mine) => {
                let Held {
                    permit, records, ..
                } = *theirs;
                mine.records += records;
                mine.permit.merge(permit);
            }
            None => self.0 = Some(theirs),
        }
    }

    /// Bytes of queue room held.
    pub fn bytes(&self) -> usize {
        self.0.as_ref().map_or(0, |held| held.permit.num_permits())
    }

    pub fn records(&self) -> usize {
        self.0.as_ref().map_or(0, |held| held.records)
    }

    /// Makes the room held exactly `encoded_bytes`, the size the consumer
    /// encoded the batch to, and teaches the queue's estimate. Room given
    /// back frees others at once; room missing is taken as far as it is
    /// free, the rest held over the bound until this batch is written (by
    /// at most the estimate's error on one batch).
    pub fn settle(&mut self, encoded_bytes: usize) {
        let Some(held) = &mut self.0 else {
            return;
        };
        let shared = &held.shared;
        if let Some(observed) = encoded_bytes.checked_div(held.records) {
            let observed = observed.max(1);
            let next = match shared.bytes_per_record.load(Ordering::Relaxed) {
                UNKNOWN => observed,
                // A mean moving a quarter of the way: one odd batch does
                // not swing the next reservations.
                mean => (mean * 3 + observed).div_ceil(4),
            };
            shared.bytes_per_record.store(next, Ordering::Relaxed);
        }
        let holding = held.permit.num_permits();
        let wanted = encoded_bytes.max(1);
        if wanted < holding {
            drop(held.permit.split(holding - wanted));
        } else if wanted > holding {
            let free = shared.room.available_permits();
            let missing = u32::try_from((wanted - holding).min(free)).unwrap_or(u32::MAX);
            if missing > 0 {
                if let Ok(more) = Arc::clone(&shared.room).try_acquire_many_owned(missing) {
                    held.permit.merge(more);
                }
            }
        }
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        if let Some(held) = &self.0 {
            held.shared
                .records
                .fetch_sub(held.records, Ordering::Relaxed);
        }
    }
}

/// Room reserved for one request's records, handed out to the queues
/// they go to ([`Queue::submit_reserved`]); what is not handed out is
/// released when it is dropped.
pub struct Reservation {
    permit: Option<OwnedSemaphorePermit>,
    /// Records the room not yet handed out is for.
    records: usize,
    shared: Arc<Shared>,
}

impl Reservation {
    /// The room for `records` of the reserved ones: their share of it, or
    /// all that is left for the last of them.
    pub fn take(&mut self, records: usize) -> Room {
        if records == 0 {
            return Room::default();
        }
        let part = match records >= self.records {
            true => self.permit.take(),
            false => self.permit.as_mut().and_then(|permit| {
                let share = permit.num_permits() * records / self.records;
                permit.split(share)
            }),
        };
        self.records = self.records.saturating_sub(records);
        match part {
            Some(permit) => Room::new(permit, records, Arc::clone(&self.shared)),
            None => Room::default(),
        }
    }
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SubmitError {
    #[error(
        "the write queue is full ({queued} of {capacity} bytes waiting for storage); retry later"
    )]
    Full { queued: usize, capacity: usize },
    #[error("the collector is shutting down")]
    Closed,
    /// ClickHouse is not keeping up and the disk spool has no room either.
    #[error("{0}; retry later")]
    SpoolFull(String),
    /// Durable mode could not write the records to disk.
    #[error("the records could not be written to the disk spool: {0}")]
    SpoolFailed(String),
}

pub struct Queue<T> {
    sender: mpsc::UnboundedSender<Batch<T>>,
    shared: Arc<Shared>,
    /// Acknowledge only once the consumer has the records on disk.
    durable: bool,
}

impl<T> Clone for Queue<T> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
            shared: Arc::clone(&self.shared),
            durable: self.durable,
        }
    }
}

/// How full a queue is, readable without a handle that could submit.
#[derive(Clone)]
pub struct Depth {
    shared: Arc<Shared>,
}

impl Depth {
    /// Bytes of records waiting for storage.
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes()
    }

    /// Records waiting for storage.
    pub fn queued_records(&self) -> usize {
        self.shared.records.load(Ordering::Relaxed)
    }

    pub fn capacity_bytes(&self) -> usize {
        self.shared.capacity
    }
}

/// A step every batch of a queue takes on its way to the consumer (the
/// symbolication of browser errors, the exceptions read off spans).
pub trait Step<T>: Send + 'static {
    /// Reads or changes the records of one batch before it goes on.
    fn run(&mut self, records: &mut Vec<T>) -> impl Future<Output = ()> + Send;
}

/// `receiver`'s batches, each once `step` has run over it, in order. The
/// room and acknowledgement travel with the batch, so the queue's bound
/// and durable mode still cover the records until the consumer is done.
pub fn through<T: Send + 'static>(
    mut receiver: mpsc::UnboundedReceiver<Batch<T>>,
    mut step: impl Step<T>,
) -> mpsc::UnboundedReceiver<Batch<T>> {
    let (sender, out) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(mut batch) = receiver.recv().await {
            step.run(&mut batch.records).await;
            if sender.send(batch).is_err() {
                break;
            }
        }
    });
    out
}

/// Creates a queue holding at most `capacity` bytes. The channel itself is
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
    let capacity = capacity.clamp(1, Semaphore::MAX_PERMITS);
    let queue = Queue {
        sender,
        shared: Arc::new(Shared {
            room: Arc::new(Semaphore::new(capacity)),
            capacity,
            records: AtomicUsize::new(0),
            bytes_per_record: AtomicUsize::new(UNKNOWN),
        }),
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
        let wanted = self.estimate(records.len());
        let permit = match Arc::clone(&self.shared.room).try_acquire_many_owned(wanted) {
            Ok(permit) => permit,
            Err(TryAcquireError::NoPermits) => return Err(self.full()),
            Err(TryAcquireError::Closed) => return Err(SubmitError::Closed),
        };
        let room = self.room(permit, records.len());
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
        let probe = u32::try_from((self.shared.capacity / 20).max(1)).unwrap_or(u32::MAX);
        match tokio::time::timeout(timeout, self.shared.room.acquire_many(probe)).await {
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
        let wanted = self.estimate(records.len());
        let permit = match tokio::time::timeout(
            timeout,
            Arc::clone(&self.shared.room).acquire_many_owned(wanted),
        )
        .await
        {
            Ok(Ok(permit)) => permit,
            Ok(Err(_)) => return Err(SubmitError::Closed),
            Err(_) => return Err(self.full()),
        };
        let room = self.room(permit, records.len());
        self.send(records, room).await
    }

    /// A queue for records of another type drawing on this queue's bound
    /// (its own consumer, the same bytes): tables written from one request
    /// (a metric export's five kinds of points) are admitted together, and
    /// together hold no more memory than one queue.
    pub fn sibling<U>(&self) -> (Queue<U>, mpsc::UnboundedReceiver<Batch<U>>) {
        let (sender, receiver) = mpsc::unbounded_channel();
        let queue = Queue {
            sender,
            shared: Arc::clone(&self.shared),
            durable: self.durable,
        };
        (queue, receiver)
    }

    /// Reserves room for `records` (of this queue or its siblings), waiting
    /// up to `timeout`: all of a request's records get room, or none do.
    pub async fn reserve(
        &self,
        records: usize,
        timeout: Duration,
    ) -> Result<Reservation, SubmitError> {
        let wanted = self.estimate(records.max(1));
        match tokio::time::timeout(
            timeout,
            Arc::clone(&self.shared.room).acquire_many_owned(wanted),
        )
        .await
        {
            Ok(Ok(permit)) => Ok(Reservation {
                permit: Some(permit),
                records,
                shared: Arc::clone(&self.shared),
            }),
            Ok(Err(_)) => Err(SubmitError::Closed),
            Err(_) => Err(self.full()),
        }
    }

    /// Hands records to the consumer in room taken from a [`Reservation`]
    /// of this queue's bound (durable: once they are on disk).
    pub async fn submit_reserved(&self, records: Vec<T>, room: Room) -> Result<(), SubmitError> {
        if records.is_empty() {
            return Ok(());
        }
        self.send(records, room).await
    }

    /// Hands records with their room to the consumer; in durable mode,
    /// waits for its word that they are on disk.
    async fn send(&self, records: Vec<T>, room: Room) -> Result<(), SubmitError> {
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

    /// The room `records` are expected to take. Never more than the whole
    /// queue: a request larger than that waits for an empty queue rather
    /// than being refused for good on an estimate (the body limits bound
    /// how large it can be).
    fn estimate(&self, records: usize) -> u32 {
        let per_record = match self.shared.bytes_per_record.load(Ordering::Relaxed) {
            UNKNOWN => INITIAL_BYTES_PER_RECORD,
            mean => mean,
        };
        let bytes = records
            .saturating_mul(per_record)
            .clamp(1, self.shared.capacity);
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

    fn room(&self, permit: OwnedSemaphorePermit, records: usize) -> Room {
        Room::new(permit, records, Arc::clone(&self.shared))
    }

    pub fn depth(&self) -> Depth {
        Depth {
            shared: Arc::clone(&self.shared),
        }
    }

    fn full(&self) -> SubmitError {
        SubmitError::Full {
            queued: self.shared.queued_bytes(),
            capacity: self.shared.capacity,
        }
    }

    /// Bytes accepted and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.shared.queued_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A new queue reserves INITIAL_BYTES_PER_RECORD (1024) a record.

    #[test]
    fn refuses_when_full_and_recovers_when_written() {
        let (queue, mut receiver) = queue::<u32>(3000);
        queue.try_submit(vec![1, 2]).unwrap();
        assert_eq!(
            queue.try_submit(vec![3, 4]),
            Err(SubmitError::Full {
                queued: 2048,
                capacity: 3000
            })
        );
        let batch = receiver.try_recv().unwrap();
        let (records, room, _) = batch.into_parts();
        assert_eq!(records, vec![1, 2]);
        assert_eq!(
            queue.queued_bytes(),
            2048,
            "room is held until the write is done"
        );
        drop(room);
        queue.try_submit(vec![3, 4]).unwrap();
    }

    #[test]
    fn settling_holds_the_encoded_size_and_teaches_the_estimate() {
        let (queue, mut receiver) = queue::<u32>(10_000);
        queue.try_submit(vec![1, 2]).unwrap();
        let (_, mut room, _) = receiver.try_recv().unwrap().into_parts();
        room.settle(200);
        assert_eq!(room.bytes(), 200);
        assert_eq!(queue.queued_bytes(), 200);
        // The first batch sets the mean: 100 bytes a record.
        assert_eq!(queue.estimate(1), 100);
        // Larger than reserved: the missing room is taken while it is free;
        // later batches move the mean a quarter of the way.
        room.settle(5000);
        assert_eq!(queue.estimate(1), (100 * 3 + 2500_u32).div_ceil(4));
        assert_eq!(queue.queued_bytes(), 5000);
        drop(room);
        assert_eq!(queue.queued_bytes(), 0);
        assert_eq!(queue.depth().queued_records(), 0);
    }

    #[test]
    fn a_batch_larger_than_its_estimate_is_held_over_the_bound_not_lost() {
        let (queue, mut receiver) = queue::<u32>(3000);
        queue.try_submit(vec![1, 2]).unwrap();
        let (_, mut room, _) = receiver.try_recv().unwrap().into_parts();
        room.settle(4000);
        assert_eq!(room.bytes(), 3000, "all the room there is");
        assert!(matches!(
            queue.try_submit(vec![3]),
            Err(SubmitError::Full { .. })
        ));
    }

    #[tokio::test]
    async fn waiting_submit_gets_room_when_it_frees_up() {
        let (queue, mut receiver) = queue::<u32>(2048);
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

    #[tokio::test]
    async fn a_request_larger_than_the_queue_waits_for_an_empty_queue() {
        let (queue, mut receiver) = queue::<u32>(2048);
        queue.try_submit(vec![1]).unwrap();
        let wait = Duration::from_millis(20);
        assert!(matches!(
            queue.submit_within(vec![1, 2, 3], wait).await,
            Err(SubmitError::Full { .. })
        ));
        drop(receiver.try_recv().unwrap());
        queue.submit_within(vec![1, 2, 3], wait).await.unwrap();
        assert_eq!(queue.queued_bytes(), 2048);
    }

    #[tokio::test]
    async fn siblings_share_one_bound_and_a_reservation_is_all_or_nothing() {
        let (first, mut first_rx) = queue::<u32>(4096);
        let (second, mut second_rx) = first.sibling::<&str>();
        let wait = Duration::from_millis(20);
        let mut reserved = first.reserve(3, wait).await.unwrap();
        assert_eq!(first.queued_bytes(), 3 * 1024);
        assert!(
            matches!(second.reserve(2, wait).await, Err(SubmitError::Full { .. })),
            "the sibling sees the same bound"
        );
        first
            .submit_reserved(vec![1], reserved.take(1))
            .await
            .unwrap();
        second
            .submit_reserved(vec!["a", "b"], reserved.take(2))
            .await
            .unwrap();
        let (_, first_room, _) = first_rx.try_recv().unwrap().into_parts();
        let (records, second_room, _) = second_rx.try_recv().unwrap().into_parts();
        assert_eq!(records, ["a", "b"]);
        assert_eq!(first_room.bytes(), 1024);
        assert_eq!(second_room.bytes(), 2048);
        assert_eq!(second.depth().queued_records(), 3);
        drop((first_room, second_room));
        assert_eq!(first.queued_bytes(), 0);
        // Room reserved but never handed out goes back when dropped.
        let unused = second.reserve(2, wait).await.unwrap();
        drop(unused);
        assert_eq!(first.queued_bytes(), 0);
    }

    #[test]
    fn merged_room_counts_all_records() {
        let (queue, mut receiver) = queue::<u32>(10_000);
        queue.try_submit(vec![1, 2]).unwrap();
        queue.try_submit(vec![3]).unwrap();
        let mut room = Room::default();
        room.merge(receiver.try_recv().unwrap().into_parts().1);
        room.merge(receiver.try_recv().unwrap().into_parts().1);
        assert_eq!(room.records(), 3);
        assert_eq!(room.bytes(), 3 * 1024);
        assert_eq!(queue.depth().queued_records(), 3);
        drop(room);
        assert_eq!(queue.queued_bytes(), 0);
        assert_eq!(queue.depth().queued_records(), 0);
    }

    /// Doubles every record.
    struct Double;

    impl Step<u32> for Double {
        async fn run(&mut self, records: &mut Vec<u32>) {
            records.iter_mut().for_each(|r| *r *= 2);
        }
    }

    #[tokio::test]
    async fn a_step_changes_every_batch_in_order_and_keeps_its_room() {
        let (queue, receiver) = queue::<u32>(10_000);
        let mut stepped = through(receiver, Double);
        queue.try_submit(vec![1, 2]).unwrap();
        queue.try_submit(vec![3]).unwrap();
        let first = stepped.recv().await.unwrap();
        assert_eq!(first.records, vec![2, 4]);
        assert_eq!(stepped.recv().await.unwrap().records, vec![6]);
        assert_eq!(
            queue.queued_bytes(),
            2048,
            "the first batch still holds its room"
        );
        drop(first);
        assert_eq!(queue.queued_bytes(), 0);
        drop(queue);
        assert!(stepped.recv().await.is_none(), "ends when the queue does");
    }
}
