//! Reading rule files: YAML syntax errors keep the parser's line, semantic
//! ones point at the rule's `alert:` line; every problem of every file is
//! reported, not just the first.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::rule::{Rule, RuleSet};
use super::validate;
use super::written::File;

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("{}: cannot read the rules directory: {source}", dir.display())]
    ReadDir {
        dir: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}:{line}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{}:{line}: rule {rule}: {message}", file.display())]
    Invalid {
        file: PathBuf,
        line: usize,
        rule: String,
        message: String,
    },
}

/// Loads every `*.yaml` / `*.yml` file of `dir` (sorted by name). Alert
/// names must be unique across the directory.
pub fn load_dir(dir: &Path) -> Result<RuleSet, Vec<RuleError>> {
    let read_dir = |source| {
        vec![RuleError::ReadDir {
            dir: dir.to_owned(),
            source,
        }]
    };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(read_dir)? {
        let path = entry.map_err(read_dir)?.path();
        let is_yaml = path.extension().is_some_and(|e| e == "yaml" || e == "yml");
        if is_yaml && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    let mut set = RuleSet::default();
    let mut errors = Vec::new();
    for file in &files {
        match std::fs::read_to_string(file) {
            Ok(text) => match load_str(file, &text) {
                Ok(rules) => set.rules.extend(rules),
                Err(mut e) => errors.append(&mut e),
            },
            Err(source) => errors.push(RuleError::Read {
                file: file.clone(),
                source,
            }),
        }
    }
    let mut seen: HashMap<&str, &Rule> = HashMap::new();
    for rule in &set.rules {
        if let Some(first) = seen.insert(&rule.name, rule) {
            errors.push(RuleError::Invalid {
                file: rule.file.clone(),
                line: rule.line,
                rule: rule.name.clone(),
                message: format!(
                    "the name is already used at {}:{}",
                    first.file.display(),
                    first.line
                ),
            });
        }
    }
    set.files = files;
    if errors.is_empty() {
        Ok(set)
    } else {
        Err(errors)
    }
}

/// Parses and checks one file's text; `file` names it in errors.
pub fn load_str(file: &Path, text: &str) -> Result<Vec<Rule>, Vec<RuleError>> {
    let parsed: File = serde_yaml_ng::from_str(text).map_err(|e| {
        let line = e.location().map_or(1, |l| l.line());
        let message = e.to_string();
        // The parser appends its own "at line L column C"; ours leads.
        let message = match message.find(" at line ") {
            Some(at) => message[..at].to_owned(),
            None => message,
        };
        vec![RuleError::Syntax {
            file: file.to_owned(),
            line,
            message,
        }]
    })?;
    let mut rules = Vec::new();
    let mut errors = Vec::new();
    let mut search_from = 0;
    for group in parsed.groups {
        if group.name.trim().is_empty() {
            errors.push(RuleError::Syntax {
                file: file.to_owned(),
                line: 1,
                message: "a group has an empty name".into(),
            });
        }
        for written in group.rules {
            let line = rule_line(text, &written.alert, &mut search_from);
            let name = written.alert.clone();
            match validate::rule(written, &group.name, file, line) {
                Ok(rule) => rules.push(rule),
                Err(message) => errors.push(RuleError::Invalid {
                    file: file.to_owned(),
                    line,
                    rule: name,
                    message,
                }),
            }
        }
    }
    if errors.is_empty() {
        Ok(rules)
    } else {
        Err(errors)
    }
}

/// The 1-based line of `alert: <name>` at or after line `from` (rules are
/// met in file order), so a semantic error points at its rule.
fn rule_line(text: &str, name: &str, from: &mut usize) -> usize {
    for (index, line) in text.lines().enumerate().skip(*from) {
        let line = line.trim_start().trim_start_matches("- ").trim_start();
        if let Some(value) = line.strip_prefix("alert:") {
            let value = value.split(" #").next().unwrap_or("").trim();
            if value.trim_matches(|c| c == '"' || c == '\'') == name {
                *from = index + 1;
                return index + 1;
            }
        }
    }
    *from + 1
}
