//! The disk spool: acknowledged rows that ClickHouse has not confirmed yet,
//! kept in append-only segment files under `data_dir/spool/<table>/`.
//!
//! A chunk enters the spool when the memory path cannot keep it (ClickHouse
//! down past the retry budget, shutdown deadline reached) or, in durable
//! mode, before its request is acknowledged. It is stored already encoded
//! (RowBinary) with the deduplication token it was sealed with, so a replay
//! is the very same INSERT and ClickHouse drops it if it had landed before.
//! Segments are read back at start (stopping at a torn or corrupt tail, see
//! [`record`]), replayed oldest first, and deleted oldest first once every
//! chunk in them is confirmed. One process owns a spool directory (a lock
//! file), and the spool never grows past its byte budget: what does not fit
//! is refused, so the caller answers 429 instead of dropping data.
//!
//! Calls do blocking file I/O; the writer runs them off the async threads.

mod config;
mod record;

pub use config::SpoolConfig;

use std::collections::{BTreeMap, HashSet};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use record::{Tail, HEADER_LEN, KIND_DATA, KIND_DONE, KIND_SEAL};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpoolSettings {
    /// This table's spool directory.
    pub dir: PathBuf,
    /// All segment files together stay below this.
    pub max_bytes: u64,
    /// A segment is closed and a new one started past this size.
    pub segment_bytes: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("the disk spool is full ({used} of {max} bytes used, {needed} more needed)")]
    Full { used: u64, max: u64, needed: u64 },
    #[error("spool {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("spool {path} is in use by another process")]
    Locked { path: PathBuf },
}

/// A chunk the spool holds, by identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SpoolRef(u64);

/// A chunk read back for replay.
#[derive(Debug)]
pub struct SpooledChunk {
    pub spool_ref: SpoolRef,
    pub token: String,
    pub row_ends: Vec<u32>,
    pub data: Vec<u8>,
}

/// What reading the spool at start found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Recovery {
    pub chunks: usize,
    pub rows: u64,
    /// Segments whose tail was cut short or corrupt (skipped from there).
    pub damaged_segments: u64,
}

pub use crate::telemetry::SpoolStats;

#[derive(Debug, Clone, Copy)]
struct Location {
    offset: u64,
    len: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The memory path is inserting it (durable mode); not for replay.
    InMemory,
    Waiting,
    Replaying,
}

struct Pending {
    segment: u64,
    token: String,
    rows: usize,
    data: Vec<Location>,
    state: State,
}

#[derive(Default)]
struct Segment {
    bytes: u64,
    pending: usize,
}

pub struct Spool {
    settings: SpoolSettings,
    segments: BTreeMap<u64, Segment>,
    active_seq: u64,
    active: File,
    /// Data records written since the last seal, and their rows.
    unsealed: Vec<Location>,
    pending: BTreeMap<SpoolRef, Pending>,
    next_ref: u64,
    total_bytes: u64,
    /// Held for the spool's life: the OS lock on the directory.
    _lock: File,
}

