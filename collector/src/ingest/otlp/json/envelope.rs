//! What every signal's request wraps its records in, in OTLP/JSON: a
//! group's `Resource` and `InstrumentationScope`, read the same way
//! whatever the signal.

use serde::de::{IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, Message};
use super::scalar::Text;
use super::value::attributes;
use super::Ctx;
use crate::model::{Attributes, Scope};

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
});

/// An `InstrumentationScope`: name and version, and its attributes when
/// the signal stores them (`KEEP_ATTRIBUTES`; otherwise they are skipped
/// unread, as any unknown field).
pub(crate) struct ScopeMessage<const KEEP_ATTRIBUTES: bool>;

impl<S, const KEEP_ATTRIBUTES: bool> Message<S> for ScopeMessage<KEEP_ATTRIBUTES> {
    type Out = (Scope, Attributes);
    const WHAT: &'static str = "an InstrumentationScope";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<S>,
        mut map: A,
    ) -> Result<(Scope, Attributes), A::Error> {
        let (mut scope, mut kept) = Self::null(ctx);
        while let Some(field) = map.next_key_seed(Key::<ScopeField>::new())? {
            match field {
                Some(f @ ScopeField::Name) => scope.name = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Version) => scope.version = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Attributes) if KEEP_ATTRIBUTES => {
                    kept = read!(ctx, map, f, attributes(ctx))
                }
                Some(ScopeField::Attributes) | None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((scope, kept))
    }

    fn null(_: &mut Ctx<S>) -> (Scope, Attributes) {
        (Scope::default(), Attributes::new())
    }
}
