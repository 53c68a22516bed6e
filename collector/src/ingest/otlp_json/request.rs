//! The envelope: `ExportTraceServiceRequest` → `ResourceSpans` →
//! `ScopeSpans` → spans, with the resource and scope each group shares.

use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess};

use super::fields::{fields, read, Key, List, Message, Msg};
use super::scalar::Text;
use super::span::SpanMessage;
use super::value::attributes;
use super::Ctx;
use crate::ingest::otlp_convert::resource_from;
use crate::model::{Attributes, Scope};

fields!(RequestField {
    ResourceSpans = "resourceSpans" | "resource_spans",
});

/// The whole body.
pub(super) struct Request;

impl Request {
    pub(super) fn seed<'c, 'a>(ctx: &'c mut Ctx<'a>) -> Msg<'c, 'a, Request> {
        Msg::new(ctx)
    }
}

impl Message for Request {
    type Out = ();
    const WHAT: &'static str = "an ExportTraceServiceRequest";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key_seed(Key::<RequestField>::new())? {
            match field {
                Some(f) => {
                    read!(ctx, map, f, List::<ResourceSpans>::new(ctx));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn null(_: &mut Ctx<'_>) {}
}

fields!(ResourceSpansField {
    Resource = "resource",
    // `instrumentationLibrarySpans`: the name before OTLP 0.15, still sent
    // by old SDKs.
    ScopeSpans = "scopeSpans" | "scope_spans" | "instrumentationLibrarySpans" | "instrumentation_library_spans",
});

struct ResourceSpans;

impl Message for ResourceSpans {
    type Out = ();
    const WHAT: &'static str = "a ResourceSpans";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<(), A::Error> {
        // The spans this group keeps are those pushed from here on.
        let first = ctx.out.spans.len();
        let mut resource = Attributes::new();
        while let Some(field) = map.next_key_seed(Key::<ResourceSpansField>::new())? {
            match field {
                Some(f @ ResourceSpansField::Resource) => {
                    resource = read!(ctx, map, f, Msg::<ResourceMessage>::new(ctx))
                }
                Some(f @ ResourceSpansField::ScopeSpans) => {
                    read!(ctx, map, f, List::<ScopeSpans>::new(ctx));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        ctx.out.limit_resource(&mut resource);
        let resource = Arc::new(resource_from(resource, ctx.layers));
        for span in &mut ctx.out.spans[first..] {
            span.resource = Arc::clone(&resource);
        }
        Ok(())
    }

    fn null(_: &mut Ctx<'_>) {}
}

fields!(ResourceField { Attributes = "attributes" });

/// A `Resource`: its attributes (entity references and other newer fields
/// are not stored, so not read).
struct ResourceMessage;

impl Message for ResourceMessage {
    type Out = Attributes;
    const WHAT: &'static str = "a Resource";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut Ctx<'_>,
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

    fn null(_: &mut Ctx<'_>) -> Attributes {
        Attributes::new()
    }
}

fields!(ScopeSpansField {
    Scope = "scope" | "instrumentationLibrary" | "instrumentation_library",
    Spans = "spans",
});

struct ScopeSpans;

impl Message for ScopeSpans {
    type Out = ();
    const WHAT: &'static str = "a ScopeSpans";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<(), A::Error> {
        let first = ctx.out.spans.len();
        let mut scope = Scope::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeSpansField>::new())? {
            match field {
                Some(f @ ScopeSpansField::Scope) => {
                    scope = read!(ctx, map, f, Msg::<ScopeMessage>::new(ctx))
                }
                Some(f @ ScopeSpansField::Spans) => {
                    read!(ctx, map, f, List::<SpanMessage>::new(ctx));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let scope = Arc::new(scope);
        for span in &mut ctx.out.spans[first..] {
            span.scope = Arc::clone(&scope);
        }
        Ok(())
    }

    fn null(_: &mut Ctx<'_>) {}
}

fields!(ScopeField {
    Name = "name",
    Version = "version",
});

struct ScopeMessage;

impl Message for ScopeMessage {
    type Out = Scope;
    const WHAT: &'static str = "an InstrumentationScope";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut Ctx<'_>, mut map: A) -> Result<Scope, A::Error> {
        let mut scope = Scope::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeField>::new())? {
            match field {
                Some(f @ ScopeField::Name) => scope.name = read!(ctx, map, f, Text),
                Some(f @ ScopeField::Version) => scope.version = read!(ctx, map, f, Text),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(scope)
    }

    fn null(_: &mut Ctx<'_>) -> Scope {
        Scope::default()
    }
}
