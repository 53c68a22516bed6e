//! Error fingerprints: one stable id for every occurrence of the same error,
//! across page views, browsers, hosts and deploys, so errors can be counted
//! per kind and a never-seen kind can raise an alert.
//!
//! The hash covers the error type, the message with its variable parts
//! replaced by placeholders, and the top in-app frame's file path and
//! function. Line and column are left out: they move with every deploy
//! although the code is the same. Browser errors are hashed on their
//! symbolicated frames when the release has source maps (the original
//! file and function survive a minifier's renames), on the frames as sent
//! otherwise; backend errors also hash their service (the scope), so one
//! library raising in two services makes two groups.

use std::fmt;
use std::hash::Hasher as _;

use twox_hash::XxHash64;

use super::super::rum::StackFrame;
use super::Frame;

/// A 64-bit XXH64 (seed 0) hash, shown as 16 lowercase hex digits. XXH64 is
/// fixed by its specification, so fingerprints stay the same across
/// releases and machines (std's hasher is seeded per process).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint(pub u64);

impl Fingerprint {
    /// A browser error's, from the frames it was sent with.
    pub fn of(error_type: &str, message: &str, stack: &[StackFrame]) -> Self {
        let top = top_app_frame(stack).map(|f| (f.file.as_str(), f.function.as_str()));
        Self::hash("", error_type, message, top)
    }

    /// An error's from resolved frames (symbolicated, or parsed from a
    /// backend's stack trace), whose `in_app` says which are the app's own.
    /// `scope` is "" for browser errors (so a stack without source maps
    /// hashes as [`Fingerprint::of`] does) and the service for the others.
    pub fn of_frames(scope: &str, error_type: &str, message: &str, frames: &[Frame]) -> Self {
        let top = frames
            .iter()
            .find(|frame| frame.in_app)
            .map(|f| (f.file.as_str(), f.function.as_str()));
        Self::hash(scope, error_type, message, top)
    }

    fn hash(scope: &str, error_type: &str, message: &str, top: Option<(&str, &str)>) -> Self {
        let mut hasher = XxHash64::with_seed(0);
        let mut field = |text: &str| {
            hasher.write(text.as_bytes());
            // A separator no input text contains, so ("ab", "c") and
            // ("a", "bc") hash differently.
            hasher.write_u8(0xff);
        };
        // Browser fingerprints stored before scopes existed stay the same.
        if !scope.is_empty() {
            field(scope);
        }
        field(error_type);
        field(&normalize_message(error_type, message));
        match top {
            Some((file, function)) => {
                field(&normalize_file(file));
                field(normalize_function(function));
            }
            None => field(""),
        }
        Fingerprint(hasher.finish())
    }

