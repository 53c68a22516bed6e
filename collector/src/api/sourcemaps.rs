//! Source maps of a build, behind the API key: `POST /api/sourcemaps`
//! stores one map (or, with `part=bundle`, the bundle it maps) under
//! `app`, `release` and the bundle's `url`, after checking it parses;
//! `GET` lists what is stored; `DELETE` removes a release's maps (or one
//! bundle's). An upload also deletes the maps of the app's releases past
//! `sourcemaps.keep_releases`, oldest first.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::errors::{writes, ErrorWrites};
use super::params::Params;
use super::{ApiError, ApiState};
use crate::clock::now_millis;
use crate::errors::sourcemaps::ParsedMap;
use crate::model::error::{MapPart, StoredMapPart};
use crate::store::queries::Queries;
use crate::store::rows::SourceMapTable;
use crate::store::writer::insert_now;

/// `POST /api/sourcemaps?app=shop&release=1.4.2&url=https://…/app.js[&part=bundle]`,
/// the file as the body.
pub async fn upload(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let writes = writes(&state)?;
    let too_large = || {
        ApiError::TooLarge(format!(
            "the file is larger than sourcemaps.max_map_mb ({} bytes)",
            writes.max_map_bytes
        ))
    };
    // Past the route's body limit, axum stops reading: said the same way.
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => too_large(),
        _ => ApiError::BadParameter(rejection.body_text()),
    })?;
    let params = Params::new(query, &["app", "release", "url", "part"])?;
    let (app, release) = (required(&params, "app")?, required(&params, "release")?);
    let url = bundle_url(&required(&params, "url")?)?;
    let part = match params.text("part")? {
        None => MapPart::Map,
        Some(text) => MapPart::parse(&text).ok_or_else(|| {
            ApiError::BadParameter("parameter 'part' must be map or bundle".into())
        })?,
    };
    if body.len() > writes.max_map_bytes {
        return Err(too_large());
    }
    let content = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadParameter("the file is not UTF-8 text".into()))?;
    if part == MapPart::Map {
        ParsedMap::parse(content.as_bytes(), String::new())
            .map_err(|e| ApiError::BadParameter(format!("this is not a usable source map: {e}")))?;
    }
    let stored = StoredMapPart {
        app,
        release,
        bundle_url: url,
        part,
        content,
        uploaded_at_millis: now_millis(),
        deleted: false,
    };
    insert_now::<SourceMapTable>(&writes.target, std::slice::from_ref(&stored)).await?;
    let pruned = prune(&state.queries, writes, &stored.app).await?;
    forget(writes, &stored.app, &stored.release);
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "app": stored.app, "release": stored.release, "url": stored.bundle_url,
            "part": part.as_str(), "bytes": stored.content.len(), "releases_deleted": pruned,
        })),
    ))
}

/// `GET /api/sourcemaps[?app=shop]`
pub async fn list(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let params = Params::new(query, &["app"])?;
    let app = params.text("app")?.unwrap_or_default();
    let parts = state.queries.source_map_parts(&app).await?;
    Ok(Json(json!({ "sourcemaps": parts })))
}

/// `DELETE /api/sourcemaps?app=shop&release=1.4.2[&url=…]`
pub async fn delete(
    State(state): State<ApiState>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let writes = writes(&state)?;
    let params = Params::new(query, &["app", "release", "url"])?;
    let (app, release) = (required(&params, "app")?, required(&params, "release")?);
    let only = params.text("url")?;
    let stored = state.queries.source_map_releases(&app).await?;
    let urls: Vec<String> = stored
        .into_iter()
        .filter(|r| r.release == release)
        .flat_map(|r| r.bundle_urls)
        .filter(|url| only.as_ref().is_none_or(|only| only == url))
        .collect();
    if urls.is_empty() {
        return Err(ApiError::NotFound(format!(
            "no source maps are stored for release {release} of {app}"
        )));
    }
    delete_parts(writes, &app, &release, &urls).await?;
    forget(writes, &app, &release);
    Ok(Json(
        json!({ "app": app, "release": release, "deleted": urls }),
    ))
}

/// Deletes the maps of `app`'s releases past the newest `keep_releases`;
/// how many releases went.
async fn prune(queries: &Queries, writes: &ErrorWrites, app: &str) -> Result<usize, ApiError> {
    let keep = writes.keep_releases as usize;
    if keep == 0 {
        return Ok(0);
    }
    let releases = queries.source_map_releases(app).await?;
    let old = releases.get(keep..).unwrap_or_default();
    for release in old {
        delete_parts(writes, app, &release.release, &release.bundle_urls).await?;
        forget(writes, app, &release.release);
    }
    Ok(old.len())
}

/// A deletion row for every part of each bundle.
async fn delete_parts(
    writes: &ErrorWrites,
    app: &str,
    release: &str,
    urls: &[String],
) -> Result<(), ApiError> {
    let now = now_millis();
    let rows: Vec<StoredMapPart> = urls
        .iter()
        .flat_map(|url| {
            [MapPart::Map, MapPart::Bundle].map(|part| StoredMapPart {
                app: app.to_owned(),
                release: release.to_owned(),
                bundle_url: url.clone(),
                part,
                content: String::new(),
                uploaded_at_millis: now,
                deleted: true,
            })
        })
        .collect();
    insert_now::<SourceMapTable>(&writes.target, &rows).await?;
    Ok(())
}

fn forget(writes: &ErrorWrites, app: &str, release: &str) {
    if let Some(symbolicator) = &writes.symbolicator {
        symbolicator.forget(app, release);
    }
}

fn required(params: &Params, name: &str) -> Result<String, ApiError> {
    params
        .text(name)?
        .ok_or_else(|| ApiError::BadParameter(format!("parameter '{name}' is required")))
}

/// A bundle URL: `http(s)://…` or `~/path` (any host), without query.
fn bundle_url(url: &str) -> Result<String, ApiError> {
    let plain = crate::errors::sourcemaps::bundle_url(url);
    let fits =
        plain.starts_with("https://") || plain.starts_with("http://") || plain.starts_with("~/");
    if !fits {
        return Err(ApiError::BadParameter(
            "parameter 'url' must be the bundle's http(s) URL, or ~/path for any host".into(),
        ));
    }
    Ok(plain.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundle_urls_are_absolute_or_for_any_host() {
        assert_eq!(
            bundle_url("https://shop.test/app.js?v=2").unwrap(),
            "https://shop.test/app.js"
        );
        assert_eq!(bundle_url("~/assets/app.js").unwrap(), "~/assets/app.js");
        assert!(bundle_url("app.js").is_err());
        assert!(bundle_url("file:///app.js").is_err());
    }
}
