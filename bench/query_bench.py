#!/usr/bin/env python3
"""The query API on a large store: latency of Jamscope's read endpoints at
1M and then 10M spans, and its trace lookup next to the OpenTelemetry
Collector ClickHouse exporter's.

What it does, in one run:
  1. starts a fresh embedded ClickHouse (sidebyside's `ClickHouse`), runs
     `jamscope migrate` against it (database `otel`), and creates the
     exporter's trace-id lookup table and view (`otel_traces_trace_id_ts`,
     `otel_traces_trace_id_ts_mv`) before any data arrives, so both
     indexes are filled by the same inserts;
  2. fills the store with synthetic rows generated inside ClickHouse
     (`INSERT ... SELECT ... FROM numbers()`): traces of 10 spans across
     browser → CDN → gateway → CMS (→ DB) with parent links, per-layer
     services, realistic durations, ~1 % errors, `http.route`,
     `cdn.cache_status`, `db.system`; start times spread over the last 6
     hours. Each batch of ~1M spans is inserted as one INSERT per layer,
     the way separate services export their own spans, so a trace reaches
     the lookup views in four inserts. Plus RUM rows: 200k vitals, 200k
     errors, one page view for every tenth trace (linked by TraceId);
  3. starts `jamscope serve` on that ClickHouse and times, with one
     keep-alive HTTP connection and sequential requests after a warm-up:
     `GET /api/traces/{id}` for random existing ids, the trace search
     (plain and filtered), `/api/layers`, `/api/vitals`;
  4. times the trace lookup straight over ClickHouse's HTTP interface, the
     exporter's way (one query, bounds from `otel_traces_trace_id_ts`)
     against Jamscope's (bounds from `trace_index`, then the span rows: the
     SQL of collector/src/store/queries/trace.rs), same ids, interleaved;
     and reads `system.query_log` for the rows and bytes each query read;
  5. grows the store to the second size and measures again.

Before each size it waits (--wait-idle s at most) for a quiet machine and
records how busy it was; a search or KPI endpoint stops after its 10th
request once --endpoint-budget s are spent on it (n is reported). Writes
--json-out (bench/results/query-api.json in `make bench`) and prints a
Markdown table. Loopback only; every loop is bounded; ClickHouse and the
collector are stopped on exit, failure included.
"""
import argparse
import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from sidebyside import (ClickHouse, free_port, print_and_save, stop_process, system_cpu,  # noqa: E402
                        wait_idle, wait_port)

SPANS_PER_TRACE = 10
WINDOW_NS = 6 * 3600 * 10**9

# One trace: (layer, parent index, span kind) per span index k.
LAYERS = ["browser", "browser", "cdn", "gateway", "gateway", "cms", "cms", "cms", "cms", "cms"]
PARENTS = [-1, 0, 1, 2, 3, 3, 5, 5, 5, 5]
KINDS = ["Internal", "Client", "Server", "Server", "Internal", "Server", "Client", "Client", "Client", "Client"]
ROUTES = ["/", "/products/:id", "/products", "/blog/:slug", "/blog", "/cart", "/checkout",
          "/search", "/about", "/category/:slug", "/account", "/api/preview"]

# Jamscope's two trace queries, as in collector/src/store/queries/trace.rs
# (the bench checks at start that the file still holds them).
JAM_BOUNDS_SQL = (
    "SELECT toUnixTimestamp64Nano(min(Start)) AS start_ns, "
    "toUnixTimestamp64Nano(max(End)) AS end_ns "
    "FROM trace_index WHERE TraceId = {trace_id:String} GROUP BY TraceId")
SPAN_COLUMNS = (
    "SpanId AS span_id, ParentSpanId AS parent_span_id, "
    "ServiceName AS service, SpanName AS name, SpanKind AS kind, "
    "Layer AS layer, toUnixTimestamp64Nano(Timestamp) AS start_ns, "
    "Duration AS duration_ns, StatusCode AS status_code, "
    "StatusMessage AS status_message, SpanAttributes AS attributes")
JAM_SPANS_SQL = (
    f"SELECT {SPAN_COLUMNS} FROM otel_traces "
    "WHERE TraceId = {trace_id:String} "
    "AND Timestamp >= fromUnixTimestamp64Nano({start:Int64}) "
    "AND Timestamp <= fromUnixTimestamp64Nano({end:Int64}) "
    "ORDER BY Timestamp")
