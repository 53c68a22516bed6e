//! How configuration values are read when they may arrive either from TOML
//! or from an environment variable: lists as arrays or comma-separated
//! text, strings that the environment provider took for numbers. A leaf:
//! every component's config type uses these, and none of them needs
//! `config`, which only assembles the sections.

use std::fmt;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

/// Reads a list of strings from an array or from one comma-separated string,
/// which is how a list arrives through an environment variable. Entries are
/// trimmed and empty ones dropped; numbers and booleans (which the
/// environment provider parses as such) are taken as their text.
pub fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    StringList::deserialize(deserializer).map(|list| list.0)
}

/// An optional string that the environment provider may have read as a
/// number or boolean (`JAMSCOPE_ALERT_WEBHOOK_SECRET=12345` arrives as an
/// integer): taken as its text.
pub fn lenient_string<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Text(String),
        Int(i64),
        UInt(u64),
        Float(f64),
        Bool(bool),
    }
    let Some(value) = Option::<Lenient>::deserialize(deserializer)? else {
        return Ok(None);
    };
    Ok(Some(match value {
        Lenient::Text(s) => s,
        Lenient::Int(n) => n.to_string(),
        Lenient::UInt(n) => n.to_string(),
        Lenient::Float(n) => n.to_string(),
        Lenient::Bool(b) => b.to_string(),
    }))
}

struct StringList(Vec<String>);

impl<'de> Deserialize<'de> for StringList {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StringListVisitor)
    }
}

struct StringListVisitor;

impl<'de> Visitor<'de> for StringListVisitor {
    type Value = StringList;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of strings or a comma-separated string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<StringList, E> {
        Ok(StringList(
            value
                .split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<StringList, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<StringList, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<StringList, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<StringList, E> {
        self.visit_str(&value.to_string())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<StringList, A::Error> {
        let mut items = Vec::new();
        while let Some(StringList(more)) = seq.next_element()? {
            items.extend(more);
        }
        Ok(StringList(items))
    }
}
