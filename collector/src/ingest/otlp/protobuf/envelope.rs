//! What every signal's request wraps its records in: the `Resource` and
//! the `InstrumentationScope` of a group, read the same way whatever the
//! signal (`ResourceSpans`, `ResourceLogs`, ... differ only in the name of
//! their record list).

use super::value::attributes_field;
use super::wire::{Reader, WireResult};
use crate::model::{Attributes, Scope};

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

/// `InstrumentationScope` at `depth`: name and version (the last of
/// each), its attributes appended to `attributes` (a signal that does not
/// store them still has them checked).
pub fn instrumentation_scope(
    mut r: Reader<'_>,
    depth: u32,
    scope: &mut Scope,
    attributes: &mut Attributes,
) -> WireResult<()> {
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => scope.name = r.string(wt).map_err(|e| e.within("name", None))?,
            (2, wt) => scope.version = r.string(wt).map_err(|e| e.within("version", None))?,
            (3, wt) => attributes_field(&mut r, wt, depth + 1, attributes)?,
            (4, wt) => drop(r.uint32(wt)?),
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}
