#!/usr/bin/env bash
# `make bench`: the decode, alert-evaluation and symbolication micro-benchmarks, then
# Jamscope and Rotel side by side on the same payloads, load tool, duration
# and connections, each into a fresh embedded ClickHouse; alerting's ingest
# cost and time to alert; bytes on disk per span and per log record; then
# the query API on a large store.
# Results: bench/results/*.json and a summary.
# Loopback only; every load run is bounded (DURATION seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${BENCH_PYTHON:-$PWD/.venv/bin/python}
OUT=bench/results
DURATION=${DURATION:-15}
CONNECTIONS=${CONNECTIONS:-8}
mkdir -p "$OUT"

echo "== decode → rows vs pure prost decode (criterion)"
cargo bench -p jamscope --features test-support --bench decode -- --warm-up-time 2 --measurement-time 5 2>/dev/null \
  | grep -E "^request_|time:" | tee "$OUT/decode.txt"

echo "== alert evaluation per series, window feeding per span (criterion)"
cargo bench -p jamscope --features test-support --bench alert_eval -- --warm-up-time 1 --measurement-time 3 2>/dev/null \
  | grep -E "^alert_|time:|thrpt:" | grep -v "%" | tee "$OUT/alert_eval.txt"

echo "== browser errors: symbolicated (cache warm, cold) and without maps; the map cache's memory (criterion)"
cargo bench -p jamscope --features test-support --bench symbolicate -- --warm-up-time 1 --measurement-time 3 2>/dev/null \
  | grep -E "^(errors/|map:|cache:)|time:|thrpt:" | grep -v "%" | tee "$OUT/symbolicate.txt"

JAMSCOPE=(--jamscope-cmd "$PWD/target/release/jamscope serve"
  --jamscope-env 'JAMSCOPE_HTTP_ADDR={otlp_http_addr}'
  --jamscope-env 'JAMSCOPE_GRPC_ADDR=127.0.0.1:0'
  --jamscope-env 'JAMSCOPE_CLICKHOUSE_URL={ch_http_url}'
  --jamscope-env 'JAMSCOPE_CLICKHOUSE_DATABASE=otel'
  --jamscope-env 'JAMSCOPE_DATA_DIR={workdir}/jamscope-data'
  # Throughput, not the rate limiter: one loopback client sends it all.
  --jamscope-env 'JAMSCOPE_LIMITS_PER_IP_PER_MINUTE=0'
  --jamscope-env 'JAMSCOPE_LIMITS_GLOBAL_PER_MINUTE=0')

run() {
  local name=$1; shift
  echo "== $name"
  "$PY" bench/sidebyside.py --python "$PY" --sides rotel,jamscope \
    --duration "$DURATION" --connections "$CONNECTIONS" --wait-idle 30 \
    "${JAMSCOPE[@]}" --json-out "$OUT/$name.json" "$@" | tail -n 60
}

# The box (collector + ClickHouse CPU) is noisier than the collector alone:
# three interleaved rounds, medians compared.
run otlp-protobuf-500 --spans 500 --repeat 3
run otlp-protobuf-1000 --spans 1000
run otlp-protobuf-gzip-100 --spans 100 --gzip
run otlp-json-100 --spans 100 --json

# Logs: the same side by side with log records (gen_payload.py --logs,
# 1000 a request, to /v1/logs), counted in otel_logs; three interleaved
# rounds, medians compared.
run logs-protobuf-1000 --signal logs --spans 1000 --repeat 3

# Metrics: 1000 data points a request (counters, up-down counters, gauges,
# histograms with exemplars, exponential histograms; every point its own
# series) into the metric tables; three interleaved rounds, medians.
run otlp-metrics-protobuf-1000 --signal metrics --spans 1000 --repeat 3

# Durability: default (acknowledged once queued in memory) against durable
# mode (acknowledged once fsync'd to the spool), same run; then a load while
# ClickHouse is down, so every span goes through the spool and is replayed.
run durable-protobuf-500 --sides jamscope,jamscope-durable --spans 500
run replay-protobuf-500 --sides jamscope --spans 500 --outage --quiet 5 --max-drain 120

# Alerting: what feeding the default rules' windows costs ingest (the
# shipped alert-rules/ against alerting off, three interleaved rounds,
# medians compared), then how long a breach takes to reach an email and a
# webhook (about a minute).
run alerting-protobuf-500 --sides jamscope-norules,jamscope-rules --spans 500 --repeat 3
echo "== time to alert (breach -> email and webhook)"
"$PY" bench/time_to_alert.py --python "$PY" --jamscope "$PWD/target/release/jamscope" \
  --json-out "$OUT/time-to-alert.json"

# RUM: Jamscope only (Rotel has no RUM ingest). Every beacon carries a new
# metric id; rows are counted in rum_vitals. With spans, every beacon is one
# page view (counted in rum_page_views: rows are beacons) and 10 fetch
# spans, each its own trace (checked in otel_traces).
run_rum() {
  local name=$1 mode=$2 per_request=$3 table=${4:-otel.rum_vitals}; shift $(( $# < 4 ? $# : 4 ))
  echo "== $name"
  RUM_MODE=$mode "$PY" bench/sidebyside.py --python "$PY" --sides jamscope \
    --duration "$DURATION" --connections "$CONNECTIONS" --wait-idle 30 "${JAMSCOPE[@]}" \
    --path /v1/rum --wrk-script bench/rum_beacon.lua --payload bench/rum_beacon.lua \
    --spans "$per_request" --jamscope-count-sql "SELECT count() FROM $table" \
    --jamscope-table "$table" "$@" \
    --json-out "$OUT/$name.json" | tail -n 32
}

run_rum rum-one-metric one 1
run_rum rum-batch-20 batch 20
run_rum rum-spans-10 spans 1 otel.rum_page_views \
  --jamscope-check-sql 'SELECT count() FROM otel.otel_traces' --jamscope-table otel.otel_traces

# Bytes on disk per span and per log record once merged (the sizing guide,
# docs/sizing.md): 500k of each through the real ingest path, then
# OPTIMIZE FINAL and system.parts. About three minutes here.
echo "== bytes on disk per span and per log record"
"$PY" bench/disk_per_record.py --python "$PY" --jamscope "$PWD/target/release/jamscope" \
  --json-out "$OUT/disk-per-record.json"

# The query API on a large store: 1M then 10M synthetic spans generated in
# ClickHouse, the read endpoints timed at both sizes, and the trace lookup
# next to the OpenTelemetry exporter's. Bounded: about 5-8 minutes here.
echo "== query API on a large store (1M, then 10M spans)"
"$PY" bench/query_bench.py --python "$PY" --jamscope "$PWD/target/release/jamscope" \
  --json-out "$OUT/query-api.json"

echo "== summary"
"$PY" bench/summarize.py "$OUT"/otlp-*.json "$OUT"/logs-*.json "$OUT"/durable-*.json "$OUT"/replay-*.json \
  "$OUT"/alerting-*.json "$OUT"/rum-*.json "$OUT"/time-to-alert.json | tee "$OUT/summary.md"
