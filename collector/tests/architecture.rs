//! ARCHITECTURE.md's dependency table is the truth about which top-level
//! module of `collector/src` may use which: this test reads every
//! `crate::…` (and `super::…` reaching the crate root) in the sources,
//! and fails on an edge the table does not allow, on a cycle between
//! modules, and on a module the table does not list.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

type Graph = BTreeMap<String, BTreeSet<String>>;

const TABLE_HEADING: &str = "## Dependencies between modules";

#[test]
fn module_edges_are_the_ones_architecture_md_allows() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let allowed = allowed_edges(&root.join("../ARCHITECTURE.md"));
    let actual = actual_edges(&root.join("src"));

    let mut problems = Vec::new();
    for module in actual.keys() {
        if !allowed.contains_key(module) {
            problems.push(format!("`{module}` is not in ARCHITECTURE.md's table"));
        }
    }
    for (from, targets) in &actual {
        let allowed_targets = allowed.get(from).cloned().unwrap_or_default();
        for to in targets {
            if !allowed_targets.contains(to) {
                problems.push(format!(
                    "`{from}` uses `{to}`, which the table does not allow"
                ));
            }
        }
    }
    for cycle in cycles(&actual) {
        problems.push(format!("modules in a cycle: {}", cycle.join(" → ")));
    }
    for cycle in cycles(&allowed) {
        problems.push(format!(
            "the table itself allows a cycle: {}",
            cycle.join(" → ")
        ));
    }
    assert!(problems.is_empty(), "\n{}\n", problems.join("\n"));
}

#[test]
fn edges_are_found_through_crate_paths_use_groups_and_super() {
    let file = "use crate::{model::Span, pipeline};\n\
                // crate::ignored in a comment\n\
                use super::super::clock::now_millis;\n\
                #[serde(deserialize_with = \"crate::config_values::string_list\")]\n";
    let found = edges_in(file, &["ingest".into(), "otlp".into(), "handler".into()]);
    let expected: BTreeSet<String> = ["model", "pipeline", "config_values"]
        .into_iter()
        .map(String::from)
        .collect();
    assert_eq!(found, expected);
    assert_eq!(
        edges_in("use super::clock;", &["server".into()]),
        BTreeSet::from(["clock".to_owned()])
    );
    let with_tests = "use super::x;\nmod tests {\n    use super::super::fixtures;\n}\n";
    assert!(edges_in(with_tests, &["notify".into(), "slack".into()]).is_empty());
}

/// The table under [`TABLE_HEADING`]: `| \`module\` | \`a\`, \`b\` |`, `—`
/// for none, `*` for every module.
fn allowed_edges(architecture: &Path) -> Graph {
    let text = fs::read_to_string(architecture).expect("ARCHITECTURE.md");
    let start = text
        .find(TABLE_HEADING)
        .unwrap_or_else(|| panic!("ARCHITECTURE.md has no `{TABLE_HEADING}` section"));
    let mut graph = Graph::new();
    let rows = text[start..]
        .lines()
        .skip(1)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'));
    let mut every = Vec::new();
    for row in rows {
        let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
        let [module, targets, ..] = cells.as_slice() else {
            continue;
        };
        let Some(module) = backticked(module).into_iter().next() else {
            continue; // the header and its rule
        };
        if targets.contains('*') {
            every.push(module.clone());
        }
        graph.insert(module, backticked(targets).into_iter().collect());
    }
    let all: BTreeSet<String> = graph.keys().cloned().collect();
    for module in every {
        let others = all.iter().filter(|m| **m != module).cloned().collect();
        graph.insert(module, others);
    }
    graph
}

