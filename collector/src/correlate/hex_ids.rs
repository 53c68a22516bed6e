//! Serializes ids as lowercase hex strings, the spelling the store and
//! Grafana use. Kept here (via `serialize_with`) rather than as `Serialize`
//! impls on the model ids, so this module adds nothing to `model`.

use std::fmt::Display;

use serde::ser::{SerializeSeq, Serializer};

use crate::model::{SpanId, TraceId};

pub(super) fn trace_id<S: Serializer>(id: &TraceId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

pub(super) fn span_id<S: Serializer>(id: &SpanId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

pub(super) fn opt_span_id<S: Serializer>(
    id: &Option<SpanId>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => serializer.collect_str(id),
        None => serializer.serialize_none(),
    }
}

pub(super) fn span_ids<S: Serializer>(ids: &[SpanId], serializer: S) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(ids.len()))?;
    for id in ids {
        seq.serialize_element(&AsHex(id))?;
    }
    seq.end()
}

/// Serializes any id through its `Display`, which is lowercase hex.
struct AsHex<'a, T>(&'a T);

impl<T: Display> serde::Serialize for AsHex<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}
