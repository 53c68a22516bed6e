//! What every signal's request wraps its records in, in OTLP/JSON: a
//! group's `Resource` and `InstrumentationScope`, read the same way
//! whatever the signal.

use serde::de::{IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, Message};
use super::scalar::{Integer, Text};
use super::value::attributes;
use super::Ctx;
use crate::ingest::otlp::protobuf::ScopeGroup;
use crate::model::Attributes;

fields!(ResourceField { Attributes = "attributes" });

/// A `Resource`: its attributes (entity references and other newer fields
/// are not stored, so not read).
pub(crate) struct ResourceMessage;

impl<S> Message<S> for ResourceMessage {
    type Out = Attributes;
    const WHAT: &'static str = "a Resource";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<Attributes, A::Error> {
        let mut out = Attributes::new();
        while let Some(field) = map.next_key_seed(Key::<ResourceField>::new())? {
            match field {
                Some(f) => out = read!(ctx, map, f, attributes(ctx)),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> Attributes {
        Attributes::new()
    }
}

fields!(ScopeField {
    Name = "name",
    Version = "version",
    Attributes = "attributes",
    DroppedAttributes = "droppedAttributesCount" | "dropped_attributes_count",
});

/// An `InstrumentationScope`, as a [`ScopeGroup`] whose schema URL (a
/// field of the group, not of the scope) its caller fills: name and
/// version, and its attributes and dropped count when the signal stores
/// them (`KEEP_ATTRIBUTES`; otherwise they are skipped unread, as any
/// unknown field).
pub(crate) struct ScopeMessage<const KEEP_ATTRIBUTES: bool>;

impl<S, const KEEP_ATTRIBUTES: bool> Message<S> for ScopeMessage<KEEP_ATTRIBUTES> {
    type Out = ScopeGroup;
    const WHAT: &'static str = "an InstrumentationScope";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<ScopeGroup, A::Error> {
        let mut out = ScopeGroup::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeField>::new())? {
            match field {
                Some(f @ ScopeField::Name) => out.scope.name = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Version) => out.scope.version = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Attributes) if KEEP_ATTRIBUTES => {
                    out.attributes = read!(ctx, map, f, attributes(ctx))
                }
                Some(f @ ScopeField::DroppedAttributes) if KEEP_ATTRIBUTES => {
                    out.dropped_attributes = read!(ctx, map, f, Integer::<u32>::new())
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> ScopeGroup {
        ScopeGroup::default()
    }
}
