#!/usr/bin/env python3
"""Ingest cost per span on one ClickHouse node and on a sharded cluster.

Not part of `make bench`. Starts ../shared/cluster (four ClickHouse nodes,
the same engine as the embedded one, fixed ports 200K1) under a temp root,
then for each layout in turn (interleaved, --repeat times):

  1-node   the collector writes to n1, no cluster (one shard)
  c_1r     cluster c_1r without Keeper: 2 shards x 1 replica (n1, n3)
  c        cluster c without Keeper: 2 shards x 2 replicas (n1..n4)

a fresh database, `jamscope serve` (--bin, a release build) writing through
n1, wrk posting gen_payload.py's 500-span protobuf requests for --duration s,
then a drain: the Distributed queues flushed, rows counted until they stop
growing, and the layout's nodes left until they are idle again (their
merges belong to the run). Reported per run and as medians: spans landed
(distinct rows: one copy per shard), collector CPU-s, the CPU-s of the
layout's ClickHouse nodes (utime+stime from /proc), and microseconds of
CPU per span landed for each and for the box. Loopback only.

  .venv/bin/python bench/cluster_cost.py --bin target/release/jamscope
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
from sidebyside import free_port, parse_wrk, proc_cpu_seconds, wait_ready  # noqa: E402

CLUSTER = os.path.join(os.path.dirname(REPO), "shared", "cluster")
NODES = (1, 2, 3, 4)
LAYOUTS = {
    "1-node": dict(cluster=None, nodes=(1,)),
    "c_1r": dict(cluster="c_1r", nodes=(1, 3)),
    "c": dict(cluster="c", nodes=(1, 2, 3, 4)),
}


def node_url(k):
    return f"http://127.0.0.1:200{k}1"


def ch(k, sql):
    request = urllib.request.Request(node_url(k) + "/", data=sql.encode())
    with urllib.request.urlopen(request, timeout=60) as answer:
        return answer.read().decode().strip()


def node_pid(root, k):
    with open(os.path.join(root, f"n{k}", "pid")) as f:
        return int(f.read().strip())


def nodes_cpu(root, nodes):
    return sum(proc_cpu_seconds(node_pid(root, k)) for k in nodes)


def wait_nodes_idle(root, nodes, max_s, busy_below=0.05):
    """Until the nodes together use < busy_below of a core over a second."""
    deadline = time.monotonic() + max_s
    while time.monotonic() < deadline:
        before = nodes_cpu(root, nodes)
        time.sleep(1.0)
        if nodes_cpu(root, nodes) - before < busy_below:
            return
    print(f"  (nodes {nodes} still busy after {max_s}s)", file=sys.stderr)


def landed(database, layout):
    spec = LAYOUTS[layout]
    if spec["cluster"] is None:
        return int(ch(1, f"SELECT count() FROM `{database}`.otel_traces"))
    ch(1, f"SYSTEM FLUSH DISTRIBUTED `{database}`.otel_traces")
    # One replica per shard: n1 and n3.
    return sum(int(ch(k, f"SELECT count() FROM `{database}`.otel_traces_local")) for k in (1, 3))


def run(args, root, layout, payload_files, number):
    spec = LAYOUTS[layout]
    database = f"cost_{layout.replace('-', '_')}_{number}"
    workdir = tempfile.mkdtemp(prefix=f"cluster-cost-{layout}-", dir=args.tmp)
    port = free_port()
    env = dict(os.environ,
               JAMSCOPE_HTTP_ADDR=f"127.0.0.1:{port}",
               JAMSCOPE_GRPC_ADDR="127.0.0.1:0",
               JAMSCOPE_CLICKHOUSE_URL=node_url(1),
               JAMSCOPE_CLICKHOUSE_DATABASE=database,
               JAMSCOPE_DATA_DIR=os.path.join(workdir, "data"),
               JAMSCOPE_ALERT_ENABLED="false",
               JAMSCOPE_LIMITS_PER_IP_PER_MINUTE="0",
               JAMSCOPE_LIMITS_GLOBAL_PER_MINUTE="0",
               JAMSCOPE_LOG="warn")
    if spec["cluster"]:
        env["JAMSCOPE_CLICKHOUSE_CLUSTER"] = spec["cluster"]
        env["JAMSCOPE_CLICKHOUSE_CLUSTER_NODES"] = ",".join(node_url(k) for k in spec["nodes"])
    wait_nodes_idle(root, NODES, 30)
    with open(os.path.join(workdir, "jamscope.log"), "wb") as log:
        proc = subprocess.Popen([args.bin, "serve"], env=env, cwd=workdir, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}/readyz", 60, proc)
        wait_nodes_idle(root, spec["nodes"], 30)
        cpu0, ch0 = proc_cpu_seconds(proc.pid), nodes_cpu(root, spec["nodes"])
        t0 = time.monotonic()
        wrk = subprocess.run(["wrk", "-t2", f"-c{args.connections}", f"-d{args.duration}s",
                              "--timeout=30s", "-s", os.path.join(HERE, "post_body.lua"),
                              f"http://127.0.0.1:{port}/v1/traces", "--", ",".join(payload_files)],
                             capture_output=True, text=True, check=True)
        load_s = time.monotonic() - t0
        rows, stable_since = -1, time.monotonic()
        while time.monotonic() - stable_since < args.quiet:
            now = landed(database, layout)
            if now != rows:
                rows, stable_since = now, time.monotonic()
            time.sleep(0.5)
        cpu1 = proc_cpu_seconds(proc.pid)
        wait_nodes_idle(root, spec["nodes"], 60)
        ch1 = nodes_cpu(root, spec["nodes"])
        w = parse_wrk(wrk.stdout)
        collector, clickhouse = cpu1 - cpu0, ch1 - ch0
        return dict(layout=layout, database=database, rows=rows, load_s=round(load_s, 1),
                    spans_per_s_landed=round(rows / load_s), requests=w["requests"], non2xx=w["non2xx"],
                    collector_cpu_s=round(collector, 2), clickhouse_cpu_s=round(clickhouse, 2),
                    collector_us_per_span=round(1e6 * collector / rows, 2),
                    clickhouse_us_per_span=round(1e6 * clickhouse / rows, 2),
                    box_us_per_span=round(1e6 * (collector + clickhouse) / rows, 2))
    finally:
        proc.terminate()
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(REPO, "target", "release", "jamscope"))
    ap.add_argument("--python", default=os.path.join(REPO, ".venv", "bin", "python"))
    ap.add_argument("--layouts", default="1-node,c_1r,c")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--spans", type=int, default=500)
    ap.add_argument("--quiet", type=float, default=3.0, help="rows unchanged this long = drained")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--json-out", default=None)
    args = ap.parse_args()
    args.bin = os.path.abspath(args.bin)
    layouts = args.layouts.split(",")
    root = tempfile.mkdtemp(prefix="cluster-cost-root-", dir=args.tmp)
    scripts_env = dict(os.environ, PY=args.python)
    subprocess.run(["bash", os.path.join(CLUSTER, "start_cluster.sh"), root], env=scripts_env,
                   cwd=REPO, check=True, capture_output=True)
    results = []
    try:
        for number in range(args.repeat):
            body = os.path.join(tempfile.mkdtemp(dir=args.tmp), "body")
            subprocess.run([args.python, os.path.join(HERE, "gen_payload.py"), body,
                            "--spans", str(args.spans), "--variants", "4"],
                           check=True, capture_output=True)
            files = [f"{body}.{i}" for i in range(4)]
            for layout in layouts:
                result = run(args, root, layout, files, number)
                print(json.dumps(result), flush=True)
                results.append(result)
    finally:
        subprocess.run(["bash", os.path.join(CLUSTER, "stop_cluster.sh"), root, "--wipe"],
                       capture_output=True)
    print(f"\nmedians over {args.repeat} runs ({args.spans} spans/request, {args.connections} "
          f"connections, {args.duration} s, writes through n1):")
    print("| layout | spans/s landed | collector µs/span | ClickHouse µs/span | box µs/span |")
    print("|---|---|---|---|---|")
    medians = {}
    for layout in layouts:
        mine = [r for r in results if r["layout"] == layout]
        m = {key: statistics.median(r[key] for r in mine) for key in
             ("spans_per_s_landed", "collector_us_per_span", "clickhouse_us_per_span", "box_us_per_span")}
        medians[layout] = m
        print(f"| {layout} | {m['spans_per_s_landed']:.0f} | {m['collector_us_per_span']:.2f} | "
              f"{m['clickhouse_us_per_span']:.2f} | {m['box_us_per_span']:.2f} |")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(dict(runs=results, medians=medians), f, indent=2)


if __name__ == "__main__":
    main()
