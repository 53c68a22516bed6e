#!/usr/bin/env python3
"""Alerting's fixed cost: the CPU an idle collector spends with and without it.

The side-by-side ingest scenario (`jamscope-rules` against
`jamscope-norules`) mixes two costs: what every span costs to record into
the windows, and what the evaluation loop costs every second whatever the
traffic (a heartbeat, a window flush, reading the peers' windows and the
live collectors, silences, the engine tick; the shipped rules that query
ClickHouse every 15 s). This measures the second alone: for each mode a
release `jamscope serve` with its embedded ClickHouse (fresh data dir), no
traffic at all; after it leads (or, alerting off, after the same wait) the
CPU of the collector and of its ClickHouse over `--seconds`.

    alert_idle_cost.py [--seconds 30] [--json-out FILE]

Not part of `make bench` (about two minutes); BENCHMARKS.md quotes it.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request

from sidebyside import free_port, proc_cpu_seconds, wait_idle, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)

MODES = {
    "alerting off": {"JAMSCOPE_ALERT_ENABLED": "false"},
    "default rules": {"JAMSCOPE_ALERT_ENABLED": "true",
                      "JAMSCOPE_ALERT_RULES_DIR": os.path.join(REPO, "alert-rules")},
}


def children(pid):
    out = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            out += [int(p) for p in f.read().split()]
    return out


def measure(args, mode, extra_env):
    work = tempfile.mkdtemp(prefix="bench-alert-idle-", dir=args.tmp)
    http_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JAMSCOPE_")}
    env.update(JAMSCOPE_HTTP_ADDR=f"127.0.0.1:{http_port}", JAMSCOPE_GRPC_ADDR=f"127.0.0.1:{free_port()}",
               JAMSCOPE_DATA_DIR=os.path.join(work, "data"),
               JAMSCOPE_CLICKHOUSE_EMBEDDED_PYTHON=args.python,
               JAMSCOPE_CLICKHOUSE_EMBEDDED_HTTP_PORT="0", JAMSCOPE_CLICKHOUSE_EMBEDDED_TCP_PORT="0",
               **extra_env)
    busy = wait_idle(args.wait_idle)
    log = open(os.path.join(work, "jamscope.log"), "wb")
    proc = subprocess.Popen([args.jamscope, "serve"], env=env, cwd=work, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        base = f"http://127.0.0.1:{http_port}"
        wait_ready(base + "/readyz", 90, proc)
        time.sleep(args.settle)  # past the lease (5 s): leading, state restored
        with urllib.request.urlopen(base + "/metrics", timeout=5) as r:
            leads = "\njamscope_alert_leader 1\n" in r.read().decode()
        (ch,) = children(proc.pid)
        c0, h0, t0 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch), time.monotonic()
        time.sleep(args.seconds)
        c1, h1, t1 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch), time.monotonic()
        return dict(mode=mode, leading=leads, seconds=round(t1 - t0, 1), machine_busy_pct_before=busy,
                    collector_cpu_ms_per_s=round((c1 - c0) / (t1 - t0) * 1e3, 1),
                    clickhouse_cpu_ms_per_s=round((h1 - h0) / (t1 - t0) * 1e3, 1))
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jamscope", default=os.path.join(REPO, "target", "release", "jamscope"))
    ap.add_argument("--python", default=os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python")))
    ap.add_argument("--seconds", type=float, default=30)
    ap.add_argument("--settle", type=float, default=10, help="wait after ready before measuring, s")
    ap.add_argument("--wait-idle", type=float, default=30)
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--json-out")
    args = ap.parse_args()
    args.python = os.path.abspath(args.python)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    results = [measure(args, mode, env) for mode, env in MODES.items()]
    print(f"{'idle, CPU ms per second':28} {'collector':>10} {'ClickHouse':>11}")
    for r in results:
        print(f"{r['mode']:28} {r['collector_cpu_ms_per_s']:10.1f} {r['clickhouse_cpu_ms_per_s']:11.1f}"
              f"{'' if r['leading'] or r['mode'] == 'alerting off' else '  (not leading!)'}")
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(dict(date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), results=results), f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
