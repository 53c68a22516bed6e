//! Builds random traces whose breakdown is known by construction.
//!
//! Each span's interval is cut into consecutive slots, and every slot is of
//! a kind whose owner is obvious from the attribution rule:
//! - *own*: no child covers it, so it is the span's own time (sometimes
//!   holding a zero-length or end-before-start child, which owns nothing);
//! - *child*: a child subtree fills it exactly (recursively);
//! - *overlap*: two leaf siblings A and B, B starting later: A owns up to
//!   B's start, B owns its whole interval, A owns what is left after B
//!   (or, started together, the smaller id takes all);
//! - *orphan*: a leaf whose parent is lost sits at depth 0, so it owns the
//!   slot only inside a top-level span (a tie at depth 0, won by the later
//!   start); deeper, the slot's span outranks it;
//! - *skewed*: a leaf reaching before its parent's start or past its end,
//!   clamped back, so it owns exactly the slot.
//!
//! Top-level spans follow one another with gaps (unattributed, sometimes
//! holding an orphan). Then some spans are duplicated and the list is
//! shuffled or reversed.

use fastrand::Rng;

use super::super::{LayerNanos, Part, SpanTiming};
use super::{sid, BASE, LAYERS};
use crate::model::Layer;

/// A generated trace and what `assemble` must find in it.
pub(super) struct Generated {
    /// The input, out of order and with duplicates.
    pub spans: Vec<SpanTiming>,
    pub expected: LayerNanos,
    pub wall_nanos: u64,
    pub distinct: usize,
    pub duplicates: usize,
    pub orphans: usize,
    pub clamped: usize,
    pub ends_before_start: usize,
}

pub(super) fn generate(seed: u64) -> Generated {
    let mut g = Generator {
        rng: Rng::with_seed(seed),
        next_id: 0,
        spans: Vec::new(),
        expected: LayerNanos::default(),
        orphans: 0,
        clamped: 0,
        ends_before_start: 0,
    };
    let wall_start = BASE + g.rng.u64(0..1_000);
    let mut cursor = wall_start;
    for k in 0..g.rng.usize(1..=3) {
        if k > 0 {
            cursor = g.gap(cursor);
        }
        let len = g.rng.u64(1..20_000);
        g.node(None, cursor, len, 0, 4);
        cursor += len;
    }
    let distinct = g.spans.len();
    let duplicates = g.duplicate_some();
    let mut spans = g.spans;
    if g.rng.bool() {
        g.rng.shuffle(&mut spans);
    } else {
        spans.reverse();
    }
    Generated {
        spans,
        expected: g.expected,
        wall_nanos: cursor - wall_start,
        distinct,
        duplicates,
        orphans: g.orphans,
        clamped: g.clamped,
        ends_before_start: g.ends_before_start,
    }
}

struct Generator {
    rng: Rng,
    next_id: u64,
    spans: Vec<SpanTiming>,
    expected: LayerNanos,
    orphans: usize,
    clamped: usize,
    ends_before_start: usize,
}

/// Parent ids that are never emitted, so spans naming them are orphans.
const LOST_PARENT: u64 = 0xdead_0000_0000;

impl Generator {
    fn layer(&mut self) -> Layer {
        LAYERS[self.rng.usize(0..LAYERS.len())]
    }

    /// Adds a span and returns its id (ids rise in creation order).
    fn push(&mut self, parent: Option<u64>, layer: Layer, start: u64, end: u64) -> u64 {
        self.next_id += 1;
        self.spans.push(SpanTiming {
            span_id: sid(self.next_id),
            parent_span_id: parent.map(sid),
            service: format!("{layer}-svc"),
            name: format!("op {}", self.next_id),
            layer,
            start_unix_nanos: start,
            end_unix_nanos: end,
            is_error: self.rng.u8(0..10) == 0,
        });
        self.next_id
    }

    fn credit(&mut self, layer: Layer, nanos: u64) {
        self.expected.add(Part::from(layer), nanos);
    }

    /// A gap between top-level spans: unattributed, unless an orphan (at
    /// depth 0, alone there) fills part of it.
    fn gap(&mut self, cursor: u64) -> u64 {
        let (before, orphan, after) = (
            self.rng.u64(0..2_000),
            self.rng.u64(1..2_000),
            self.rng.u64(1..2_000),
        );
        if self.rng.bool() {
            let layer = self.layer();
            self.push(
                Some(LOST_PARENT + 1),
                layer,
                cursor + before,
                cursor + before + orphan,
            );
            self.orphans += 1;
            self.credit(layer, orphan);
            self.expected.unattributed += before + after;
        } else {
            self.expected.unattributed += before + orphan + after;
        }
        cursor + before + orphan + after
    }