# The exporter's lookup (its Grafana-side query shape): span rows bounded by
# the trace's min(Start) / max(End) + 1 s from its lookup table. Same
# columns out as Jamscope's, so both return the same bytes.
EXPORTER_SQL = (
    f"SELECT {SPAN_COLUMNS} FROM otel_traces "
    "WHERE TraceId = {trace_id:String} "
    "AND Timestamp >= (SELECT min(Start) FROM otel_traces_trace_id_ts WHERE TraceId = {trace_id:String}) "
    "AND Timestamp <= (SELECT max(End) + 1 FROM otel_traces_trace_id_ts WHERE TraceId = {trace_id:String}) "
    "ORDER BY Timestamp")

# The exporter's trace-id lookup table and view, as its ClickHouse exporter
# creates them (internal/sql_templates/traces_id_ts_lookup_{table,mv}.sql in
# opentelemetry-collector-contrib): second-precision Start/End, a plain
# MergeTree keyed by (TraceId, Start), filled per insert block.
EXPORTER_DDL = [
    """CREATE TABLE IF NOT EXISTS otel.otel_traces_trace_id_ts (
         TraceId String CODEC(ZSTD(1)),
         Start DateTime CODEC(Delta, ZSTD(1)),
         End DateTime CODEC(Delta, ZSTD(1)),
         INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1
       ) ENGINE = MergeTree PARTITION BY toDate(Start) ORDER BY (TraceId, Start)
       TTL toDateTime(Start) + toIntervalDay(180)
       SETTINGS index_granularity = 8192, ttl_only_drop_parts = 1""",
    """CREATE MATERIALIZED VIEW IF NOT EXISTS otel.otel_traces_trace_id_ts_mv
       TO otel.otel_traces_trace_id_ts AS
       SELECT TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
       FROM otel.otel_traces WHERE TraceId != '' GROUP BY TraceId""",
]


def trace_id_of(t):
    """The id the generator gives trace number t: lower(hex(MD5(toString(t))))."""
    return hashlib.md5(str(t).encode()).hexdigest()


def sql_array(values):
    return "[" + ", ".join("'" + v.replace("'", "\\'") + "'" for v in values) + "]"


# ---------------------------------------------------------------- data

def span_insert_sql(layer, t0, ntraces, base_ns):
    """One layer's spans of traces t0 .. t0+ntraces-1, generated in
    ClickHouse. Per-trace values come from hashes of the trace number, so
    every layer's INSERT agrees on a trace's start, length, route and
    outcome."""
    ks = [k for k, l in enumerate(LAYERS) if l == layer]
    ms = 1_000_000
    return f"""
INSERT INTO otel.otel_traces (Timestamp, TraceId, SpanId, ParentSpanId, TraceState, SpanName,
    SpanKind, ServiceName, ResourceAttributes, ScopeName, ScopeVersion, SpanAttributes,
    Duration, StatusCode, StatusMessage, Layer)
WITH
    cityHash64(t, 1) AS h1, cityHash64(t, 2) AS h2, cityHash64(t, 3) AS h3,
    toInt64({base_ns}) - toInt64(h1 % {WINDOW_NS}) AS trace_start,
    -- trace length: 80 ms plus an exponential tail (mean 250 ms), capped at 20 s
    toInt64(80 * {ms} + least(-log(((h2 % 1000000) + 1) / 1000001.) * 250 * {ms}, 20000. * {ms})) AS total,
    (h3 % 100) = 0 AS failed,
    (bitShiftRight(h3, 8) % 100) < 85 AS hit,
    {sql_array(ROUTES)}[1 + bitShiftRight(h3, 16) % {len(ROUTES)}] AS route,
    if(failed, '500', '200') AS status,
    intDiv(total - 34 * {ms}, 4) AS q,
    {PARENTS}[k + 1] AS parent,
    multiIf(k = 0, 0, k = 1, 2 * {ms}, k = 2, 5 * {ms}, k = 3, 10 * {ms}, k = 4, 11 * {ms},
            k = 5, 15 * {ms}, 17 * {ms} + (k - 6) * q) AS span_off,
    multiIf(k = 0, total, k = 1, total - 4 * {ms}, k = 2, total - 10 * {ms}, k = 3, total - 20 * {ms},
            k = 4, toInt64(1 * {ms} + bitShiftRight(h3, 24) % (5 * {ms})), k = 5, total - 30 * {ms},
            intDiv(q * 9, 10)) AS span_dur,
    multiIf(k <= 1, 'storefront-web', k = 2, 'edge-cdn',
            k <= 4, ['api-gateway', 'checkout-gateway'][1 + bitShiftRight(h3, 32) % 2],
            ['strapi-cms', 'contentful-proxy'][1 + bitShiftRight(h3, 33) % 2]) AS service
SELECT
    fromUnixTimestamp64Nano(trace_start + span_off),
    lower(hex(MD5(toString(t)))),
    leftPad(lower(hex(t * 16 + k + 1)), 16, '0'),
    if(parent < 0, '', leftPad(lower(hex(t * 16 + parent + 1)), 16, '0')),
    '',
    multiIf(k = 0, 'documentLoad', k = 1, 'resourceFetch', k = 2, 'cdn.request',
            k = 3, concat('GET ', route), k = 4, 'auth.verify', k = 5, concat('GET /content', route),
            ['SELECT entries', 'SELECT assets', 'SELECT locales', 'SELECT users'][k - 5]),
    {sql_array(KINDS)}[k + 1],
    service,
    map('service.name', service, 'jamstack.layer', '{layer}',
        'deployment.environment', 'production', 'service.version', '1.4.2'),
    multiIf(k <= 1, '@opentelemetry/instrumentation-document-load', k = 2, 'edge-worker',
            k <= 4, 'opentelemetry.instrumentation.fastapi', k = 5, '@opentelemetry/instrumentation-http',
            '@opentelemetry/instrumentation-pg'),
    '0.45.0',
    multiIf(k = 0, map('http.url', concat('https://shop.example', route), 'browser.name', 'Chrome'),
            k = 1, map('http.url', concat('https://shop.example/api', route), 'http.request.method', 'GET'),
            k = 2, map('http.route', route, 'cdn.cache_status', if(hit, 'HIT', 'MISS'),
                       'http.response.status_code', status),
            k = 3, map('http.route', route, 'http.request.method', 'GET', 'http.response.status_code', status),
            k = 4, map('auth.method', 'jwt'),
            k = 5, map('http.route', concat('/content', route), 'http.response.status_code', status,
                       'db.client.connection.pool.utilization', toString(round((bitShiftRight(h3, 40) % 90) / 100., 2))),
            map('db.system', 'postgresql', 'db.name', 'cms',
                'db.statement', concat(['SELECT entries', 'SELECT assets', 'SELECT locales', 'SELECT users'][k - 5],
                                       ' WHERE id = $1'))),
    toUInt64(greatest(span_dur, 1000)),
    if(failed AND k IN (3, 5, 9), 'Error', 'Unset'),
    if(failed AND k IN (3, 5, 9), 'upstream returned 500', ''),
    '{layer}'
FROM (SELECT number AS t, arrayJoin({ks}) AS k FROM numbers({t0}, {ntraces}))
"""