impl Spool {
    /// Opens (creating) the directory, reads what an earlier run left, and
    /// starts a new segment for this run.
    pub fn open(settings: SpoolSettings) -> Result<(Self, Recovery), SpoolError> {
        let dir = settings.dir.clone();
        fs::create_dir_all(&dir).map_err(io_at(&dir))?;
        let lock_path = dir.join("LOCK");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io_at(&lock_path))?;
        if lock.try_lock().is_err() {
            return Err(SpoolError::Locked { path: dir });
        }
        let mut found = Found::default();
        for seq in segment_numbers(&dir)? {
            found.read_segment(&dir, seq)?;
        }
        let active_seq = found.segments.keys().next_back().map_or(1, |last| last + 1);
        let active_path = segment_path(&dir, active_seq);
        let active = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&active_path)
            .map_err(io_at(&active_path))?;
        let mut spool = Spool {
            settings,
            segments: BTreeMap::new(),
            active_seq,
            active,
            unsealed: Vec::new(),
            pending: BTreeMap::new(),
            next_ref: 0,
            total_bytes: 0,
            _lock: lock,
        };
        let recovery = spool.adopt(found)?;
        Ok((spool, recovery))
    }

    /// Takes over what an earlier run left: sealed chunks not confirmed,
    /// and data never sealed (durable mode acknowledged it), which gets a
    /// seal of its own here.
    fn adopt(&mut self, found: Found) -> Result<Recovery, SpoolError> {
        let mut recovery = Recovery {
            damaged_segments: found.damaged,
            ..Recovery::default()
        };
        for (seq, bytes) in &found.segments {
            self.total_bytes += bytes;
            self.segments.insert(
                *seq,
                Segment {
                    bytes: *bytes,
                    pending: 0,
                },
            );
        }
        self.segments.insert(self.active_seq, Segment::default());
        for chunk in found.sealed {
            if found.done.contains(&chunk.token) {
                continue;
            }
            recovery.chunks += 1;
            recovery.rows += chunk.rows as u64;
            self.add_pending(
                chunk.segment,
                chunk.token,
                chunk.rows,
                chunk.data,
                State::Waiting,
            );
        }
        for orphan in found.unsealed {
            let (row_ends, data) = read_data(&self.settings.dir, orphan.segment, &orphan.data)?;
            recovery.chunks += 1;
            recovery.rows += row_ends.len() as u64;
            self.write_data(&row_ends, &data, false)?;
            self.seal(&new_token(), row_ends.len(), false)?;
        }
        self.collect_garbage()?;
        Ok(recovery)
    }

    /// Appends rows of the chunk being built; [`Spool::seal`] closes it.
    /// Not synced: durable mode calls [`Spool::sync`] once per group of
    /// requests.
    pub fn append(&mut self, row_ends: &[u32], rows: &[u8]) -> Result<(), SpoolError> {
        self.write_data(row_ends, rows, true)
    }

    fn write_data(
        &mut self,
        row_ends: &[u32],
        rows: &[u8],
        check_room: bool,
    ) -> Result<(), SpoolError> {
        let head = record::data_head(row_ends);
        let len = (head.len() + rows.len()) as u64;
        let needed = HEADER_LEN as u64 + len;
        if check_room && self.total_bytes + needed > self.settings.max_bytes {
            return Err(SpoolError::Full {
                used: self.total_bytes,
                max: self.settings.max_bytes,
                needed,
            });
        }
        let offset = self.write_parts(KIND_DATA, &[&head, rows])?;
        self.unsealed.push(Location { offset, len });
        Ok(())
    }

    /// Whether `records` data records holding `rows` rows and
    /// `data_bytes` bytes in all would fit now.
    pub fn has_room_for(&self, records: usize, rows: usize, data_bytes: usize) -> bool {
        let needed = (records * (HEADER_LEN + 4) + rows * 4 + data_bytes) as u64;
        self.total_bytes + needed <= self.settings.max_bytes
    }

    /// Closes the chunk made of the data appended since the last seal,
    /// durably (fsync): from here a crash replays it with `token`.
    /// `in_memory`: the caller is inserting it itself, so replay waits
    /// until [`Spool::release`].
    pub fn seal(
        &mut self,
        token: &str,
        rows: usize,
        in_memory: bool,
    ) -> Result<SpoolRef, SpoolError> {
        self.write_record(KIND_SEAL, &record::seal_payload(rows, token))?;
        self.sync()?;
        let data = std::mem::take(&mut self.unsealed);
        let state = if in_memory {
            State::InMemory
        } else {
            State::Waiting
        };
        let spool_ref = self.add_pending(self.active_seq, token.to_owned(), rows, data, state);
        self.roll_if_full()?;
        Ok(spool_ref)
    }

    /// Stores a whole chunk the memory path cannot keep; replayed later.
    pub fn spill(
        &mut self,
        token: &str,
        row_ends: &[u32],
        rows: &[u8],
    ) -> Result<SpoolRef, SpoolError> {
        self.append(row_ends, rows)?;
        self.seal(token, row_ends.len(), false)
    }

    /// Flushes what was appended to the disk.
    pub fn sync(&mut self) -> Result<(), SpoolError> {
        let path = segment_path(&self.settings.dir, self.active_seq);
        self.active.sync_data().map_err(io_at(&path))
    }

    /// The memory path gave up on a chunk it held: replay takes it over.
    pub fn release(&mut self, spool_ref: SpoolRef) {
        if let Some(pending) = self.pending.get_mut(&spool_ref) {
            pending.state = State::Waiting;
        }
    }

    /// Whether a chunk is waiting for replay.
    pub fn has_waiting(&self) -> bool {
        self.pending.values().any(|p| p.state == State::Waiting)
    }

    /// The oldest chunk waiting for replay, read back from its segment.
    pub fn next_replay(&mut self) -> Result<Option<SpooledChunk>, SpoolError> {
        let Some((&spool_ref, pending)) = self
            .pending
            .iter_mut()
            .find(|(_, p)| p.state == State::Waiting)
        else {
            return Ok(None);
        };
        let (row_ends, data) = read_data(&self.settings.dir, pending.segment, &pending.data)?;
        pending.state = State::Replaying;
        Ok(Some(SpooledChunk {
            spool_ref,
            token: pending.token.clone(),
            row_ends,
            data,
        }))
    }

    /// ClickHouse confirmed the chunk: record it and delete segments that
    /// hold nothing unconfirmed any more.
    pub fn done(&mut self, spool_ref: SpoolRef) -> Result<(), SpoolError> {
        let Some(pending) = self.pending.remove(&spool_ref) else {
            return Ok(());
        };
        // Not synced: if this record is lost, the chunk is inserted again
        // with its token and ClickHouse drops the copy.
        self.write_record(KIND_DONE, pending.token.as_bytes())?;
        if let Some(segment) = self.segments.get_mut(&pending.segment) {
            segment.pending = segment.pending.saturating_sub(1);
        }
        self.collect_garbage()
    }

    pub fn stats(&self) -> SpoolStats {
        SpoolStats {
            bytes: self.total_bytes,
            segments: self.segments.len() as u64,
            chunks: self.pending.len() as u64,
            rows: self.pending.values().map(|p| p.rows as u64).sum(),
        }
    }

    fn add_pending(
        &mut self,
        segment: u64,
        token: String,
        rows: usize,
        data: Vec<Location>,
        state: State,
    ) -> SpoolRef {
        let spool_ref = SpoolRef(self.next_ref);
        self.next_ref += 1;
        self.segments.entry(segment).or_default().pending += 1;
        self.pending.insert(
            spool_ref,
            Pending {
                segment,
                token,
                rows,
                data,
                state,
            },
        );
        spool_ref
    }

    /// Writes one record to the active segment; returns its payload offset.
    fn write_record(&mut self, kind: u8, payload: &[u8]) -> Result<u64, SpoolError> {
        self.write_parts(kind, &[payload])
    }

    /// Writes a record whose payload is `parts` in order, without joining
    /// them first; returns the payload's offset.
    fn write_parts(&mut self, kind: u8, parts: &[&[u8]]) -> Result<u64, SpoolError> {
        let header = record::header(kind, parts);
        let path = segment_path(&self.settings.dir, self.active_seq);
        self.active.write_all(&header).map_err(io_at(&path))?;
        for part in parts {
            self.active.write_all(part).map_err(io_at(&path))?;
        }
        let written = HEADER_LEN as u64 + parts.iter().map(|p| p.len() as u64).sum::<u64>();
        let segment = self.segments.entry(self.active_seq).or_default();
        let offset = segment.bytes + HEADER_LEN as u64;
        segment.bytes += written;
        self.total_bytes += written;
        Ok(offset)
    }

    /// Starts a new segment once the active one is big enough, at a seal so
    /// that a chunk's data and seal share one file.
    fn roll_if_full(&mut self) -> Result<(), SpoolError> {
        let size = self.segments.get(&self.active_seq).map_or(0, |s| s.bytes);
        if size < self.settings.segment_bytes || !self.unsealed.is_empty() {
            return Ok(());
        }
        let next = self.active_seq + 1;
        let path = segment_path(&self.settings.dir, next);
        self.active = OpenOptions::new()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(io_at(&path))?;
        self.active_seq = next;
        self.segments.insert(next, Segment::default());
        self.collect_garbage()
    }

    /// Deletes segments oldest first while they hold nothing unconfirmed.
    /// Oldest first, because a confirmation can sit in a newer segment than
    /// its chunk: deleting in order never loses one that is still needed.
    fn collect_garbage(&mut self) -> Result<(), SpoolError> {
        while let Some((&seq, segment)) = self.segments.first_key_value() {
            if seq == self.active_seq || segment.pending > 0 {
                break;
            }
            let path = segment_path(&self.settings.dir, seq);
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_at(&path)(e)),
            }
            self.total_bytes = self.total_bytes.saturating_sub(segment.bytes);
            self.segments.remove(&seq);
        }
        Ok(())
    }
}