    /// A span `[start, start + len)` at `depth`, its interval cut into slots.
    fn node(&mut self, parent: Option<u64>, start: u64, len: u64, depth: usize, budget: u32) {
        let layer = self.layer();
        let id = self.push(parent, layer, start, start + len);
        let end = start + len;
        let mut cursor = start;
        while cursor < end {
            let room = end - cursor;
            let slot = if self.rng.u8(0..4) == 0 {
                room
            } else {
                self.rng.u64(1..=room)
            };
            let (first, last) = (cursor == start, cursor + slot == end);
            match self.rng.u8(0..8) {
                0 | 1 if budget > 0 => self.node(Some(id), cursor, slot, depth + 1, budget - 1),
                2 if slot >= 3 => self.overlap(id, cursor, slot),
                3 => self.orphan(layer, cursor, slot, depth == 0 && !first),
                4 if first || last => self.skewed(id, cursor, slot, first),
                5 => self.own_with_empty_child(id, layer, cursor, slot),
                _ => self.credit(layer, slot),
            }
            cursor += slot;
        }
    }

    /// Two leaf siblings sharing the slot `[at, at + slot)`, `slot >= 3`.
    fn overlap(&mut self, parent: u64, at: u64, slot: u64) {
        let (a_layer, b_layer) = (self.layer(), self.layer());
        let offset = self.rng.u64(1..slot);
        match self.rng.u8(0..3) {
            // A [at, at+a) with a > offset; B [at+offset, at+slot) outlasts A.
            0 => {
                let a = self.rng.u64(offset + 1..=slot);
                self.push(Some(parent), a_layer, at, at + a);
                self.push(Some(parent), b_layer, at + offset, at + slot);
                self.credit(a_layer, offset);
                self.credit(b_layer, slot - offset);
            }
            // A fills the slot; B [at+offset, at+offset+b) ends inside it.
            1 => {
                let b = self.rng.u64(1..=slot - offset);
                self.push(Some(parent), a_layer, at, at + slot);
                self.push(Some(parent), b_layer, at + offset, at + offset + b);
                self.credit(a_layer, slot - b);
                self.credit(b_layer, b);
            }
            // Same interval: the smaller id (A, pushed first) takes it all.
            _ => {
                self.push(Some(parent), a_layer, at, at + slot);
                self.push(Some(parent), b_layer, at, at + slot);
                self.credit(a_layer, slot);
            }
        }
    }

    /// An orphan leaf filling the slot; `wins` when its span is top-level
    /// and started before the slot, so the orphan wins their depth-0 tie.
    fn orphan(&mut self, owner_layer: Layer, at: u64, slot: u64, wins: bool) {
        let layer = self.layer();
        self.push(Some(LOST_PARENT + 2), layer, at, at + slot);
        self.orphans += 1;
        self.credit(if wins { layer } else { owner_layer }, slot);
    }

    /// A leaf filling the slot but reaching before the parent's start (first
    /// slot) or past its end (last slot), by up to 5 µs.
    fn skewed(&mut self, parent: u64, at: u64, slot: u64, early: bool) {
        let layer = self.layer();
        let skew = self.rng.u64(1..5_000);
        if early {
            self.push(Some(parent), layer, at - skew, at + slot);
        } else {
            self.push(Some(parent), layer, at, at + slot + skew);
        }
        self.clamped += 1;
        self.credit(layer, slot);
    }

    /// Own time holding a child that covers no instant: zero-length, or
    /// ending before it starts.
    fn own_with_empty_child(&mut self, parent: u64, layer: Layer, at: u64, slot: u64) {
        let child_layer = self.layer();
        let child_start = at + self.rng.u64(0..slot);
        if self.rng.bool() {
            self.push(Some(parent), child_layer, child_start, child_start);
        } else {
            let back = self.rng.u64(1..10_000);
            self.push(
                Some(parent),
                child_layer,
                child_start,
                child_start.saturating_sub(back),
            );
            self.ends_before_start += 1;
        }
        self.credit(layer, slot);
    }

    /// Adds copies of a few spans: identical, or cut short (a partial copy
    /// flushed early), which must lose to the whole one.
    fn duplicate_some(&mut self) -> usize {
        let count = self.rng.usize(0..=3);
        for _ in 0..count {
            let mut copy = self.spans[self.rng.usize(0..self.spans.len())].clone();
            let duration = copy.end_unix_nanos.saturating_sub(copy.start_unix_nanos);
            if duration > 0 && self.rng.bool() {
                copy.end_unix_nanos -= self.rng.u64(1..=duration);
            }
            self.spans.push(copy);
        }
        count
    }
}
