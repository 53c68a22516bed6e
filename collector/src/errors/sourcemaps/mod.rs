//! Source maps: uploaded per (app, release, bundle URL) into the store,
//! parsed on first use and kept within a memory bound (`cache.rs`), and
//! what resolves a browser frame through them (`parsed.rs`, with the
//! `sourcemap` crate); `symbolicator.rs` puts these together for one
//! error, `fetch.rs` follows a bundle's `sourceMappingURL` where allowed,
//! `upload.rs` finds a build's maps for `jamscope sourcemaps upload`.

mod cache;
mod config;
mod fetch;
mod parsed;
mod symbolicator;
pub mod upload;

pub use config::SourceMapsConfig;
pub use fetch::Fetcher;
pub use parsed::{MapError, ParsedMap};
pub use symbolicator::{any_host, bundle_url, MapStore, Symbolicator};
