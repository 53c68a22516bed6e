//! A request's `Content-Type`, as receivers check it: its media type
//! (`type/subtype`, lowercase, parameters dropped), parsed by `mime`.

use axum::http::{header, HeaderMap};

/// What a request's `Content-Type` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaType {
    /// No header, or an empty one.
    Absent,
    /// `type/subtype`, lowercase.
    Named(String),
    /// A header that is not a media type (or not text): shown as sent, cut
    /// short, in the refusal.
    Unreadable(String),
}

impl MediaType {
    pub fn of(headers: &HeaderMap) -> Self {
        let Some(value) = headers.get(header::CONTENT_TYPE) else {
            return MediaType::Absent;
        };
        let Ok(text) = value.to_str() else {
            return MediaType::Unreadable("<not text>".into());
        };
        if text.trim().is_empty() {
            return MediaType::Absent;
        }
        match text.parse::<mime::Mime>() {
            Ok(parsed) => MediaType::Named(parsed.essence_str().to_ascii_lowercase()),
            Err(_) => MediaType::Unreadable(text.trim().chars().take(100).collect()),
        }
    }

    /// Whether it names `essence` (`type/subtype`, lowercase).
    pub fn is(&self, essence: &str) -> bool {
        matches!(self, MediaType::Named(named) if named == essence)
    }

    /// How a refusal quotes it.
    pub fn shown(&self) -> &str {
        match self {
            MediaType::Absent => "",
            MediaType::Named(text) | MediaType::Unreadable(text) => text,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn of(value: &str) -> MediaType {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(value).unwrap());
        MediaType::of(&headers)
    }

    #[test]
    fn parameters_and_case_do_not_matter() {
        assert!(of("Application/JSON; charset=utf-8").is("application/json"));
        assert!(of("text/plain;charset=UTF-8").is("text/plain"));
        assert_eq!(of(" "), MediaType::Absent);
        assert_eq!(MediaType::of(&HeaderMap::new()), MediaType::Absent);
        assert_eq!(of("nonsense").shown(), "nonsense");
        assert_eq!(
            of("multipart/form-data; boundary=x").shown(),
            "multipart/form-data"
        );
    }
}
