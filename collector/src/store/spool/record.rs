//! The spool's on-disk record framing. A segment file is a sequence of
//! records, each `[kind u8][payload length u32 LE][crc32 u32 LE][payload]`,
//! the checksum covering kind and payload. Reading stops at the first
//! record that is cut short or fails its checksum: a torn tail (a crash in
//! the middle of a write) or corruption is reported, never replayed.

use std::io::{self, Read};

/// Encoded rows of one chunk, or part of one (durable mode writes every
/// request's rows as they arrive).
pub const KIND_DATA: u8 = 1;
/// Closes a chunk: the data records since the previous seal, inserted with
/// this deduplication token.
pub const KIND_SEAL: u8 = 2;
/// ClickHouse confirmed the chunk with this token.
pub const KIND_DONE: u8 = 3;

pub const HEADER_LEN: usize = 9;

/// Largest payload a reader accepts: a length beyond it is corruption.
pub const MAX_PAYLOAD: usize = 1 << 30;

/// Appends one framed record to `out` (tests build files with it).
#[cfg(test)]
pub fn frame(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&header(kind, &[payload]));
    out.extend_from_slice(payload);
}

/// The header of a record whose payload is `parts` one after the other, so
/// a large payload is written from where it lies, never copied.
pub fn header(kind: u8, parts: &[&[u8]]) -> [u8; HEADER_LEN] {
    let mut crc = crc32fast::Hasher::new();
    crc.update(&[kind]);
    let mut len = 0usize;
    for part in parts {
        crc.update(part);
        len += part.len();
    }
    let mut header = [0u8; HEADER_LEN];
    header[0] = kind;
    header[1..5].copy_from_slice(&(len as u32).to_le_bytes());
    header[5..9].copy_from_slice(&crc.finalize().to_le_bytes());
    header
}

/// The head of a data record's payload, `[rows u32][row end u32 × rows]`;
/// the row bytes follow it. Row ends are relative to the row bytes.
pub fn data_head(row_ends: &[u32]) -> Vec<u8> {
    let mut head = Vec::with_capacity(4 + row_ends.len() * 4);
    head.extend_from_slice(&(row_ends.len() as u32).to_le_bytes());
    for end in row_ends {
        head.extend_from_slice(&end.to_le_bytes());
    }
    head
}

/// A whole data payload (tests).
#[cfg(test)]
pub fn data_payload(row_ends: &[u32], rows: &[u8]) -> Vec<u8> {
    let mut payload = data_head(row_ends);
    payload.extend_from_slice(rows);
    payload
}

/// Splits a data payload into row ends and row bytes.
pub fn parse_data(payload: &[u8]) -> Option<(Vec<u32>, &[u8])> {
    let count = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let ends_len = count.checked_mul(4)?;
    let ends_bytes = payload.get(4..4 + ends_len)?;
    let rows = payload.get(4 + ends_len..)?;
    let ends: Vec<u32> = ends_bytes
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let consistent = ends.windows(2).all(|w| w[0] <= w[1])
        && ends.last().is_none_or(|&last| last as usize == rows.len());
    consistent.then_some((ends, rows))
}

/// A seal's payload: `[rows u32][token bytes]`.
pub fn seal_payload(rows: usize, token: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(4 + token.len());
    payload.extend_from_slice(&(rows as u32).to_le_bytes());
    payload.extend_from_slice(token.as_bytes());
    payload
}

pub fn parse_seal(payload: &[u8]) -> Option<(usize, String)> {
    let rows = u32::from_le_bytes(payload.get(..4)?.try_into().ok()?) as usize;
    let token = std::str::from_utf8(payload.get(4..)?).ok()?;
    Some((rows, token.to_owned()))
}

/// One record read back, with where its payload lies in the file.
#[derive(Debug)]
pub struct ReadRecord {
    pub kind: u8,
    pub payload_offset: u64,
    pub payload: Vec<u8>,
}

/// How a segment's reading ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Tail {
    /// Every byte belonged to a whole, valid record.
    Clean,
    /// Reading stopped at this offset: a record cut short or corrupt.
    Damaged { at: u64 },
}

/// Reads every valid record from `reader`, stopping at the first damage.
pub fn read_all(mut reader: impl Read) -> io::Result<(Vec<ReadRecord>, Tail)> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let mut records = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        let Some(header) = bytes.get(at..at + HEADER_LEN) else {
            return Ok((records, Tail::Damaged { at: at as u64 }));
        };
        let kind = header[0];
        let len = u32::from_le_bytes([header[1], header[2], header[3], header[4]]) as usize;
        let crc = u32::from_le_bytes([header[5], header[6], header[7], header[8]]);
        let start = at + HEADER_LEN;
        let payload = (len <= MAX_PAYLOAD)
            .then(|| bytes.get(start..start + len))
            .flatten();
        let valid = payload.filter(|payload| {
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(&[kind]);
            hasher.update(payload);
            hasher.finalize() == crc && matches!(kind, KIND_DATA | KIND_SEAL | KIND_DONE)
        });
        let Some(payload) = valid else {
            return Ok((records, Tail::Damaged { at: at as u64 }));
        };
        records.push(ReadRecord {
            kind,
            payload_offset: start as u64,
            payload: payload.to_vec(),
        });
        at = start + len;
    }
    Ok((records, Tail::Clean))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_records() -> Vec<u8> {
        let mut file = Vec::new();
        frame(KIND_DATA, &data_payload(&[3, 5], b"abcde"), &mut file);
        frame(KIND_SEAL, &seal_payload(2, "tok"), &mut file);
        file
    }

    #[test]
    fn records_round_trip() {
        let (records, tail) = read_all(&two_records()[..]).unwrap();
        assert_eq!(tail, Tail::Clean);
        assert_eq!(records.len(), 2);
        let (ends, rows) = parse_data(&records[0].payload).unwrap();
        assert_eq!((ends, rows), (vec![3, 5], &b"abcde"[..]));
        assert_eq!(
            parse_seal(&records[1].payload).unwrap(),
            (2, "tok".to_owned())
        );
    }

    #[test]
    fn a_torn_tail_is_detected_at_every_cut() {
        let file = two_records();
        let first_len = HEADER_LEN + 4 + 8 + 5;
        for cut in first_len + 1..file.len() {
            let (records, tail) = read_all(&file[..cut]).unwrap();
            assert_eq!(records.len(), 1, "cut at {cut}");
            assert_eq!(
                tail,
                Tail::Damaged {
                    at: first_len as u64
                }
            );
        }
    }

    #[test]
    fn a_flipped_bit_stops_reading_there() {
        let mut file = two_records();
        let last = file.len() - 1;
        file[last] ^= 0x40;
        let (records, tail) = read_all(&file[..]).unwrap();
        assert_eq!(records.len(), 1);
        assert!(matches!(tail, Tail::Damaged { .. }));
        // Garbage that happens to start with a plausible header is refused too.
        let (records, tail) = read_all(&[1u8, 255, 255, 255, 255, 0, 0, 0, 0][..]).unwrap();
        assert!(records.is_empty());
        assert_eq!(tail, Tail::Damaged { at: 0 });
    }

    #[test]
    fn inconsistent_row_ends_are_refused() {
        assert!(parse_data(&data_payload(&[3, 9], b"abcde")).is_none());
        assert!(parse_data(&data_payload(&[4, 2], b"abcd")).is_none());
        assert!(parse_data(&[]).is_none());
    }
}