def page_view_insert_sql(t0, ntraces, base_ns):
    """One page view for every tenth trace (t % 10 = 0), carrying its
    TraceId: what `GET /api/traces/{id}` links as RUM."""
    return f"""
INSERT INTO otel.rum_page_views (Timestamp, ReceivedAt, App, Release, Environment, SessionId,
    PageViewId, TraceId, Url, Path, Route, Referrer, Browser, BrowserVersion, Os, DeviceClass,
    Connection, Country, ClientIp)
WITH cityHash64(t, 1) AS h1, cityHash64(t, 3) AS h3,
     {sql_array(ROUTES)}[1 + bitShiftRight(h3, 16) % {len(ROUTES)}] AS route,
     fromUnixTimestamp64Milli(intDiv(toInt64({base_ns}) - toInt64(h1 % {WINDOW_NS}), 1000000)) AS ts
SELECT ts, ts, 'shop', '1.4.2', 'production', concat('s-', toString(intDiv(t, 40))),
    concat('pv-', toString(intDiv(t, 10))), lower(hex(MD5(toString(t)))),
    concat('https://shop.example', route), route, route, '',
    ['Chrome', 'Safari', 'Firefox', 'Edge'][1 + h3 % 4], '120', ['Windows', 'macOS', 'iOS', 'Android'][1 + bitShiftRight(h3, 2) % 4],
    ['desktop', 'mobile', 'tablet'][1 + bitShiftRight(h3, 4) % 3], '4g',
    ['US', 'DE', 'FR', 'GB', 'JP', 'BR'][1 + bitShiftRight(h3, 6) % 6], '203.0.113.0'
FROM (SELECT number AS t FROM numbers({t0}, {ntraces}) WHERE t % 10 = 0)
"""