fn backticked(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

/// Every top-level module of `src` (but `lib.rs` and `main.rs`, the crate
/// itself) and the modules its files use.
fn actual_edges(src: &Path) -> Graph {
    let mut graph = Graph::new();
    for file in rust_files(src) {
        let relative = file.strip_prefix(src).expect("under src");
        let module = module_path(relative);
        let Some(top) = module.first() else {
            continue;
        };
        if top == "main" {
            continue;
        }
        let text = fs::read_to_string(&file).expect("source");
        let mut targets = edges_in(&text, &module);
        targets.remove(top);
        graph.entry(top.clone()).or_default().extend(targets);
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in fs::read_dir(dir).expect("read dir").flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// `a/b/c.rs` → `[a, b, c]`; `a/b/mod.rs` → `[a, b]`; `lib.rs` → `[]`.
fn module_path(relative: &Path) -> Vec<String> {
    let mut parts: Vec<String> = relative
        .iter()
        .map(|part| part.to_string_lossy().trim_end_matches(".rs").to_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|last| last == "mod" || last == "lib")
    {
        parts.pop();
    }
    parts
}

/// The top-level modules a file's code names, comments left out. An
/// inline module (`mod tests {`, which comes last in a file) puts the rest
/// of the file one level deeper for `super`.
fn edges_in(text: &str, module: &[String]) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut module = module.to_vec();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        if let Some(name) = inline_module(code) {
            module.push(name);
            continue;
        }
        for (at, _) in code.match_indices("crate::") {
            found.extend(first_segments(&code[at + "crate::".len()..]));
        }
        for (at, _) in code.match_indices("super::") {
            // Only the first `super` of a chain starts one.
            if code[..at].ends_with("super::") {
                continue;
            }
            let mut rest = &code[at..];
            let mut depth = module.len();
            while let Some(after) = rest.strip_prefix("super::") {
                rest = after;
                depth = depth.saturating_sub(1);
            }
            if depth == 0 {
                found.extend(first_segments(rest));
            }
        }
    }
    found
}

/// `mod tests {` (or `pub mod x {`) → `tests`.
fn inline_module(code: &str) -> Option<String> {
    let code = code.trim();
    let rest = code
        .strip_prefix("pub(crate) ")
        .or_else(|| code.strip_prefix("pub(super) "))
        .or_else(|| code.strip_prefix("pub "))
        .unwrap_or(code);
    let name = rest.strip_prefix("mod ")?.strip_suffix('{')?.trim();
    (!name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_'))
        .then(|| name.to_owned())
}

/// `model::Span` → `[model]`; `{model::Span, pipeline}` → `[model, pipeline]`.
fn first_segments(rest: &str) -> Vec<String> {
    let ident = |s: &str| {
        s.chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
    };
    match rest.strip_prefix('{') {
        Some(group) => {
            let mut depth = 0;
            let mut names = Vec::new();
            let mut start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if start && !c.is_whitespace() => {
                        names.push(ident(&group[i..]));
                        start = false;
                    }
                    _ => {}
                }
            }
            names.into_iter().filter(|n| !n.is_empty()).collect()
        }
        None => {
            let name = ident(rest);
            if name.is_empty() {
                Vec::new()
            } else {
                vec![name]
            }
        }
    }
}

/// Every cycle's modules (strongly connected components of more than one).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Tarjan<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Tarjan<'g> {
        fn visit(&mut self, node: &'g str) {
            let next = self.index.len();
            self.index.insert(node, next);
            self.low.insert(node, next);
            self.stack.push(node);
            for to in self.graph.get(node).into_iter().flatten() {
                let to = to.as_str();
                if !self.index.contains_key(to) {
                    self.visit(to);
                    let low = self.low[node].min(self.low[to]);
                    self.low.insert(node, low);
                } else if self.stack.contains(&to) {
                    let low = self.low[node].min(self.index[to]);
                    self.low.insert(node, low);
                }
            }
            if self.low[node] == self.index[node] {
                let mut component = Vec::new();
                while let Some(member) = self.stack.pop() {
                    component.push(member.to_owned());
                    if member == node {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut tarjan = Tarjan {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for node in graph.keys() {
        if !tarjan.index.contains_key(node.as_str()) {
            tarjan.visit(node);
        }
    }
    tarjan.found
}
