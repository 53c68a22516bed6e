//! The envelope: `ExportTraceServiceRequest` → `ResourceSpans` →
//! `ScopeSpans` → spans, with the resource and scope each group shares.

use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess};

use super::span::{Json, SpanMessage};
use super::TraceState;
use crate::ingest::otlp::json::{
    fields, read, Ctx, Key, List, Message, Msg, ResourceMessage, ScopeMessage,
};
use crate::ingest::otlp::resource_from;
use crate::ingest::otlp::traces::judge::{judge_span, RawSpan};
use crate::model::{Attributes, Scope};

type TraceCtx<'a> = Ctx<TraceState<'a>>;

fields!(RequestField {
    ResourceSpans = "resourceSpans" | "resource_spans",
});

/// The whole body.
pub(super) struct Request;

impl<'a> Message<TraceState<'a>> for Request {
    type Out = ();
    const WHAT: &'static str = "an ExportTraceServiceRequest";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut TraceCtx<'a>, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key_seed(Key::<RequestField>::new())? {
            match field {
                Some(f) => {
                    read!(ctx, map, f, List::<TraceState<'a>, ResourceSpans>::new(ctx));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn null(_: &mut TraceCtx<'a>) {}
}

fields!(ResourceSpansField {
    Resource = "resource",
    // `instrumentationLibrarySpans`: the name before OTLP 0.15, still sent
    // by old SDKs.
    ScopeSpans = "scopeSpans" | "scope_spans" | "instrumentationLibrarySpans" | "instrumentation_library_spans",
});

struct ResourceSpans;

impl<'a> Message<TraceState<'a>> for ResourceSpans {
    type Out = ();
    const WHAT: &'static str = "a ResourceSpans";

    /// JSON keys come in any order (`resource` may follow its spans), so
    /// the group's spans are judged once the object closes, with its
    /// resource known.
    fn decode<'de, A: MapAccess<'de>>(ctx: &mut TraceCtx<'a>, mut map: A) -> Result<(), A::Error> {
        let mut resource = Attributes::new();
        let mut scopes: Vec<ScopeGroup> = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ResourceSpansField>::new())? {
            match field {
                Some(f @ ResourceSpansField::Resource) => {
                    resource = read!(
                        ctx,
                        map,
                        f,
                        Msg::<TraceState<'a>, ResourceMessage>::new(ctx)
                    )
                }
                Some(f @ ResourceSpansField::ScopeSpans) => {
                    let more = read!(ctx, map, f, List::<TraceState<'a>, ScopeSpans>::new(ctx));
                    scopes.extend(more);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let signal = &mut ctx.signal;
        signal.out.limit_resource(&mut resource);
        let resource = Arc::new(resource_from(resource, signal.layers));
        for (scope, spans) in scopes {
            for span in spans {
                judge_span(span, &resource, &scope, signal.window, &mut signal.out);
            }
        }
        Ok(())
    }

    fn null(_: &mut TraceCtx<'a>) {}
}

/// A scope and the spans read under it, waiting for their resource.
type ScopeGroup = (Arc<Scope>, Vec<RawSpan<Json>>);

fields!(ScopeSpansField {
    Scope = "scope" | "instrumentationLibrary" | "instrumentation_library",
    Spans = "spans",
});

struct ScopeSpans;

impl<'a> Message<TraceState<'a>> for ScopeSpans {
    type Out = ScopeGroup;
    const WHAT: &'static str = "a ScopeSpans";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut TraceCtx<'a>,
        mut map: A,
    ) -> Result<ScopeGroup, A::Error> {
        let mut scope = Scope::default();
        let mut spans = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ScopeSpansField>::new())? {
            match field {
                Some(f @ ScopeSpansField::Scope) => {
                    // `otel_traces` has no column for a scope's attributes.
                    type NameAndVersion = ScopeMessage<false>;
                    scope = read!(ctx, map, f, Msg::<_, NameAndVersion>::new(ctx)).scope;
                }
                Some(f @ ScopeSpansField::Spans) => {
                    let more = read!(ctx, map, f, List::<TraceState<'a>, SpanMessage>::new(ctx));
                    spans.extend(more);
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok((Arc::new(scope), spans))
    }

    fn null(_: &mut TraceCtx<'a>) -> ScopeGroup {
        (Arc::new(Scope::default()), Vec::new())
    }
}
