//! The words the store's writers report in: whether a failed insert is
//! worth retrying, and how much the disk spool holds. Defined here, where
//! they are counted, so `store` reports to `telemetry` and never the other
//! way round.

/// A failed insert: retried with backoff (transient) or split down to the
/// rows ClickHouse refuses (permanent). `store::writer::failure` decides
/// which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    Transient,
    Permanent,
}

impl FailureClass {
    pub fn as_str(self) -> &'static str {
        match self {
            FailureClass::Transient => "transient",
            FailureClass::Permanent => "permanent",
        }
    }
}

/// What a table's spool holds, for the `/metrics` gauges.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SpoolStats {
    pub bytes: u64,
    pub segments: u64,
    pub chunks: u64,
    pub rows: u64,
}
