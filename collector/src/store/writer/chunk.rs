//! Chunks: encoded rows inserted together. The open chunk fills as
//! batches arrive; sealing gives it the deduplication token that every
//! retry, split and replay of it reuses.
//!
//! A chunk also knows whether writing it may record spans of the
//! collector's own work (`traced`): not when it holds only the collector's
//! own spans (`telemetry::spans` explains why). That mark is part of the
//! token, so it survives the spool without a new record format.

use std::ops::Range;

use bytes::Bytes;

use super::super::rows::Table;
use super::super::spool::{new_token, SpoolRef};
use crate::pipeline::Room;

/// A sealed chunk, ready to insert.
pub struct Chunk {
    pub token: String,
    pub data: Bytes,
    /// Where each row ends in `data`.
    pub row_ends: Vec<u32>,
    /// Set when the spool holds this chunk too (durable mode, or a replay).
    pub spooled: Option<SpoolRef>,
    /// Held, not read: dropping the chunk after its insert frees queue room.
    pub room: Room,
    /// Writing it records spans of the collector's own work.
    pub traced: bool,
}

/// Starts the token of a chunk holding only the collector's own spans.
const UNTRACED_TOKEN_PREFIX: &str = "own-";

/// A token for a chunk that records no spans of the collector's work.
pub fn untraced_token() -> String {
    format!("{UNTRACED_TOKEN_PREFIX}{}", new_token())
}

/// Whether a chunk read back from the spool with `token` records spans:
/// all do but those sealed with [`untraced_token`].
pub fn is_traced(token: &str) -> bool {
    !token.starts_with(UNTRACED_TOKEN_PREFIX)
}

impl Chunk {
    /// Read back from the spool, not written from memory: it holds no
    /// queue room.
    pub fn is_replay(&self) -> bool {
        self.spooled.is_some() && self.room.bytes() == 0
    }

    pub fn rows(&self) -> usize {
        self.row_ends.len()
    }

    /// The bytes of rows `range`.
    pub fn bytes_of(&self, range: &Range<usize>) -> Bytes {
        let start = match range.start {
            0 => 0,
            i => self.row_ends[i - 1] as usize,
        };
        let end = match range.end {
            0 => 0,
            i => self.row_ends[i - 1] as usize,
        };
        self.data.slice(start..end)
    }

    /// The token for rows `range`: the chunk's own for all of it, a derived
    /// one for a part, so a replay that splits the same way dedupes too.
    pub fn token_of(&self, range: &Range<usize>) -> String {
        if range.start == 0 && range.end == self.rows() {
            self.token.clone()
        } else {
            format!("{}.{}-{}", self.token, range.start, range.end)
        }
    }
}

/// Where the open chunk stood before a batch: a durable batch the spool
/// cannot take is rolled back to it.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    bytes: usize,
    rows: usize,
}

/// The chunk being filled.
pub struct OpenChunk {
    buf: Vec<u8>,
    row_ends: Vec<u32>,
    room: Room,
    capacity: usize,
    traced: bool,
}

impl OpenChunk {
    pub fn new(batch_bytes: usize) -> Self {
        // Sized for a whole chunk up front: growing a multi-megabyte buffer
        // by doubling copied it over and over (seen in profiles).
        let capacity = batch_bytes + batch_bytes / 8;
        Self {
            buf: Vec::with_capacity(capacity),
            row_ends: Vec::new(),
            room: Room::default(),
            capacity,
            traced: false,
        }
    }

    /// Encodes `records` onto the chunk; returns where it stood before.
    pub fn encode<T: Table>(&mut self, records: &[T::Record]) -> Mark {
        let mark = Mark {
            bytes: self.buf.len(),
            rows: self.row_ends.len(),
        };
        T::encode_all(records, &mut self.buf, &mut self.row_ends);
        mark
    }

    /// Where the chunk stands now.
    pub fn mark(&self) -> Mark {
        Mark {
            bytes: self.buf.len(),
            rows: self.row_ends.len(),
        }
    }

    /// The rows between two marks, with row ends relative to the first.
    pub fn between(&self, from: Mark, to: Mark) -> (Vec<u32>, &[u8]) {
        let base = from.bytes as u32;
        let ends = self.row_ends[from.rows..to.rows]
            .iter()
            .map(|end| end - base)
            .collect();
        (ends, &self.buf[from.bytes..to.bytes])
    }

    /// How many rows and bytes were added since `mark`.
    pub fn size_since(&self, mark: Mark) -> (usize, usize) {
        (self.row_ends.len() - mark.rows, self.buf.len() - mark.bytes)
    }

    pub fn rollback(&mut self, mark: Mark) {
        self.buf.truncate(mark.bytes);
        self.row_ends.truncate(mark.rows);
    }

    /// Keeps the queue room of the records just encoded until the chunk is
    /// written.
    pub fn hold(&mut self, room: Room) {
        self.room.merge(room);
    }

    pub fn rows(&self) -> usize {
        self.row_ends.len()
    }

    pub fn bytes(&self) -> usize {
        self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row_ends.is_empty()
    }

    /// Rows that are not the collector's own telemetry were encoded: the
    /// chunk records spans of its writing.
    pub fn mark_traced(&mut self) {
        self.traced = true;
    }

    pub fn is_traced(&self) -> bool {
        self.traced
    }

    pub fn seal(&mut self, token: String) -> Chunk {
        let mut data = std::mem::replace(&mut self.buf, Vec::with_capacity(self.capacity));
        // A chunk sealed by time may be small; while it waits for an insert
        // slot it should not hold a whole chunk's worth of memory.
        if data.len() < data.capacity() / 2 {
            data.shrink_to_fit();
        }
        Chunk {
            token,
            data: Bytes::from(data),
            row_ends: std::mem::take(&mut self.row_ends),
            spooled: None,
            room: std::mem::take(&mut self.room),
            traced: std::mem::take(&mut self.traced),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk() -> Chunk {
        Chunk {
            token: "t".into(),
            data: Bytes::from_static(b"aabbbc"),
            row_ends: vec![2, 5, 6],
            spooled: None,
            room: Room::default(),
            traced: true,
        }
    }

    #[test]
    fn row_ranges_map_to_their_bytes_and_tokens() {
        let chunk = chunk();
        assert_eq!(&chunk.bytes_of(&(0..3))[..], b"aabbbc");
        assert_eq!(&chunk.bytes_of(&(1..2))[..], b"bbb");
        assert_eq!(&chunk.bytes_of(&(2..3))[..], b"c");
        assert_eq!(chunk.token_of(&(0..3)), "t");
        assert_eq!(chunk.token_of(&(1..3)), "t.1-3");
    }

    #[test]
    fn the_untraced_mark_survives_in_the_token() {
        let token = untraced_token();
        assert!(!is_traced(&token));
        assert!(is_traced(&new_token()));
        assert_ne!(token, untraced_token(), "still unique");
    }

    #[test]
    fn sealing_takes_the_traced_mark_along() {
        let mut open = OpenChunk::new(64);
        open.mark_traced();
        assert!(open.is_traced());
        let chunk = open.seal("t".into());
        assert!(chunk.traced);
        assert!(!open.is_traced(), "the next chunk starts unmarked");
    }
}
