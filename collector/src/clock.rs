//! The wall clock, read in one place: Unix milliseconds, as rows, rules
//! and the API count time. Pure modules never call it; they are given
//! the time.

use std::time::{SystemTime, UNIX_EPOCH};

/// Now, in Unix milliseconds (0 before 1970, saturating far ahead).
pub fn now_millis() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Now, in Unix nanoseconds, as OTLP counts record times (0 before 1970,
/// saturating far ahead).
pub fn now_nanos() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
}

/// An RFC 3339 time (`Z` or a numeric offset, any fraction of a second)
/// as Unix milliseconds. Also taken, as people type them: a space for the
/// `T`, lowercase `t`/`z`, no offset at all (UTC).
pub fn parse_rfc3339_millis(text: &str) -> Option<i64> {
    use time::format_description::well_known::Rfc3339;
    let text = text.trim();
    let mut normal = text.to_ascii_uppercase();
    if normal.as_bytes().get(10) == Some(&b' ') {
        normal.replace_range(10..11, "T");
    }
    let has_offset = normal.ends_with('Z') || {
        let tail = normal.get(normal.len().saturating_sub(6)..).unwrap_or("");
        tail.len() == 6 && matches!(tail.as_bytes()[0], b'+' | b'-') && tail.as_bytes()[3] == b':'
    };
    if !has_offset {
        normal.push('Z');
    }
    let parsed = time::OffsetDateTime::parse(&normal, &Rfc3339).ok()?;
    i64::try_from(parsed.unix_timestamp_nanos().div_euclid(1_000_000)).ok()
}

/// Unix milliseconds as RFC 3339 in UTC with milliseconds
/// (`2026-11-23T10:00:00.005Z`). Any i64 renders (no panic): times beyond
/// the years -9999 and 9999 show as those bounds.
pub fn format_rfc3339_millis(millis: i64) -> String {
    use time::format_description::BorrowedFormatItem;
    use time::macros::format_description;
    const RFC3339_MILLIS: &[BorrowedFormatItem<'_>] =
        format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");
    // Cannot fail: a UTC date-time has every component the format names.
    utc(millis).format(RFC3339_MILLIS).unwrap_or_default()
}

/// Unix milliseconds as a UTC date and time, clamped to the calendar's
/// bounds, for callers that format it their own way.
pub fn utc(millis: i64) -> time::UtcDateTime {
    use time::UtcDateTime;
    UtcDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).unwrap_or(
        if millis < 0 {
            UtcDateTime::MIN
        } else {
            UtcDateTime::MAX
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_reads_offsets_and_what_people_type() {
        let utc = parse_rfc3339_millis("2026-11-23T10:00:00Z");
        assert_eq!(utc, Some(1_795_428_000_000));
        assert_eq!(parse_rfc3339_millis("2026-11-23T11:30:00+01:30"), utc);
        assert_eq!(parse_rfc3339_millis("2026-11-23 10:00:00"), utc);
        assert_eq!(
            parse_rfc3339_millis("2026-11-23t10:00:00.250z"),
            utc.map(|m| m + 250)
        );
        assert_eq!(parse_rfc3339_millis("2026-11-23T05:00:00-05:00"), utc);
        assert_eq!(parse_rfc3339_millis("yesterday"), None);
        assert_eq!(parse_rfc3339_millis("2026-13-23T10:00:00Z"), None);
    }

    #[test]
    fn rfc3339_is_written_with_milliseconds_at_any_time() {
        assert_eq!(format_rfc3339_millis(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            format_rfc3339_millis(1_795_428_000_005),
            "2026-11-23T10:00:00.005Z"
        );
        assert_eq!(
            format_rfc3339_millis(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(format_rfc3339_millis(-1), "1969-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339_millis(1_500), "1970-01-01T00:00:01.500Z");
        assert_eq!(format_rfc3339_millis(i64::MAX), "9999-12-31T23:59:59.999Z");
        assert_eq!(format_rfc3339_millis(i64::MIN), "-9999-01-01T00:00:00.000Z");
    }
}
