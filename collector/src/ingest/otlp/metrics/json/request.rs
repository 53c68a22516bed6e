//! The envelope: `ExportMetricsServiceRequest` → `ResourceMetrics` →
//! `ScopeMetrics` → metrics, with the resource and scope each group
//! shares.

use serde::de::{IgnoredAny, MapAccess};

use super::metric::MetricMessage;
use super::MetricState;
use crate::ingest::otlp::json::{
    fields, read, Ctx, Key, List, Message, Msg, ResourceMessage, ScopeMessage, Text,
};
use crate::ingest::otlp::metrics::judge::{judge_metric, producer, RawMetric};
use crate::ingest::otlp::protobuf;
use crate::model::Attributes;

type MetricCtx<'a> = Ctx<MetricState<'a>>;

fields!(RequestField {
    ResourceMetrics = "resourceMetrics" | "resource_metrics",
});

/// The whole body.
pub(super) struct Request;

impl<'a> Message<MetricState<'a>> for Request {
    type Out = ();
    const WHAT: &'static str = "an ExportMetricsServiceRequest";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut MetricCtx<'a>, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key_seed(Key::<RequestField>::new())? {
            match field {
                Some(f) => {
                    read!(
                        ctx,
                        map,
                        f,
                        List::<MetricState<'a>, ResourceMetrics>::new(ctx)
                    );
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn null(_: &mut MetricCtx<'a>) {}
}

fields!(ResourceMetricsField {
    Resource = "resource",
    // `instrumentationLibraryMetrics`: the name before OTLP 0.15.
    ScopeMetrics = "scopeMetrics" | "scope_metrics" | "instrumentationLibraryMetrics" | "instrumentation_library_metrics",
    SchemaUrl = "schemaUrl" | "schema_url",
});

struct ResourceMetrics;

impl<'a> Message<MetricState<'a>> for ResourceMetrics {
    type Out = ();
    const WHAT: &'static str = "a ResourceMetrics";

    /// The group's metrics are judged once the object closes, with its
    /// resource (which may follow them) known.
    fn decode<'de, A: MapAccess<'de>>(ctx: &mut MetricCtx<'a>, mut map: A) -> Result<(), A::Error> {
        let mut resource = Attributes::new();
        let mut schema_url = String::new();
        let mut scopes: Vec<ScopeGroup> = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ResourceMetricsField>::new())? {
            match field {
                Some(f @ ResourceMetricsField::Resource) => {
                    resource = read!(
                        ctx,
                        map,
                        f,
                        Msg::<MetricState<'a>, ResourceMessage>::new(ctx)
                    )
                }
                Some(f @ ResourceMetricsField::ScopeMetrics) => {
                    let more = read!(ctx, map, f, List::<MetricState<'a>, ScopeMetrics>::new(ctx));
                    scopes.extend(more);
                }
                Some(f @ ResourceMetricsField::SchemaUrl) => schema_url = read!(ctx, map, f, Text),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let signal = &mut ctx.signal;
        for group in scopes {
            // The scope's message and its group's schema URL may come in
            // either order: the URL is put in once both are read.
            let scope = protobuf::ScopeGroup {
                schema_url: group.schema_url,
                ..group.scope
            };
            let producer = producer(resource.clone(), schema_url.clone(), scope, signal.layers);
            for metric in group.metrics {
                judge_metric(metric, &producer, signal.window, &mut signal.out);
            }
        }
        Ok(())
    }

    fn null(_: &mut MetricCtx<'a>) {}
}

/// A scope and the metrics read under it, waiting for their resource.
#[derive(Default)]
struct ScopeGroup {
    scope: protobuf::ScopeGroup,
    schema_url: String,
    metrics: Vec<RawMetric>,
}

fields!(ScopeMetricsField {
    Scope = "scope" | "instrumentationLibrary" | "instrumentation_library",
    Metrics = "metrics",
    SchemaUrl = "schemaUrl" | "schema_url",
});

struct ScopeMetrics;

impl<'a> Message<MetricState<'a>> for ScopeMetrics {
    type Out = ScopeGroup;
    const WHAT: &'static str = "a ScopeMetrics";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut MetricCtx<'a>,
        mut map: A,
    ) -> Result<ScopeGroup, A::Error> {
        let mut group = ScopeGroup::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeMetricsField>::new())? {
            match field {
                Some(f @ ScopeMetricsField::Scope) => {
                    group.scope = read!(
                        ctx,
                        map,
                        f,
                        Msg::<MetricState<'a>, ScopeMessage<true>>::new(ctx)
                    )
                }
                Some(f @ ScopeMetricsField::Metrics) => {
                    let more = read!(
                        ctx,
                        map,
                        f,
                        List::<MetricState<'a>, MetricMessage>::new(ctx)
                    );
                    group.metrics.extend(more);
                }
                Some(f @ ScopeMetricsField::SchemaUrl) => {
                    group.schema_url = read!(ctx, map, f, Text)
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(group)
    }

    fn null(_: &mut MetricCtx<'a>) -> ScopeGroup {
        ScopeGroup::default()
    }
}
