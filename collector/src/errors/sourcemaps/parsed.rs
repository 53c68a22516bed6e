//! One parsed source map (with its minified bundle when that was uploaded
//! too) and what it makes of a browser frame: the original file, line,
//! column and function, a few lines of source around it, whether it is the
//! app's own code. Pure: no I/O, no cache.

use sourcemap::{DecodedMap, SourceMap, SourceView, Token};

use crate::model::error::{Frame, SourceContext};
use crate::model::rum::StackFrame;

/// Lines of source shown before and after a frame's line.
const CONTEXT_LINES: u32 = 3;
/// Characters kept of each context line (minified code is one long line).
const CONTEXT_LINE_CHARS: usize = 200;

/// A map ready for lookups, and about how much memory it holds.
pub struct ParsedMap {
    map: SourceMap,
    /// The minified source, which names a frame's original function.
    bundle: Option<Bundle>,
    bytes: usize,
}

/// The minified bundle, and which of its lines are ASCII only: there a
/// token's column (UTF-16 units) is its byte offset, so the identifier at a
/// token is found without walking its line from the start. A minified
/// bundle is often one line of hundreds of KB; `SourceView`'s own function
/// name lookup walks that line for every frame (about 1 ms a frame).
struct Bundle {
    view: SourceView,
    ascii_lines: Vec<bool>,
}

/// How far back from a frame's token the `function` keyword and name are
/// looked for, as `SourceView::get_original_function_name` does.
const NAME_SEARCH_TOKENS: usize = 128;

/// Why a map cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MapError(pub String);

impl ParsedMap {
    /// Parses `map` (a regular or an indexed map, as JSON) and keeps
    /// `bundle` (empty: none) beside it.
    pub fn parse(map: &[u8], bundle: String) -> Result<ParsedMap, MapError> {
        let map = match sourcemap::decode_slice(map) {
            Ok(DecodedMap::Regular(map)) => map,
            Ok(DecodedMap::Index(index)) => index
                .flatten()
                .map_err(|e| MapError(format!("an indexed map that cannot be flattened: {e}")))?,
            Ok(DecodedMap::Hermes(_)) => {
                return Err(MapError(
                    "Hermes (React Native) maps are not supported".into(),
                ))
            }
            Err(error) => return Err(MapError(format!("not a source map: {error}"))),
        };
        if map.get_token_count() == 0 {
            return Err(MapError("the map has no mappings".into()));
        }
        let bundle = (!bundle.is_empty()).then(|| Bundle::new(bundle));
        let bytes = estimated_bytes(&map, bundle.as_ref().map(|bundle| &bundle.view));
        Ok(ParsedMap { map, bundle, bytes })
    }

    /// About how many bytes of memory the parsed map holds: tokens, names,
    /// source names and contents, the bundle, and the line offsets kept
    /// for the texts (what the cache's bound counts).
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// `raw` resolved through the map, or why it cannot be.
    pub fn resolve(&self, raw: &StackFrame) -> Result<Frame, String> {
        let (line, column) = (raw.line.checked_sub(1), raw.column.saturating_sub(1));
        let Some(line) = line else {
            return Err("the frame has no line".into());
        };
        let token = self
            .map
            .lookup_token(line, column)
            .filter(|token| token.get_dst_line() == line)
            .ok_or_else(|| format!("the map has no mapping on line {}", raw.line))?;
        let file = token
            .get_source()
            .ok_or_else(|| format!("the map names no source at {}:{}", raw.line, raw.column))?;
        let original_line = token.get_src_line() + 1;
        let source = token.get_src_id();
        let file = tidy_source(file);
        Ok(Frame {
            in_app: !file.contains("node_modules/") && !self.is_ignored(source),
            file,
            function: self.function_name(token, &raw.function),
            line: original_line,
            column: token.get_src_col() + 1,
            context: self.context(source, original_line),
            note: String::new(),
        })
    }