def rum_insert_sqls(n, base_ns):
    """n vitals (5 per page view: LCP, INP, CLS, FCP, TTFB) and n JS errors
    (300 distinct fingerprints), over the last 6 hours."""
    context = f"""
    cityHash64(pv, 7) AS hp,
    fromUnixTimestamp64Milli(intDiv(toInt64({base_ns}) - toInt64(hp % {WINDOW_NS}), 1000000)) AS page_ts,
    {sql_array(ROUTES)}[1 + bitShiftRight(hp, 16) % {len(ROUTES)}] AS route,
    concat('/p/', toString(bitShiftRight(hp, 20) % 40), route) AS path"""
    context_cols = ("Timestamp, ReceivedAt, App, Release, Environment, SessionId, PageViewId, TraceId, "
                    "Url, Path, Route, Referrer, Browser, BrowserVersion, Os, DeviceClass, Connection, "
                    "Country, ClientIp")
    context_vals = """ts, ts, 'shop', ['1.4.1', '1.4.2'][1 + hp % 2], 'production',
        concat('s-', toString(intDiv(pv, 4))), concat('pv-', toString(pv)),
        lower(hex(MD5(toString(pv * 10)))), concat('https://shop.example', path), path, route, '',
        ['Chrome', 'Safari', 'Firefox', 'Edge'][1 + bitShiftRight(hp, 2) % 4], '120',
        ['Windows', 'macOS', 'iOS', 'Android'][1 + bitShiftRight(hp, 4) % 4],
        ['desktop', 'mobile', 'tablet'][1 + bitShiftRight(hp, 6) % 3], '4g',
        ['US', 'DE', 'FR', 'GB', 'JP', 'BR'][1 + bitShiftRight(hp, 8) % 6], '203.0.113.0'"""
    vitals = f"""
INSERT INTO otel.rum_vitals ({context_cols}, Name, Value, Rating, Delta, MetricId, NavigationType, Attribution)
WITH intDiv(number, 5) AS pv, number % 5 AS m, {context},
     cityHash64(number, 9) AS hv,
     addMilliseconds(page_ts, 500 + toInt64(hv % 20000)) AS ts,
     -- per metric: a log-normal-ish value around its typical size
     ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'][m + 1] AS name,
     [2000., 150., 0.08, 1400., 600.][m + 1] * exp((bitShiftRight(hv, 16) % 2000 - 1000) / 1000. * 0.8) AS value,
     [2500., 200., 0.1, 1800., 800.][m + 1] AS good_max,
     [4000., 500., 0.25, 3000., 1800.][m + 1] AS poor_min
SELECT {context_vals}, name, value,
    multiIf(value <= good_max, 'good', value <= poor_min, 'needs-improvement', 'poor'), value,
    concat('v5-', toString(toUnixTimestamp64Milli(page_ts)), '-', toString(hv % 10000000000000)),
    'navigate', map('element', 'img.hero')
FROM numbers({n})
"""
    errors = f"""
INSERT INTO otel.rum_errors ({context_cols}, Fingerprint, ErrorType, Message,
    `Stack.File`, `Stack.Function`, `Stack.Line`, `Stack.Column`)
WITH (cityHash64(number, 11) % 100000) AS pv, {context},
     cityHash64(number, 12) AS he, he % 300 AS f,
     addMilliseconds(page_ts, toInt64(he % 60000)) AS ts
SELECT {context_vals}, lower(hex(MD5(concat('fp', toString(f))))),
    ['TypeError', 'ReferenceError', 'Error', 'SyntaxError'][1 + f % 4],
    concat('Cannot read properties of undefined (reading ''field', toString(f), ''')'),
    [concat('https://shop.example/_next/static/chunks/', toString(f % 20), '.js'), 'https://shop.example/_next/static/chunks/main.js'],
    [concat('render', toString(f)), 'commitRoot'], [toUInt32(10 + f), 1], [toUInt32(5 + f % 40), 17]
FROM numbers({n})
"""
    return vitals, errors


def load_spans(ch, t_from, t_to, batch_traces, log, deadline):
    """Traces t_from .. t_to-1, in batches of batch_traces traces (10 spans
    each), one INSERT per layer per batch. Returns seconds taken."""
    t0 = time.monotonic()
    for start in range(t_from, t_to, batch_traces):
        if time.monotonic() > deadline:
            raise RuntimeError("over --max-seconds while loading; machine too busy?")
        n = min(batch_traces, t_to - start)
        base_ns = time.time_ns()
        for layer in ("browser", "cdn", "gateway", "cms"):
            ch.query(span_insert_sql(layer, start, n, base_ns), timeout=600)
        ch.query(page_view_insert_sql(start, n, base_ns), timeout=600)
        log(f"  spans for traces {start}..{start + n - 1} ({(start + n) * SPANS_PER_TRACE:,} spans, "
            f"{time.monotonic() - t0:.0f} s)")
    return time.monotonic() - t0


