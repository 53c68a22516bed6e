//! What every signal's request wraps its records in: the `Resource` and
//! the `InstrumentationScope` of a group, read the same way whatever the
//! signal (`ResourceSpans`, `ResourceLogs`, ... differ only in the name of
//! their record list, field 2, which the first look here skips).

use super::value::attributes_field;
use super::wire::{Reader, WireResult};
use crate::model::{Attributes, Scope};

/// A resource group (`ResourceSpans`, `ResourceLogs`, ...; depth 1): its
/// resource's attributes and its schema URL. Its scope groups (field 2)
/// are skipped here, read on a second look once the resource is known.
pub fn resource_group(mut r: Reader<'_>) -> WireResult<(Attributes, String)> {
    let mut attributes = Attributes::new();
    let mut schema_url = String::new();
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => resource(r.message(wt, 2)?, 2, &mut attributes)
                .map_err(|e| e.within("resource", None))?,
            (2, wt) => drop(r.message(wt, 2)?),
            (3, wt) => schema_url = r.string(wt).map_err(|e| e.within("schema_url", None))?,
            (tag, wt) => r.skip(tag, wt, 1)?,
        }
    }
    Ok((attributes, schema_url))
}

/// What a scope group (`ScopeSpans`, `ScopeLogs`, ...; depth 2) says of its
/// records: its scope (name, version, attributes, the dropped attribute
/// count the metric tables keep) and the group's schema URL.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScopeGroup {
    pub scope: Scope,
    pub attributes: Attributes,
    pub dropped_attributes: u32,
    pub schema_url: String,
}

/// A scope group's scope, the scope's attributes and the group's schema
/// URL; its records (field 2) are skipped, read on a second look.
pub fn scope_group(mut r: Reader<'_>) -> WireResult<ScopeGroup> {
    let mut group = ScopeGroup::default();
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => instrumentation_scope(r.message(wt, 3)?, 3, &mut group)
                .map_err(|e| e.within("scope", None))?,
            (2, wt) => drop(r.message(wt, 3)?),
            (3, wt) => group.schema_url = r.string(wt).map_err(|e| e.within("schema_url", None))?,
            (tag, wt) => r.skip(tag, wt, 2)?,
        }
    }
    Ok(group)
}

/// `Resource` at `depth`: its attributes (added to those of an earlier
/// occurrence); its entity references are checked and dropped.
fn resource(mut r: Reader<'_>, depth: u32, attributes: &mut Attributes) -> WireResult<()> {
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

/// `InstrumentationScope` at `depth` into `group`: name and version (the
/// last of each), its attributes appended (a signal that does not store
/// them still has them checked), the dropped attribute count (the last).
fn instrumentation_scope(mut r: Reader<'_>, depth: u32, group: &mut ScopeGroup) -> WireResult<()> {
    let scope = &mut group.scope;
    while !r.is_empty() {
        match r.key()? {
            (1, wt) => scope.name = r.string(wt).map_err(|e| e.within("name", None))?,
            (2, wt) => scope.version = r.string(wt).map_err(|e| e.within("version", None))?,
            (3, wt) => attributes_field(&mut r, wt, depth + 1, &mut group.attributes)?,
            (4, wt) => group.dropped_attributes = r.uint32(wt)?,
            (tag, wt) => r.skip(tag, wt, depth)?,
        }
    }
    Ok(())
}
