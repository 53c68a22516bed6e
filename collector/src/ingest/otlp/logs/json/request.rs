//! The envelope: `ExportLogsServiceRequest` → `ResourceLogs` →
//! `ScopeLogs` → log records, with the resource and scope each group
//! shares.

use std::sync::Arc;

use serde::de::{IgnoredAny, MapAccess};

use super::record::{Json, LogRecordMessage};
use super::LogState;
use crate::ingest::otlp::json::{
    fields, read, Ctx, Key, List, Message, Msg, ResourceMessage, ScopeMessage, Text,
};
use crate::ingest::otlp::logs::judge::{judge_log_record, RawLogRecord};
use crate::ingest::otlp::resource_from;
use crate::model::{Attributes, LogOrigin, Scope};

type LogCtx<'a> = Ctx<LogState<'a>>;

fields!(RequestField {
    ResourceLogs = "resourceLogs" | "resource_logs",
});

/// The whole body.
pub(super) struct Request;

impl<'a> Message<LogState<'a>> for Request {
    type Out = ();
    const WHAT: &'static str = "an ExportLogsServiceRequest";

    fn decode<'de, A: MapAccess<'de>>(ctx: &mut LogCtx<'a>, mut map: A) -> Result<(), A::Error> {
        while let Some(field) = map.next_key_seed(Key::<RequestField>::new())? {
            match field {
                Some(f) => {
                    read!(ctx, map, f, List::<LogState<'a>, ResourceLogs>::new(ctx));
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }

    fn null(_: &mut LogCtx<'a>) {}
}

fields!(ResourceLogsField {
    Resource = "resource",
    ScopeLogs = "scopeLogs" | "scope_logs",
    SchemaUrl = "schemaUrl" | "schema_url",
});

struct ResourceLogs;

impl<'a> Message<LogState<'a>> for ResourceLogs {
    type Out = ();
    const WHAT: &'static str = "a ResourceLogs";

    /// JSON keys come in any order (`resource` may follow its records), so
    /// the group's records are judged once the object closes, with its
    /// resource known.
    fn decode<'de, A: MapAccess<'de>>(ctx: &mut LogCtx<'a>, mut map: A) -> Result<(), A::Error> {
        let mut resource = Attributes::new();
        let mut schema_url = String::new();
        let mut scopes: Vec<ScopeGroup> = Vec::new();
        while let Some(field) = map.next_key_seed(Key::<ResourceLogsField>::new())? {
            match field {
                Some(f @ ResourceLogsField::Resource) => {
                    resource = read!(ctx, map, f, Msg::<_, ResourceMessage>::new(ctx))
                }
                Some(f @ ResourceLogsField::ScopeLogs) => {
                    let more = read!(ctx, map, f, List::<LogState<'a>, ScopeLogs>::new(ctx));
                    scopes.extend(more);
                }
                Some(f @ ResourceLogsField::SchemaUrl) => schema_url = read!(ctx, map, f, Text),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let signal = &mut ctx.signal;
        signal.out.limit_attributes(&mut resource);
        let resource = Arc::new(resource_from(resource, signal.layers));
        for group in scopes {
            let mut scope_attributes = group.scope_attributes;
            signal.out.limit_attributes(&mut scope_attributes);
            let origin = Arc::new(LogOrigin {
                resource: Arc::clone(&resource),
                resource_schema_url: schema_url.clone(),
                scope: group.scope,
                scope_attributes,
                scope_schema_url: group.schema_url,
            });
            for record in group.records {
                judge_log_record(record, &origin, signal.window, &mut signal.out);
            }
        }
        Ok(())
    }

    fn null(_: &mut LogCtx<'a>) {}
}

/// A scope and the records read under it, waiting for their resource.
#[derive(Default)]
struct ScopeGroup {
    scope: Scope,
    scope_attributes: Attributes,
    schema_url: String,
    records: Vec<RawLogRecord<Json>>,
}

fields!(ScopeLogsField {
    Scope = "scope",
    LogRecords = "logRecords" | "log_records",
    SchemaUrl = "schemaUrl" | "schema_url",
});

struct ScopeLogs;

impl<'a> Message<LogState<'a>> for ScopeLogs {
    type Out = ScopeGroup;
    const WHAT: &'static str = "a ScopeLogs";

    fn decode<'de, A: MapAccess<'de>>(
        ctx: &mut LogCtx<'a>,
        mut map: A,
    ) -> Result<ScopeGroup, A::Error> {
        let mut group = ScopeGroup::default();
        while let Some(field) = map.next_key_seed(Key::<ScopeLogsField>::new())? {
            match field {
                Some(f @ ScopeLogsField::Scope) => {
                    let scope = read!(ctx, map, f, Msg::<_, ScopeMessage<true>>::new(ctx));
                    (group.scope, group.scope_attributes) = (scope.scope, scope.attributes)
                }
                Some(f @ ScopeLogsField::LogRecords) => {
                    let more = read!(ctx, map, f, List::<_, LogRecordMessage>::new(ctx));
                    group.records.extend(more);
                }
                Some(f @ ScopeLogsField::SchemaUrl) => group.schema_url = read!(ctx, map, f, Text),
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(group)
    }

    fn null(_: &mut LogCtx<'a>) -> ScopeGroup {
        ScopeGroup::default()
    }
}
