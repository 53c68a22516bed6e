//! What every signal's envelope shares on the wire: a `Resource` (its
//! attributes; entity references checked and dropped) and an
//! `InstrumentationScope` (name, version, attributes, dropped count).
//! A message sent twice merges into the first, as `prost` merges it.

use super::value::attributes_field;
use super::wire::{Reader, WireResult};
use crate::model::{Attributes, Scope};

/// An instrumentation scope as sent: what the traces keep (`scope`) and
/// what the metric tables keep besides.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScopeFields {
    pub scope: Scope,
    pub attributes: Attributes,
    pub dropped_attributes: u32,
}

/// `Resource` at `depth`: its attributes (added to those of an earlier
/// occurrence); its entity references are checked and dropped.
pub fn resource(mut r: Reader<'_>, depth: u32, attributes: &mut Attributes) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => attributes_field(&mut r, wt, depth + 1, attributes)?,
            (2, wt) => drop(r.uint32(wt)?),
            (3, wt) => entity_ref(r.message(wt, depth + 1)?, depth + 1)
                .map_err(|e| e.within("entity_refs", None))?,
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}

/// `EntityRef` at `depth`: not stored, but its strings must be UTF-8.
fn entity_ref(mut r: Reader<'_>, depth: u32) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1..=4, wt) => drop(r.str(wt)?),
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}

/// `InstrumentationScope` at `depth`: name and version (the last of each),
/// attributes (appended), the dropped attribute count (the last).
pub fn instrumentation_scope(
    mut r: Reader<'_>,
    depth: u32,
    scope: &mut ScopeFields,
) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => scope.scope.name = r.string(wt).map_err(|e| e.within("name", None))?,
            (2, wt) => scope.scope.version = r.string(wt).map_err(|e| e.within("version", None))?,
            (3, wt) => attributes_field(&mut r, wt, depth + 1, &mut scope.attributes)?,
            (4, wt) => scope.dropped_attributes = r.uint32(wt)?,
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}
