//! Every stored string reaches a page through here: spans, beacons and
//! build events come from the internet, so nothing read from ClickHouse is
//! written into HTML, an attribute or a link unescaped.

use std::fmt;

/// Escapes while formatting, for HTML text and quoted attribute values
/// alike: `format!("<td>{}</td>", Esc(&name))`.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(at) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..at])?;
            f.write_str(match rest.as_bytes()[at] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            })?;
            rest = &rest[at + 1..];
        }
        f.write_str(rest)
    }
}

/// One path segment of a link: unreserved characters kept, every other
/// byte percent-encoded (so `/`, `?`, `#` and quotes cannot leave it).
pub fn path_segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// A value in a query string (`application/x-www-form-urlencoded`).
pub fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escape(text: &str) -> String {
        Esc(text).to_string()
    }

    #[test]
    fn markup_and_quotes_become_entities() {
        assert_eq!(
            escape(r#"<script>alert("x" & 'y')</script>"#),
            "&lt;script&gt;alert(&quot;x&quot; &amp; &#39;y&#39;)&lt;/script&gt;"
        );
        assert_eq!(escape("plain café"), "plain café");
        assert_eq!(escape(""), "");
    }

    #[test]
    fn links_cannot_be_broken_out_of() {
        assert_eq!(path_segment("p-1.a_b~c"), "p-1.a_b~c");
        assert_eq!(path_segment("a/../b?c#\"d"), "a%2F..%2Fb%3Fc%23%22d");
        assert_eq!(path_segment("é"), "%C3%A9");
        assert_eq!(query_value("a b&c=d"), "a+b%26c%3Dd");
    }
}
