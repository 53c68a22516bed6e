//! Stored source maps: the parts of one bundle's map (the newest row of
//! each part wins, a deletion included), and the list of what is stored.
//! Maps are read as RowBinary, not JSON: tens of MiB of map text would
//! otherwise be escaped and unescaped once more.

use serde::{Deserialize, Serialize};

use super::{fetch_json, Queries, QueryError};
use crate::model::error::MapPart;

/// A bundle's map and bundle as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredSourceMap {
    pub bundle_url: String,
    /// The map's JSON.
    pub map: String,
    /// The minified bundle; empty when it was not uploaded.
    pub bundle: String,
    /// The map was deleted.
    pub deleted: bool,
}

/// One stored part, as `sourcemaps list` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPart {
    pub app: String,
    pub release: String,
    pub bundle_url: String,
    pub part: String,
    pub bytes: u64,
    pub uploaded_at_ms: i64,
}

/// A release with stored maps, newest upload first.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StoredRelease {
    pub release: String,
    pub bundle_urls: Vec<String>,
}

impl Queries {
    /// The map of the first of `urls` that has one stored for `app` and
    /// `release` (a deleted map counts: it says the map is gone).
    pub async fn source_map(
        &self,
        app: &str,
        release: &str,
        urls: &[String],
    ) -> Result<Option<StoredSourceMap>, QueryError> {
        const WHAT: &str = "reading a source map";
        let bytes = self
            .query(
                "SELECT BundleUrl, Part, Content, Deleted FROM sourcemaps FINAL \
                 WHERE App = {app:String} AND Release = {release:String} \
                   AND BundleUrl IN {urls:Array(String)} \
                 FORMAT RowBinary",
            )
            .param("app", app)
            .param("release", release)
            .param("urls", urls)
            .fetch_bytes("RowBinary")
            .map_err(|source| QueryError::ClickHouse { what: WHAT, source })?
            .collect()
            .await
            .map_err(|source| QueryError::ClickHouse { what: WHAT, source })?;
        let rows = read_rows(&bytes).ok_or_else(|| QueryError::Decode {
            what: WHAT,
            message: "a row of sourcemaps is cut short".into(),
        })?;
        let Some(url) = urls
            .iter()
            .find(|url| rows.iter().any(|row| &row.url == *url))
        else {
            return Ok(None);
        };
        let part = |wanted: MapPart| {
            rows.iter()
                .find(|row| &row.url == url && row.part == wanted.as_str())
        };
        let Some(map) = part(MapPart::Map) else {
            return Ok(None);
        };
        Ok(Some(StoredSourceMap {
            bundle_url: url.clone(),
            map: map.content.clone(),
            bundle: part(MapPart::Bundle)
                .filter(|bundle| !bundle.deleted)
                .map(|bundle| bundle.content.clone())
                .unwrap_or_default(),
            deleted: map.deleted,
        }))
    }

    /// Every part stored for `app` (every app when empty), newest first.
    pub async fn source_map_parts(&self, app: &str) -> Result<Vec<StoredPart>, QueryError> {
        fetch_json(
            self.query(
                "SELECT toString(App) AS app, toString(Release) AS release, \
                        BundleUrl AS bundle_url, toString(Part) AS part, Bytes AS bytes, \
                        toUnixTimestamp64Milli(UploadedAt) AS uploaded_at_ms \
                 FROM sourcemaps FINAL \
                 WHERE Deleted = 0 AND ({app:String} = '' OR App = {app:String}) \
                 ORDER BY uploaded_at_ms DESC, app, release, bundle_url, part \
                 LIMIT 10000",
            )
            .param("app", app),
            "listing source maps",
        )
        .await
    }

    /// `app`'s releases with maps, newest upload first, with their bundles.
    pub async fn source_map_releases(&self, app: &str) -> Result<Vec<StoredRelease>, QueryError> {
        fetch_json(
            self.query(
                "SELECT toString(Release) AS release, \
                        arraySort(groupUniqArray(BundleUrl)) AS bundle_urls \
                 FROM sourcemaps FINAL WHERE App = {app:String} AND Deleted = 0 \
                 GROUP BY Release ORDER BY max(UploadedAt) DESC, release",
            )
            .param("app", app),
            "listing releases with source maps",
        )
        .await
    }
}

/// One row of `BundleUrl, Part, Content, Deleted`.
struct PartRow {
    url: String,
    part: String,
    content: String,
    deleted: bool,
}

/// RowBinary rows of two strings, a string, a UInt8; `None` if cut short.
fn read_rows(mut bytes: &[u8]) -> Option<Vec<PartRow>> {
    let mut rows = Vec::new();
    while !bytes.is_empty() {
        let url = read_string(&mut bytes)?;
        let part = read_string(&mut bytes)?;
        let content = read_string(&mut bytes)?;
        let (&deleted, rest) = bytes.split_first()?;
        bytes = rest;
        rows.push(PartRow {
            url,
            part,
            content,
            deleted: deleted != 0,
        });
    }
    Some(rows)
}

fn read_string(bytes: &mut &[u8]) -> Option<String> {
    let mut length: u64 = 0;
    let mut shift = 0;
    loop {
        let (&byte, rest) = bytes.split_first()?;
        *bytes = rest;
        length |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            break;
        }
        shift += 7;
        if shift > 63 {
            return None;
        }
    }
    let length = usize::try_from(length).ok()?;
    let text = bytes.get(..length)?;
    *bytes = &bytes[length..];
    Some(String::from_utf8_lossy(text).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::rowbinary::{put_str, put_u8};

    #[test]
    fn rowbinary_rows_read_back_and_a_cut_row_is_refused() {
        let mut bytes = Vec::new();
        for (url, part, content, deleted) in [
            ("a.js", "map", "x".repeat(300), 0),
            ("a.js", "bundle", String::new(), 1),
        ] {
            put_str(&mut bytes, url.as_bytes());
            put_str(&mut bytes, part.as_bytes());
            put_str(&mut bytes, content.as_bytes());
            put_u8(&mut bytes, deleted);
        }
        let rows = read_rows(&bytes).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].content.len(), 300);
        assert!(rows[1].deleted && !rows[0].deleted);
        assert!(read_rows(&bytes[..bytes.len() - 1]).is_none());
    }
}
