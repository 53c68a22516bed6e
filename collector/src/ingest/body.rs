//! Reading an HTTP body within the configured limits, and undoing its
//! `Content-Encoding` without letting a small bomb grow past the limit.

use std::io::Read;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::Bytes;
use flate2::read::{MultiGzDecoder, ZlibDecoder};

use super::IngestError;
use crate::config::IngestConfig;

/// Reads the whole body (chunked or not) and decompresses it.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: &IngestConfig,
) -> Result<Bytes, IngestError> {
    let raw = axum::body::to_bytes(body, limits.max_body_bytes)
        .await
        .map_err(|error| {
            if is_length_limit(&error) {
                IngestError::PayloadTooLarge(format!(
                    "request body exceeds {} bytes",
                    limits.max_body_bytes
                ))
            } else {
                IngestError::BadRequest(format!("could not read the request body: {error}"))
            }
        })?;
    let encoding = headers.get(header::CONTENT_ENCODING).map(|v| {
        v.to_str()
            .unwrap_or("<not text>")
            .trim()
            .to_ascii_lowercase()
    });
    let decoded = match encoding.as_deref() {
        None | Some("") | Some("identity") => raw,
        Some("gzip") | Some("x-gzip") => inflate(MultiGzDecoder::new(&raw[..]), "gzip", limits)?,
        Some("deflate") => inflate(ZlibDecoder::new(&raw[..]), "deflate", limits)?,
        Some(other) => {
            return Err(IngestError::UnsupportedMediaType(format!(
                "Content-Encoding '{other}' is not supported (use gzip, deflate or none)"
            )))
        }
    };
    if decoded.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    Ok(decoded)
}

fn inflate(reader: impl Read, name: &str, limits: &IngestConfig) -> Result<Bytes, IngestError> {
    let max = limits.max_decompressed_bytes;
    let mut out = Vec::new();
    reader
        .take(max as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| IngestError::BadRequest(format!("invalid {name} body: {e}")))?;
    if out.len() > max {
        return Err(IngestError::PayloadTooLarge(format!(
            "{name} body decompresses to more than {max} bytes"
        )));
    }
    Ok(out.into())
}

fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn limits(max_body: usize, max_decompressed: usize) -> IngestConfig {
        IngestConfig {
            max_body_bytes: max_body,
            max_decompressed_bytes: max_decompressed,
            ..IngestConfig::default()
        }
    }

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(data).unwrap();
        encoder.finish().unwrap()
    }

    fn gzip_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_ENCODING, "gzip".parse().unwrap());
        headers
    }

    #[tokio::test]
    async fn gzip_bodies_are_inflated() {
        let body = Body::from(gzip(b"hello"));
        let out = read_body(&gzip_headers(), body, &limits(100, 100))
            .await
            .unwrap();
        assert_eq!(&out[..], b"hello");
    }

    #[tokio::test]
    async fn a_gzip_bomb_stops_at_the_limit() {
        let body = Body::from(gzip(&vec![0u8; 1 << 20]));
        let error = read_body(&gzip_headers(), body, &limits(1 << 20, 4096))
            .await
            .unwrap_err();
        assert!(matches!(error, IngestError::PayloadTooLarge(_)), "{error}");
    }

    #[tokio::test]
    async fn oversized_and_broken_bodies_are_refused() {
        let too_big = read_body(
            &HeaderMap::new(),
            Body::from(vec![1u8; 11]),
            &limits(10, 10),
        )
        .await;
        assert!(matches!(too_big, Err(IngestError::PayloadTooLarge(_))));
        let broken = read_body(&gzip_headers(), Body::from("not gzip"), &limits(100, 100)).await;
        assert!(matches!(broken, Err(IngestError::BadRequest(m)) if m.contains("invalid gzip")));
        let empty = read_body(&HeaderMap::new(), Body::empty(), &limits(100, 100)).await;
        assert!(matches!(empty, Err(IngestError::EmptyBody)));
    }
}