def wait_merges(ch, max_s):
    """Let background merges after the load settle (bounded): measuring
    while ClickHouse merges would time the merges. Returns (waited s, active
    parts of otel_traces)."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < max_s:
        if int(ch.query("SELECT count() FROM system.merges").strip()) == 0:
            break
        time.sleep(1)
    parts = int(ch.query("SELECT count() FROM system.parts WHERE database = 'otel' "
                         "AND table = 'otel_traces' AND active").strip())
    return round(time.monotonic() - t0, 1), parts


# ---------------------------------------------------------------- timing

def pct(values, p):
    """Nearest-rank percentile."""
    s = sorted(values)
    return s[max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))]


def summary(times_ms):
    return dict(n=len(times_ms), p50=round(statistics.median(times_ms), 2),
                p99=round(pct(times_ms, 99), 2), max=round(max(times_ms), 2),
                mean=round(statistics.fmean(times_ms), 2))


class Http:
    """One keep-alive connection; GET or POST, timed to the last body byte."""

    def __init__(self, port, timeout=60):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)

    def request(self, method, path, body=None):
        t0 = time.perf_counter()
        self.conn.request(method, path, body=body)
        r = self.conn.getresponse()
        data = r.read()
        return r.status, data, (time.perf_counter() - t0) * 1000

    def close(self):
        self.conn.close()


class ChHttp(Http):
    """ClickHouse's HTTP interface with server-side parameters and a
    log_comment, so system.query_log can tell the queries apart."""

    def run(self, sql, params, comment):
        q = dict(database="otel", default_format="JSONEachRow", log_comment=comment,
                 output_format_json_quote_64bit_integers="0")
        q.update({f"param_{k}": v for k, v in params.items()})
        status, data, ms = self.request("POST", "/?" + urllib.parse.urlencode(q), sql.encode())
        if status != 200:
            raise RuntimeError(f"ClickHouse {status}: {data[:300]!r}")
        return [json.loads(line) for line in data.splitlines() if line], ms


def time_api(api, path, n, budget_s, check=None):
    """n sequential GETs of path, or fewer (at least 10) once budget_s is
    spent: at 10M spans a search takes seconds, and the whole benchmark
    must stay within minutes. The count done is reported with the times."""
    times = []
    t0 = time.monotonic()
    for i in range(n):
        if i >= 10 and time.monotonic() - t0 > budget_s:
            break
        status, data, ms = api.request("GET", path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status} {data[:300]!r}")
        if check:
            check(json.loads(data))
        times.append(ms)
    return summary(times)


def measure(ch, api_port, spans, ids, args, log):
    """Everything timed at one store size."""
    res = dict(spans=spans, traces=spans // SPANS_PER_TRACE)
    # Other work on this 2-core machine skews every number: wait a little
    # for quiet, and record how busy it was.
    res["machine_busy_pct_before"] = wait_idle(args.wait_idle)
    cpu0 = system_cpu()
    api = Http(api_port)
    direct = ChHttp(ch.http_port)
    try:
        def one_trace(body):
            if len(body["spans"]) != SPANS_PER_TRACE:
                raise RuntimeError(f"trace {body['trace_id']}: {len(body['spans'])} spans, "
                                   f"expected {SPANS_PER_TRACE}")

        # Warm-up: other ids than the measured ones, and each endpoint once,
        # so the first measured requests do not pay for cold caches.
        for t in random.Random(spans).sample(range(spans // SPANS_PER_TRACE), 20):
            api.request("GET", f"/api/traces/{trace_id_of(t)}")
        searches = {
            "search_1h": "/api/traces?window=1h&limit=50",
            "search_filtered": f"/api/traces?window=1h&service=contentful-proxy"
                               f"&min_duration_ms={args.min_duration_ms}&limit=50",
            "layers_5m": "/api/layers?window=5m",
            "vitals_1h_by_page": "/api/vitals?window=1h&group_by=page",
        }
        for path in searches.values():
            api.request("GET", path)

        t_phase = time.time()
        times, rum_times, plain_times = [], [], []
        for t in ids:
            status, data, ms = api.request("GET", f"/api/traces/{trace_id_of(t)}")
            if status != 200:
                raise RuntimeError(f"trace {trace_id_of(t)}: {status} {data[:300]!r}")
            one_trace(json.loads(data))
            times.append(ms)
            (rum_times if t % 10 == 0 else plain_times).append(ms)
        res["trace_by_id"] = summary(times)
        # Every tenth trace has a page view: its lookup adds the RUM queries.
        res["trace_by_id_with_rum"] = summary(rum_times) if rum_times else None
        res["trace_by_id_without_rum"] = summary(plain_times)

        def listed(body):
            if not body["traces"]:
                raise RuntimeError("search found no trace")

        budget = args.endpoint_budget
        res["search_1h"] = time_api(api, searches["search_1h"], args.searches, budget, listed)
        res["search_filtered"] = time_api(api, searches["search_filtered"], args.searches, budget, listed)
        res["layers_5m"] = time_api(api, searches["layers_5m"], args.insights, budget)
        res["vitals_1h_by_page"] = time_api(api, searches["vitals_1h_by_page"], args.insights, budget)
        res["search_paths"] = searches

        # The same trace ids straight over ClickHouse: the exporter's one
        # query against Jamscope's two, alternating which goes first.
        tag = f"qbench-{spans}"
        exp_t, jam_t, jam_b, jam_s = [], [], [], []
        for i, t in enumerate(ids):
            tid = trace_id_of(t)

            def exporter():
                rows, ms = direct.run(EXPORTER_SQL, dict(trace_id=tid), f"{tag}-exporter")
                exp_t.append(ms)
                return rows

            def jamscope():
                b, ms1 = direct.run(JAM_BOUNDS_SQL, dict(trace_id=tid), f"{tag}-jam-bounds")
                rows, ms2 = direct.run(JAM_SPANS_SQL, dict(trace_id=tid, start=b[0]["start_ns"],
                                                           end=b[0]["end_ns"]), f"{tag}-jam-spans")
                jam_b.append(ms1)
                jam_s.append(ms2)
                jam_t.append(ms1 + ms2)
                return rows

            order = (exporter, jamscope) if i % 2 == 0 else (jamscope, exporter)
            a, b = order[0](), order[1]()
            if len(a) != SPANS_PER_TRACE or len(b) != SPANS_PER_TRACE:
                raise RuntimeError(f"trace {tid}: {len(a)} / {len(b)} spans")
        res["direct"] = dict(exporter=summary(exp_t), jamscope_total=summary(jam_t),
                             jamscope_bounds=summary(jam_b), jamscope_spans=summary(jam_s))

        res["index_rows"] = dict(
            trace_index=int(ch.query("SELECT count() FROM otel.trace_index").strip()),
            otel_traces_trace_id_ts=int(ch.query("SELECT count() FROM otel.otel_traces_trace_id_ts").strip()),
            distinct_traces=int(ch.query("SELECT uniqExact(TraceId) FROM otel.trace_index").strip()),
        )
        res["query_log"] = query_log(ch, tag, t_phase)
        cpu1 = system_cpu()
        res["machine_busy_pct_during"] = round(100 * (cpu1[0] - cpu0[0]) / max(1, cpu1[1] - cpu0[1]), 1)
    finally:
        api.close()
        direct.close()
    return res


def query_log(ch, tag, since):
    """Rows and bytes read per query kind, from system.query_log: the direct
    queries by their log_comment, the API's by their text."""
    ch.query("SYSTEM FLUSH LOGS")
    kinds = {
        "exporter": f"log_comment = '{tag}-exporter'",
        "jam_bounds": f"log_comment = '{tag}-jam-bounds'",
        "jam_spans": f"log_comment = '{tag}-jam-spans'",
        # The server logs a parameterised query re-formatted (literals in,
        # conditions in parentheses), so these match on its stable parts.
        "api_bounds": "log_comment = '' AND query LIKE 'SELECT toUnixTimestamp64Nano(min(Start))%FROM trace_index%'",
        "api_spans": "log_comment = '' AND query LIKE 'SELECT SpanId AS span_id%FROM otel_traces%'",
        "api_rum_page_views": "log_comment = '' AND query LIKE '%FROM rum_page_views%TraceId%'",
        "api_rum_vitals_of_page_view": "log_comment = '' AND query LIKE 'SELECT Name AS name%FROM rum_vitals%PageViewId%'",
        "api_rum_errors_of_page_view": "log_comment = '' AND query LIKE 'SELECT Fingerprint%FROM rum_errors%PageViewId%'",
        "api_search_1h": "log_comment = '' AND query LIKE 'SELECT TraceId AS trace_id%FROM trace_index%' "
                         "AND query NOT LIKE '%contentful-proxy%'",
        "api_search_filtered": "log_comment = '' AND query LIKE 'SELECT TraceId AS trace_id%FROM trace_index%' "
                               "AND query LIKE '%contentful-proxy%'",
        "api_layers": "log_comment = '' AND query LIKE '%AS cdn_status_spans%'",
        "api_vitals": "log_comment = '' AND query LIKE '%FROM rum_vitals%GROUP BY App, Name, MetricId%'",
    }
    out = {}
    for kind, where in kinds.items():
        row = ch.query(
            "SELECT count(), quantileExact(0.5)(read_rows), max(read_rows), "
            "quantileExact(0.5)(read_bytes), max(read_bytes), quantileExact(0.5)(query_duration_ms), "
            "quantileExact(0.99)(query_duration_ms), "
            "quantileExact(0.5)(ProfileEvents['SelectedMarks']), quantileExact(0.5)(ProfileEvents['SelectedParts']) "
            "FROM system.query_log WHERE type = 'QueryFinish' "
            f"AND event_time >= toDateTime({int(since)}) AND query_kind = 'Select' AND {where} "
            "FORMAT TSV").split()
        n = int(row[0])
        out[kind] = None if n == 0 else dict(
            queries=n, read_rows_p50=int(float(row[1])), read_rows_max=int(row[2]),
            read_bytes_p50=int(float(row[3])), read_bytes_max=int(row[4]),
            duration_ms_p50=float(row[5]), duration_ms_p99=float(row[6]),
            marks_p50=int(float(row[7])), parts_p50=int(float(row[8])))
    return out


