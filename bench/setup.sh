#!/usr/bin/env bash
# Install what the benchmark needs (idempotent): a venv with the embedded
# ClickHouse (chdb-core), rotel (ships rotel-agent) and the OTLP protobufs,
# plus wrk from Debian.
#   BENCH_VENV (default /tmp/bench-venv)
set -euo pipefail
VENV=${BENCH_VENV:-/tmp/bench-venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/python" -c 'import chdb, rotel, opentelemetry.proto' 2>/dev/null || \
  "$VENV/bin/pip" install -q "chdb-core==26.9.0" "rotel==0.0.1a15" opentelemetry-proto protobuf
if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk
fi
echo "bench venv: $VENV ($("$VENV/bin/python" -c 'import os, rotel; print(os.path.join(os.path.dirname(rotel.__file__), "rotel-agent"))'))"
