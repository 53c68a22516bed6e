//! Annotation templates: `{{ $labels.name }}`, `{{ $details.name }}` and
//! `{{ $value }}`, nothing else. Parsed when rules load, so an unknown placeholder is a load error
//! and expansion cannot fail (a label the alert lacks expands to nothing).

use std::fmt::Write as _;

use crate::model::alert::LabelSet;
use crate::model::{format_number, Precision};

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Text(String),
    Label(String),
    /// A detail of the series: said, but not part of the alert's identity.
    Detail(String),
    Value,
}

/// A parsed template.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    parts: Vec<Part>,
}

impl Template {
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find("{{") {
            if open > 0 {
                parts.push(Part::Text(rest[..open].to_owned()));
            }
            let after = &rest[open + 2..];
            let close = after
                .find("}}")
                .ok_or_else(|| format!("unclosed '{{{{' in template '{text}'"))?;
            let inner = after[..close].trim();
            parts.push(match inner {
                "$value" => Part::Value,
                _ => match placeholder(inner) {
                    Some(part) => part,
                    None => {
                        return Err(format!(
                            "unknown placeholder '{{{{ {inner} }}}}' (use {{{{ $labels.<name> }}}}, {{{{ $details.<name> }}}} or {{{{ $value }}}})"
                        ))
                    }
                },
            });
            rest = &after[close + 2..];
        }
        if rest.contains("}}") {
            return Err(format!("stray '}}}}' in template '{text}'"));
        }
        if !rest.is_empty() {
            parts.push(Part::Text(rest.to_owned()));
        }
        Ok(Template { parts })
    }

    /// Label names the template reads.
    pub fn labels(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Label(name) => Some(name.as_str()),
            _ => None,
        })
    }

    /// Detail names the template reads.
    pub fn details(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Detail(name) => Some(name.as_str()),
            _ => None,
        })
    }

    pub fn expand(&self, labels: &LabelSet, details: &LabelSet, value: f64) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(text) => out.push_str(text),
                Part::Label(name) => out.push_str(read(labels, name)),
                Part::Detail(name) => out.push_str(read(details, name)),
                Part::Value => {
                    let _ = write!(out, "{}", format_value(value));
                }
            }
        }
        out
    }
}

/// A label's or detail's value; one the alert lacks reads as nothing.
fn read<'a>(set: &'a LabelSet, name: &str) -> &'a str {
    set.get(name).map_or("", String::as_str)
}

/// The part a `{{ … }}` names: `$labels.<name>` or `$details.<name>`.
fn placeholder(inner: &str) -> Option<Part> {
    let named = |prefix: &str| inner.strip_prefix(prefix).filter(|n| is_label_name(n));
    named("$labels.")
        .map(|name| Part::Label(name.to_owned()))
        .or_else(|| named("$details.").map(|name| Part::Detail(name.to_owned())))
}

/// Label names as Prometheus allows them.
pub fn is_label_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A value as people read it in a sentence (`{{ $value }}`, rule
/// descriptions): at most three decimals, no trailing zeros.
pub fn format_value(value: f64) -> String {
    format_number(value, Precision::PROSE).unwrap_or_else(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expands_labels_and_value() {
        let t = Template::parse(
            "{{ $labels.service }} at {{$value}} % ({{ $labels.missing }}): {{ $details.message }}",
        )
        .unwrap();
        let labels: LabelSet = [("service".to_owned(), "api".to_owned())].into();
        let details: LabelSet = [("message".to_owned(), "boom".to_owned())].into();
        assert_eq!(t.expand(&labels, &details, 1.25), "api at 1.25 % (): boom");
        assert_eq!(t.labels().collect::<Vec<_>>(), ["service", "missing"]);
        assert_eq!(t.details().collect::<Vec<_>>(), ["message"]);
    }

    #[test]
    fn unknown_or_broken_placeholders_are_errors() {
        for bad in [
            "{{ $labels }}",
            "{{ .Value }}",
            "{{ $labels.a-b }}",
            "{{ $details }}",
            "{{ $annotations.summary }}",
            "{{ $value",
            "oops }}",
            "{{ printf \"%s\" $value }}",
        ] {
            assert!(Template::parse(bad).is_err(), "{bad}");
        }
        assert!(Template::parse("plain text").is_ok());
    }

    #[test]
    fn values_are_formatted_for_people() {
        assert_eq!(format_value(2.0), "2");
        assert_eq!(format_value(0.5), "0.5");
        assert_eq!(format_value(1234.5678), "1234.568");
        assert_eq!(format_value(-0.0001), "0");
    }
}
