//! The request signature Jamscope uses both ways: the outgoing alert
//! webhook signs with it (`notify::webhook`), and `POST /v1/builds`
//! checks it (`ingest::builds`). One implementation, so both sides always
//! agree on the bytes.
//!
//! What is signed, exactly: the bytes of `X-Jamscope-Timestamp` (Unix
//! seconds, ASCII decimal), one `.`, then the raw request body as sent.
//! `X-Jamscope-Signature` is `sha256=` followed by the lowercase hex HMAC of
//! those bytes keyed with the shared secret. A receiver recomputes it over
//! the body it read (before any JSON parsing), compares in constant time,
//! and refuses timestamps too far from its clock (e.g. 5 minutes) so a
//! captured request cannot be replayed later.

use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Jamscope-Signature";
pub const TIMESTAMP_HEADER: &str = "X-Jamscope-Timestamp";

/// `sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`.
pub fn signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        hex(&signed(secret, timestamp, body).finalize().into_bytes())
    )
}

/// True when `header` is the signature of `timestamp` and `body` under
/// `secret`, compared in constant time (`Mac::verify_slice`). The
/// timestamp's age is the receiver's to check.
pub fn verify(secret: &[u8], timestamp: &str, body: &[u8], header: &str) -> bool {
    let Some(expected) = header.strip_prefix("sha256=").and_then(unhex) else {
        return false;
    };
    signed(secret, timestamp, body)
        .verify_slice(&expected)
        .is_ok()
}

fn signed(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = mac(secret);
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

fn mac(secret: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length; this cannot fail.
    match Hmac::<Sha256>::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC accepts any key length"),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 0xf)]));
    }
    out
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_a_known_vector() {
        // Independently computed (Python):
        // hmac.new(b"key", b'1700000000.{"a":1}', hashlib.sha256).hexdigest()
        let header = signature(b"key", "1700000000", br#"{"a":1}"#);
        assert_eq!(
            header,
            "sha256=a438e398bfafc57e4396bb7fc2304422f0f768e965d073ca313cb52e22e6ad03"
        );
        assert!(verify(b"key", "1700000000", br#"{"a":1}"#, &header));
        assert!(!verify(b"other", "1700000000", br#"{"a":1}"#, &header));
        assert!(!verify(b"key", "1700000001", br#"{"a":1}"#, &header));
        assert!(!verify(b"key", "1700000000", br#"{"a":2}"#, &header));
        assert!(!verify(b"key", "1700000000", br#"{"a":1}"#, "sha256=zz"));
        assert!(!verify(b"key", "1700000000", br#"{"a":1}"#, "md5=00"));
        assert!(!verify(b"key", "1700000000", br#"{"a":1}"#, "sha256=abc"));
        assert!(!verify(b"key", "1700000000", br#"{"a":1}"#, ""));
    }

    #[test]
    fn rfc4231_test_case_2() {
        // RFC 4231 4.3: key "Jefe", data "what do ya want for nothing?".
        let mut mac = mac(b"Jefe");
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
