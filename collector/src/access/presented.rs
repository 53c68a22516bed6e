//! Where a request carries a key: `Authorization: Bearer <key>`, an
//! `x-api-key` header, the web UI's sign-in cookie, or (for what browsers
//! send with `sendBeacon`, which cannot set headers) `?key=` in the URL.

use axum::http::{header, HeaderMap, HeaderValue, Uri};

/// The header an API key may come in besides `Authorization: Bearer`.
pub const API_KEY_HEADER: &str = "x-api-key";

/// The cookie the web UI's sign-in form sets: the API key, read like an
/// `x-api-key` header (HttpOnly, SameSite=Strict), so a browser's pages
/// and its same-origin `fetch` calls to `/api` present it.
pub const KEY_COOKIE: &str = "jamscope_key";

/// The key a request presents: the token of `Authorization: Bearer`
/// (the scheme in any case), else `x-api-key`.
pub fn presented_key<'a>(
    authorization: Option<&'a [u8]>,
    api_key: Option<&'a [u8]>,
) -> Option<&'a [u8]> {
    let bearer = authorization.and_then(|value| {
        let (scheme, token) = value.split_at_checked(7)?;
        scheme
            .eq_ignore_ascii_case(b"bearer ")
            .then(|| token.trim_ascii())
    });
    bearer.or(api_key.map(<[u8]>::trim_ascii))
}

/// The key a service's request presents in its headers: bearer token,
/// else `x-api-key`, else the sign-in cookie.
pub fn from_headers(headers: &HeaderMap) -> Option<Vec<u8>> {
    let header = |name: &str| headers.get(name).map(HeaderValue::as_bytes);
    presented_key(
        header(header::AUTHORIZATION.as_str()),
        header(API_KEY_HEADER),
    )
    .map(<[u8]>::to_vec)
    .or_else(|| from_cookie(headers))
}

/// The key a browser's request presents: `?key=` (what `sendBeacon` can
/// send), else `x-api-key` (what an SDK's exporter sets).
pub fn from_url_or_header(uri: &Uri, headers: &HeaderMap) -> Option<Vec<u8>> {
    let from_query = uri.query().and_then(|query| {
        url::form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| name == "key")
            .map(|(_, value)| value.into_owned().into_bytes())
    });
    from_query.or_else(|| {
        headers
            .get(API_KEY_HEADER)
            .map(|value| value.as_bytes().trim_ascii().to_vec())
    })
}

/// The key in the sign-in cookie, percent-decoded.
pub fn from_cookie(headers: &HeaderMap) -> Option<Vec<u8>> {
    let cookies = headers.get(header::COOKIE)?.to_str().ok()?;
    let value = cookies
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == KEY_COOKIE)
        .map(|(_, value)| value)?;
    let decoded: String = url::form_urlencoded::parse(format!("k={value}").as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())?;
    (!decoded.is_empty()).then(|| decoded.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_taken_from_bearer_or_x_api_key() {
        assert_eq!(presented_key(Some(b"Bearer abc"), None), Some(&b"abc"[..]));
        assert_eq!(
            presented_key(Some(b"bearer  abc "), None),
            Some(&b"abc"[..])
        );
        assert_eq!(
            presented_key(Some(b"Basic abc"), Some(b"k")),
            Some(&b"k"[..])
        );
        assert_eq!(presented_key(None, Some(b"k")), Some(&b"k"[..]));
        assert_eq!(presented_key(Some(b"Bear"), None), None);
        assert_eq!(presented_key(None, None), None);
    }
}
