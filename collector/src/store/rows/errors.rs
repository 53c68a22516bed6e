//! The error tables written from Rust: `error_events` (backend
//! exceptions, one row each), `sourcemaps` (a build's maps and bundles)
//! and `error_decisions` (what people decided about a group). Browser
//! errors are rows of `rum_errors` (`rum.rs`); both feed `error_groups`
//! through views.

use std::fmt::Write as _;

use super::Table;
use crate::model::error::{BackendError, Frame, GroupDecision, StoredMapPart};
use crate::store::rowbinary::{put_datetime64_millis, put_str, put_str_array, put_u8};

/// Resolved frames as the JSON the `Frames` columns hold.
pub fn frames_json(frames: &[Frame]) -> String {
    serde_json::to_string(frames).unwrap_or_else(|_| "[]".to_owned())
}

pub struct ErrorEventTable;

impl Table for ErrorEventTable {
    type Record = BackendError;

    const NAME: &'static str = "error_events";

    const COLUMNS: &'static [&'static str] = &[
        "Timestamp",
        "Layer",
        "Service",
        "Release",
        "Environment",
        "TraceId",
        "SpanId",
        "SpanName",
        "Fingerprint",
        "ErrorType",
        "Message",
        "Stacktrace",
        "Frames",
        "Escaped",
        "Origin",
    ];

    fn encode(error: &BackendError, buf: &mut Vec<u8>) {
        let mut scratch = String::new();
        put_datetime64_millis(buf, error.timestamp_millis);
        put_str(buf, error.layer.as_str().as_bytes());
        for text in [&error.service, &error.release, &error.environment] {
            put_str(buf, text.as_bytes());
        }
        let mut hex = Vec::with_capacity(32);
        if let Some(id) = error.trace_id {
            id.write_hex(&mut hex);
        }
        put_str(buf, &hex);
        hex.clear();
        if let Some(id) = error.span_id {
            id.write_hex(&mut hex);
        }
        put_str(buf, &hex);
        put_str(buf, error.operation.as_bytes());
        let _ = write!(scratch, "{}", error.fingerprint);
        put_str(buf, scratch.as_bytes());
        for text in [&error.error_type, &error.message, &error.stacktrace] {
            put_str(buf, text.as_bytes());
        }
        put_str(buf, frames_json(&error.frames).as_bytes());
        put_u8(buf, u8::from(error.escaped));
        put_str(buf, error.origin.as_str().as_bytes());
    }

    fn is_from_service(error: &BackendError, service: &str) -> bool {
        error.service == service
    }
}

pub struct SourceMapTable;

impl Table for SourceMapTable {
    type Record = StoredMapPart;

    const NAME: &'static str = "sourcemaps";

    const COLUMNS: &'static [&'static str] = &[
        "App",
        "Release",
        "BundleUrl",
        "Part",
        "Content",
        "Bytes",
        "UploadedAt",
        "Deleted",
    ];

    fn encode(part: &StoredMapPart, buf: &mut Vec<u8>) {
        for text in [&part.app, &part.release, &part.bundle_url] {
            put_str(buf, text.as_bytes());
        }
        put_str(buf, part.part.as_str().as_bytes());
        put_str(buf, part.content.as_bytes());
        crate::store::rowbinary::put_u64(buf, part.content.len() as u64);
        put_datetime64_millis(buf, part.uploaded_at_millis);
        put_u8(buf, u8::from(part.deleted));
    }
}

pub struct ErrorDecisionTable;

impl Table for ErrorDecisionTable {
    type Record = GroupDecision;

    const NAME: &'static str = "error_decisions";

    const COLUMNS: &'static [&'static str] = &[
        "Fingerprint",
        "Decision",
        "ResolvedReleases",
        "DecidedAt",
        "DecidedBy",
        "Comment",
    ];

    fn encode(decision: &GroupDecision, buf: &mut Vec<u8>) {
        put_str(buf, decision.fingerprint.to_string().as_bytes());
        put_str(buf, decision.decision.as_str().as_bytes());
        put_str_array(buf, &decision.resolved_releases);
        put_datetime64_millis(buf, decision.decided_at_millis);
        put_str(buf, decision.decided_by.as_bytes());
        put_str(buf, decision.comment.as_bytes());
    }
}
