//! What every signal's envelope shares in OTLP/JSON: a `Resource` (its
//! attributes; entity references and other newer fields are not stored,
//! so not read) and an `InstrumentationScope`.

use serde::de::{IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, Message};
use super::scalar::{Integer, Text};
use super::value::attributes;
use super::Ctx;
use crate::ingest::otlp::protobuf::ScopeFields;
use crate::model::Attributes;

fields!(ResourceField { Attributes = "attributes" });

/// A `Resource`: its attributes.
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

/// An `InstrumentationScope`. With `KEPT` its attributes and dropped count
/// are read too (the metric tables store them); without, they are ignored
/// like any field not stored (traces keep name and version only).
pub(crate) struct ScopeMessage<const KEPT: bool>;

impl<S, const KEPT: bool> Message<S> for ScopeMessage<KEPT> {
    type Out = ScopeFields;
    const WHAT: &'static str = "an InstrumentationScope";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<ScopeFields, A::Error> {
        let mut out = ScopeFields::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeField>::new())? {
            match field {
                Some(f @ ScopeField::Name) => out.scope.name = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Version) => out.scope.version = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Attributes) if KEPT => {
                    out.attributes = read!(ctx, map, f, attributes(ctx))
                }
                Some(f @ ScopeField::DroppedAttributes) if KEPT => {
                    out.dropped_attributes = read!(ctx, map, f, Integer::<u32>::new())
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }

    fn null(_: &mut Ctx<S>) -> ScopeFields {
        ScopeFields::default()
    }
}
