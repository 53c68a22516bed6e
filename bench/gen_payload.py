#!/usr/bin/env python3
"""Write a realistic Jamstack OTLP ExportTraceServiceRequest (or, with
--logs, ExportLogsServiceRequest; --metrics, ExportMetricsServiceRequest) to a file.

Each trace crosses the layers  browser -> cdn -> gateway -> cms -> db:
five spans, one per layer, each the child of the one before (the db span is
a CLIENT span emitted by the cms service).  Spans are grouped into one
ResourceSpans per layer resource (service.name + jamstack.layer), carry about
ten attributes each, and some carry events (web vitals on browser spans, cache
events on cdn spans, exceptions on failed spans).

  python gen_payload.py OUT [--spans 500] [--json] [--gzip] [--seed S] [--metrics]

--spans is the span count of the request (100, 500 and 1000 are the usual
sizes; any positive number works: the last trace is cut short if it does not
divide by five).  --json writes OTLP/JSON (hex ids, integer enums) instead of
binary protobuf.  --gzip compresses the output (send it with
Content-Encoding: gzip).  --variants K writes K files OUT.0 .. OUT.{K-1} with
different ids, for loaders that rotate bodies.

--logs writes log records instead (--spans of them): what the same four
services log while serving those requests, an access line per request at
the gateway and the CDN, the CMS's queries and cache, the occasional
warning and error with a stack; about seven attributes a record, most
records inside a trace (ids new in every request body), severity texts as
each runtime writes them.

--metrics writes --spans data points instead, what services' SDKs export:
per layer resource, request counters (cumulative sums) and in-flight
requests (up-down counters) by route and status, connection pool counts by
state, CPU gauges, request-duration histograms (the SDKs' default 15
bounds, some points with an exemplar) and response-size exponential
histograms; every point its own series (a `series.id` attribute unique in
the file and across variants), times within the last seconds.
"""
import argparse
import base64
import gzip
import json
import random
import sys
import time

from google.protobuf import json_format
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.metrics.v1 import metrics_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.logs.v1 import logs_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

Span = trace_pb2.Span
Status = trace_pb2.Status

LAYERS = {
    # layer: (service.name, extra resource attributes)
    "browser": ("storefront-web", {"browser.name": "Chrome", "browser.platform": "macOS",
                                   "telemetry.sdk.language": "webjs",
                                   "deployment.environment.name": "production"}),
    "cdn": ("edge-cdn", {"cloud.provider": "fastly", "cloud.region": "fra",
                         "deployment.environment.name": "production"}),
    "gateway": ("api-gateway", {"host.name": "gw-7f9c4-1", "k8s.namespace.name": "edge",
                                "service.version": "2.14.1",
                                "deployment.environment.name": "production"}),
    "cms": ("headless-cms", {"host.name": "cms-5d8b-2", "k8s.namespace.name": "content",
                             "service.version": "5.3.0", "telemetry.sdk.language": "nodejs",
                             "deployment.environment.name": "production"}),
}

SCOPES = {
    "browser": ("@opentelemetry/instrumentation-fetch", "0.52.1"),
    "cdn": ("edge-logs-bridge", "1.4.0"),
    "gateway": ("io.opentelemetry.envoy", "1.31.0"),
    "cms": ("@opentelemetry/instrumentation-http", "0.52.1"),
}

ROUTES = [
    ("/", "/"),
    ("/blog/{slug}", "/blog/edge-rendering-in-practice"),
    ("/blog/{slug}", "/blog/why-static-is-fast"),
    ("/products/{id}", "/products/8812"),
    ("/products/{id}", "/products/1203"),
    ("/api/search", "/api/search"),
    ("/docs/{section}/{page}", "/docs/guides/caching"),
    ("/checkout", "/checkout"),
]

USER_AGENTS = [
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0",
]

SQL = [
    "SELECT id, title, body, published_at FROM entries WHERE slug = $1 AND locale = $2",
    "SELECT p.id, p.name, p.price FROM products p WHERE p.id = $1",
    "SELECT id, title FROM entries WHERE tsv @@ plainto_tsquery($1) ORDER BY rank DESC LIMIT 20",
    "UPDATE carts SET updated_at = now() WHERE id = $1",
]

CACHE = ["HIT", "HIT", "HIT", "MISS", "STALE", "BYPASS"]
POPS = ["FRA", "AMS", "LHR", "CDG", "IAD"]


