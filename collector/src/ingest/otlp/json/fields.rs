//! The scaffolding every OTLP/JSON message shares: field names in both
//! spellings, an object decoded by a [`Message`], and arrays of them.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Ctx, Step};

/// The known fields of one message, found by either spelling.
pub(crate) trait Field: Sized {
    fn from_name(name: &str) -> Option<Self>;
    /// The lowerCamelCase name, for error paths.
    fn name(&self) -> &'static str;
}

/// Declares a message's fields: `Variant = "camelCase" | "snake_case"`.
macro_rules! fields {
    ($ty:ident { $($variant:ident = $camel:literal $(| $alias:literal)*),+ $(,)? }) => {
        #[derive(Debug, Clone, Copy)]
        pub(crate) enum $ty { $($variant),+ }

        impl $crate::ingest::otlp::json::Field for $ty {
            fn from_name(name: &str) -> Option<Self> {
                match name {
                    $($camel $(| $alias)* => Some(Self::$variant),)+
                    _ => None,
                }
            }

            fn name(&self) -> &'static str {
                match self { $(Self::$variant => $camel),+ }
            }
        }
    };
}
pub(crate) use fields;

/// A map key: `Some(field)` when known, `None` for a field to ignore.
pub(crate) struct Key<F>(PhantomData<F>);

impl<F> Key<F> {
    pub(crate) fn new() -> Self {
        Self(PhantomData)
    }
}

impl<'de, F: Field> DeserializeSeed<'de> for Key<F> {
    type Value = Option<F>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de, F: Field> Visitor<'de> for Key<F> {
    type Value = Option<F>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a field name")
    }

    fn visit_str<E: serde::de::Error>(self, name: &str) -> Result<Self::Value, E> {
        Ok(F::from_name(name))
    }
}

/// One OTLP message, read from a JSON object, within a signal's decoding
/// state `S`.
pub(crate) trait Message<S> {
    type Out;
    /// What the object is, for "expected ..." errors.
    const WHAT: &'static str;

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<S>, map: A) -> Result<Self::Out, A::Error>;

    /// The message sent as `null`: its default.
    fn null(ctx: &mut Ctx<S>) -> Self::Out;
}

/// Decodes a [`Message`] (or `null`) in place.
pub(crate) struct Msg<'c, S, M> {
    ctx: &'c mut Ctx<S>,
    message: PhantomData<M>,
}

impl<'c, S, M> Msg<'c, S, M> {
    pub(crate) fn new(ctx: &'c mut Ctx<S>) -> Self {
        Self {
            ctx,
            message: PhantomData,
        }
    }
}

impl<'de, S, M: Message<S>> DeserializeSeed<'de> for Msg<'_, S, M> {
    type Value = M::Out;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S, M: Message<S>> Visitor<'de> for Msg<'_, S, M> {
    type Value = M::Out;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} (a JSON object) or null", M::WHAT)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        M::decode(self.ctx, map)
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(M::null(self.ctx))
    }
}

/// Decodes an array of a [`Message`] (or `null`, an empty array).
pub(crate) struct List<'c, S, M> {
    ctx: &'c mut Ctx<S>,
    message: PhantomData<M>,
}

impl<'c, S, M> List<'c, S, M> {
    pub(crate) fn new(ctx: &'c mut Ctx<S>) -> Self {
        Self {
            ctx,
            message: PhantomData,
        }
    }
}

impl<'de, S, M: Message<S>> DeserializeSeed<'de> for List<'_, S, M> {
    type Value = Vec<M::Out>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, S, M: Message<S>> Visitor<'de> for List<'_, S, M> {
    type Value = Vec<M::Out>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an array of {} or null", M::WHAT)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        // No size hint is trusted for capacity: it would let a sender
        // choose an allocation. Growth follows the elements actually read.
        let mut out = Vec::new();
        loop {
            self.ctx.path.push(Step::Index(out.len()));
            match seq.next_element_seed(Msg::<S, M>::new(self.ctx))? {
                Some(element) => out.push(element),
                None => {
                    self.ctx.path.pop();
                    return Ok(out);
                }
            }
            self.ctx.path.pop();
        }
    }

    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// Reads the value of `field` with `seed` (which may borrow `ctx`), with
/// the field on the path while it is read, and left there when reading
/// fails so the error can say where.
macro_rules! read {
    ($ctx:ident, $map:ident, $field:expr, $seed:expr) => {{
        $ctx.path.push($crate::ingest::otlp::json::Step::Field(
            $crate::ingest::otlp::json::Field::name(&$field),
        ));
        let value = $map.next_value_seed($seed)?;
        $ctx.path.pop();
        value
    }};
}
pub(crate) use read;