# ---------------------------------------------------------------- report

def markdown(results):
    sizes = results["sizes"]
    cols = " | ".join(f"{s['spans'] / 1e6:g}M spans p50 / p99 ms" for s in sizes)
    lines = [f"| request | {cols} | growth (p50, p99) |", "|---" * (len(sizes) + 2) + "|"]

    def row(label, get):
        cells, vals = [], []
        for s in sizes:
            v = get(s)
            vals.append(v)
            cells.append("-" if v is None else f"{v['p50']:.1f} / {v['p99']:.1f} (n={v['n']})")
        growth = "-"
        if len(vals) >= 2 and vals[0] and vals[-1]:
            growth = f"{vals[-1]['p50'] / vals[0]['p50']:.2f}×, {vals[-1]['p99'] / vals[0]['p99']:.2f}×"
        lines.append(f"| {label} | {' | '.join(cells)} | {growth} |")

    row("`GET /api/traces/{id}`", lambda s: s["trace_by_id"])
    row("  of which traces with a page view", lambda s: s["trace_by_id_with_rum"])
    row("`GET /api/traces?window=1h&limit=50`", lambda s: s["search_1h"])
    row("`GET /api/traces?window=1h&service=…&min_duration_ms=…`", lambda s: s["search_filtered"])
    row("`GET /api/layers?window=5m`", lambda s: s["layers_5m"])
    row("`GET /api/vitals?window=1h&group_by=page`", lambda s: s["vitals_1h_by_page"])
    row("direct: exporter lookup (1 query)", lambda s: s["direct"]["exporter"])
    row("direct: Jamscope bounds + spans (2 queries)", lambda s: s["direct"]["jamscope_total"])
    row("  bounds (`trace_index`)", lambda s: s["direct"]["jamscope_bounds"])
    row("  spans (`otel_traces`)", lambda s: s["direct"]["jamscope_spans"])
    lines.append("")
    lines.append("| size | trace_index rows | otel_traces_trace_id_ts rows | traces | "
                 "read rows p50: exporter / bounds / spans |")
    lines.append("|---|---|---|---|---|")
    for s in sizes:
        q = s["query_log"]
        rr = " / ".join(f"{q[k]['read_rows_p50']:,}" if q.get(k) else "-"
                        for k in ("exporter", "jam_bounds", "jam_spans"))
        ix = s["index_rows"]
        lines.append(f"| {s['spans'] / 1e6:g}M | {ix['trace_index']:,} | {ix['otel_traces_trace_id_ts']:,} | "
                     f"{ix['distinct_traces']:,} | {rr} |")
    return "\n".join(lines)