def kv(key, value):
    if isinstance(value, bool):
        v = common_pb2.AnyValue(bool_value=value)
    elif isinstance(value, int):
        v = common_pb2.AnyValue(int_value=value)
    elif isinstance(value, float):
        v = common_pb2.AnyValue(double_value=value)
    else:
        v = common_pb2.AnyValue(string_value=str(value))
    return common_pb2.KeyValue(key=key, value=v)


def attrs(d):
    return [kv(k, v) for k, v in d.items()]


def build_request(n_spans, rng, now_ns):
    req = trace_service_pb2.ExportTraceServiceRequest()
    scope_spans = {}
    for layer, (svc, extra) in LAYERS.items():
        rs = req.resource_spans.add()
        rs.resource.CopyFrom(resource_pb2.Resource(attributes=attrs(
            {"service.name": svc, "jamstack.layer": layer, **extra})))
        rs.schema_url = "https://opentelemetry.io/schemas/1.26.0"
        ss = rs.scope_spans.add()
        name, version = SCOPES[layer]
        ss.scope.name = name
        ss.scope.version = version
        scope_spans[layer] = ss

    made = 0
    while made < n_spans:
        trace_id = rng.randbytes(16)
        route, path = rng.choice(ROUTES)
        ua = rng.choice(USER_AGENTS)
        cache = rng.choice(CACHE)
        pop = rng.choice(POPS)
        failed = rng.random() < 0.03
        status_code = 500 if failed else (304 if rng.random() < 0.1 else 200)
        sql = rng.choice(SQL)
        # Timestamps: traces ended within the last ~5 s.
        t0 = now_ns - rng.randrange(0, 5_000_000_000)
        total = rng.randrange(40_000_000, 900_000_000)          # 40-900 ms
        host = "www.example-shop.dev"
        client_ip = f"203.0.113.{rng.randrange(1, 255)}"

        # (layer, name, kind, start offset, duration fraction, attributes)
        chain = [
            ("browser", f"GET {route}", Span.SPAN_KIND_CLIENT, 0, 1.0, {
                "http.request.method": "GET", "url.full": f"https://{host}{path}",
                "url.path": path, "server.address": host, "http.route": route,
                "http.response.status_code": status_code, "user_agent.original": ua,
                "browser.page.url": f"https://{host}{path}", "session.id": rng.randbytes(8).hex(),
                "network.protocol.version": "2",
            }),
            ("cdn", f"GET {route}", Span.SPAN_KIND_SERVER, 0.02, 0.95, {
                "http.request.method": "GET", "url.path": path, "server.address": host,
                "http.route": route, "http.response.status_code": status_code,
                "cdn.cache.status": cache, "cdn.pop": pop, "client.address": client_ip,
                "user_agent.original": ua, "http.response.body.size": rng.randrange(800, 250_000),
            }),
            ("gateway", f"GET {route}", Span.SPAN_KIND_SERVER, 0.05, 0.85, {
                "http.request.method": "GET", "url.path": path, "server.address": "api.internal",
                "server.port": 8443, "http.route": route,
                "http.response.status_code": status_code, "client.address": client_ip,
                "network.peer.address": "10.0.3.17", "gateway.upstream": "headless-cms:3000",
                "cache.status": cache,
            }),
            ("cms", f"GET {route}", Span.SPAN_KIND_SERVER, 0.08, 0.7, {
                "http.request.method": "GET", "url.path": path, "http.route": route,
                "http.response.status_code": status_code, "server.address": "headless-cms",
                "server.port": 3000, "cms.content_type": route.split("/")[1] or "home",
                "cms.locale": rng.choice(["en-US", "de-DE", "fr-FR"]),
                "cms.cache.status": rng.choice(["hit", "miss"]), "thread.id": rng.randrange(1, 16),
            }),
            ("cms", "SELECT content", Span.SPAN_KIND_CLIENT, 0.15, 0.3, {
                "db.system": "postgresql", "db.statement": sql, "db.name": "cms",
                "db.operation.name": sql.split()[0], "db.user": "cms_ro",
                "server.address": "pg-primary.internal", "server.port": 5432,
                "network.peer.address": "10.0.5.4", "db.collection.name": "entries",
                "db.response.returned_rows": rng.randrange(0, 40),
            }),
        ]
        parent = b""
        for layer, name, kind, off, frac, a in chain:
            if made >= n_spans:
                break
            span_id = rng.randbytes(8)
            start = t0 + int(total * off)
            end = start + int(total * frac)
            sp = scope_spans[layer].spans.add()
            sp.trace_id = trace_id
            sp.span_id = span_id
            sp.parent_span_id = parent
            sp.name = name
            sp.kind = kind
            sp.start_time_unix_nano = start
            sp.end_time_unix_nano = end
            sp.flags = 0x101  # sampled, parent-is-remote known
            sp.attributes.extend(attrs(a))
            if failed:
                sp.status.code = Status.STATUS_CODE_ERROR
                sp.status.message = "upstream returned 500"
            elif kind == Span.SPAN_KIND_SERVER:
                sp.status.code = Status.STATUS_CODE_OK
            if layer == "browser":
                for ev, frac_ev in (("first-contentful-paint", 0.3), ("largest-contentful-paint", 0.6)):
                    e = sp.events.add()
                    e.name = ev
                    e.time_unix_nano = start + int(total * frac_ev)
                    e.attributes.extend(attrs({"web_vital.value_ms": round(total * frac_ev / 1e6, 1)}))
            elif layer == "cdn" and cache != "HIT":
                e = sp.events.add()
                e.name = "cache.miss"
                e.time_unix_nano = start + 1000
                e.attributes.extend(attrs({"cdn.cache.status": cache, "cdn.origin": "api-gateway"}))
            if failed and layer == "cms" and kind == Span.SPAN_KIND_SERVER:
                e = sp.events.add()
                e.name = "exception"
                e.time_unix_nano = end - 1000
                e.attributes.extend(attrs({
                    "exception.type": "DatabaseTimeoutError",
                    "exception.message": "query timed out after 250ms",
                    "exception.stacktrace": "DatabaseTimeoutError: query timed out\n    at Pool.query (db.js:88)\n    at getEntry (entries.js:41)",
                }))
            parent = span_id
            made += 1
    return req


