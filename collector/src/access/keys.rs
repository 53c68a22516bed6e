//! API keys: where a request presents one (`Authorization: Bearer <key>`
//! or `x-api-key: <key>`), and whether it is one of the configured keys.
//!
//! Only SHA-256 digests of the keys are kept, and a presented key is
//! compared with every one of them in constant time (`subtle`), so neither
//! the answer's timing nor a key's length tells anything. Keys come from
//! `auth.api_keys` and `auth.api_keys_file`; [`ApiKeys::reload`] re-reads
//! the file (on SIGHUP), keeping the running keys when the file no longer
//! reads or holds none, so a reload never opens the collector.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;

/// A key's SHA-256.
pub type KeyDigest = [u8; 32];

/// Longest key accepted, in bytes.
const MAX_KEY_BYTES: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} holds no key (one a line; blank lines and # comments are skipped)")]
    Empty { path: PathBuf },
    #[error("{path}, line {line}: {problem}")]
    BadKey {
        path: PathBuf,
        line: usize,
        problem: &'static str,
    },
}

/// What a key is made of: visible ASCII (it travels in a header), no
/// comma (lists of keys are comma-separated in the environment).
pub fn check_key(key: &str) -> Result<(), &'static str> {
    if key.is_empty() {
        return Err("an API key must not be empty");
    }
    if key.len() > MAX_KEY_BYTES {
        return Err("an API key must be at most 512 bytes");
    }
    if !key.bytes().all(|b| b.is_ascii_graphic() && b != b',') {
        return Err("an API key may hold only visible ASCII characters, no comma or space");
    }
    Ok(())
}

/// The keys of a key file, one a line.
pub fn read_file(path: &Path) -> Result<Vec<String>, KeyFileError> {
    let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read {
        path: path.to_owned(),
        source,
    })?;
    let mut keys = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        check_key(line).map_err(|problem| KeyFileError::BadKey {
            path: path.to_owned(),
            line: index + 1,
            problem,
        })?;
        keys.push(line.to_owned());
    }
    if keys.is_empty() {
        return Err(KeyFileError::Empty {
            path: path.to_owned(),
        });
    }
    Ok(keys)
}

fn digest(key: &[u8]) -> KeyDigest {
    Sha256::digest(key).into()
}

/// The outcome of checking a presented key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// No keys are configured: everything is open.
    Open,
    /// One of the keys; its digest names it for the per-key limit.
    Valid(KeyDigest),
    Missing,
    Unknown,
}

/// The configured keys, replaceable at run time.
pub struct ApiKeys {
    inline: Vec<KeyDigest>,
    file: Option<PathBuf>,
    current: RwLock<Arc<Vec<KeyDigest>>>,
    /// Fixed at start: a collector started with keys never opens.
    open: bool,
}

impl ApiKeys {
    /// `inline` keys and those of `file` (read once here, again on
    /// [`reload`](Self::reload)).
    pub fn load(inline: &[String], file: Option<&Path>) -> Result<Self, KeyFileError> {
        let inline: Vec<KeyDigest> = inline.iter().map(|key| digest(key.as_bytes())).collect();
        let mut all = inline.clone();
        if let Some(path) = file {
            all.extend(read_file(path)?.iter().map(|key| digest(key.as_bytes())));
        }
        Ok(Self {
            open: all.is_empty(),
            inline,
            file: file.map(Path::to_owned),
            current: RwLock::new(Arc::new(all)),
        })
    }

    /// No key is configured.
    pub fn is_open(&self) -> bool {
        self.open
    }

    /// Keys come from a file too (which SIGHUP re-reads).
    pub fn has_file(&self) -> bool {
        self.file.is_some()
    }

    /// How many keys are valid now.
    pub fn count(&self) -> usize {
        self.snapshot().len()
    }