# ---------------------------------------------------------------- main

def check_sql_matches_source():
    """The direct comparison must run the collector's own trace SQL."""
    src = open(os.path.join(REPO, "collector", "src", "store", "queries", "trace.rs")).read()
    flat = " ".join(src.replace("\\\n", " ").replace('"', " ").split())
    for sql in (JAM_BOUNDS_SQL, JAM_SPANS_SQL):
        if " ".join(sql.split()) not in flat:
            raise RuntimeError("bench/query_bench.py's copy of the trace SQL differs from "
                               "collector/src/store/queries/trace.rs; update it")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python")))
    ap.add_argument("--jamscope", default=os.path.join(REPO, "target", "release", "jamscope"))
    ap.add_argument("--sizes", default="1000000,10000000",
                    help="span counts to measure at, ascending; the store grows from one to the next")
    ap.add_argument("--batch-spans", type=int, default=1_000_000, help="spans per generated batch")
    ap.add_argument("--rum-rows", type=int, default=200_000, help="rows of rum_vitals and of rum_errors")
    ap.add_argument("--lookups", type=int, default=300, help="trace ids looked up at each size")
    ap.add_argument("--searches", type=int, default=50)
    ap.add_argument("--insights", type=int, default=30, help="requests to /api/layers and /api/vitals")
    ap.add_argument("--endpoint-budget", type=float, default=40,
                    help="seconds per search/insight endpoint and size, after its 10th request")
    ap.add_argument("--min-duration-ms", type=int, default=500)
    ap.add_argument("--max-merge-wait", type=float, default=60)
    ap.add_argument("--wait-idle", type=float, default=20,
                    help="wait up to this many s for an idle machine before measuring each size")
    ap.add_argument("--max-seconds", type=float, default=900,
                    help="give up (and clean up) past this many seconds in all")
    ap.add_argument("--tmp")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    # SIGTERM/SIGHUP become SystemExit, so the finally below still stops
    # the collector and ClickHouse.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    args.jamscope = os.path.abspath(args.jamscope)
    sizes = [int(s) for s in args.sizes.split(",")]
    if sizes != sorted(sizes) or any(s % SPANS_PER_TRACE for s in sizes):
        ap.error("--sizes must ascend and be multiples of 10")
    if not os.access(args.jamscope, os.X_OK):
        ap.error(f"{args.jamscope} not found (cargo build --release --locked -p jamscope)")
    check_sql_matches_source()

    started = time.monotonic()

    def log(msg):
        print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="qbench-", dir=args.tmp)
    # chdb's server keeps no query log unless configured to; step 4 reads it.
    ch = ClickHouse(args.python, os.path.join(workdir, "ch"), extra_config=(
        "<query_log><database>system</database><table>query_log</table>"
        "<flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>"))
    serve = None
    results = dict(sizes=[], command=" ".join(sys.argv), jamscope=args.jamscope)
    try:
        ch.start()
        env = dict(os.environ, JAMSCOPE_CLICKHOUSE_URL=ch.url, JAMSCOPE_CLICKHOUSE_DATABASE="otel",
                   JAMSCOPE_DATA_DIR=os.path.join(workdir, "jamscope-data"), JAMSCOPE_LOG="warn")
        subprocess.run([args.jamscope, "migrate"], env=env, cwd=workdir, check=True,
                       capture_output=True, timeout=120)
        for stmt in EXPORTER_DDL:
            ch.query(stmt)
        log("schema ready (jamscope migrate + the exporter's lookup table and view)")

        t0 = time.monotonic()
        for sql in rum_insert_sqls(args.rum_rows, time.time_ns()):
            ch.query(sql, timeout=600)
        results["rum_load_s"] = round(time.monotonic() - t0, 1)
        log(f"RUM rows loaded ({args.rum_rows:,} vitals, {args.rum_rows:,} errors)")

        http_port = free_port()
        env.update(JAMSCOPE_HTTP_ADDR=f"127.0.0.1:{http_port}", JAMSCOPE_GRPC_ADDR="127.0.0.1:0")
        slog = open(os.path.join(workdir, "jamscope.log"), "wb")
        serve = subprocess.Popen([args.jamscope, "serve"], env=env, cwd=workdir, stdout=slog,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(http_port, 30, serve)

        loaded = 0
        batch_traces = max(1, args.batch_spans // SPANS_PER_TRACE)
        rng = random.Random(42)
        for spans in sizes:
            load_s = load_spans(ch, loaded // SPANS_PER_TRACE, spans // SPANS_PER_TRACE, batch_traces,
                                log, started + args.max_seconds)
            loaded = spans
            merge_s, parts = wait_merges(ch, args.max_merge_wait)
            log(f"{spans:,} spans loaded in {load_s:.0f} s; merges settled after {merge_s} s, "
                f"{parts} active parts")
            ids = rng.sample(range(spans // SPANS_PER_TRACE), args.lookups)
            r = measure(ch, http_port, spans, ids, args, log)
            r.update(load_s=round(load_s, 1), merge_wait_s=merge_s, otel_traces_parts=parts)
            results["sizes"].append(r)
            log(f"measured at {spans:,} spans: trace p50 {r['trace_by_id']['p50']} ms, "
                f"p99 {r['trace_by_id']['p99']} ms")
            if serve.poll() is not None:
                raise RuntimeError(f"jamscope serve exited ({serve.returncode}); see {slog.name}")
        results["total_s"] = round(time.monotonic() - started, 1)
    finally:
        stop_process(serve, 20)
        ch.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print_and_save(results, markdown(results), args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
