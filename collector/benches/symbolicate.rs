//! What a browser error costs on its way to the store, outside any I/O:
//!
//! - `errors/without_maps`: the error as received (its fingerprint on the
//!   frames as sent) encoded into its `rum_errors` row: the cost before
//!   source maps existed, and of a release without maps.
//! - `errors/symbolicated_warm`: the same, symbolicated through a map the
//!   cache holds: three page frames, each an original position, source
//!   context and function name found in the bundle.
//! - `errors/symbolicated_cold`: the map parsed again for every error (the
//!   first error of a release, or one whose map was evicted).
//!
//! The map is shaped like a production bundle's: one minified line of
//! about 330 KB holding 5 000 functions, about 80 000 mappings, the
//! original source (about 450 KB) in `sourcesContent`. Throughput is in
//! errors; errors per CPU-second = 1 / time. Then, printed: the memory the
//! cache holds under its bound with maps of 40 releases pushed through
//! it (its own estimate and the process's resident growth).
//!
//! `cargo bench -p jamscope --features test-support --bench symbolicate`

use std::future::Future;
use std::hint::black_box;
use std::pin::Pin;
use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use jamscope::errors::sourcemaps::{MapStore, Symbolicator};
use jamscope::model::rum::{PageContext, RumError, RumRecord, StackFrame};
use jamscope::store::queries::StoredSourceMap;
use jamscope::store::rows::{RumErrorTable, Table};
use sourcemap::SourceMapBuilder;

const FUNCTIONS: usize = 5_000;
const URL: &str = "https://shop.test/assets/app.js";

/// A bundle of `FUNCTIONS` minified functions on one line, its map, and
/// where each function's `throw` is (1-based column), so making an error
/// costs the benchmark nothing.
fn build() -> (String, String, Vec<u32>) {
    let mut bundle = String::new();
    let mut source = String::new();
    let mut map = SourceMapBuilder::new(Some("app.js"));
    let src = map.add_source("src/orders.ts");
    let mut throw_columns = Vec::with_capacity(FUNCTIONS);
    for i in 0..FUNCTIONS as u32 {
        let name = format!("orderTotal{i}");
        let minified = format!("f{i}");
        let line = i * 4;
        source.push_str(&format!(
            "function {name}(order: Order) {{\n  if (order.total > 100) throw new Error(\"order \" + order.id);\n  return order.total + order.tax;\n}}\n"
        ));
        let col = bundle.len() as u32;
        throw_columns.push(col + 9 + minified.len() as u32 + 16 + 1);
        bundle.push_str(&format!(
            "function {minified}(e){{if(e.total>100)throw new Error(\"order \"+e.id);return e.total+e.tax}}"
        ));
        // A mapping about every four characters, as minifiers write them.
        let mut at = |dst: u32, src_line: u32, src_col: u32, name: Option<&str>| {
            let name = name.map(|name| map.add_name(name));
            map.add_raw(0, col + dst, src_line, src_col, Some(src), name, false);
        };
        at(0, line, 0, None);
        at(9, line, 9, Some(&name));
        for (dst, src_col) in [(11, 19), (14, 2), (17, 6), (19, 12), (25, 18), (29, 25)] {
            at(
                dst + minified.len() as u32,
                line + 1,
                src_col,
                Some("order"),
            );
        }
        for (dst, src_col) in [(33, 25), (39, 31), (43, 35), (47, 41), (55, 50), (58, 56)] {
            at(dst + minified.len() as u32, line + 1, src_col, None);
        }
        for (dst, src_col) in [(62, 2), (69, 9), (71, 15), (77, 23), (79, 29)] {
            at(dst + minified.len() as u32, line + 2, src_col, None);
        }
    }
    map.set_source_contents(src, Some(&source));
    let mut json = Vec::new();
    map.into_sourcemap().to_writer(&mut json).expect("a map");
    bundle.push_str("\n//# sourceMappingURL=app.js.map\n");
    (
        bundle,
        String::from_utf8(json).expect("UTF-8"),
        throw_columns,
    )
}

/// The one map, under every release.
struct OneMap(StoredSourceMap);

