//! What `jamscope sourcemaps upload DIR` sends: every `*.map` under a
//! build's output directory, with the bundle it maps (named by the map's
//! `file`, else its own name without `.map`), each under the URL the
//! browser loads the bundle from: the `--url-prefix` and the bundle's
//! path below DIR. And the client that sends them (and lists and deletes
//! maps) through a collector's `/api/sourcemaps`, with an API key.

use std::path::{Path, PathBuf};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use url::Url;

use super::fetch::{http_client, HttpClient};

/// One bundle's map (and the bundle itself, when it is there) to upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildMap {
    pub bundle_url: String,
    pub map: PathBuf,
    pub bundle: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("no *.map file under {0}")]
    NoMaps(PathBuf),
    #[error("{0}")]
    Request(String),
    /// The collector answered with an error status.
    #[error("{status}: {message}")]
    Refused { status: u16, message: String },
}

/// A collector's `/api/sourcemaps`, called with an API key.
pub struct Collector {
    base: Url,
    api_key: Option<String>,
    client: HttpClient,
}

impl Collector {
    pub fn new(base_url: &str, api_key: Option<String>) -> Result<Self, UploadError> {
        let base = Url::parse(base_url)
            .map_err(|e| UploadError::Request(format!("collector URL {base_url}: {e}")))?;
        let client = http_client(Duration::from_secs(10))
            .ok_or_else(|| UploadError::Request("TLS could not be set up".into()))?;
        Ok(Self {
            base,
            api_key,
            client,
        })
    }

    /// Uploads one map and, when it is there, its bundle.
    pub async fn upload(
        &self,
        app: &str,
        release: &str,
        map: &BuildMap,
    ) -> Result<serde_json::Value, UploadError> {
        let mut query = vec![("app", app), ("release", release), ("url", &map.bundle_url)];
        let answer = self.send("POST", &query, read(&map.map)?).await?;
        if let Some(bundle) = &map.bundle {
            query.push(("part", "bundle"));
            self.send("POST", &query, read(bundle)?).await?;
        }
        Ok(answer)
    }

    pub async fn list(&self, app: &str) -> Result<serde_json::Value, UploadError> {
        self.send("GET", &[("app", app)], Vec::new()).await
    }

    pub async fn delete(
        &self,
        app: &str,
        release: &str,
        url: Option<&str>,
    ) -> Result<serde_json::Value, UploadError> {
        let mut query = vec![("app", app), ("release", release)];
        query.extend(url.map(|url| ("url", url)));
        self.send("DELETE", &query, Vec::new()).await
    }

    async fn send(
        &self,
        method: &str,
        query: &[(&str, &str)],
        body: Vec<u8>,
    ) -> Result<serde_json::Value, UploadError> {
        let mut url = self
            .base
            .join("api/sourcemaps")
            .map_err(|e| UploadError::Request(e.to_string()))?;
        url.query_pairs_mut().extend_pairs(query);
        let mut request = http::Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(http::header::CONTENT_TYPE, "application/octet-stream");
        if let Some(key) = &self.api_key {
            request = request.header(http::header::AUTHORIZATION, format!("Bearer {key}"));
        }
        let request = request
            .body(Full::new(Bytes::from(body)))
            .map_err(|e| UploadError::Request(e.to_string()))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| UploadError::Request(format!("{method} {url}: {e}")))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| UploadError::Request(format!("reading the answer: {e}")))?
            .to_bytes();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        if !status.is_success() {
            let message = answer["error"].as_str().map_or_else(
                || String::from_utf8_lossy(&body).into_owned(),
                str::to_owned,
            );
            return Err(UploadError::Refused {
                status: status.as_u16(),
                message,
            });
        }
        Ok(answer)
    }
}

fn read(path: &Path) -> Result<Vec<u8>, UploadError> {
    std::fs::read(path).map_err(|source| UploadError::Read {
        path: path.to_owned(),
        source,
    })
}

/// Every map under `dir`, in path order.
pub fn find_maps(dir: &Path, url_prefix: &str) -> Result<Vec<BuildMap>, UploadError> {
    let mut maps = Vec::new();
    for path in files_under(dir)? {
        if path.extension().is_none_or(|ext| ext != "map") {
            continue;
        }
        let text = std::fs::read(&path).map_err(|source| UploadError::Read {
            path: path.clone(),
            source,
        })?;
        let bundle = bundle_of(&path, &text);
        let relative = bundle.strip_prefix(dir).unwrap_or(&bundle);
        let relative: Vec<String> = relative
            .components()
            .map(|part| part.as_os_str().to_string_lossy().into_owned())
            .collect();
        maps.push(BuildMap {
            bundle_url: format!(
                "{}/{}",
                url_prefix.trim_end_matches('/'),
                relative.join("/")
            ),
            bundle: bundle.is_file().then_some(bundle),
            map: path,
        });
    }
    if maps.is_empty() {
        return Err(UploadError::NoMaps(dir.to_owned()));
    }
    Ok(maps)
}

/// The bundle a map belongs to: its `file`, beside the map; else the
/// map's own path without `.map`.
fn bundle_of(map: &Path, text: &[u8]) -> PathBuf {
    #[derive(serde::Deserialize)]
    struct Head {
        file: Option<String>,
    }
    let named = serde_json::from_slice::<Head>(text)
        .ok()
        .and_then(|head| head.file)
        .filter(|file| !file.is_empty() && !file.contains(".."));
    match (named, map.parent()) {
        (Some(file), Some(dir)) => dir.join(file),
        _ => map.with_extension(""),
    }
}

fn files_under(dir: &Path) -> Result<Vec<PathBuf>, UploadError> {
    let read = |path: &Path| {
        std::fs::read_dir(path).map_err(|source| UploadError::Read {
            path: path.to_owned(),
            source,
        })
    };
    let mut files = Vec::new();
    let mut pending = vec![dir.to_owned()];
    while let Some(next) = pending.pop() {
        for entry in read(&next)?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_are_found_with_their_bundles_and_urls() {
        let dir = tempfile::tempdir().unwrap();
        let assets = dir.path().join("assets");
        std::fs::create_dir_all(&assets).unwrap();
        std::fs::write(assets.join("app.js"), "x").unwrap();
        std::fs::write(
            assets.join("app.js.map"),
            r#"{"version":3,"file":"app.js"}"#,
        )
        .unwrap();
        std::fs::write(assets.join("chunk.js.map"), "{}").unwrap();
        std::fs::write(dir.path().join("index.html"), "<html>").unwrap();
        let maps = find_maps(dir.path(), "https://shop.test/").unwrap();
        assert_eq!(maps.len(), 2);
        assert_eq!(maps[0].bundle_url, "https://shop.test/assets/app.js");
        assert_eq!(
            maps[0].bundle.as_deref(),
            Some(assets.join("app.js").as_path())
        );
        assert_eq!(maps[1].bundle_url, "https://shop.test/assets/chunk.js");
        assert_eq!(maps[1].bundle, None);
        let any_host = find_maps(dir.path(), "~").unwrap();
        assert_eq!(any_host[0].bundle_url, "~/assets/app.js");
    }

    #[test]
    fn a_directory_without_maps_says_so() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            find_maps(dir.path(), "/"),
            Err(UploadError::NoMaps(_))
        ));
        assert!(find_maps(&dir.path().join("nope"), "/").is_err());
    }
}