# The SDKs' default explicit bounds (seconds for durations scaled here).
DEFAULT_BOUNDS = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

# Points per metric kind, in tens: counters, up-down counters, gauges,
# histograms, exponential histograms.
KIND_SHARES = [("counter", 3), ("updown", 1), ("gauge", 2), ("histogram", 3), ("exponential", 1)]


def build_metrics_request(n_points, rng, now_ns, variant):
    """`n_points` data points spread over the layer resources, one series
    each (`series.id` = variant and index)."""
    req = metrics_service_pb2.ExportMetricsServiceRequest()
    scopes = []
    for layer, (svc, extra) in LAYERS.items():
        rm = req.resource_metrics.add()
        rm.resource.CopyFrom(resource_pb2.Resource(attributes=attrs(
            {"service.name": svc, "jamstack.layer": layer, **extra})))
        rm.schema_url = "https://opentelemetry.io/schemas/1.26.0"
        sm = rm.scope_metrics.add()
        name, version = SCOPES[layer]
        sm.scope.name = name
        sm.scope.version = version
        scopes.append(sm)
    kinds = [kind for kind, share in KIND_SHARES for _ in range(share)]
    start_ns = now_ns - 3_600_000_000_000
    metrics = {}

    def metric(sm, kind, name, unit, description):
        key = (id(sm), kind)
        if key not in metrics:
            m = sm.metrics.add()
            m.name, m.unit, m.description = name, unit, description
            if kind == "counter":
                m.sum.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
                m.sum.is_monotonic = True
            elif kind == "updown":
                m.sum.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_CUMULATIVE
            elif kind == "histogram":
                m.histogram.aggregation_temporality = metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
            elif kind == "exponential":
                m.exponential_histogram.aggregation_temporality = \
                    metrics_pb2.AGGREGATION_TEMPORALITY_DELTA
            metrics[key] = m
        return metrics[key]

    for i in range(n_points):
        sm = scopes[i % len(scopes)]
        kind = kinds[(i // len(scopes)) % len(kinds)]
        route, _ = rng.choice(ROUTES)
        labels = {"series.id": f"{variant}-{i}", "http.route": route,
                  "http.request.method": rng.choice(["GET", "GET", "GET", "POST"]),
                  "http.response.status_code": rng.choice([200, 200, 200, 304, 404, 500])}
        t = now_ns - rng.randrange(0, 5_000_000_000)
        if kind in ("counter", "updown", "gauge"):
            name = {"counter": ("http.server.requests", "{request}", "Requests served"),
                    "updown": ("http.server.active_requests", "{request}", "Requests in flight"),
                    "gauge": ("process.cpu.utilization", "1", "CPU in use")}[kind]
            m = metric(sm, kind, *name)
            data = m.gauge if kind == "gauge" else m.sum
            p = data.data_points.add()
            if kind == "gauge":
                p.as_double = round(rng.random(), 4)
            else:
                p.as_int = rng.randrange(0, 100_000)
                p.start_time_unix_nano = start_ns
        elif kind == "histogram":
            m = metric(sm, kind, "http.server.request.duration", "ms", "How long requests took")
            p = m.histogram.data_points.add()
            counts = [rng.randrange(0, 40) for _ in range(len(DEFAULT_BOUNDS) + 1)]
            p.bucket_counts.extend(counts)
            p.explicit_bounds.extend(float(b) for b in DEFAULT_BOUNDS)
            p.count = sum(counts)
            p.sum = round(sum(c * b for c, b in zip(counts, DEFAULT_BOUNDS + [20000])) * 0.6, 3)
            p.min, p.max = 0.4, 14_000.0
            p.start_time_unix_nano = t - 10_000_000_000
            if i % 10 == 0:
                e = p.exemplars.add()
                e.time_unix_nano = t - 1_000_000
                e.as_double = 42.5
                e.trace_id = rng.randbytes(16)
                e.span_id = rng.randbytes(8)
                e.filtered_attributes.extend(attrs({"user_agent.original": rng.choice(USER_AGENTS)}))
        else:
            m = metric(sm, kind, "http.response.body.size", "By", "Response sizes")
            p = m.exponential_histogram.data_points.add()
            counts = [rng.randrange(0, 30) for _ in range(20)]
            p.scale = 3
            p.zero_count = rng.randrange(0, 3)
            p.positive.offset = 70
            p.positive.bucket_counts.extend(counts)
            p.count = sum(counts) + p.zero_count
            p.sum = float(p.count * 4096)
            p.min, p.max = 0.0, 250_000.0
            p.start_time_unix_nano = t - 10_000_000_000
        p.time_unix_nano = t
        p.attributes.extend(attrs(labels))
    return req


# (layer, severity number, severity text, body template, attributes) the
# services write; {placeholders} are filled per record.
LOG_LINES = [
    ("cdn", 9, "INFO", "{method} {path} {status} {bytes}B {cache} pop={pop} {ms}ms",
     ("http.route", "http.response.status_code", "cdn.cache.status", "cdn.pop", "client.address")),
    ("gateway", 9, "info", "[{ts}] \"{method} {path} HTTP/2\" {status} {bytes} {ms}ms upstream=headless-cms:3000",
     ("http.route", "http.response.status_code", "url.path", "client.address", "user_agent.original")),
    ("cms", 9, "info", "served {kind} {slug} for locale {locale} in {ms}ms ({cache})",
     ("http.route", "cms.content_type", "cms.locale", "code.function", "thread.id")),
    ("cms", 5, "debug", "query entries where slug = {slug} returned {rows} rows in {ms}ms",
     ("db.system", "db.operation.name", "db.collection.name", "code.function", "thread.id")),
    ("cms", 13, "warn", "slow query on entries: {ms}ms for slug {slug} (pool {pool}% used)",
     ("db.system", "db.operation.name", "db.collection.name", "code.function", "thread.id")),
    ("gateway", 13, "warning", "upstream headless-cms answered {status} after {ms}ms, retrying {path}",
     ("http.route", "http.response.status_code", "url.path", "client.address", "gateway.upstream")),
    ("cms", 17, "error", "DatabaseTimeoutError: query timed out after {ms}ms\n    at Pool.query (db.js:88)\n    at getEntry (entries.js:41)",
     ("db.system", "exception.type", "code.function", "thread.id", "cms.locale")),
    ("browser", 17, "ERROR", "TypeError: Cannot read properties of undefined (reading 'price') at {path}",
     ("url.path", "browser.page.url", "exception.type", "session.id", "user_agent.original")),
]
LOG_WEIGHTS = [30, 30, 18, 8, 5, 4, 3, 2]


def log_attribute(key, rng, route, path, status, cache, pop, ua):
    values = {
        "http.route": route, "http.response.status_code": status, "cdn.cache.status": cache,
        "cdn.pop": pop, "client.address": f"203.0.113.{rng.randrange(1, 255)}", "url.path": path,
        "user_agent.original": ua, "cms.content_type": route.split("/")[1] or "home",
        "cms.locale": rng.choice(["en-US", "de-DE", "fr-FR"]),
        "code.function": rng.choice(["getEntry", "renderPage", "listEntries"]),
        "thread.id": rng.randrange(1, 16), "db.system": "postgresql",
        "db.operation.name": "SELECT", "db.collection.name": "entries",
        "gateway.upstream": "headless-cms:3000", "exception.type": "DatabaseTimeoutError",
        "browser.page.url": f"https://www.example-shop.dev{path}",
        "session.id": rng.randbytes(8).hex(),
    }
    return kv(key, values[key])


def build_log_request(n_records, rng, now_ns):
    """`n_records` log records from the four services, most inside a trace
    (a fresh trace id every few records, so every request has its own)."""
    req = logs_service_pb2.ExportLogsServiceRequest()
    scope_logs = {}
    for layer, (svc, extra) in LAYERS.items():
        rl = req.resource_logs.add()
        rl.resource.CopyFrom(resource_pb2.Resource(attributes=attrs(
            {"service.name": svc, "jamstack.layer": layer, **extra})))
        rl.schema_url = "https://opentelemetry.io/schemas/1.26.0"
        sl = rl.scope_logs.add()
        name, version = SCOPES[layer]
        sl.scope.name = name
        sl.scope.version = version
        scope_logs[layer] = sl
    trace_id = span_id = b""
    for i in range(n_records):
        if i % 4 == 0:
            in_trace = rng.random() < 0.8
            trace_id = rng.randbytes(16) if in_trace else b""
        span_id = rng.randbytes(8) if trace_id else b""
        layer, number, text, template, keys = rng.choices(LOG_LINES, LOG_WEIGHTS)[0]
        route, path = rng.choice(ROUTES)
        status = rng.choice([200, 200, 200, 304, 404, 500])
        cache, pop, ua = rng.choice(CACHE), rng.choice(POPS), rng.choice(USER_AGENTS)
        t = now_ns - rng.randrange(0, 5_000_000_000)
        body = template.format(
            method="GET", path=path, status=status, bytes=rng.randrange(800, 250_000), cache=cache,
            pop=pop, ms=rng.randrange(1, 900), ts=time.strftime("%d/%b/%Y:%H:%M:%S", time.gmtime(t / 1e9)),
            kind=route.split("/")[1] or "home", slug=path.rsplit("/", 1)[-1] or "index",
            locale=rng.choice(["en-US", "de-DE"]), rows=rng.randrange(0, 40), pool=rng.randrange(40, 99))
        record = scope_logs[layer].log_records.add()
        record.time_unix_nano = t
        record.observed_time_unix_nano = t + rng.randrange(1_000, 2_000_000)
        record.severity_number = number
        record.severity_text = text
        record.body.string_value = body
        record.attributes.extend(
            log_attribute(key, rng, route, path, status, cache, pop, ua) for key in keys)
        record.attributes.append(kv("deployment.id", "d-2f9c1e7"))
        record.attributes.append(kv("request.id", rng.randbytes(6).hex()))
        if trace_id:
            record.trace_id = trace_id
            record.span_id = span_id
            record.flags = 1
    return req


def to_otlp_json(req):
    d = json_format.MessageToDict(req, use_integers_for_enums=True)
    # protobuf's JSON mapping writes bytes as base64; OTLP/JSON wants hex ids.
    def fix(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k in ("traceId", "spanId", "parentSpanId") and isinstance(v, str):
                    o[k] = base64.b64decode(v).hex()
                else:
                    fix(v)
        elif isinstance(o, list):
            for x in o:
                fix(x)
    fix(d)
    return json.dumps(d, separators=(",", ":")).encode()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out")
    ap.add_argument("--spans", type=int, default=500)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--variants", type=int, default=1)
    ap.add_argument("--logs", action="store_true", help="log records instead of spans")
    ap.add_argument("--metrics", action="store_true", help="data points instead of spans")
    a = ap.parse_args()
    if a.spans <= 0:
        ap.error("--spans must be positive")
    rng = random.Random(a.seed)
    now_ns = time.time_ns()
    outs = [a.out] if a.variants == 1 else [f"{a.out}.{i}" for i in range(a.variants)]
    for variant, out in enumerate(outs):
        if a.metrics:
            req = build_metrics_request(a.spans, rng, now_ns, variant)
            n, what = a.spans, "data points"
        elif a.logs:
            req = build_log_request(a.spans, rng, now_ns)
            n = sum(len(sl.log_records) for rl in req.resource_logs for sl in rl.scope_logs)
            what = "log records"
        else:
            req = build_request(a.spans, rng, now_ns)
            n = sum(len(ss.spans) for rs in req.resource_spans for ss in rs.scope_spans)
            what = "spans"
        body = to_otlp_json(req) if a.json else req.SerializeToString()
        if a.gzip:
            body = gzip.compress(body, compresslevel=6)
        with open(out, "wb") as f:
            f.write(body)
        print(f"{out}: {n} {what}, {len(body)} bytes"
              f"{' json' if a.json else ' protobuf'}{' gzip' if a.gzip else ''}", file=sys.stderr)


if __name__ == "__main__":
    main()
