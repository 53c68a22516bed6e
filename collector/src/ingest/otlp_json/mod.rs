//! OTLP/JSON trace requests decoded in one pass, straight into domain
//! spans: no intermediate message tree, so each string is allocated once
//! and each span is checked the moment its object closes.
//!
//! It accepts what the proto3 JSON mapping allows, plus OTLP's deviations
//! (hex trace and span ids), because senders differ and a batch refused
//! over spelling is lost data:
//! - field names in lowerCamelCase or as in the .proto (`resource_spans`);
//! - 64- and 32-bit integers as numbers or decimal strings;
//! - doubles as numbers, numeric strings, `"NaN"`, `"Infinity"`, `"-Infinity"`;
//! - `null` for any field, meaning its default;
//! - bytes in standard or URL-safe base64, padded or not; ids in hex (OTLP)
//!   or in base64 (the plain proto3 mapping), told apart by length;
//! - enums as numbers or by name (`SPAN_KIND_SERVER`);
//! - empty `arrayValue` / `kvlistValue` objects (the Collector writes `{}`);
//! - unknown fields, ignored whatever their value.
//!
//! A body that is not JSON, or whose fields have the wrong JSON type, is
//! refused whole (400) with the path of the offending field. A span whose
//! values are well-typed but wrong (an id that is not hex, a kind outside
//! the enum, a time outside the window) is rejected alone, as in the
//! protobuf path: both end in `otlp_convert`'s rules.
//!
//! Files: `scalar` (numbers, strings, bytes, ids, enums), `value`
//! (attributes), `span` (spans, events, links), `request` (the envelope:
//! resource spans, scope spans), `fields` (names and the decoding scaffold).

mod fields;
mod request;
mod scalar;
mod span;
mod value;

#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::sync::Arc;

use serde::de::DeserializeSeed;

use super::otlp_convert::ConvertedTraces;
use super::IngestError;
use crate::model::{Layer, LayerRules, Resource, Scope, SpanLimits, TimeWindow};

/// How deep attribute values may nest (arrays in maps in arrays ...).
/// Real attributes nest a few levels; this keeps recursion, in this
/// decoder and in everything that later walks the value, well within the
/// stack.
pub const MAX_VALUE_DEPTH: usize = 32;

/// Decodes one `ExportTraceServiceRequest` in OTLP/JSON. An empty body is
/// an empty request (OTLP: answer success).
pub fn decode(
    body: &[u8],
    layers: &LayerRules,
    window: &TimeWindow,
    limits: &SpanLimits,
) -> Result<ConvertedTraces, IngestError> {
    let mut ctx = Ctx::new(layers, window, limits);
    // A byte-order mark is not JSON, but some writers put one first.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ctx.out);
    }
    // Checked as UTF-8 once, whole: reading from a `str`, serde does not
    // check each string again (a sixth of the decoding's instructions).
    let text = std::str::from_utf8(body).map_err(|error| {
        IngestError::BadRequest(format!(
            "body is not valid OTLP JSON: not UTF-8 after byte {}",
            error.valid_up_to()
        ))
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let decoded = request::Request::seed(&mut ctx)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match decoded {
        Ok(()) => Ok(ctx.out),
        Err(error) => Err(IngestError::BadRequest(format!(
            "body is not valid OTLP JSON: {}{}",
            ctx.path.describe(),
            capped(error.to_string())
        ))),
    }
}

/// Longest reason in a refusal, in bytes: serde quotes a mistyped string
/// whole, and a sender's megabyte should not come back in the answer.
const MAX_MESSAGE_BYTES: usize = 300;

fn capped(mut message: String) -> String {
    if message.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !message.is_char_boundary(cut) {
            cut -= 1;
        }
        message.truncate(cut);
        message.push('…');
    }
    message
}

/// What decoding shares: the rules spans are checked against, what has
/// been decoded so far, and where in the document it is.
pub(super) struct Ctx<'a> {
    layers: &'a LayerRules,
    window: &'a TimeWindow,
    out: ConvertedTraces,
    path: Path,
    /// Attribute-value nesting at this point.
    depth: usize,
    /// Given to spans until their resource and scope are known: JSON keys
    /// come in any order, so `scopeSpans` may precede `resource`.
    placeholder_resource: Arc<Resource>,
    placeholder_scope: Arc<Scope>,
}

impl<'a> Ctx<'a> {
    fn new(layers: &'a LayerRules, window: &'a TimeWindow, limits: &SpanLimits) -> Self {
        Self {
            layers,
            window,
            out: ConvertedTraces::new(limits, 0),
            path: Path::default(),
            depth: 0,
            placeholder_resource: Arc::new(Resource {
                service_name: String::new(),
                layer: Layer::Other,
                attributes: Vec::new(),
            }),
            placeholder_scope: Arc::new(Scope::default()),
        }
    }
}

/// One step into the document.
#[derive(Debug, Clone, Copy)]
enum Step {
    Field(&'static str),
    Index(usize),
}

/// Where decoding is. Steps are pushed on the way in and popped only on
/// success, so after an error the path still names where it happened.
#[derive(Debug, Default)]
struct Path(Vec<Step>);

impl Path {
    fn push(&mut self, step: Step) {
        self.0.push(step);
    }

    fn pop(&mut self) {
        self.0.pop();
    }

    /// `resourceSpans[0].scopeSpans[1].spans[7].kind: `, or nothing at the
    /// top. A deep path keeps its start and its end: where the span is and
    /// which field failed.
    fn describe(&self) -> String {
        const HEAD: usize = 8;
        const TAIL: usize = 6;
        let mut out = String::new();
        let steps = &self.0;
        let elided = steps.len() > HEAD + TAIL;
        for (i, step) in steps.iter().enumerate() {
            if elided && (HEAD..steps.len() - TAIL).contains(&i) {
                if i == HEAD {
                    out.push_str(".…");
                }
                continue;
            }
            match step {
                Step::Field(name) if out.is_empty() => out.push_str(name),
                Step::Field(name) => {
                    out.push('.');
                    out.push_str(name);
                }
                Step::Index(i) => {
                    let _ = write!(out, "[{i}]");
                }
            }
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out
    }
}