/// A chunk found sealed in a segment.
struct FoundChunk {
    segment: u64,
    token: String,
    rows: usize,
    data: Vec<Location>,
}

/// Data found after the last seal of a segment.
struct Orphan {
    segment: u64,
    data: Vec<Location>,
}

#[derive(Default)]
struct Found {
    segments: BTreeMap<u64, u64>,
    sealed: Vec<FoundChunk>,
    unsealed: Vec<Orphan>,
    done: HashSet<String>,
    damaged: u64,
}

impl Found {
    fn read_segment(&mut self, dir: &Path, seq: u64) -> Result<(), SpoolError> {
        let path = segment_path(dir, seq);
        let file = File::open(&path).map_err(io_at(&path))?;
        let size = file.metadata().map_err(io_at(&path))?.len();
        let (records, tail) = record::read_all(file).map_err(io_at(&path))?;
        if let Tail::Damaged { at } = tail {
            self.damaged += 1;
            tracing::warn!(
                path = %path.display(),
                offset = at,
                skipped_bytes = size - at,
                "spool segment ends in a torn or corrupt record; reading stops there"
            );
        }
        self.segments.insert(seq, size);
        let mut data = Vec::new();
        for record in records {
            let location = Location {
                offset: record.payload_offset,
                len: record.payload.len() as u64,
            };
            match record.kind {
                KIND_DATA => data.push(location),
                KIND_SEAL => match record::parse_seal(&record.payload) {
                    Some((rows, token)) => self.sealed.push(FoundChunk {
                        segment: seq,
                        token,
                        rows,
                        data: std::mem::take(&mut data),
                    }),
                    None => {
                        tracing::warn!(path = %path.display(), "unreadable seal record skipped")
                    }
                },
                _ => {
                    self.done
                        .insert(String::from_utf8_lossy(&record.payload).into_owned());
                }
            }
        }
        if !data.is_empty() {
            self.unsealed.push(Orphan { segment: seq, data });
        }
        Ok(())
    }
}

