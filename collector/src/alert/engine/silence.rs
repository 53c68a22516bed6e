//! Silences: label matchers (`label=value`, `label=~regex`) over a time
//! span. A silenced alert is still tracked; it is just not notified.

use std::fmt;
use std::str::FromStr;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::model::alert::LabelSet;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Silence {
    pub id: String,
    /// All must match.
    pub matchers: Vec<Matcher>,
    pub starts_at_millis: i64,
    /// Exclusive: at this time the silence is over.
    pub ends_at_millis: i64,
    #[serde(default)]
    pub comment: String,
}

impl Silence {
    pub fn is_active(&self, now_millis: i64) -> bool {
        self.starts_at_millis <= now_millis && now_millis < self.ends_at_millis
    }

    pub fn matches(&self, labels: &LabelSet) -> bool {
        !self.matchers.is_empty() && self.matchers.iter().all(|m| m.matches(labels))
    }

    /// Whether any silence active at `now_millis` mutes `labels`.
    pub fn mutes(silences: &[Silence], labels: &LabelSet, now_millis: i64) -> bool {
        silences
            .iter()
            .any(|s| s.is_active(now_millis) && s.matches(labels))
    }
}

/// `label=value` or `label=~regex` (anchored, as in Alertmanager). A label
/// the alert lacks counts as the empty string.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Matcher {
    pub label: String,
    kind: MatchKind,
}

#[derive(Debug, Clone)]
enum MatchKind {
    Equal(String),
    Regex { source: String, regex: Regex },
}

#[derive(Debug, thiserror::Error)]
pub enum MatcherError {
    #[error("matcher '{0}' is not label=value or label=~regex")]
    Syntax(String),
    #[error("matcher '{text}': {source}")]
    Regex { text: String, source: regex::Error },
}

impl Matcher {
    pub fn matches(&self, labels: &LabelSet) -> bool {
        let value = labels.get(&self.label).map_or("", String::as_str);
        match &self.kind {
            MatchKind::Equal(expected) => value == expected,
            MatchKind::Regex { regex, .. } => regex.is_match(value),
        }
    }
}

impl FromStr for Matcher {
    type Err = MatcherError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (label, rest) = text
            .split_once('=')
            .ok_or_else(|| MatcherError::Syntax(text.to_owned()))?;
        let label = label.trim();
        if !crate::alert::template::is_label_name(label) {
            return Err(MatcherError::Syntax(text.to_owned()));
        }
        let kind = match rest.strip_prefix('~') {
            Some(source) => MatchKind::Regex {
                regex: Regex::new(&format!("^(?:{source})$")).map_err(|source| {
                    MatcherError::Regex {
                        text: text.to_owned(),
                        source,
                    }
                })?,
                source: source.to_owned(),
            },
            None => MatchKind::Equal(rest.to_owned()),
        };
        Ok(Matcher {
            label: label.to_owned(),
            kind,
        })
    }
}

impl TryFrom<String> for Matcher {
    type Error = MatcherError;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Matcher> for String {
    fn from(matcher: Matcher) -> String {
        matcher.to_string()
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            MatchKind::Equal(value) => write!(f, "{}={value}", self.label),
            MatchKind::Regex { source, .. } => write!(f, "{}=~{source}", self.label),
        }
    }
}

impl PartialEq for Matcher {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> LabelSet {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn matchers_compare_whole_values() {
        let l = labels(&[("alertname", "GatewayErrorRate"), ("service", "api-eu")]);
        for (matcher, expected) in [
            ("service=api-eu", true),
            ("service=api", false),
            ("service=~api-.*", true),
            ("service=~api", false),
            ("team=", true),
            ("alertname=~Gateway.*|Cdn.*", true),
        ] {
            let m: Matcher = matcher.parse().unwrap();
            assert_eq!(m.matches(&l), expected, "{matcher}");
            assert_eq!(m.to_string(), matcher);
        }
        assert!("no-operator".parse::<Matcher>().is_err());
        assert!("a=~(".parse::<Matcher>().is_err());
    }

    #[test]
    fn silences_round_trip_through_json() {
        let silence = Silence {
            id: "s1".into(),
            matchers: vec!["service=~api.*".parse().unwrap()],
            starts_at_millis: 10,
            ends_at_millis: 20,
            comment: "deploy".into(),
        };
        let json = serde_json::to_string(&silence).unwrap();
        assert!(json.contains("\"service=~api.*\""), "{json}");
        let back: Silence = serde_json::from_str(&json).unwrap();
        assert_eq!(back, silence);
        assert!(back.is_active(10) && !back.is_active(20));
    }
}