    /// The original name of the function a frame is in: found from the
    /// minified name through the bundle, when it was uploaded; otherwise
    /// the name the browser gave (minified).
    fn function_name(&self, token: Token<'_>, minified: &str) -> String {
        let minified = minified
            .trim_start_matches("async ")
            .trim_start_matches("new ");
        // `HTMLButtonElement.t`: the receiver is the runtime's, the name is the code's.
        let name = minified.rsplit('.').next().unwrap_or(minified);
        self.bundle
            .as_ref()
            .and_then(|bundle| bundle.original_function_name(&self.map, token, name))
            .unwrap_or(minified)
            .to_owned()
    }

    fn is_ignored(&self, source: u32) -> bool {
        self.map.ignore_list().any(|&ignored| ignored == source)
    }

    fn context(&self, source: u32, line: u32) -> Option<SourceContext> {
        let view = self.map.get_source_view(source)?;
        let first_line = line.saturating_sub(CONTEXT_LINES).max(1);
        let lines: Vec<String> = (first_line..=line + CONTEXT_LINES)
            .map_while(|number| view.get_line(number - 1))
            .map(|text| text.chars().take(CONTEXT_LINE_CHARS).collect())
            .collect();
        (!lines.is_empty()).then_some(SourceContext { first_line, lines })
    }
}

impl Bundle {
    fn new(source: String) -> Bundle {
        let view = SourceView::from_string(source);
        // Lines as the view splits them (it knows `\r`, `\n` and `\r\n`).
        let lines = u32::try_from(view.line_count()).unwrap_or(u32::MAX);
        let ascii_lines = (0..lines)
            .map(|line| view.get_line(line).is_some_and(str::is_ascii))
            .collect();
        Bundle { view, ascii_lines }
    }

    /// The name the map gives the function `token` is in, found as
    /// `SourceView::get_original_function_name` finds it: among the
    /// `NAME_SEARCH_TOKENS` tokens up to `token`, the nearest whose
    /// identifier is `minified` right after a token reading `function`.
    /// On ASCII lines without walking the line; elsewhere by the crate.
    fn original_function_name<'map>(
        &self,
        map: &'map SourceMap,
        token: Token<'map>,
        minified: &str,
    ) -> Option<&'map str> {
        let last = token_index(map, token)?;
        let first = last.saturating_sub(NAME_SEARCH_TOKENS - 1);
        let tokens: Vec<Token<'map>> = (first..=last).filter_map(|i| map.get_token(i)).collect();
        if !tokens.iter().all(|t| self.is_ascii_line(t.get_dst_line())) {
            return self.view.get_original_function_name(token, minified);
        }
        if identifier_at(minified) != Some(minified) {
            return None;
        }
        let identifiers: Vec<Option<&str>> = tokens.iter().map(|t| self.identifier_of(t)).collect();
        // Newest first: a token named `minified`, the token before it `function`.
        (1..tokens.len())
            .rev()
            .find(|&i| identifiers[i] == Some(minified) && identifiers[i - 1] == Some("function"))
            .and_then(|i| tokens[i].get_name())
    }

    fn is_ascii_line(&self, line: u32) -> bool {
        self.ascii_lines
            .get(line as usize)
            .copied()
            .unwrap_or(false)
    }

    /// The identifier at `token` in the bundle (on an ASCII line).
    fn identifier_of(&self, token: &Token<'_>) -> Option<&str> {
        let line = self.view.get_line(token.get_dst_line())?;
        identifier_at(line.get(token.get_dst_col() as usize..)?)
    }
}

/// The index of `token` among the map's tokens (sorted by their place in
/// the bundle): the last one at its place, as `lookup_token` finds it.
fn token_index(map: &SourceMap, token: Token<'_>) -> Option<usize> {
    let place = (token.get_dst_line(), token.get_dst_col());
    let (mut low, mut high) = (0, map.get_token_count() as usize);
    while low < high {
        let middle = low + (high - low) / 2;
        let at = map.get_token(middle)?;
        if (at.get_dst_line(), at.get_dst_col()) <= place {
            low = middle + 1;
        } else {
            high = middle;
        }
    }
    low.checked_sub(1)
}

