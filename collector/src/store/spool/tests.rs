//! The spool on a real directory: replay order, restarts, torn tails,
//! the byte budget and segment deletion.

use std::fs::OpenOptions;
use std::io::Write;

use super::*;

fn settings(dir: &Path, max_bytes: u64, segment_bytes: u64) -> SpoolSettings {
    SpoolSettings {
        dir: dir.to_owned(),
        max_bytes,
        segment_bytes,
    }
}

fn open(dir: &Path) -> (Spool, Recovery) {
    Spool::open(settings(dir, 1 << 20, 1 << 10)).expect("spool opens")
}

fn rows(n: u32, byte: u8) -> (Vec<u32>, Vec<u8>) {
    (
        (1..=n).map(|i| i * 10).collect(),
        vec![byte; n as usize * 10],
    )
}

fn segment_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "seg"))
        .collect();
    files.sort();
    files
}

#[test]
fn spilled_chunks_replay_oldest_first_with_their_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, recovery) = open(dir.path());
    assert_eq!(recovery, Recovery::default());
    let (ends, data) = rows(3, 1);
    spool.spill("first", &ends, &data).unwrap();
    let (ends2, data2) = rows(2, 2);
    spool.spill("second", &ends2, &data2).unwrap();
    let first = spool.next_replay().unwrap().expect("a chunk");
    assert_eq!(first.token, "first");
    assert_eq!((first.row_ends, first.data), (ends, data));
    let second = spool.next_replay().unwrap().expect("a chunk");
    assert_eq!(second.token, "second");
    assert!(spool.next_replay().unwrap().is_none(), "both are out");
    spool.done(first.spool_ref).unwrap();
    spool.done(second.spool_ref).unwrap();
    assert_eq!(spool.stats().chunks, 0);
}

#[test]
fn unconfirmed_chunks_survive_a_restart_and_confirmed_ones_do_not() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path());
        let (ends, data) = rows(3, 1);
        let done = spool.spill("confirmed", &ends, &data).unwrap();
        spool.spill("unconfirmed", &ends, &data).unwrap();
        let replayed = spool.next_replay().unwrap().unwrap();
        assert_eq!(replayed.spool_ref, done);
        spool.done(done).unwrap();
    }
    let (mut spool, recovery) = open(dir.path());
    assert_eq!(recovery.chunks, 1);
    assert_eq!(recovery.rows, 3);
    let chunk = spool.next_replay().unwrap().unwrap();
    assert_eq!(chunk.token, "unconfirmed");
    assert!(spool.next_replay().unwrap().is_none());
}

#[test]
fn durable_appends_without_a_seal_are_recovered_under_a_new_token() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path());
        let (ends, data) = rows(2, 7);
        spool.append(&ends, &data).unwrap();
        spool.append(&ends, &data).unwrap();
        spool.sync().unwrap();
        // The process dies before the chunk is sealed.
    }
    let (mut spool, recovery) = open(dir.path());
    assert_eq!(recovery.chunks, 1);
    assert_eq!(recovery.rows, 4);
    let chunk = spool.next_replay().unwrap().unwrap();
    assert_eq!(chunk.row_ends, vec![10, 20, 30, 40]);
    assert_eq!(chunk.data, vec![7; 40]);
    assert_eq!(chunk.token.len(), 32);
}

#[test]
fn a_torn_tail_is_counted_and_what_precedes_it_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path());
        let (ends, data) = rows(2, 3);
        spool.spill("whole", &ends, &data).unwrap();
        spool.append(&ends, &data).unwrap();
    }
    // Cut the last record in half, as a crash mid-write would.
    let file = segment_files(dir.path()).pop().unwrap();
    let len = fs::metadata(&file).unwrap().len();
    OpenOptions::new()
        .write(true)
        .open(&file)
        .unwrap()
        .set_len(len - 7)
        .unwrap();
    let (mut spool, recovery) = open(dir.path());
    assert_eq!(recovery.damaged_segments, 1);
    assert_eq!(recovery.chunks, 1, "the torn record is not replayed");
    assert_eq!(spool.next_replay().unwrap().unwrap().token, "whole");
    assert!(spool.next_replay().unwrap().is_none());
}

#[test]
fn garbage_appended_to_a_segment_is_never_replayed() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut spool, _) = open(dir.path());
        let (ends, data) = rows(1, 3);
        spool.spill("kept", &ends, &data).unwrap();
    }
    let file = segment_files(dir.path()).pop().unwrap();
    OpenOptions::new()
        .append(true)
        .open(&file)
        .unwrap()
        .write_all(&[2, 5, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0, 0, 65])
        .unwrap();
    let (mut spool, recovery) = open(dir.path());
    assert_eq!(recovery.damaged_segments, 1);
    assert_eq!(spool.next_replay().unwrap().unwrap().token, "kept");
    assert!(spool.next_replay().unwrap().is_none());
}

#[test]
fn the_byte_budget_refuses_and_recovers_when_chunks_are_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = Spool::open(settings(dir.path(), 300, 100)).unwrap();
    let (ends, data) = rows(10, 1);
    let first = spool.spill("a", &ends, &data).unwrap();
    assert!(!spool.has_room_for(1, 10, 100));
    match spool.spill("b", &ends, &data) {
        Err(SpoolError::Full { max: 300, .. }) => {}
        other => panic!("expected Full, got {other:?}"),
    }
    let chunk = spool.next_replay().unwrap().unwrap();
    assert_eq!(chunk.spool_ref, first);
    spool.done(first).unwrap();
    assert!(spool.has_room_for(1, 10, 100), "{:?}", spool.stats());
    spool.spill("b", &ends, &data).unwrap();
}

#[test]
fn confirmed_segments_are_deleted_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = Spool::open(settings(dir.path(), 1 << 20, 50)).unwrap();
    let (ends, data) = rows(5, 1);
    let a = spool.spill("a", &ends, &data).unwrap();
    let b = spool.spill("b", &ends, &data).unwrap();
    assert_eq!(segment_files(dir.path()).len(), 3, "each seal rolled");
    spool.next_replay().unwrap();
    spool.next_replay().unwrap();
    // The newer one confirmed first: the older segment still holds `a`.
    spool.done(b).unwrap();
    assert_eq!(segment_files(dir.path()).len(), 3);
    spool.done(a).unwrap();
    assert_eq!(segment_files(dir.path()).len(), 1, "only the active one");
    assert_eq!(spool.stats().segments, 1);
}

#[test]
fn chunks_held_in_memory_are_replayed_only_once_released() {
    let dir = tempfile::tempdir().unwrap();
    let (mut spool, _) = open(dir.path());
    let (ends, data) = rows(2, 1);
    spool.append(&ends, &data).unwrap();
    let held = spool.seal("held", 2, true).unwrap();
    assert!(!spool.has_waiting());
    assert!(spool.next_replay().unwrap().is_none());
    spool.release(held);
    assert_eq!(spool.next_replay().unwrap().unwrap().token, "held");
}

#[test]
fn a_second_process_cannot_open_the_same_spool() {
    let dir = tempfile::tempdir().unwrap();
    let (_spool, _) = open(dir.path());
    assert!(matches!(
        Spool::open(settings(dir.path(), 1 << 20, 1 << 10)),
        Err(SpoolError::Locked { .. })
    ));
}