impl MapStore for OneMap {
    fn load<'a>(
        &'a self,
        _app: &'a str,
        _release: &'a str,
        _urls: &'a [String],
    ) -> Pin<Box<dyn Future<Output = Result<Option<StoredSourceMap>, String>> + Send + 'a>> {
        Box::pin(async move { Ok(Some(self.0.clone())) })
    }
}

/// An error thrown in function `i`, called from the two functions after it.
fn error(i: usize, throw_columns: &[u32]) -> RumError {
    let frame = |k: usize| StackFrame {
        file: format!("{URL}?v=3"),
        function: format!("f{k}"),
        line: 1,
        column: throw_columns[k],
    };
    RumError::new(
        format!("order {i} exceeds the limit"),
        "Error".into(),
        vec![frame(i), frame(i + 1), frame(i + 2)],
        1_795_400_000_000,
    )
}

fn record(event: RumError) -> RumRecord<RumError> {
    let mut context = PageContext::default();
    context.page.app = "shop".into();
    context.page.release = "1.0".into();
    RumRecord {
        context: Arc::new(context),
        event,
    }
}

fn errors(c: &mut Criterion) {
    let (bundle, map, throw_columns) = build();
    println!(
        "map: {} bytes, bundle: {} bytes, {FUNCTIONS} functions",
        map.len(),
        bundle.len()
    );
    let store = Arc::new(OneMap(StoredSourceMap {
        bundle_url: URL.into(),
        map,
        bundle,
        deleted: false,
    }));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let symbolicator = Symbolicator::new(store.clone(), 256 << 20, None);
    let mut group = c.benchmark_group("errors");
    group.throughput(Throughput::Elements(1));
    let mut i = 0;
    let mut next = || {
        i = (i + 7) % (FUNCTIONS - 3);
        i
    };
    let mut buf = Vec::with_capacity(4096);
    group.bench_function("without_maps", |b| {
        b.iter(|| {
            buf.clear();
            RumErrorTable::encode(&record(error(next(), &throw_columns)), &mut buf);
            black_box(&buf);
        })
    });
    let check = runtime.block_on(async {
        let mut one = error(10, &throw_columns);
        symbolicator.symbolicate("shop", "1.0", &mut one).await;
        one
    });
    assert_eq!(check.symbolication, "symbolicated");
    assert_eq!(check.frames[0].function, "orderTotal10");
    assert_eq!(check.frames[0].line, 42);
    group.bench_function("symbolicated_warm", |b| {
        b.iter(|| {
            let mut event = error(next(), &throw_columns);
            runtime.block_on(symbolicator.symbolicate("shop", "1.0", &mut event));
            buf.clear();
            RumErrorTable::encode(&record(event), &mut buf);
            black_box(&buf);
        })
    });
    group.sample_size(10);
    group.bench_function("symbolicated_cold", |b| {
        b.iter(|| {
            symbolicator.forget("shop", "1.0");
            let mut event = error(next(), &throw_columns);
            runtime.block_on(symbolicator.symbolicate("shop", "1.0", &mut event));
            buf.clear();
            RumErrorTable::encode(&record(event), &mut buf);
            black_box(&buf);
        })
    });
    group.finish();
    cache_memory(&runtime, store, &throw_columns);
}

/// Maps of 40 releases through a cache bounded at 64 MiB: what it holds.
fn cache_memory(runtime: &tokio::runtime::Runtime, store: Arc<OneMap>, throw_columns: &[u32]) {
    const BOUND: usize = 64 << 20;
    let symbolicator = Symbolicator::new(store, BOUND, None);
    let before = resident_bytes();
    runtime.block_on(async {
        for release in 0..40 {
            let mut event = error(release, throw_columns);
            symbolicator
                .symbolicate("shop", &release.to_string(), &mut event)
                .await;
        }
    });
    let (held, entries) = symbolicator.cache_size();
    let after = resident_bytes();
    println!(
        "cache: bound {} MiB, {entries} maps kept of 40, {:.1} MiB held (estimate), resident growth {:.1} MiB",
        BOUND >> 20,
        held as f64 / 1048576.0,
        after.saturating_sub(before) as f64 / 1048576.0
    );
}

/// The process's resident set, from /proc (0 elsewhere).
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|text| text.split_whitespace().nth(1)?.parse::<usize>().ok())
        .map_or(0, |pages| pages * 4096)
}

criterion_group!(benches, errors);
criterion_main!(benches);
