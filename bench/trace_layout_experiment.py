#!/usr/bin/env python3
"""Side experiment behind BENCHMARKS.md's "Why the target is missed": the
trace span query (collector/src/store/queries/trace.rs) on three layouts of
the same spans, to see what a change of `otel_traces` would buy.

  otel_traces  as `jamscope migrate` creates it (index_granularity 8192,
               sorted by (ServiceName, SpanName, time), the exporter's layout)
  t_g1024      the same with index_granularity 1024
  t_proj       the same plus a projection ordered by (TraceId, Timestamp)

Loads TRACES traces (argument, default 300000: 3M spans) with query_bench's
generator, copies them into the two variants, merges each table to one part
(so the layouts differ and nothing else), then times the span query for 200
random ids on each, twice, and prints rows and bytes read from
system.query_log. Not part of `make bench`: about 2 minutes here. Loopback
only; ClickHouse is stopped on exit.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import query_bench as qb  # noqa: E402

QUERY_LOG = ("<query_log><database>system</database><table>query_log</table>"
             "<flush_interval_milliseconds>1000</flush_interval_milliseconds></query_log>")


def main():
    traces = int(sys.argv[1]) if len(sys.argv) > 1 else 300_000
    python = os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python"))
    jamscope = os.path.join(REPO, "target", "release", "jamscope")
    workdir = tempfile.mkdtemp(prefix="qbench-layout-")
    ch = qb.ClickHouse(python, os.path.join(workdir, "ch"), extra_config=QUERY_LOG)
    try:
        ch.start()
        env = dict(os.environ, JAMSCOPE_CLICKHOUSE_URL=ch.url, JAMSCOPE_CLICKHOUSE_DATABASE="otel")
        subprocess.run([jamscope, "migrate"], env=env, cwd=workdir, check=True, capture_output=True)
        key = "PARTITION BY toDate(Timestamp) ORDER BY (ServiceName, SpanName, toDateTime(Timestamp))"
        ch.query(f"CREATE TABLE otel.t_g1024 AS otel.otel_traces ENGINE = MergeTree {key} "
                 "SETTINGS index_granularity = 1024")
        ch.query(f"CREATE TABLE otel.t_proj AS otel.otel_traces ENGINE = MergeTree {key} "
                 "SETTINGS index_granularity = 8192")
        ch.query("ALTER TABLE otel.t_proj ADD PROJECTION by_trace (SELECT * ORDER BY TraceId, Timestamp)")
        qb.load_spans(ch, 0, traces, 100_000, lambda m: None, time.monotonic() + 900)
        for table in ("t_g1024", "t_proj"):
            ch.query(f"INSERT INTO otel.{table} SELECT * FROM otel.otel_traces", timeout=900)
        # One part each: the comparison is of layouts, not of merge progress.
        for table in ("otel_traces", "t_g1024", "t_proj"):
            ch.query(f"OPTIMIZE TABLE otel.{table} FINAL", timeout=900)
        print(ch.query("SELECT table, sum(rows), formatReadableSize(sum(bytes_on_disk)) FROM system.parts "
                       "WHERE active AND database = 'otel' AND table IN ('otel_traces', 't_g1024', 't_proj') "
                       "GROUP BY table FORMAT TSV"))
        print("projection:", ch.query("SELECT formatReadableSize(sum(bytes_on_disk)) FROM system.projection_parts "
                                      "WHERE active AND database = 'otel'").strip())
        direct = qb.ChHttp(ch.http_port)
        ids = random.Random(1).sample(range(traces), 200)
        results = {}
        for _ in range(2):  # the second round is the one kept: caches warm for all three
            for table in ("otel_traces", "t_g1024", "t_proj"):
                sql = qb.JAM_SPANS_SQL.replace("FROM otel_traces", f"FROM {table}")
                times = []
                for t in ids:
                    tid = qb.trace_id_of(t)
                    b, _ = direct.run(qb.JAM_BOUNDS_SQL, dict(trace_id=tid), "layout-bounds")
                    rows, ms = direct.run(sql, dict(trace_id=tid, start=b[0]["start_ns"], end=b[0]["end_ns"]),
                                          f"layout-{table}")
                    if len(rows) != qb.SPANS_PER_TRACE:
                        raise RuntimeError(f"{table}: {len(rows)} spans for {tid}")
                    times.append(ms)
                results[table] = qb.summary(times)
        direct.close()
        ch.query("SYSTEM FLUSH LOGS")
        print(json.dumps(results, indent=1))
        print(ch.query("SELECT log_comment, count(), quantileExact(0.5)(read_rows), quantileExact(0.5)(read_bytes), "
                       "any(projections) FROM system.query_log WHERE type = 'QueryFinish' "
                       "AND log_comment LIKE 'layout-%' GROUP BY log_comment FORMAT TSV"))
    finally:
        ch.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
