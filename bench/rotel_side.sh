#!/usr/bin/env bash
# Rotel side of the benchmark: embedded ClickHouse + rotel-agent + wrk.
#   bench/rotel_side.sh [sidebyside.py options]
# e.g. bench/rotel_side.sh --spans 500 --connections 8 --duration 15
# Add --sides rotel,jamscope --jamscope-cmd '...' to run both in one go.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export BENCH_VENV=${BENCH_VENV:-/tmp/bench-venv}
"$HERE/setup.sh" >/dev/null
exec "$BENCH_VENV/bin/python" "$HERE/sidebyside.py" --python "$BENCH_VENV/bin/python" --sides rotel "$@"
