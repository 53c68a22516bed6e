//! OTLP/JSON as every signal reads it in one pass: straight into domain
//! records, no intermediate message tree, so each string is allocated once
//! and each record is judged as its object closes.
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
//! refused whole (400) with the path of the offending field. A record whose
//! values are well-typed but wrong is rejected alone by its signal's
//! judgement, as in the protobuf path.
//!
//! Files: `scalar` (numbers, strings, bytes, ids, enums), `value`
//! (attributes), `envelope` (the resource and scope records are grouped
//! under), `fields` (names and the decoding scaffold: a [`Message`] per
//! object, within a signal's state `S`); each signal's messages live with
//! it (`traces/json/`, `logs/json/`, `metrics/json/`).

mod envelope;
mod fields;
mod scalar;
mod value;

use std::fmt::Write as _;

use serde::de::DeserializeSeed;

pub(crate) use envelope::{ResourceMessage, ScopeMessage};
pub(crate) use fields::{fields, read, Field, Key, List, Message, Msg};
pub(crate) use scalar::{Array, Bool, Double, Enum, Id, Integer, Optional, RawEnum, RawId, Text};
pub(crate) use value::{attributes, AnyValue};

use crate::ingest::IngestError;

/// How deep attribute values may nest (arrays in maps in arrays ...).
/// Real attributes nest a few levels; this keeps recursion, in this
/// decoder and in everything that later walks the value, well within the
/// stack.
pub const MAX_VALUE_DEPTH: usize = 32;

/// What decoding one document shares: where in it decoding is, how deep
/// attribute values nest at this point, and the signal's own state `S`
/// (its rules and what it has decoded so far).
pub(crate) struct Ctx<S> {
    pub(crate) path: Path,
    pub(crate) depth: usize,
    pub(crate) signal: S,
}

/// Decodes one request of `M` from `body` into `signal`'s state, which is
/// given back. A body of nothing but white space is an empty request.
pub(crate) fn decode<S, M: Message<S, Out = ()>>(
    body: &[u8],
    signal: S,
    what: &str,
) -> Result<S, IngestError> {
    let mut ctx = Ctx {
        path: Path::default(),
        depth: 0,
        signal,
    };
    // A byte-order mark is not JSON, but some writers put one first.
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(ctx.signal);
    }
    // Checked as UTF-8 once, whole: reading from a `str`, serde does not
    // check each string again (a sixth of the decoding's instructions).
    let text = std::str::from_utf8(body).map_err(|error| {
        IngestError::BadRequest(format!(
            "body is not valid {what}: not UTF-8 after byte {}",
            error.valid_up_to()
        ))
    })?;
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let decoded = Msg::<S, M>::new(&mut ctx)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    match decoded {
        Ok(()) => Ok(ctx.signal),
        Err(error) => Err(IngestError::BadRequest(format!(
            "body is not valid {what}: {}{}",
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

/// One step into the document.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    Field(&'static str),
    Index(usize),
}

/// Where decoding is. Steps are pushed on the way in and popped only on
/// success, so after an error the path still names where it happened.
#[derive(Debug, Default)]
pub(crate) struct Path(Vec<Step>);

impl Path {
    pub(crate) fn push(&mut self, step: Step) {
        self.0.push(step);
    }

    pub(crate) fn pop(&mut self) {
        self.0.pop();
    }

    /// `resourceSpans[0].scopeSpans[1].spans[7].kind: `, or nothing at the
    /// top. A deep path keeps its start and its end: where the span is and
    /// which field failed.
    pub(crate) fn describe(&self) -> String {
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