    /// Whether `presented` is a valid key, compared with every key in
    /// constant time.
    pub fn check(&self, presented: Option<&[u8]>) -> KeyCheck {
        if self.open {
            return KeyCheck::Open;
        }
        let Some(presented) = presented.filter(|key| !key.is_empty()) else {
            return KeyCheck::Missing;
        };
        let given = digest(presented);
        let mut found = subtle::Choice::from(0);
        for known in self.snapshot().iter() {
            found |= known.ct_eq(&given);
        }
        if bool::from(found) {
            KeyCheck::Valid(given)
        } else {
            KeyCheck::Unknown
        }
    }

    /// Re-reads the key file: the number of keys now valid. On an error
    /// the running keys stay.
    pub fn reload(&self) -> Result<usize, KeyFileError> {
        let Some(path) = &self.file else {
            return Ok(self.count());
        };
        let mut all = self.inline.clone();
        all.extend(read_file(path)?.iter().map(|key| digest(key.as_bytes())));
        let count = all.len();
        if let Ok(mut current) = self.current.write() {
            *current = Arc::new(all);
        }
        Ok(count)
    }

    fn snapshot(&self) -> Arc<Vec<KeyDigest>> {
        match self.current.read() {
            Ok(current) => Arc::clone(&current),
            // A writer cannot panic while holding the lock (it only swaps
            // an Arc); should it anyway, the keys it left are still whole.
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(list: &[&str]) -> ApiKeys {
        let list: Vec<String> = list.iter().map(|k| (*k).to_owned()).collect();
        ApiKeys::load(&list, None).expect("keys")
    }

    #[test]
    fn no_keys_is_open() {
        let keys = keys(&[]);
        assert!(keys.is_open());
        assert_eq!(keys.check(None), KeyCheck::Open);
    }

    #[test]
    fn old_and_new_keys_are_valid_side_by_side() {
        let keys = keys(&["old-key-123", "new-key-456"]);
        assert!(matches!(
            keys.check(Some(b"old-key-123")),
            KeyCheck::Valid(_)
        ));
        assert!(matches!(
            keys.check(Some(b"new-key-456")),
            KeyCheck::Valid(_)
        ));
        assert_eq!(keys.check(Some(b"new-key-45")), KeyCheck::Unknown);
        assert_eq!(keys.check(Some(b"")), KeyCheck::Missing);
        assert_eq!(keys.check(None), KeyCheck::Missing);
    }

    #[test]
    fn the_file_is_read_and_reloaded_and_a_bad_reload_keeps_the_keys() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys");
        std::fs::write(&path, "# rotated monthly\nfile-key-1\n\n").expect("write");
        let keys = ApiKeys::load(&["inline-key".into()], Some(&path)).expect("keys");
        assert_eq!(keys.count(), 2);
        assert!(matches!(
            keys.check(Some(b"file-key-1")),
            KeyCheck::Valid(_)
        ));

        std::fs::write(&path, "file-key-2\n").expect("write");
        assert_eq!(keys.reload().expect("reload"), 2);
        assert_eq!(keys.check(Some(b"file-key-1")), KeyCheck::Unknown);
        assert!(matches!(
            keys.check(Some(b"file-key-2")),
            KeyCheck::Valid(_)
        ));
        assert!(matches!(
            keys.check(Some(b"inline-key")),
            KeyCheck::Valid(_)
        ));

        std::fs::write(&path, "# nothing\n").expect("write");
        assert!(matches!(keys.reload(), Err(KeyFileError::Empty { .. })));
        assert!(matches!(
            keys.check(Some(b"file-key-2")),
            KeyCheck::Valid(_)
        ));
    }

    #[test]
    fn bad_keys_are_refused_without_showing_them() {
        assert!(check_key("has space").is_err());
        assert!(check_key("a,b").is_err());
        assert!(check_key("").is_err());
        assert!(check_key("fine-Key_1.2~").is_ok());
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("keys");
        std::fs::write(&path, "good\nbad key\n").expect("write");
        let error = read_file(&path).unwrap_err().to_string();
        assert!(
            error.contains("line 2") && !error.contains("bad key"),
            "{error}"
        );
    }
}
