#!/usr/bin/env python3
"""Bytes on disk per span and per log record, after compression, through
the real ingest path: what the sizing guide (docs/sizing.md) multiplies
by a site's rate and retention.

What it does, in one run:
  1. starts a fresh embedded ClickHouse (sidebyside's `ClickHouse`) and
     `jamscope serve` pointed at it (database `otel`, alerting off, rate
     limits off);
  2. POSTs OTLP/HTTP protobuf requests built by gen_payload.py (spans,
     then log records; 1000 a request, new ids in every request) over one
     keep-alive connection, each request's times moved back a little so
     the rows cover --spread-minutes of wall time, as a steady stream
     would; a 429 or 503 is sent again after a pause;
  3. waits until every acknowledged row is counted, then `OPTIMIZE TABLE
     ... FINAL` on `otel_traces`, `trace_index` and `otel_logs`: the state
     a store settles into once merges have run (`trace_index` folded to
     one row a trace);
  4. reads `system.parts` (active parts: rows, compressed and uncompressed
     column bytes, bytes on disk with marks, primary and skip indexes) and
     `system.columns` (the largest columns), and prints bytes per row.

Bytes per row do not depend on the collector's build or on the machine's
load, so a debug build (--jamscope) measures the same as a release one,
only slower. Writes --json-out (bench/results/disk-per-record.json in
`make bench`) and prints a Markdown table. Loopback only; every wait is
bounded; ClickHouse and the collector are stopped on exit, failure
included, and the temporary directory is removed unless --keep.
"""
import argparse
import http.client
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from sidebyside import (ClickHouse, free_port, print_and_save, stop_process, tsv_rows,  # noqa: E402
                        wait_port, wait_ready)
import gen_payload  # noqa: E402

PER_REQUEST = 1000
# (signal, path, builder, table counted, tables measured)
SIGNALS = [
    ("spans", "/v1/traces", gen_payload.build_request, "otel_traces", ("otel_traces", "trace_index")),
    ("log records", "/v1/logs", gen_payload.build_log_request, "otel_logs", ("otel_logs",)),
]


