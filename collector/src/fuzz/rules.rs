//! Alert rule files: any text, and YAML in the rules' own words, load or
//! are refused with errors, without a panic and within a bound on memory.
//! Rule files come from operators, not the network, but a reload must not
//! take the collector down over a bad one.

use std::path::Path;

use proptest::prelude::*;

use super::meter::peak_bytes;
use super::strategies::json_with_keys;
use super::{config, MAX_INPUT};
use crate::alert::rules::load_str;

const BYTES_PER_INPUT_BYTE: usize = 256;
const BASE_BYTES: usize = 1 << 20;

fn load(text: &str) -> usize {
    match load_str(Path::new("fuzz.yaml"), text) {
        Ok(rules) => rules.len(),
        Err(errors) => {
            assert!(!errors.is_empty(), "a refusal names at least one error");
            0
        }
    }
}

const RULE_KEYS: &[&str] = &[
    "groups",
    "name",
    "rules",
    "alert",
    "expr",
    "type",
    "metric",
    "threshold",
    "sql",
    "for",
    "keep_firing_for",
    "labels",
    "annotations",
    "severity",
    "warning",
    "critical",
    "op",
    "window",
    "filter",
    "group_by",
    "service",
    "layer",
    "route",
    "percentile",
    "value",
    "consecutive",
    "regression",
    "new_error",
    "pipeline",
    "summary",
    "description",
];

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn any_text_as_rules(text in proptest::string::string_regex(&format!("(?s).{{0,{}}}", MAX_INPUT / 16)).expect("regex")) {
        let (_, peak) = peak_bytes(|| load(&text));
        prop_assert!(peak <= BASE_BYTES + BYTES_PER_INPUT_BYTE * text.len());
    }

    #[test]
    fn yaml_in_rule_words(document in json_with_keys(RULE_KEYS)) {
        let text = serde_yaml_ng::to_string(&document).unwrap_or_default();
        let (_, peak) = peak_bytes(|| load(&text));
        prop_assert!(peak <= BASE_BYTES + BYTES_PER_INPUT_BYTE * text.len());
    }
}

/// Aliases that expand a billion times must be refused, not expanded.
#[test]
fn alias_bombs_are_refused_within_bounds() {
    let mut text = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for level in 1..9u8 {
        let (name, previous) = ((b'a' + level) as char, (b'a' + level - 1) as char);
        text.push_str(&format!("{name}: &{name} [*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous},*{previous}]\n"));
    }
    text.push_str("groups: *i\n");
    let started = std::time::Instant::now();
    let (loaded, peak) = peak_bytes(|| load(&text));
    assert_eq!(loaded, 0);
    assert!(peak <= 16 << 20, "{peak} bytes");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}
