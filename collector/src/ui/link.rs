//! Links between the pages, and stored strings inside them: an id from a
//! span or a beacon becomes one path segment, fragment or query value,
//! percent-encoded so it cannot leave its place in the URL (HTML escaping
//! of the whole link is maud's).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// What a path segment keeps as it is: letters, digits and the unreserved
/// marks of RFC 3986; every other byte is percent-encoded.
const SEGMENT_ENCODED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One path segment of a link: unreserved characters kept, every other
/// byte percent-encoded (so `/`, `?`, `#` and quotes cannot leave it).
pub fn path_segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT_ENCODED).to_string()
}

/// The page of one trace.
pub fn trace_page(trace_id: &str) -> String {
    format!("/ui/traces/{}", path_segment(trace_id))
}

/// The page of one page view.
pub fn page_view_page(page_view_id: &str) -> String {
    format!("/ui/page-views/{}", path_segment(page_view_id))
}

/// The `id` of an error group on the errors page, which
/// [`error_group_link`] jumps to.
pub fn error_group_anchor(fingerprint: &str) -> String {
    format!("fp-{}", path_segment(fingerprint))
}

/// An error group on the errors page.
pub fn error_group_link(fingerprint: &str) -> String {
    format!("/ui/errors#{}", error_group_anchor(fingerprint))
}

/// A value in a query string (`application/x-www-form-urlencoded`).
pub fn query_value(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_cannot_be_broken_out_of() {
        assert_eq!(path_segment("p-1.a_b~c"), "p-1.a_b~c");
        assert_eq!(path_segment("a/../b?c#\"d"), "a%2F..%2Fb%3Fc%23%22d");
        assert_eq!(path_segment("é"), "%C3%A9");
        assert_eq!(query_value("a b&c=d"), "a+b%26c%3Dd");
        assert_eq!(trace_page("a/b"), "/ui/traces/a%2Fb");
        assert_eq!(page_view_page("p\"1"), "/ui/page-views/p%221");
        assert_eq!(error_group_link("#x"), "/ui/errors#fp-%23x");
    }
}