    /// The 16 hex digits back into a fingerprint.
    pub fn parse(text: &str) -> Option<Self> {
        (text.len() == 16)
            .then(|| u64::from_str_radix(text, 16).ok())
            .flatten()
            .map(Fingerprint)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// The innermost frame of the page's own code: frames without a file, of
/// browser extensions or of native code say nothing about the app.
fn top_app_frame(stack: &[StackFrame]) -> Option<&StackFrame> {
    stack.iter().find(|frame| is_page_code(&frame.file))
}

/// Whether a browser frame's file is the page's own code (as sent, before
/// symbolication): not an extension's, not native, not anonymous.
pub fn is_page_code(file: &str) -> bool {
    const FOREIGN: &[&str] = &[
        "chrome-extension:",
        "moz-extension:",
        "safari-extension:",
        "safari-web-extension:",
        "webkit-masked-url:",
        "<anonymous>",
        "native",
        "[native code]",
    ];
    !file.is_empty() && !FOREIGN.iter().any(|prefix| file.starts_with(prefix))
}

/// The message with numbers, hex ids, quoted strings and URLs replaced, and
/// without the prefixes browsers add to the same error in some paths
/// (`Uncaught `, `TypeError: `).
fn normalize_message(error_type: &str, message: &str) -> String {
    let mut text = message.trim();
    text = text.strip_prefix("Uncaught ").unwrap_or(text);
    if let Some(rest) = text
        .strip_prefix(error_type)
        .and_then(|r| r.strip_prefix(": "))
    {
        text = rest;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let after_word = i > 0 && chars[i - 1].is_alphanumeric();
        if let Some(end) = url_end(&chars, i).filter(|_| !after_word) {
            out.push_str("{url}");
            i = end;
        } else if let Some(end) = quoted_end(&chars, i).filter(|_| !after_word) {
            out.push_str("{str}");
            i = end;
        } else if is_word_char(c) {
            let end = word_end(&chars, i);
            let word: String = chars[i..end].iter().collect();
            out.push_str(classify_word(&word).unwrap_or(&word));
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

fn is_word_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// A word is a run of letters, digits and `_`, with inner `-` kept so that
/// a UUID is one word.
fn word_end(chars: &[char], start: usize) -> usize {
    let mut end = start;
    while end < chars.len() {
        let inner_dash = chars[end] == '-'
            && end > start
            && chars.get(end + 1).is_some_and(|&c| is_word_char(c));
        if !is_word_char(chars[end]) && !inner_dash {
            break;
        }
        end += 1;
    }
    end
}

/// The placeholder for a word that varies between occurrences, if it does.
fn classify_word(word: &str) -> Option<&'static str> {
    let bytes = word.as_bytes();
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    if bytes.iter().all(u8::is_ascii_digit) {
        return Some("{n}");
    }
    let hex_body = word.strip_prefix("0x").or_else(|| word.strip_prefix("0X"));
    if hex_body.is_some_and(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Some("{hex}");
    }
    // Hashes, UUIDs and similar ids: long, hex, with at least one digit.
    if word.len() >= 8 && has_digit && bytes.iter().all(|b| b.is_ascii_hexdigit() || *b == b'-') {
        return Some("{hex}");
    }
    // Random ids in other alphabets (base62, base64url).
    if word.len() >= 12 && has_digit && bytes.iter().any(u8::is_ascii_alphabetic) {
        return Some("{id}");
    }
    None
}

/// `scheme://...` up to whitespace or a closing delimiter.
fn url_end(chars: &[char], start: usize) -> Option<usize> {
    if !chars[start].is_ascii_alphabetic() {
        return None;
    }
    let mut i = start;
    while i < chars.len()
        && (chars[i].is_ascii_alphanumeric() || matches!(chars[i], '+' | '.' | '-'))
    {
        i += 1;
    }
    if chars.get(i..i + 3) != Some(&[':', '/', '/'][..]) {
        return None;
    }
    i += 3;
    while i < chars.len()
        && !chars[i].is_whitespace()
        && !matches!(chars[i], '"' | '\'' | '`' | ')' | '<' | '>')
    {
        i += 1;
    }
    Some(i)
}

/// A string between matching quotes on the same line.
fn quoted_end(chars: &[char], start: usize) -> Option<usize> {
    let quote = chars[start];
    if !matches!(quote, '\'' | '"' | '`') {
        return None;
    }
    let close = chars[start + 1..]
        .iter()
        .take_while(|&&c| c != '\n')
        .position(|&c| c == quote)?;
    Some(start + 1 + close + 1)
}

/// The file's path alone: no scheme, host, query or fragment (a CDN and the
/// origin serve the same code), with build hashes in names replaced (each
/// deploy renames `app.3f9a2c1b.js`).
pub(crate) fn normalize_file(file: &str) -> String {
    let without_host = match file.find("://") {
        Some(scheme_end) => {
            let rest = &file[scheme_end + 3..];
            rest.find('/').map_or("/", |slash| &rest[slash..])
        }
        None => file,
    };
    let path = without_host
        .split(['?', '#'])
        .next()
        .unwrap_or(without_host);
    let mut out = String::with_capacity(path.len());
    let mut token = String::new();
    for c in path.chars().chain(std::iter::once('/')) {
        if matches!(c, '/' | '.' | '-') {
            out.push_str(if looks_like_build_hash(&token) {
                "{hash}"
            } else {
                &token
            });
            token.clear();
            out.push(c);
        } else {
            token.push(c);
        }
    }
    out.pop(); // the '/' chained above
    out
}

fn looks_like_build_hash(token: &str) -> bool {
    token.len() >= 8 && token.bytes().any(|b| b.is_ascii_digit())
}

/// The function's own name, as Chrome, Firefox and Safari would all show
/// it: without `new `/`async `, a receiver (`Object.`, `HTMLButtonElement.`)
/// or Firefox's nesting suffix (`render/<`); anonymous code is "".
fn normalize_function(function: &str) -> &str {
    let mut name = function.trim();
    for prefix in ["new ", "async "] {
        name = name.strip_prefix(prefix).unwrap_or(name);
    }
    name = name.split('/').next().unwrap_or(name);
    name = name.rsplit('.').next().unwrap_or(name);
    match name {
        "<anonymous>" | "global code" | "anonymous" => "",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(file: &str, function: &str, line: u32, column: u32) -> StackFrame {
        StackFrame {
            file: file.into(),
            function: function.into(),
            line,
            column,
        }
    }

    #[test]
    fn messages_lose_their_variable_parts() {
        let cases = [
            (
                "Cannot read properties of undefined (reading 'x')",
                "Cannot read properties of undefined (reading {str})",
            ),
            (
                "Request 42 failed after 3.5 s",
                "Request {n} failed after {n}.{n} s",
            ),
            (
                "Loading chunk 7 failed.\n(error: https://x.test/chunk.7.js?v=2)",
                "Loading chunk {n} failed.\n(error: {url})",
            ),
            (
                "order 550e8400-e29b-41d4-a716-446655440000 not found",
                "order {hex} not found",
            ),
            ("bad pointer 0xdeadBEEF", "bad pointer {hex}"),
            ("token aB3dE5fG7hJ9kL1m expired", "token {id} expired"),
            (
                "Uncaught TypeError: x is not a function",
                "x is not a function",
            ),
            (
                "can't access property \"x\", obj is undefined",
                "can't access property {str}, obj is undefined",
            ),
            (
                "needs-improvement and item2 stay",
                "needs-improvement and item2 stay",
            ),
            ("temperature -5", "temperature -{n}"),
        ];
        for (message, expected) in cases {
            assert_eq!(
                normalize_message("TypeError", message),
                expected,
                "{message}"
            );
        }
    }

    #[test]
    fn files_keep_only_their_path_without_build_hashes() {
        assert_eq!(
            normalize_file("https://cdn.x.test/assets/app.3f9a2c1b.js?v=2#l"),
            "/assets/app.{hash}.js"
        );
        assert_eq!(
            normalize_file("https://x.test/_next/static/chunks/main-a1b2c3d4e5f6.js"),
            "/_next/static/chunks/main-{hash}.js"
        );
        assert_eq!(normalize_file("https://x.test"), "/");
        assert_eq!(normalize_file("/app.js"), "/app.js");
        assert_eq!(normalize_file("https://x.test/products/7"), "/products/7");
    }

    #[test]
    fn function_names_read_the_same_in_every_browser() {
        assert_eq!(normalize_function("HTMLButtonElement.onclick"), "onclick");
        assert_eq!(normalize_function("onclick"), "onclick");
        assert_eq!(normalize_function("new Widget"), "Widget");
        assert_eq!(normalize_function("render/<"), "render");
        assert_eq!(normalize_function("HTMLButtonElement.<anonymous>"), "");
        assert_eq!(normalize_function("global code"), "");
    }

    #[test]
    fn the_same_error_from_two_page_views_and_browsers_has_one_fingerprint() {
        // Chrome, served by the CDN, in one deploy.
        let chrome = Fingerprint::of(
            "TypeError",
            "Cannot read properties of undefined (reading 'price')",
            &[
                frame(
                    "https://cdn.shop.test/assets/app.3f9a2c1b.js?v=1",
                    "HTMLButtonElement.onClick",
                    10,
                    5,
                ),
                frame("https://cdn.shop.test/assets/vendor.js", "dispatch", 1, 999),
            ],
        );
        // Firefox, from the origin, after a deploy that moved the code.
        let firefox = Fingerprint::of(
            "TypeError",
            "Uncaught TypeError: Cannot read properties of undefined (reading 'sku')",
            &[
                frame("moz-extension://abc/content.js", "hook", 1, 1),
                frame(
                    "https://shop.test/assets/app.9e8d7c6b.js",
                    "onClick",
                    212,
                    17,
                ),
            ],
        );
        assert_eq!(chrome, firefox);
        assert_eq!(chrome.to_string().len(), 16);
    }

    #[test]
    fn different_errors_have_different_fingerprints() {
        let stack = [frame("https://x.test/app.js", "onClick", 10, 5)];
        let base = Fingerprint::of("TypeError", "x is undefined", &stack);
        assert_ne!(
            base,
            Fingerprint::of("RangeError", "x is undefined", &stack)
        );
        assert_ne!(base, Fingerprint::of("TypeError", "y is undefined", &stack));
        assert_ne!(
            base,
            Fingerprint::of(
                "TypeError",
                "x is undefined",
                &[frame("https://x.test/app.js", "onSubmit", 10, 5)]
            )
        );
        assert_ne!(
            base,
            Fingerprint::of(
                "TypeError",
                "x is undefined",
                &[frame("https://x.test/cart.js", "onClick", 10, 5)]
            )
        );
        assert_ne!(base, Fingerprint::of("TypeError", "x is undefined", &[]));
    }

    #[test]
    fn fingerprints_are_stable_across_releases() {
        // XXH64 is specified, so this value may never change: stored
        // fingerprints and alert state depend on it.
        let fingerprint = Fingerprint::of(
            "Error",
            "boom",
            &[frame("https://x.test/app.js", "main", 1, 1)],
        );
        assert_eq!(
            fingerprint,
            Fingerprint::of("Error", "boom", &[frame("/app.js", "main", 9, 9)])
        );
        assert_eq!(fingerprint.to_string(), "ce02768d07ee3a9c");
    }
}
