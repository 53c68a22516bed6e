//! The value distribution of one bucket (durations, vital values), in
//! thousandths of the metric's unit: microseconds for milliseconds, 1/1000
//! of a CLS score. Most buckets of most series see a handful of values, so
//! a bucket keeps them as a short list and only grows into an hdrhistogram
//! (2 significant figures, auto-resizing) when that list gets long; a
//! bucket that stops receiving goes back to the list when it can.

use hdrhistogram::serialization::{Deserializer, Serializer, V2Serializer};
use hdrhistogram::Histogram;

/// One hour in microseconds: longer values are recorded as this, so one
/// absurd span cannot grow a histogram.
pub(super) const MAX_VALUE: u64 = 3_600_000_000;

/// Values a list holds before it becomes a histogram (1 KiB, the size of
/// the smallest histogram).
const LIST_LIMIT: usize = 64;

const SIGNIFICANT_FIGURES: u8 = 2;

/// The V2 encoding's header: cookie, payload length, offset, figures,
/// lowest, highest, ratio.
const V2_HEADER_LEN: usize = 40;

#[derive(Debug, Clone)]
pub(super) enum Dist {
    /// (value, count) pairs, unsorted, possibly repeating a value.
    List(Vec<(u64, u32)>),
    Histogram(Box<Histogram<u32>>),
}

impl Default for Dist {
    fn default() -> Self {
        Dist::List(Vec::new())
    }
}

/// An empty auto-resizing histogram of the precision every bucket uses.
pub(super) fn new_histogram() -> Option<Histogram<u32>> {
    Histogram::new(SIGNIFICANT_FIGURES).ok()
}

/// Records without panicking: a value the histogram cannot grow to is
/// clamped into its range.
pub(super) fn record_into(histogram: &mut Histogram<u32>, value: u64, count: u32) {
    if histogram.record_n(value, count).is_err() {
        histogram.saturating_record_n(value, count);
    }
}

impl Dist {
    pub fn record(&mut self, value: u64, count: u32) {
        let value = value.min(MAX_VALUE);
        match self {
            Dist::List(entries) => {
                if let Some(last) = entries.last_mut().filter(|(v, _)| *v == value) {
                    last.1 = last.1.saturating_add(count);
                } else if entries.len() < LIST_LIMIT {
                    entries.push((value, count));
                } else if let Some(mut histogram) = new_histogram() {
                    for &(v, c) in entries.iter() {
                        record_into(&mut histogram, v, c);
                    }
                    record_into(&mut histogram, value, count);
                    *self = Dist::Histogram(Box::new(histogram));
                }
            }
            Dist::Histogram(histogram) => record_into(histogram, value, count),
        }
    }

    /// Calls `f` with every (value, count); a histogram gives each value
    /// as the highest of its slot, which records into the same slot.
    pub fn for_each(&self, mut f: impl FnMut(u64, u32)) {
        match self {
            Dist::List(entries) => entries.iter().for_each(|&(v, c)| f(v, c)),
            Dist::Histogram(histogram) => histogram
                .iter_recorded()
                .for_each(|v| f(v.value_iterated_to(), v.count_at_value())),
        }
    }

    pub fn merge(&mut self, other: &Dist) {
        other.for_each(|value, count| self.record(value, count));
    }

    pub fn add_to(&self, target: &mut Histogram<u32>) {
        match self {
            Dist::Histogram(histogram) if target.add(histogram.as_ref()).is_ok() => {}
            _ => self.for_each(|value, count| record_into(target, value, count)),
        }
    }

    /// Back to a list when few distinct values were seen.
    pub fn compact(&mut self) {
        if let Dist::Histogram(histogram) = self {
            if histogram.iter_recorded().nth(LIST_LIMIT).is_none() {
                let mut entries = Vec::new();
                self.for_each(|v, c| entries.push((v, c)));
                *self = Dist::List(entries);
            }
        }
    }

    /// The hdrhistogram V2 encoding (not deflated).
    pub fn to_v2(&self) -> Option<Vec<u8>> {
        let owned;
        let histogram = match self {
            Dist::Histogram(histogram) => histogram.as_ref(),
            Dist::List(_) => {
                let mut built = new_histogram()?;
                self.add_to(&mut built);
                owned = built;
                &owned
            }
        };
        let mut bytes = Vec::new();
        V2Serializer::new().serialize(histogram, &mut bytes).ok()?;
        Some(bytes)
    }

    /// Reads [`Dist::to_v2`]'s bytes; anything else (including a deflated
    /// or truncated encoding) is `None`. The length in the header is
    /// checked first so a corrupt one cannot make the decoder allocate.
    pub fn from_v2(bytes: &[u8]) -> Option<Dist> {
        let length: [u8; 4] = bytes.get(4..8)?.try_into().ok()?;
        let payload = usize::try_from(u32::from_be_bytes(length)).ok()?;
        if bytes.len() != V2_HEADER_LEN.checked_add(payload)? {
            return None;
        }
        let histogram: Histogram<u32> = Deserializer::new().deserialize(&mut &bytes[..]).ok()?;
        let mut dist = Dist::default();
        histogram
            .iter_recorded()
            .for_each(|v| dist.record(v.value_iterated_to(), v.count_at_value()));
        Some(dist)
    }
}
