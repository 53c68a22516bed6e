//! Durations as rule files write them (`0s`, `90s`, `2m`, `1h`), held as
//! milliseconds so the engine's arithmetic is plain integers.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A non-negative duration in milliseconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Millis(pub i64);

impl Millis {
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.starts_with('-') {
            return Err(format!("duration '{text}' must not be negative"));
        }
        if text == "0" {
            return Ok(Millis(0));
        }
        let parsed = humantime::parse_duration(text)
            .map_err(|e| format!("invalid duration '{text}' ({e}; e.g. 0s, 30s, 5m, 1h)"))?;
        i64::try_from(parsed.as_millis())
            .map(Millis)
            .map_err(|_| format!("duration '{text}' is too long"))
    }

    pub fn from_secs(secs: i64) -> Self {
        Millis(secs.saturating_mul(1000))
    }
}

/// The shortest exact form: `0s`, `500ms`, `90s`, `5m`, `2h`.
impl fmt::Display for Millis {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms == 0 {
            f.write_str("0s")
        } else if ms % 3_600_000 == 0 {
            write!(f, "{}h", ms / 3_600_000)
        } else if ms % 60_000 == 0 {
            write!(f, "{}m", ms / 60_000)
        } else if ms % 1000 == 0 {
            write!(f, "{}s", ms / 1000)
        } else {
            write!(f, "{ms}ms")
        }
    }
}

impl<'de> Deserialize<'de> for Millis {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Millis::parse(&text).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Millis {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_rule_durations() {
        for (text, ms, shown) in [
            ("0s", 0, "0s"),
            ("0", 0, "0s"),
            ("90s", 90_000, "90s"),
            ("2m", 120_000, "2m"),
            ("1h", 3_600_000, "1h"),
            ("250ms", 250, "250ms"),
        ] {
            let parsed = Millis::parse(text).unwrap();
            assert_eq!(parsed, Millis(ms), "{text}");
            assert_eq!(parsed.to_string(), shown);
        }
        assert!(Millis::parse("-5m").unwrap_err().contains("negative"));
        assert!(Millis::parse("five minutes").is_err());
    }
}
