//! Reading an HTTP body within the configured limits, and undoing its
//! `Content-Encoding` without letting a small bomb grow past the limit.
//!
//! Every byte held is charged to the process's decoding budget
//! ([`bounds::budget`](crate::ingest::bounds::budget)) as it arrives and as it is
//! inflated, plus what it will be decoded into (`DECODED_PER_BODY_BYTE`);
//! the charge lives in the returned [`ReadBody`], so it is released once
//! the caller has converted and queued the records. Small bodies inflate
//! right here; past [`INLINE_INFLATE_BYTES`] of output, the rest is
//! inflated on a blocking thread, so an 8 MiB body does not stall the
//! async threads other requests run on.

use std::io::Read;
use std::ops::Deref;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use bytes::{Buf, Bytes};
use flate2::read::{MultiGzDecoder, ZlibDecoder};
use http_body_util::BodyExt;

use crate::ingest::bounds::{BodyTimeout, Charge, DecodeBudget, DECODED_PER_BODY_BYTE};
use crate::ingest::IngestError;

/// How large a body may be, as sent and once inflated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyLimits {
    pub max_body_bytes: usize,
    pub max_decompressed_bytes: usize,
}

impl BodyLimits {
    /// The same bound as sent and inflated: a small compressed body may
    /// not grow past what an uncompressed one may be.
    pub fn both(max_bytes: usize) -> Self {
        Self {
            max_body_bytes: max_bytes,
            max_decompressed_bytes: max_bytes,
        }
    }
}

/// Output inflated on the request's own thread before the rest moves to a
/// blocking thread: a few hundred microseconds of work at most.
const INLINE_INFLATE_BYTES: usize = 256 << 10;
/// Inflated per step, charged to the budget step by step.
const INFLATE_STEP: u64 = 64 << 10;

/// A body as read and decompressed, holding its share of the decoding
/// budget until dropped. Reads as the bytes it holds.
#[derive(Debug)]
pub struct ReadBody {
    bytes: Bytes,
    _charge: Charge,
}

impl ReadBody {
    /// No bytes (an empty request OTLP answers with success).
    pub fn empty() -> Self {
        Self {
            bytes: Bytes::new(),
            _charge: DecodeBudget::charge(),
        }
    }
}

impl Deref for ReadBody {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

/// Reads the whole body (chunked or not) and decompresses it.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limits: &BodyLimits,
) -> Result<ReadBody, IngestError> {
    let encoding = headers.get(header::CONTENT_ENCODING).map(|v| {
        v.to_str()
            .unwrap_or("<not text>")
            .trim()
            .to_ascii_lowercase()
    });
    let codec = match encoding.as_deref() {
        None | Some("") | Some("identity") => None,
        Some("gzip") | Some("x-gzip") => Some(Codec::Gzip),
        Some("deflate") => Some(Codec::Deflate),
        Some(other) => {
            return Err(IngestError::UnsupportedMediaType(format!(
                "Content-Encoding '{other}' is not supported (use gzip, deflate or none)"
            )))
        }
    };
    let mut charge = DecodeBudget::charge();
    let raw = read_raw(body, limits.max_body_bytes, &mut charge).await?;
    let decoded = match codec {
        None => raw,
        Some(codec) => inflate(raw, codec, limits.max_decompressed_bytes, &mut charge).await?,
    };
    if decoded.is_empty() {
        return Err(IngestError::EmptyBody);
    }
    // What these bytes decode into, charged before it is built.
    charge
        .grow(decoded.len().saturating_mul(DECODED_PER_BODY_BYTE))
        .await?;
    Ok(ReadBody {
        bytes: decoded,
        _charge: charge,
    })
}

/// The body as sent, charged chunk by chunk as it arrives.
async fn read_raw(mut body: Body, max: usize, charge: &mut Charge) -> Result<Bytes, IngestError> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(body_error)?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total = total.saturating_add(data.len());
        if total > max {
            return Err(IngestError::PayloadTooLarge(format!(
                "request body exceeds {max} bytes"
            )));
        }
        charge.grow(data.len()).await?;
        chunks.push(data);
    }
    // Most bodies arrive as one chunk: no copy then.
    Ok(match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.swap_remove(0),
        _ => {
            let mut joined = Vec::with_capacity(total);
            for chunk in &chunks {
                joined.extend_from_slice(chunk);
            }
            joined.into()
        }
    })
}

/// A body that stopped arriving: too slowly (408, the client may send it
/// again) or broken off.
fn body_error(error: axum::Error) -> IngestError {
    // The deadline's error arrives wrapped once per body adapter.
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(current) = cause {
        if let Some(timeout) = current.downcast_ref::<BodyTimeout>() {
            return IngestError::Timeout(timeout.to_string());
        }
        cause = current.source();
    }
    IngestError::BadRequest(format!("could not read the request body: {error}"))
}