/// Reads and joins a chunk's data records.
fn read_data(
    dir: &Path,
    segment: u64,
    locations: &[Location],
) -> Result<(Vec<u32>, Vec<u8>), SpoolError> {
    let path = segment_path(dir, segment);
    let file = File::open(&path).map_err(io_at(&path))?;
    let mut row_ends = Vec::new();
    let mut data = Vec::new();
    for location in locations {
        let mut payload = vec![0; location.len as usize];
        file.read_exact_at(&mut payload, location.offset)
            .map_err(io_at(&path))?;
        let Some((ends, rows)) = record::parse_data(&payload) else {
            return Err(io_at(&path)(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "data record with inconsistent row offsets",
            )));
        };
        let base = data.len() as u32;
        row_ends.extend(ends.iter().map(|end| base + end));
        data.extend_from_slice(rows);
    }
    Ok((row_ends, data))
}

/// A fresh deduplication token: random, so collectors never share one.
pub fn new_token() -> String {
    format!("{:032x}", fastrand::u128(..))
}

fn segment_path(dir: &Path, seq: u64) -> PathBuf {
    dir.join(format!("{seq:016}.seg"))
}

fn segment_numbers(dir: &Path) -> Result<Vec<u64>, SpoolError> {
    let mut numbers: Vec<u64> = fs::read_dir(dir)
        .map_err(io_at(dir))?
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            name.strip_suffix(".seg")?.parse().ok()
        })
        .collect();
    numbers.sort_unstable();
    Ok(numbers)
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> SpoolError + '_ {
    move |source| SpoolError::Io {
        path: path.to_owned(),
        source,
    }
}

#[cfg(test)]
mod tests;
