//! Which insert failures are worth retrying. A transient failure (the
//! network, a timeout, an overloaded or restarting server) retries the same
//! chunk with backoff; a permanent one (the rows themselves cannot be
//! stored: a type, overflow, parse or constraint error) would fail the
//! same way forever, so the chunk is split until the bad rows are found.

/// ClickHouse error codes that no retry can fix, by name for the reader.
const PERMANENT_CODES: &[(i32, &str)] = &[
    (6, "CANNOT_PARSE_TEXT"),
    (27, "CANNOT_PARSE_INPUT_ASSERTION_FAILED"),
    (32, "ATTEMPT_TO_READ_AFTER_EOF"),
    (33, "CANNOT_READ_ALL_DATA"),
    (38, "CANNOT_PARSE_DATE"),
    (41, "CANNOT_PARSE_DATETIME"),
    (43, "ILLEGAL_TYPE_OF_ARGUMENT"),
    (44, "ILLEGAL_COLUMN"),
    (53, "TYPE_MISMATCH"),
    (69, "ARGUMENT_OUT_OF_BOUND"),
    (70, "CANNOT_CONVERT_TYPE"),
    (72, "CANNOT_PARSE_NUMBER"),
    (117, "INCORRECT_DATA"),
    (131, "TOO_LARGE_STRING_SIZE"),
    (321, "VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE"),
    (395, "FUNCTION_THROW_IF_VALUE_IS_NON_ZERO"),
    (407, "DECIMAL_OVERFLOW"),
    (469, "VIOLATED_CONSTRAINT"),
];

/// `TOO_MANY_PARTS` also names "too many partitions for single INSERT
/// block", which is about the rows, not the server's load.
const TOO_MANY_PARTS: i32 = 252;

pub use crate::telemetry::FailureClass;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct InsertFailure {
    pub class: FailureClass,
    /// ClickHouse's error code, when the server answered with one.
    pub code: Option<i32>,
    pub message: String,
}

pub fn classify(error: &clickhouse::error::Error) -> InsertFailure {
    let message = error.to_string();
    let code = match error {
        clickhouse::error::Error::BadResponse(text) => error_code(text),
        _ => None,
    };
    let permanent = match code {
        Some(TOO_MANY_PARTS) => message.contains("partitions for single INSERT block"),
        Some(code) => PERMANENT_CODES.iter().any(|(c, _)| *c == code),
        None => false,
    };
    InsertFailure {
        class: if permanent {
            FailureClass::Permanent
        } else {
            FailureClass::Transient
        },
        code,
        message,
    }
}

/// The number in ClickHouse's `Code: 252. DB::Exception: ...`.
fn error_code(text: &str) -> Option<i32> {
    let rest = &text[text.find("Code: ")? + "Code: ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clickhouse::error::Error;

    fn bad(text: &str) -> InsertFailure {
        classify(&Error::BadResponse(text.into()))
    }

    #[test]
    fn row_errors_are_permanent_and_load_errors_transient() {
        let overflow = bad("Code: 407. DB::Exception: Decimal math overflow: while pushing to view trace_index_mv. (DECIMAL_OVERFLOW)");
        assert_eq!(overflow.class, FailureClass::Permanent);
        assert_eq!(overflow.code, Some(407));
        let partitions = bad("Code: 252. DB::Exception: Too many partitions for single INSERT block (more than 100). (TOO_MANY_PARTS)");
        assert_eq!(partitions.class, FailureClass::Permanent);
        let parts = bad("Code: 252. DB::Exception: Too many parts (3001 with average size of 1.00 KiB) in table. Merges are processing significantly slower than inserts. (TOO_MANY_PARTS)");
        assert_eq!(parts.class, FailureClass::Transient);
        let memory =
            bad("Code: 241. DB::Exception: Memory limit (total) exceeded. (MEMORY_LIMIT_EXCEEDED)");
        assert_eq!(memory.class, FailureClass::Transient);
        assert_eq!(
            bad("Code: 469. DB::Exception: Constraint `c` is violated").class,
            FailureClass::Permanent
        );
    }

    #[test]
    fn network_errors_and_timeouts_are_transient() {
        assert_eq!(classify(&Error::TimedOut).class, FailureClass::Transient);
        assert_eq!(
            bad("bad response: 503 Service Unavailable").class,
            FailureClass::Transient
        );
        assert_eq!(bad("bad response: 503").code, None);
    }
}