#[derive(Debug, Clone, Copy)]
enum Codec {
    Gzip,
    Deflate,
}

impl Codec {
    fn name(self) -> &'static str {
        match self {
            Codec::Gzip => "gzip",
            Codec::Deflate => "deflate",
        }
    }
}

/// A decompression in progress: the decoder owns its input, so it can
/// move to a blocking thread halfway.
struct Inflater {
    reader: Box<dyn Read + Send>,
    out: Vec<u8>,
    codec: Codec,
    max: usize,
}

/// Whether a step ended the stream.
enum Step {
    Done,
    More(usize),
}

impl Inflater {
    fn new(raw: Bytes, codec: Codec, max: usize) -> Self {
        let input = raw.reader();
        let reader: Box<dyn Read + Send> = match codec {
            Codec::Gzip => Box::new(MultiGzDecoder::new(input)),
            Codec::Deflate => Box::new(ZlibDecoder::new(input)),
        };
        Self {
            reader,
            out: Vec::new(),
            codec,
            max,
        }
    }

    /// Inflates up to one step more; the bytes it produced are returned
    /// for the caller to charge.
    fn step(&mut self) -> Result<Step, IngestError> {
        let name = self.codec.name();
        let read = (&mut self.reader)
            .take(INFLATE_STEP)
            .read_to_end(&mut self.out)
            .map_err(|e| IngestError::BadRequest(format!("invalid {name} body: {e}")))?;
        if self.out.len() > self.max {
            return Err(IngestError::PayloadTooLarge(format!(
                "{name} body decompresses to more than {} bytes",
                self.max
            )));
        }
        Ok(if read == 0 {
            Step::Done
        } else {
            Step::More(read)
        })
    }
}

/// Inflates `raw`: here while the output is small and the budget has room
/// at once, then on a blocking thread (waiting there for budget if need be).
async fn inflate(
    raw: Bytes,
    codec: Codec,
    max: usize,
    charge: &mut Charge,
) -> Result<Bytes, IngestError> {
    let mut inflater = Inflater::new(raw, codec, max);
    let mut owed = 0usize;
    while inflater.out.len() < INLINE_INFLATE_BYTES {
        match inflater.step()? {
            Step::Done => return Ok(inflater.out.into()),
            Step::More(read) if charge.try_grow(read) => {}
            Step::More(read) => {
                // No room right now: the blocking thread waits for it.
                owed = read;
                break;
            }
        }
    }
    let runtime = tokio::runtime::Handle::current();
    let mut moved = std::mem::replace(charge, DecodeBudget::charge());
    let finished = tokio::task::spawn_blocking(move || {
        // A blocking thread may wait on the runtime; an async one may not.
        let result = runtime.block_on(moved.grow(owed)).and_then(|()| loop {
            match inflater.step()? {
                Step::Done => break Ok(inflater.out),
                Step::More(read) => runtime.block_on(moved.grow(read))?,
            }
        });
        (result, moved)
    })
    .await;
    match finished {
        Ok((result, moved)) => {
            *charge = moved;
            result.map(Bytes::from)
        }
        // The thread panicked (a decoder bug) or the runtime is stopping.
        Err(error) => Err(IngestError::Unavailable(format!(
            "decompressing the body failed: {error}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn limits(max_body: usize, max_decompressed: usize) -> BodyLimits {
        BodyLimits {
            max_body_bytes: max_body,
            max_decompressed_bytes: max_decompressed,
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
    async fn large_bodies_inflate_off_the_async_thread_and_chunks_are_joined() {
        let data: Vec<u8> = (0..2_000_000u32).map(|i| (i % 251) as u8).collect();
        let out = read_body(
            &gzip_headers(),
            Body::from(gzip(&data)),
            &limits(4 << 20, 4 << 20),
        )
        .await
        .unwrap();
        assert_eq!(&out[..], &data[..]);
        assert_eq!(
            out._charge.bytes(),
            gzip(&data).len() + (1 + DECODED_PER_BODY_BYTE) * data.len()
        );

        let chunks = futures_util::stream::iter(
            [&b"hel"[..], b"lo"].map(|c| Ok::<_, std::io::Error>(Bytes::from_static(c))),
        );
        let out = read_body(
            &HeaderMap::new(),
            Body::from_stream(chunks),
            &limits(100, 100),
        )
        .await
        .unwrap();
        assert_eq!(&out[..], b"hello");
        let bomb = read_body(
            &gzip_headers(),
            Body::from(gzip(&vec![0u8; 8 << 20])),
            &limits(1 << 20, 4 << 20),
        )
        .await
        .unwrap_err();
        assert!(matches!(bomb, IngestError::PayloadTooLarge(_)), "{bomb}");
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