def send_all(port, path, builder, count, spread_ns, seed, deadline):
    """POSTs `count` records in requests of PER_REQUEST, the n-th request's
    times ending `spread_ns * (1 - n / requests)` before now; returns the
    records acknowledged."""
    rng = random.Random(seed)
    requests = max(1, count // PER_REQUEST)
    now = time.time_ns()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    acknowledged = 0
    try:
        for n in range(requests):
            body = builder(PER_REQUEST, rng, now - spread_ns * (requests - 1 - n) // requests)
            data = body.SerializeToString()
            while True:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"out of time after {acknowledged:,} records to {path}")
                conn.request("POST", path, body=data, headers={"Content-Type": "application/x-protobuf"})
                answer = conn.getresponse()
                text = answer.read()
                if answer.status == 200:
                    break
                if answer.status in (429, 503):
                    time.sleep(float(answer.getheader("Retry-After") or 1))
                    continue
                raise RuntimeError(f"{path} answered {answer.status}: {text[:300]!r}")
            if text:
                # An empty answer is full success; anything else is a partial
                # success naming refused records, which would make the count lie.
                raise RuntimeError(f"{path} refused part of a request: {text[:300]!r}")
            acknowledged += PER_REQUEST
    finally:
        conn.close()
    return acknowledged


def wait_count(ch, table, expected, max_s):
    """Waits (bounded) until `table` holds `expected` rows; returns them."""
    deadline = time.monotonic() + max_s
    while True:
        rows = int(ch.query(f"SELECT count() FROM otel.{table}").strip())
        if rows >= expected or time.monotonic() > deadline:
            return rows
        time.sleep(0.5)


def table_sizes(ch, table):
    """Active parts of one table, summed: rows and bytes."""
    (row,) = tsv_rows(ch, "SELECT count(), sum(rows), sum(data_compressed_bytes), "
                          "sum(data_uncompressed_bytes), sum(bytes_on_disk), "
                          "sum(primary_key_bytes_in_memory), sum(marks_bytes) "
                          f"FROM system.parts WHERE database = 'otel' AND table = '{table}' AND active")
    parts, rows, compressed, uncompressed, on_disk, primary, marks = (int(x) for x in row)
    columns = tsv_rows(ch, "SELECT column, sum(column_data_compressed_bytes) AS compressed, "
                           "sum(column_data_uncompressed_bytes) FROM system.parts_columns "
                           f"WHERE database = 'otel' AND table = '{table}' AND active "
                           "GROUP BY column ORDER BY compressed DESC LIMIT 8")
    return dict(parts=parts, rows=rows, compressed_bytes=compressed, uncompressed_bytes=uncompressed,
                bytes_on_disk=on_disk, marks_bytes=marks, primary_key_bytes=primary,
                columns=[dict(name=n, compressed_bytes=int(c), uncompressed_bytes=int(u))
                         for n, c, u in columns])


def per_record(size, records):
    return dict(compressed=round(size["compressed_bytes"] / records, 1),
                uncompressed=round(size["uncompressed_bytes"] / records, 1),
                on_disk=round(size["bytes_on_disk"] / records, 1),
                ratio=round(size["uncompressed_bytes"] / max(1, size["compressed_bytes"]), 2))


def markdown(results):
    lines = ["| table | rows | per | compressed B | uncompressed B | on disk B (with marks, indexes) | ratio |",
             "|---|---|---|---|---|---|---|"]
    for sig in results["signals"]:
        for table, size in sig["tables"].items():
            p = size["per_record"]
            lines.append(f"| `{table}` | {size['rows']:,} | {sig['signal'][:-1]} | {p['compressed']} | "
                         f"{p['uncompressed']} | {p['on_disk']} | {p['ratio']}× |")
        t = sig["total_per_record"]
        lines.append(f"| all of a {sig['signal'][:-1]} | | | {t['compressed']} | {t['uncompressed']} | "
                     f"{t['on_disk']} | {t['ratio']}× |")
    lines.append("")
    for sig in results["signals"]:
        for table, size in sig["tables"].items():
            # Small parts are compact (all columns in one file): no sizes.
            cols = ", ".join(f"`{c['name']}` {c['compressed_bytes'] / size['rows']:.1f}"
                             for c in size["columns"][:6] if c["compressed_bytes"])
            if cols:
                lines.append(f"- `{table}`, largest columns (compressed B per row): {cols}")
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--python", default=os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python")))
    ap.add_argument("--jamscope", default=os.path.join(REPO, "target", "release", "jamscope"))
    ap.add_argument("--spans", type=int, default=500_000)
    ap.add_argument("--log-records", type=int, default=500_000)
    ap.add_argument("--spread-minutes", type=float, default=60,
                    help="wall time the rows' timestamps cover, as a steady stream's would")
    ap.add_argument("--max-seconds", type=float, default=1200,
                    help="give up (and clean up) past this many seconds in all")
    ap.add_argument("--tmp")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    args.jamscope = os.path.abspath(args.jamscope)
    if not os.access(args.jamscope, os.X_OK):
        ap.error(f"{args.jamscope} not found (cargo build --release --locked -p jamscope)")
    started = time.monotonic()
    deadline = started + args.max_seconds

    def log(msg):
        print(f"[{time.monotonic() - started:6.1f}s] {msg}", file=sys.stderr, flush=True)

    workdir = tempfile.mkdtemp(prefix="diskbench-", dir=args.tmp)
    ch = ClickHouse(args.python, os.path.join(workdir, "ch"))
    serve = None
    counts = {"spans": args.spans, "log records": args.log_records}
    results = dict(command=" ".join(sys.argv), jamscope=args.jamscope, per_request=PER_REQUEST,
                   spread_minutes=args.spread_minutes, signals=[])
    try:
        ch.start()
        http_port = free_port()
        env = dict(os.environ, JAMSCOPE_CLICKHOUSE_URL=ch.url, JAMSCOPE_CLICKHOUSE_DATABASE="otel",
                   JAMSCOPE_DATA_DIR=os.path.join(workdir, "jamscope-data"), JAMSCOPE_LOG="warn",
                   JAMSCOPE_HTTP_ADDR=f"127.0.0.1:{http_port}", JAMSCOPE_GRPC_ADDR="127.0.0.1:0",
                   JAMSCOPE_ALERT_ENABLED="false", JAMSCOPE_LIMITS_PER_IP_PER_MINUTE="0",
                   JAMSCOPE_LIMITS_PER_KEY_PER_MINUTE="0", JAMSCOPE_LIMITS_GLOBAL_PER_MINUTE="0")
        slog = open(os.path.join(workdir, "jamscope.log"), "wb")
        serve = subprocess.Popen([args.jamscope, "serve"], env=env, cwd=workdir, stdout=slog,
                                 stderr=subprocess.STDOUT, start_new_session=True)
        wait_port(http_port, 60, serve)
        wait_ready(f"http://127.0.0.1:{http_port}/readyz", 60, serve)
        log(f"collector ready on {http_port}, ClickHouse at {ch.url}")
        spread_ns = int(args.spread_minutes * 60e9)
        for seed, (name, path, builder, counted, tables) in enumerate(SIGNALS):
            if counts[name] <= 0:
                continue
            t0 = time.monotonic()
            sent = send_all(http_port, path, builder, counts[name], spread_ns, seed, deadline)
            landed = wait_count(ch, counted, sent, max(1, deadline - time.monotonic()))
            if landed != sent:
                raise RuntimeError(f"{sent:,} {name} acknowledged, {landed:,} in {counted}")
            log(f"{sent:,} {name} landed in {time.monotonic() - t0:.0f} s")
            for table in tables:
                ch.query(f"OPTIMIZE TABLE otel.{table} FINAL", timeout=max(1, deadline - time.monotonic()))
            sizes = {table: table_sizes(ch, table) for table in tables}
            total = {k: sum(s[k] for s in sizes.values())
                     for k in ("compressed_bytes", "uncompressed_bytes", "bytes_on_disk")}
            for size in sizes.values():
                size["per_record"] = per_record(size, sent)
            results["signals"].append(dict(signal=name, records=sent, tables=sizes,
                                           total_per_record=per_record(total, sent)))
            log(f"{name}: " + ", ".join(f"{t} {s['per_record']['compressed']} B" for t, s in sizes.items()))
        if serve.poll() is not None:
            raise RuntimeError(f"jamscope serve exited ({serve.returncode}); see {slog.name}")
        results["total_s"] = round(time.monotonic() - started, 1)
    finally:
        stop_process(serve, 30)
        ch.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)

    print_and_save(results, markdown(results), args.json_out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