/// The ASCII JavaScript identifier `text` starts with, after whitespace.
fn identifier_at(text: &str) -> Option<&str> {
    let text = text.trim_start();
    let is_part = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$';
    let end = text.bytes().position(|b| !is_part(b)).unwrap_or(text.len());
    let starts_well = text.bytes().next().is_some_and(|b| !b.is_ascii_digit());
    (end > 0 && starts_well).then(|| &text[..end])
}

/// A map's source as people know the file: without the bundler's scheme
/// (`webpack://app/`) and the `./`, `../` leading up from the map's place.
fn tidy_source(source: &str) -> String {
    let mut path = match source.find("://") {
        Some(at) => {
            let rest = &source[at + 3..];
            // `webpack://app/src/x.ts` and `webpack:///./src/x.ts` alike.
            rest.split_once('/').map_or(rest, |(_, path)| path)
        }
        None => source,
    };
    loop {
        let stripped = path
            .strip_prefix("./")
            .or_else(|| path.strip_prefix("../"))
            .or_else(|| path.strip_prefix('/'));
        match stripped {
            Some(rest) => path = rest,
            None => return path.to_owned(),
        }
    }
}

fn estimated_bytes(map: &SourceMap, bundle: Option<&SourceView>) -> usize {
    // A token is six u32 and a flag; each name or source an Arc<str>.
    const TOKEN_BYTES: usize = 28;
    const ARC_BYTES: usize = 32;
    let texts = |items: &mut dyn Iterator<Item = &str>| -> usize {
        items.map(|text| text.len() + ARC_BYTES).sum()
    };
    let names = texts(&mut map.names());
    let sources = texts(&mut map.sources());
    let contents: usize = (0..map.get_source_count())
        .filter_map(|index| map.get_source_contents(index))
        .chain(bundle.map(SourceView::source))
        .map(|text| text.len() + text.bytes().filter(|&b| b == b'\n').count() * 8)
        .sum();
    map.get_token_count() as usize * TOKEN_BYTES + names + sources + contents + 256
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// `src/cart.ts` as esbuild 0.28 bundles and minifies it (`--minify
    /// --sourcemap --format=iife`): `checkTotal` became `r`, `submitOrder`
    /// `n`. The end-to-end tests upload the same files.
    pub(crate) const BUNDLE: &str = include_str!("fixtures/app.js");
    pub(crate) const MAP: &str = include_str!("fixtures/app.js.map");

    fn raw(function: &str, column: u32) -> StackFrame {
        StackFrame {
            file: "https://shop.test/assets/app.js".into(),
            function: function.into(),
            line: 1,
            column,
        }
    }

    #[test]
    fn frames_resolve_to_the_original_file_line_function_and_context() {
        let map = ParsedMap::parse(MAP.as_bytes(), BUNDLE.into()).unwrap();
        // Column 21 of the bundle is `throw`, inside `r`.
        let frame = map.resolve(&raw("r", 21)).unwrap();
        assert_eq!(frame.file, "src/cart.ts");
        assert_eq!((frame.line, frame.function.as_str()), (3, "checkTotal"));
        assert!(frame.in_app);
        let context = frame.context.unwrap();
        assert_eq!(context.first_line, 1);
        assert_eq!(context.lines[2], "  throw new Error(\"x\" + total);");
        assert_eq!(context.lines.len(), 6);
        // Column 57 is the call `r(1)` inside `n`.
        let caller = map.resolve(&raw("HTMLButtonElement.n", 57)).unwrap();
        assert_eq!((caller.line, caller.function.as_str()), (7, "submitOrder"));
    }

    /// A bundle of 300 functions on one ASCII line, then a line with a
    /// non-ASCII string (where columns are not byte offsets), and its map.
    fn generated_bundle() -> (String, SourceMap) {
        let mut bundle = String::new();
        let mut builder = sourcemap::SourceMapBuilder::new(Some("app.js"));
        let src = builder.add_source("src/a.ts");
        for i in 0..300u32 {
            let col = u32::try_from(bundle.len()).expect("small");
            let minified = format!("f{i}");
            bundle.push_str(&format!("function {minified}(e){{return e.x+{i}}}"));
            let name = builder.add_name(&format!("original{i}"));
            let body = col + 9 + u32::try_from(minified.len()).expect("small") + 4;
            builder.add_raw(0, col, i, 0, Some(src), None, false);
            builder.add_raw(0, col + 9, i, 9, Some(src), Some(name), false);
            builder.add_raw(0, body, i, 20, Some(src), None, false);
        }
        bundle.push_str("\nconst s=\"€\";function g(e){return e}");
        let name = builder.add_name("originalG");
        for (col, src_col, name) in [
            (0, 0, None),
            (12, 2, None),
            (21, 11, Some(name)),
            (23, 15, None),
        ] {
            builder.add_raw(1, col, 300, src_col, Some(src), name, false);
        }
        (bundle, builder.into_sourcemap())
    }

    #[test]
    fn function_names_are_found_as_the_crate_finds_them() {
        let (bundle, map) = generated_bundle();
        let parsed = Bundle::new(bundle);
        for index in 0..map.get_token_count() as usize {
            let token = map.get_token(index).expect("a token");
            for name in [
                "f0",
                "f150",
                "f299",
                "g",
                "e",
                "function",
                "€",
                "not_there",
                " f1",
            ] {
                assert_eq!(
                    parsed.original_function_name(&map, token, name),
                    parsed.view.get_original_function_name(token, name),
                    "token {index}, name {name:?}"
                );
            }
        }
        let body_of = |line, col| map.lookup_token(line, col).expect("a token");
        let f150 = parsed
            .view
            .get_line(0)
            .expect("line")
            .find("function f150(")
            .expect("f150");
        let f150 = u32::try_from(f150).expect("small") + 18;
        assert_eq!(
            parsed.original_function_name(&map, body_of(0, f150), "f150"),
            Some("original150")
        );
        assert_eq!(
            parsed.original_function_name(&map, body_of(1, 23), "g"),
            Some("originalG")
        );
    }

    #[test]
    fn without_the_bundle_the_function_stays_as_sent() {
        let map = ParsedMap::parse(MAP.as_bytes(), String::new()).unwrap();
        let frame = map.resolve(&raw("r", 21)).unwrap();
        assert_eq!((frame.file.as_str(), frame.line), ("src/cart.ts", 3));
        assert_eq!(frame.function, "r");
    }

    #[test]
    fn positions_the_map_does_not_cover_say_so() {
        let map = ParsedMap::parse(MAP.as_bytes(), BUNDLE.into()).unwrap();
        let mut far = raw("r", 1);
        far.line = 9;
        assert_eq!(
            map.resolve(&far).unwrap_err(),
            "the map has no mapping on line 9"
        );
        far.line = 0;
        assert_eq!(map.resolve(&far).unwrap_err(), "the frame has no line");
    }

    #[test]
    fn broken_maps_are_refused_with_a_reason() {
        for (text, expected) in [
            ("{not json", "not a source map"),
            (
                r#"{"version":3,"sources":[],"names":[],"mappings":""}"#,
                "no mappings",
            ),
            (
                r#"{"version":3,"sources":["a"],"names":[],"mappings":"!!!"}"#,
                "not a source map",
            ),
        ] {
            let error = ParsedMap::parse(text.as_bytes(), String::new())
                .err()
                .unwrap();
            assert!(error.0.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn sources_lose_bundler_schemes_and_leading_dots() {
        assert_eq!(tidy_source("../src/cart.ts"), "src/cart.ts");
        assert_eq!(tidy_source("webpack://shop/./src/a.tsx"), "src/a.tsx");
        assert_eq!(tidy_source("webpack:///src/a.tsx"), "src/a.tsx");
        assert_eq!(
            tidy_source("../../node_modules/react/index.js"),
            "node_modules/react/index.js"
        );
        assert_eq!(tidy_source("src/b.ts"), "src/b.ts");
    }

    #[test]
    fn the_memory_estimate_counts_contents_and_the_bundle() {
        let with = ParsedMap::parse(MAP.as_bytes(), BUNDLE.into()).unwrap();
        let without = ParsedMap::parse(MAP.as_bytes(), String::new()).unwrap();
        assert!(with.bytes() > without.bytes());
        assert!(without.bytes() > MAP.len() / 2, "{}", without.bytes());
    }
}
