#!/usr/bin/env python3
"""Side-by-side OTLP/HTTP -> ClickHouse collector benchmark.

For each side (collector) in turn:
  1. start a fresh embedded ClickHouse (the collector's chdb launcher) in a temp dir,
  2. apply that side's schema (if any),
  3. start the collector pointed at that ClickHouse, on free loopback ports,
  4. wait until ClickHouse is idle (no merge, CPU steady), noting its idle rate,
  5. drive wrk (bench/post_body.lua) for --duration s with --connections,
  6. wait for rows to stop growing in ClickHouse (the drain), then until
     ClickHouse is idle again (merges done, back near its idle rate),
  7. report requests/s, spans/s accepted, rows landed, collector and
     ClickHouse CPU seconds (utime+stime from /proc/PID/stat), the box
     figures, peak RSS (VmHWM), wrk latency p50/p99, and where ClickHouse's
     CPU went (its query, view and part logs),
  8. stop the collector (SIGTERM) and ClickHouse (line into stop.fifo).

Sides:
  rotel     rotel-agent from the `rotel` PyPI package, ClickHouse exporter
            over HTTP, tables from bench/rotel_schema.sql.

  jamscope  command from --jamscope-cmd (or $JAMSCOPE_CMD), a template with
            {otlp_http_port} {otlp_http_addr} {ch_http_port} {ch_tcp_port}
            {ch_http_url} {workdir} placeholders; optional --jamscope-schema
            SQL file; rows counted with --jamscope-count-sql.
  jamscope-durable   the same, acknowledging once fsync'd to the spool.
  jamscope-rules     the same, evaluating the repository's alert-rules/.
  jamscope-norules   the same, alerting off (JAMSCOPE_ALERT_ENABLED=false).

--signal logs sends log records (gen_payload.py --logs, to /v1/logs) and
counts rows in otel.otel_logs instead of spans in otel.otel_traces;
--signal metrics sends OTLP metric data points to /v1/metrics instead
(gen_payload.py --metrics; --spans is then points a request) and counts
rows in the metric tables. The tables name the signal's records where
they say spans.

--repeat N runs the sides N times, interleaved (a,b,a,b,...), and prints
the median per side: compare medians, the machines are shared.  Generated
payloads are made again before each run, so span times stay "just now"
(alert windows ignore spans that ended before the window).

Run with the project venv plus bench/requirements.txt (needs chdb-core, rotel,
opentelemetry-proto).  Loopback only; every load run is bounded by
--duration.  Prints a human table and, with --json-out FILE, writes JSON.
"""
import argparse
import json
import os
import re
import resource
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
CHDB_LAUNCHER = os.path.join(REPO, "collector", "src", "store", "embedded", "launch_chdb.py")
CLK_TCK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- helpers

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode} before listening on {port}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


def stop_process(proc, timeout):
    """SIGTERM, then SIGKILL if it is still running after `timeout` s; True
    when it had to be killed. A process already gone is left alone."""
    if proc is None or proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
        return False
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return True


def print_and_save(results, md, json_out):
    """Prints the Markdown table and, with json_out, writes the results
    with it."""
    print(md)
    if json_out:
        with open(json_out, "w") as f:
            json.dump(dict(results, markdown=md), f, indent=2)


def wait_ready(url, timeout, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited ({proc.returncode}) before it was ready")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except Exception:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} never answered 200")


def proc_cpu_seconds(pid):
    """utime+stime of one process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()   # skip "pid (comm) "
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14, 15 of stat


def proc_status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return None


def system_cpu():
    """(busy, total) jiffies over all CPUs."""
    with open("/proc/stat") as f:
        vals = [int(x) for x in f.readline().split()[1:]]
    idle = vals[3] + vals[4]
    return sum(vals) - idle, sum(vals)


def busy_pct(sample_s):
    a = system_cpu()
    time.sleep(sample_s)
    b = system_cpu()
    return 100.0 * (b[0] - a[0]) / max(1, b[1] - a[1])


def wait_idle(max_wait_s, threshold=15.0):
    """Wait (up to max_wait_s) for the machine to be idle; returns the last
    busy % seen.  Other work on this 2-core box (a cargo build...) skews
    every number here, so the result records it."""
    deadline = time.monotonic() + max_wait_s
    while True:
        pct = busy_pct(2.0)
        if pct < threshold or time.monotonic() >= deadline:
            return round(pct, 1)


# ClickHouse's own logs, off in the embedded engine unless configured: what
# the cost breakdown reads (inserts, the trace_index view, parts and merges).
CLICKHOUSE_LOGS = "".join(
    f"<{t}><database>system</database><table>{t}</table>"
    f"<flush_interval_milliseconds>1000</flush_interval_milliseconds></{t}>"
    for t in ("query_log", "query_views_log", "part_log", "trace_log"))


def wait_clickhouse_idle(ch, max_wait_s, rate, quiet_s=3.0):
    """Wait until ClickHouse is idle: its process below `rate` cores for
    quiet_s in a row and no merge running (bounded by max_wait_s), so the
    side measured next pays for its own inserts and merges and none of the
    ones before. Returns (seconds waited, settled or not, cores used over
    the quiet stretch)."""
    start = time.monotonic()
    last_cpu, last_t = proc_cpu_seconds(ch.proc.pid), start
    quiet_since = quiet_cpu = None
    while True:
        time.sleep(0.5)
        now, cpu = time.monotonic(), proc_cpu_seconds(ch.proc.pid)
        busy = (cpu - last_cpu) / max(1e-6, now - last_t) >= rate
        last_cpu, last_t = cpu, now
        if not busy and int(ch.query("SELECT count() FROM system.merges").strip() or 0) == 0:
            if quiet_since is None:
                quiet_since, quiet_cpu = now, cpu
            if now - quiet_since >= quiet_s:
                return round(now - start, 1), True, round((cpu - quiet_cpu) / (now - quiet_since), 3)
        else:
            quiet_since = None
        if now - start >= max_wait_s:
            return round(now - start, 1), False, None


def tsv_rows(ch, sql):
    text = ch.query(sql + " FORMAT TSV").strip()
    return [line.split("\t") for line in text.splitlines()] if text else []


def clickhouse_breakdown(ch, since, tables, top=12):
    """Where ClickHouse's CPU went since `since` (a unix time), from its own
    logs: the INSERTs (which include the materialized views they feed), each
    view (query_views_log), parts written and merges (part_log), and the
    hottest functions if the CPU profiler sampled any (trace_log)."""
    ch.query("SYSTEM FLUSH LOGS")
    t = f"toDateTime({int(since)})"
    out = {}
    cpu = ("ProfileEvents['OSCPUVirtualTimeMicroseconds']")
    rows = tsv_rows(ch, f"SELECT count(), sum(written_rows), sum({cpu}), "
                        f"sum(ProfileEvents['UserTimeMicroseconds']), "
                        f"sum(ProfileEvents['SystemTimeMicroseconds']), sum(query_duration_ms) "
                        f"FROM system.query_log WHERE type = 'QueryFinish' AND query_kind = 'Insert' "
                        f"AND event_time >= {t} AND has(tables, '{tables[0]}')")
    n, written, cpu_us, user_us, sys_us, dur_ms = (int(x) for x in rows[0])
    out["inserts"] = dict(count=n, written_rows=written, cpu_s=round(cpu_us / 1e6, 2),
                          user_s=round(user_us / 1e6, 2), system_s=round(sys_us / 1e6, 2),
                          wall_s=round(dur_ms / 1e3, 2))
    failed = tsv_rows(ch, f"SELECT count() FROM system.query_log WHERE type IN "
                          f"('ExceptionBeforeStart', 'ExceptionWhileProcessing') AND query_kind = 'Insert' "
                          f"AND event_time >= {t}")
    out["inserts"]["failed"] = int(failed[0][0])
    # Everything else that ran: the collector's own reads (alert rules,
    # heartbeats), this script's polling, other INSERTs.
    out["other_queries"] = {f"{kind or 'other'} {table}": dict(count=int(c), cpu_s=round(int(us) / 1e6, 2))
                            for kind, table, c, us in tsv_rows(
                                ch, f"SELECT query_kind, if(query_kind = 'Insert', tables[-1], ''), count(), "
                                    f"sum({cpu}) FROM system.query_log WHERE type = 'QueryFinish' "
                                    f"AND event_time >= {t} AND NOT (query_kind = 'Insert' "
                                    f"AND has(tables, '{tables[0]}')) GROUP BY ALL ORDER BY 4 DESC")}
    out["views"] = {name: dict(count=int(c), read_rows=int(r), written_rows=int(w),
                               cpu_s=round(int(us) / 1e6, 2), wall_s=round(int(ms) / 1e3, 2))
                    for name, c, r, w, us, ms in tsv_rows(
                        ch, f"SELECT view_name, count(), sum(read_rows), sum(written_rows), sum({cpu}), "
                            f"sum(view_duration_ms) FROM system.query_views_log "
                            f"WHERE event_time >= {t} GROUP BY view_name ORDER BY view_name")}
    out["parts"] = {}
    for table, kind, c, r, size, ms, us in tsv_rows(
            ch, f"SELECT concat(database, '.', table), event_type, count(), sum(rows), "
                f"sum(size_in_bytes), sum(duration_ms), sum({cpu}) FROM system.part_log "
                f"WHERE event_time >= {t} AND database NOT IN ('system') "
                f"AND event_type IN ('NewPart', 'MergeParts') GROUP BY ALL ORDER BY ALL"):
        out["parts"].setdefault(table, {})[kind] = dict(
            count=int(c), rows=int(r), bytes=int(size), wall_s=round(int(ms) / 1e3, 2),
            cpu_s=round(int(us) / 1e6, 2))
    # What the INSERTs and merges spent their time on, by ClickHouse's own
    # timers (sorting, skip indexes, compression, the views...).
    def timers(log, where):
        """ClickHouse's own timers (µs ProfileEvents), summed over `log`'s
        rows matching `where`, largest first; CPU totals are above."""
        return {k: round(int(v) / 1e6, 3) for k, v in tsv_rows(
            ch, f"SELECT x.1, sum(x.2) FROM system.{log} ARRAY JOIN CAST(ProfileEvents, "
                f"'Array(Tuple(String, UInt64))') AS x WHERE event_time >= {t} AND {where} "
                f"AND x.1 LIKE '%Microseconds' AND x.1 NOT IN ('OSCPUVirtualTimeMicroseconds', "
                f"'RealTimeMicroseconds', 'UserTimeMicroseconds', 'SystemTimeMicroseconds', "
                f"'OSCPUWaitMicroseconds') GROUP BY 1 ORDER BY 2 DESC LIMIT {top}")}

    # What the INSERTs and merges spent their time on (sorting, skip
    # indexes, disk, the views...).
    out["insert_timers_s"] = timers(
        "query_log", f"type = 'QueryFinish' AND query_kind = 'Insert' AND has(tables, '{tables[0]}')")
    try:
        out["merge_timers_s"] = timers(
            "part_log", f"event_type = 'MergeParts' AND table = '{tables[0].split('.')[-1]}'")
    except Exception as e:  # part_log without ProfileEvents
        out["merge_timers_s"] = str(e)[:200]
    out["new_part_types"] = {f"{table} {kind}": int(c) for table, kind, c in tsv_rows(
        ch, f"SELECT concat(database, '.', table), part_type, count() FROM system.part_log "
            f"WHERE event_time >= {t} AND database NOT IN ('system') AND event_type = 'NewPart' "
            f"GROUP BY ALL ORDER BY ALL")}
    out["parts_active_at_end"] = {table: int(c) for table, c in tsv_rows(
        ch, "SELECT concat(database, '.', table), count() FROM system.parts "
            "WHERE active AND database NOT IN ('system') GROUP BY ALL ORDER BY ALL")}
    try:
        out["profile_top"] = [(int(c), sym) for c, sym in tsv_rows(
            ch, f"SELECT count() c, demangle(addressToSymbol(trace[1])) s FROM system.trace_log "
                f"WHERE trace_type = 'CPU' AND event_time >= {t} GROUP BY s ORDER BY c DESC "
                f"LIMIT {top} SETTINGS allow_introspection_functions = 1")]
    except Exception as e:  # no symbols, or no profiler in this build
        out["profile_top"] = str(e)[:200]
    return out


def print_breakdown(name, b, ch_cpu_s, rows):
    """A few lines: where ClickHouse's CPU went for one side."""
    ins = b["inserts"]
    per_row = lambda s: f"{s / rows * 1e6:.2f} µs/row" if rows else "-"
    print(f"{name}: ClickHouse {ch_cpu_s} CPU-s ({per_row(ch_cpu_s)}) = "
          f"INSERTs {ins['cpu_s']} s ({per_row(ins['cpu_s'])}; {ins['count']} of them, "
          f"{ins['failed']} failed, {ins['written_rows']:,} rows written incl. views)", flush=True)
    for view, v in b["views"].items():
        print(f"    of which view {view}: {v['cpu_s']} s ({per_row(v['cpu_s'])}), "
              f"{v['read_rows']:,} rows in, {v['written_rows']:,} out", flush=True)
    merge_cpu = 0.0
    for table, kinds in b["parts"].items():
        new, merged = kinds.get("NewPart", {}), kinds.get("MergeParts", {})
        merge_cpu += merged.get("cpu_s", 0)
        print(f"    {table}: {new.get('count', 0)} new parts ({new.get('rows', 0):,} rows, "
              f"{new.get('bytes', 0) / 2**20:.1f} MiB), {merged.get('count', 0)} merges "
              f"({merged.get('rows', 0):,} rows, {merged.get('cpu_s', 0)} CPU-s, "
              f"{per_row(merged.get('cpu_s', 0))}), "
              f"{b['parts_active_at_end'].get(table, 0)} parts at the end", flush=True)
    other = b.get("other_queries", {})
    other_cpu = sum(q["cpu_s"] for q in other.values())
    print("    other queries: " + ", ".join(f"{k.strip()} {q['count']}× {q['cpu_s']} s"
                                           for k, q in other.items()), flush=True)
    rest = ch_cpu_s - ins["cpu_s"] - merge_cpu - other_cpu
    print(f"    rest (log flushes, system merges, background): {rest:.2f} s", flush=True)
    for what, key in (("INSERT", "insert_timers_s"), ("merge", "merge_timers_s")):
        if isinstance(b.get(key), dict) and b[key]:
            print(f"    {what} timers: " + ", ".join(
                f"{k.removesuffix('Microseconds')} {v} s ({per_row(v)})"
                for k, v in list(b[key].items())[:8]), flush=True)
    if isinstance(b.get("profile_top"), list) and b["profile_top"]:
        print("    hottest (CPU profiler samples): " +
              "; ".join(f"{c} {s[:60]}" for c, s in b["profile_top"][:6]), flush=True)


class ClickHouse:
    def __init__(self, python, workdir, extra_config=""):
        self.python = python
        self.workdir = workdir
        self.extra_config = extra_config  # more server config XML (e.g. <query_log>)
        self.proc = None
        self.http_port = self.tcp_port = None

    def start(self, timeout=60, listen_ports=(0, 0)):
        """listen_ports: (http, tcp); 0 picks free ones. A restart passes the
        ports it had, so a collector pointed at it reconnects."""
        os.makedirs(self.workdir, exist_ok=True)
        ports = os.path.join(self.workdir, "ports.tsv")
        if os.path.exists(ports):  # stale from an earlier run on this dir
            os.unlink(ports)
        self.log = open(os.path.join(self.workdir, "clickhouse.log"), "wb")
        # The same chdb launcher the collector uses for its embedded
        # ClickHouse: it reads clickhouse-local.xml from its cwd, publishes
        # ports.tsv and stops on a line in stop.fifo (or stdin closing).
        with open(os.path.join(self.workdir, "clickhouse-local.xml"), "w") as f:
            f.write("<clickhouse><listen_host>127.0.0.1</listen_host>"
                    f"<http_port>{listen_ports[0]}</http_port><tcp_port>{listen_ports[1]}</tcp_port>"
                    f"{self.extra_config}</clickhouse>\n")
        self.proc = subprocess.Popen([self.python, CHDB_LAUNCHER, os.path.join(self.workdir, "data")],
                                     stdin=subprocess.PIPE, stdout=self.log, stderr=subprocess.STDOUT,
                                     cwd=self.workdir)
        ports = os.path.join(self.workdir, "ports.tsv")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ClickHouse exited early ({self.proc.returncode}); see {self.log.name}")
            if os.path.exists(ports) and os.path.getsize(ports) > 0:
                with open(ports) as f:
                    parts = f.read().split()
                if len(parts) >= 2:
                    self.http_port, self.tcp_port = int(parts[0]), int(parts[1])
                    wait_port(self.http_port, 10, self.proc)
                    return
            time.sleep(0.1)
        raise RuntimeError("ClickHouse did not publish its ports")

    @property
    def url(self):
        return f"http://127.0.0.1:{self.http_port}"

    def query(self, sql, timeout=60):
        req = urllib.request.Request(self.url + "/", data=sql.encode())
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.read().decode()
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"ClickHouse error for {sql[:80]!r}: {e.read().decode()[:500]}") from None

    def apply_sql_file(self, path):
        text = "\n".join(l for l in open(path).read().splitlines() if not l.strip().startswith("--"))
        for stmt in re.split(r";\s*(?:\n|$)", text):
            if stmt.strip():
                self.query(stmt)

    def stop(self, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return
        fifo = os.path.join(self.workdir, "stop.fifo")
        try:
            # O_NONBLOCK: fails instead of hanging if no reader is there.
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
            os.write(fd, b"stop\n")
            os.close(fd)
        except OSError:
            pass
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# ---------------------------------------------------------------- sides

# The metric tables a metrics run writes (no summaries: SDKs send none).
METRIC_TABLES = ["otel.otel_metrics_gauge", "otel.otel_metrics_sum",
                 "otel.otel_metrics_histogram", "otel.otel_metrics_exponential_histogram"]


def total_of(tables, what="count()", where=""):
    """One number over several tables: the sum of `what` over each."""
    return "SELECT " + " + ".join(f"(SELECT {what} FROM {t}{where})" for t in tables)


# Per signal: the tables its records land in (on either side), and what
# the tables call its records.
SIGNAL_TABLES = {"traces": ["otel.otel_traces"], "logs": ["otel.otel_logs"],
                 "metrics": METRIC_TABLES}
SIGNAL_RECORDS = {"traces": "spans", "logs": "log records", "metrics": "points"}


def signal_tables(args):
    return SIGNAL_TABLES[args.signal]


def rotel_binary(python):
    """rotel-agent ships inside the `rotel` wheel, next to its __init__.py."""
    out = subprocess.run([python, "-c", "import rotel, os; print(os.path.dirname(rotel.__file__))"],
                         capture_output=True, text=True, check=True).stdout.strip()
    path = os.path.join(out, "rotel-agent")
    if not os.access(path, os.X_OK):
        raise RuntimeError(f"rotel-agent not found at {path}")
    return path


def side_rotel(args, ch, workdir):
    http_port, grpc_port = free_port(), free_port()
    cmd = [
        rotel_binary(args.python), "start",
        "--otlp-http-endpoint", f"127.0.0.1:{http_port}",
        "--otlp-grpc-endpoint", f"127.0.0.1:{grpc_port}",
        "--exporter", "clickhouse",
        "--clickhouse-exporter-endpoint", ch.url,
        "--clickhouse-exporter-database", "otel",
        "--clickhouse-exporter-table-prefix", "otel",
        "--clickhouse-exporter-async-insert", args.rotel_async_insert,
        "--pid-file", os.path.join(workdir, "rotel-agent.pid"),
        "--log-file", os.path.join(workdir, "rotel-agent.log"),
    ] + shlex.split(args.rotel_extra)
    return dict(
        cmd=cmd, env=None, otlp_http_port=http_port,
        schema=os.path.join(HERE, "rotel_schema.sql"),
        count_sql=total_of(signal_tables(args)),
        # rotel-agent 0.0.1-alpha10 (PyPI rotel 0.0.1a15) drops the Resource of
        # the part of a ResourceSpans it splits off to fill a batch (fixed
        # upstream later): those rows land with ServiceName '' and {} attrs.
        checks={"rows_missing_resource":
                total_of(signal_tables(args), "countIf(ServiceName = '')")},
        tables=signal_tables(args),
        null_mv_extra="countIf(ServiceName = '') AS no_service",
        null_checks={"rows_missing_resource":
                     total_of([f"{t}__rows" for t in signal_tables(args)], "sum(no_service)")},
    )


def side_jamscope(args, ch, workdir):
    template = args.jamscope_cmd or os.environ.get("JAMSCOPE_CMD")
    if not template:
        raise RuntimeError("jamscope side needs --jamscope-cmd or $JAMSCOPE_CMD")
    http_port = free_port()
    subst = dict(otlp_http_port=http_port, otlp_http_addr=f"127.0.0.1:{http_port}",
                 ch_http_port=ch.http_port, ch_tcp_port=ch.tcp_port, ch_http_url=ch.url,
                 workdir=workdir)
    cmd = [part.format(**subst) for part in shlex.split(template)]
    env = dict(os.environ)
    for item in args.jamscope_env:
        k, _, v = item.partition("=")
        env[k] = v.format(**subst)
    count_sql = args.jamscope_count_sql or total_of(signal_tables(args))
    return dict(cmd=cmd, env=env, otlp_http_port=http_port,
                schema=args.jamscope_schema, count_sql=count_sql,
                checks={f"check_{i}": q for i, q in enumerate(args.jamscope_check_sql)},
                tables=args.jamscope_table or signal_tables(args),
                after_ready_sql=args.jamscope_sql)


def side_jamscope_b(args, ch, workdir):
    """A second Jamscope variant in the same run, to measure one change
    against the one before: its own command (--jamscope-b-cmd, else the
    same), more environment (--jamscope-b-env) and SQL run once it is
    ready (--jamscope-b-sql, e.g. to try a schema change before it is a
    migration)."""
    saved = args.jamscope_cmd
    args.jamscope_cmd = args.jamscope_b_cmd or args.jamscope_cmd
    try:
        spec = side_jamscope(args, ch, workdir)
    finally:
        args.jamscope_cmd = saved
    for item in args.jamscope_b_env:
        k, _, v = item.partition("=")
        spec["env"][k] = v
    spec["after_ready_sql"] = args.jamscope_b_sql
    return spec


def side_jamscope_durable(args, ch, workdir):
    """Jamscope acknowledging only once a request's rows are fsync'd to its spool."""
    spec = side_jamscope(args, ch, workdir)
    spec["env"]["JAMSCOPE_SPOOL_DURABLE"] = "true"
    return spec


def side_jamscope_rules(args, ch, workdir):
    """Jamscope evaluating the repository's default alert rules
    (alert-rules/): every accepted span also feeds their windows, and the
    rules that query ClickHouse run every 15 s."""
    spec = side_jamscope(args, ch, workdir)
    spec["env"]["JAMSCOPE_ALERT_ENABLED"] = "true"
    spec["env"]["JAMSCOPE_ALERT_RULES_DIR"] = os.path.join(REPO, "alert-rules")
    return spec


def side_jamscope_norules(args, ch, workdir):
    """Jamscope with alerting off: no windows, no evaluation loop."""
    spec = side_jamscope(args, ch, workdir)
    spec["env"]["JAMSCOPE_ALERT_ENABLED"] = "false"
    return spec


SIDES = {"rotel": side_rotel, "jamscope": side_jamscope, "jamscope-b": side_jamscope_b,
         "jamscope-durable": side_jamscope_durable,
         "jamscope-rules": side_jamscope_rules, "jamscope-norules": side_jamscope_norules}


# ---------------------------------------------------------------- run

def parse_wrk(text):
    m = re.search(r"^WRK_RESULT (.*)$", text, re.M)
    if not m:
        raise RuntimeError("wrk printed no WRK_RESULT line:\n" + text[-2000:])
    return {k: int(v) for k, v in (kv.split("=") for kv in m.group(1).split())}


def drain(ch, count_sql, base, quiet_s, max_s, stats=None):
    """Poll the row count until it has not changed for quiet_s (or max_s).
    With stats (a dict), also record the most INSERTs seen running at once."""
    start = time.monotonic()
    last, last_change = None, start
    while True:
        if stats is not None:
            running = int(ch.query("SELECT count() FROM system.processes "
                                   "WHERE query_kind = 'Insert'").strip())
            stats["max_concurrent_inserts"] = max(stats.get("max_concurrent_inserts", 0), running)
        n = int(ch.query(count_sql).strip()) - base
        now = time.monotonic()
        if n != last:
            last, last_change = n, now
        elif now - last_change >= quiet_s:
            return n, last_change - start
        if now - start >= max_s:
            return n, now - start
        time.sleep(0.25)


def make_null_sink(ch, spec):
    """Swap the side's tables for ENGINE = Null twins (same columns, so the
    collector's INSERTs still parse and type-check) and count rows with a
    materialized view: measures the collector without ClickHouse's storage
    cost (sorting, compression, skip indexes, merges)."""
    for i, table in enumerate(spec["tables"]):
        ch.query(f"CREATE TABLE {table}__null AS {table} ENGINE = Null")
        ch.query(f"EXCHANGE TABLES {table} AND {table}__null")
        ch.query(f"DROP TABLE {table}__null")
        extra = spec.get("null_mv_extra") if i == 0 else None
        ch.query(f"CREATE MATERIALIZED VIEW {table}__rows ENGINE = SummingMergeTree "
                 f"ORDER BY tuple() AS SELECT count() AS rows{', ' + extra if extra else ''} "
                 f"FROM {table}")
    spec["count_sql"] = f"SELECT sum(rows) FROM {spec['tables'][0]}__rows"
    spec["checks"] = spec.get("null_checks", {})


def run_side(name, args, payload_files, spans_per_req):
    workdir = tempfile.mkdtemp(prefix=f"bench-{name}-", dir=args.tmp)
    ch = ClickHouse(args.python, os.path.join(workdir, "ch"),
                    extra_config=CLICKHOUSE_LOGS if args.clickhouse_logs else "")
    proc = None
    res = dict(side=name, workdir=workdir, sink=args.sink)
    try:
        res["machine_busy_pct_before"] = wait_idle(args.wait_idle)
        if res["machine_busy_pct_before"] >= 15:
            print(f"WARNING: machine {res['machine_busy_pct_before']}% busy before the {name} run; "
                  "numbers will be skewed", file=sys.stderr, flush=True)
        ch.start()
        spec = SIDES[name](args, ch, workdir)
        if spec.get("schema"):
            ch.apply_sql_file(spec["schema"])
        if args.sink == "null":
            make_null_sink(ch, spec)
        if not spec.get("count_sql"):
            raise RuntimeError(f"{name}: no count SQL")
        log = open(os.path.join(workdir, f"{name}.log"), "wb")
        proc = subprocess.Popen(spec["cmd"], env=spec["env"], stdout=log, stderr=subprocess.STDOUT,
                                cwd=workdir, start_new_session=True)
        res["cmd"] = " ".join(shlex.quote(c) for c in spec["cmd"])
        port = spec["otlp_http_port"]
        wait_port(port, 30, proc)
        if name.startswith("jamscope"):
            # The port opens before migrations finish; /readyz says when
            # the collector really takes data (an outage must not start
            # in the middle of its migrations).
            wait_ready(f"http://127.0.0.1:{port}/readyz", 60, proc)
        for sql in spec.get("after_ready_sql") or []:
            ch.query(sql)
        url = f"http://127.0.0.1:{port}{args.path}"

        wrk_cmd = ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.duration}s",
                   f"--timeout={args.timeout}s", "-s", args.wrk_script, url,
                   "--", ",".join(payload_files)]
        if args.gzip:
            wrk_cmd.append("gzip")
        if args.json:
            wrk_cmd.append("json")

        if args.warmup > 0:
            subprocess.run(wrk_cmd[:3] + [f"-d{args.warmup}s"] + wrk_cmd[4:],
                           capture_output=True, text=True, check=True)
            drain(ch, spec["count_sql"], 0, args.quiet, args.max_drain)

        # Migrations (and a warm-up) done and merged: from here on,
        # ClickHouse's CPU is this load's.
        # "Idle" is relative: a Jamscope collector keeps querying and
        # writing small rows (alert heartbeats and windows) while no spans
        # come in, so after the load ClickHouse counts as idle again once
        # it is back near the rate it had here.
        waited, _, idle_rate = wait_clickhouse_idle(ch, args.settle_max, rate=0.25)
        res.update(clickhouse_settle_before_s=waited, clickhouse_idle_cores_before=idle_rate)
        base = int(ch.query(spec["count_sql"]).strip())
        since = time.time()
        cpu0, ch_cpu0, sys0 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch.proc.pid), system_cpu()
        ch_cpu_before_outage = 0.0
        if args.outage:
            # ClickHouse goes away for the whole load: the collector spools
            # what it accepts, then replays it once ClickHouse is back.
            ch_cpu_before_outage = proc_cpu_seconds(ch.proc.pid) - ch_cpu0
            ch.stop()
        t0 = time.monotonic()
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wrk = subprocess.run(wrk_cmd, capture_output=True, text=True)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t_load = time.monotonic() - t0
        if args.outage:
            ch.start(listen_ports=(ch.http_port, ch.tcp_port))
            ch_cpu0 = proc_cpu_seconds(ch.proc.pid) - ch_cpu_before_outage
        cpu1, ch_cpu1, sys1 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch.proc.pid), system_cpu()
        with open(os.path.join(workdir, "wrk.out"), "w") as f:
            f.write(wrk.stdout + wrk.stderr)
        if wrk.returncode != 0:
            raise RuntimeError(f"wrk failed ({wrk.returncode}): {wrk.stderr[-1000:]}")
        w = parse_wrk(wrk.stdout)
        rows_at_load_end = int(ch.query(spec["count_sql"]).strip()) - base

        dstats = {}
        rows, drain_s = drain(ch, spec["count_sql"], base, args.quiet, args.max_drain, dstats)
        cpu2, ch_cpu2, sys2 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch.proc.pid), system_cpu()
        if proc.poll() is not None:
            raise RuntimeError(f"{name} died during the run (rc {proc.returncode})")
        # Until the merges this load caused are done: ClickHouse's CPU for
        # it, all of it (and the collector's over the same time).
        settle_s, settled, _ = wait_clickhouse_idle(
            ch, args.settle_max, rate=(idle_rate or 0.0) * 1.5 + args.idle_cores)
        cpu3, ch_cpu3 = proc_cpu_seconds(proc.pid), proc_cpu_seconds(ch.proc.pid)
        res.update(clickhouse_settle_after_s=settle_s, clickhouse_settled=settled)
        if args.clickhouse_logs:
            try:
                res["clickhouse_breakdown"] = clickhouse_breakdown(ch, since, spec["tables"])
            except Exception as e:
                res["clickhouse_breakdown"] = str(e)[:500]
        hwm_kb = proc_status_kb(proc.pid, "VmHWM")
        if name.startswith("jamscope"):
            # Whether alerting ran, and how many series its windows held.
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    res["alert_metrics"] = {k: float(v) for k, v in (
                        line.split()[:2] for line in r.read().decode().splitlines()
                        if line.startswith("jamscope_alert_"))}
            except Exception as e:
                res["alert_metrics"] = str(e)
        for key, sql in spec.get("checks", {}).items():
            res[key] = int(ch.query(sql).strip())
        try:  # ClickHouse-side evidence of failed or odd inserts
            res["clickhouse_diag"] = dict(
                errors=ch.query("SELECT name, value, substring(last_error_message, 1, 300) "
                                "FROM system.errors FORMAT TSV").strip().splitlines(),
                events=dict(line.split("\t") for line in ch.query(
                    "SELECT name, value FROM system.events WHERE name IN ('InsertQuery', "
                    "'FailedInsertQuery', 'InsertedRows', 'AsyncInsertQuery', 'AsyncInsertRows', "
                    "'FailedAsyncInsertQuery') FORMAT TSV").strip().splitlines()))
        except Exception as e:
            res["clickhouse_diag"] = str(e)

        dur = w["duration_us"] / 1e6
        ok = w["requests"] - w["non2xx"]
        accepted_spans = ok * spans_per_req
        res.update(
            duration_s=round(dur, 3),
            requests=w["requests"], non2xx=w["non2xx"],
            socket_errors=dict(connect=w["connect_err"], read=w["read_err"],
                               write=w["write_err"], timeout=w["timeout_err"]),
            req_per_s=round(w["requests"] / dur, 1),
            ok_req_per_s=round(ok / dur, 1),
            spans_per_req=spans_per_req,
            accepted_spans=accepted_spans,
            accepted_spans_per_s=round(accepted_spans / dur),
            rows_landed=rows,
            landed_ratio=round(rows / accepted_spans, 4) if accepted_spans else None,
            rows_at_load_end=rows_at_load_end,
            rows_per_s_during_load=round(rows_at_load_end / dur),
            drain_s=round(drain_s, 2),
            # what ClickHouse really absorbed: everything, over load + backlog drain
            e2e_rows_per_s=round(rows / (dur + drain_s)),
            latency_ms=dict(p50=w["p50_us"] / 1e3, p90=w["p90_us"] / 1e3,
                            p99=w["p99_us"] / 1e3, max=w["max_us"] / 1e3),
            cpu_s_load=round(cpu1 - cpu0, 2),
            cpu_s_total=round(cpu2 - cpu0, 2),
            cpu_s_per_million_spans=round((cpu2 - cpu0) / rows * 1e6, 2) if rows else None,
            cpu_cores_avg_during_load=round((cpu1 - cpu0) / t_load, 2),
            peak_rss_mib=round(hwm_kb / 1024, 1) if hwm_kb else None,
            clickhouse_cpu_s_load=round(ch_cpu1 - ch_cpu0, 2),
            clickhouse_cpu_s_total=round(ch_cpu2 - ch_cpu0, 2),
            # The box: collector + ClickHouse from the load's start until
            # ClickHouse is idle again (merges included).
            cpu_s_settled=round(cpu3 - cpu0, 2),
            clickhouse_cpu_s_settled=round(ch_cpu3 - ch_cpu0, 2),
            box_cpu_s=round(cpu3 - cpu0 + ch_cpu3 - ch_cpu0, 2),
            box_spans_per_cpu_s=round(rows / (cpu3 - cpu0 + ch_cpu3 - ch_cpu0)) if rows else None,
            clickhouse_us_per_row=round((ch_cpu3 - ch_cpu0) / rows * 1e6, 2) if rows else None,
            max_concurrent_inserts_in_drain=dstats.get("max_concurrent_inserts"),
            machine_busy_pct_during_drain=round(100 * (sys2[0] - sys1[0]) / max(1, sys2[1] - sys1[1]), 1),
            wrk_cpu_s=round(ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime, 2),
            machine_busy_pct_during_load=round(100 * (sys1[0] - sys0[0]) / max(1, sys1[1] - sys0[1]), 1),
        )
    finally:
        if stop_process(proc, args.stop_timeout):
            res["note"] = "collector ignored SIGTERM; killed"
        if proc is not None:
            res["exit_code"] = proc.returncode
            # Rows the collector flushed on shutdown (or that arrived late).
            if "rows_landed" in res:
                try:
                    n, _ = drain(ch, spec["count_sql"], base, 1.0, 10.0)
                    res["rows_after_stop"] = n
                except Exception:
                    pass
        ch.stop()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return res


def print_table(results):
    rows = [
        ("requests/s (all)", "req_per_s"), ("requests/s (2xx)", "ok_req_per_s"),
        ("non-2xx responses", "non2xx"), ("spans/s accepted", "accepted_spans_per_s"),
        ("rows landed", "rows_landed"), ("landed / accepted", "landed_ratio"),
        ("rows after collector stop", "rows_after_stop"),
        ("rows landed by load end", "rows_at_load_end"),
        ("rows/s landed during load", "rows_per_s_during_load"), ("drain (s)", "drain_s"),
        ("spans/s landed (wall, load+drain)", "e2e_rows_per_s"),
        ("latency p50 (ms)", ("latency_ms", "p50")), ("latency p99 (ms)", ("latency_ms", "p99")),
        ("collector CPU s (load)", "cpu_s_load"), ("collector CPU s (+drain)", "cpu_s_total"),
        ("CPU s / 1M spans", "cpu_s_per_million_spans"),
        ("collector cores avg", "cpu_cores_avg_during_load"),
        ("collector peak RSS MiB", "peak_rss_mib"),
        ("ClickHouse CPU s (load)", "clickhouse_cpu_s_load"),
        ("ClickHouse CPU s (+drain)", "clickhouse_cpu_s_total"),
        ("ClickHouse CPU s (+merges, idle)", "clickhouse_cpu_s_settled"),
        ("ClickHouse CPU µs / row", "clickhouse_us_per_row"),
        ("box CPU s (collector+CH)", "box_cpu_s"),
        ("box spans per CPU-s", "box_spans_per_cpu_s"),
        ("ClickHouse idle wait after (s)", "clickhouse_settle_after_s"),
        ("max concurrent INSERTs (drain)", "max_concurrent_inserts_in_drain"),
        ("machine busy % (drain)", "machine_busy_pct_during_drain"),
        ("wrk CPU s", "wrk_cpu_s"), ("rows missing resource", "rows_missing_resource"),
        ("machine busy % (before)", "machine_busy_pct_before"),
        ("machine busy % (load)", "machine_busy_pct_during_load"),
    ]
    rows = [(label.replace("spans", RECORDS), key) for label, key in rows]
    w0 = max(len(r[0]) for r in rows)
    print("".ljust(w0), *[r["side"].rjust(14) for r in results])
    for label, key in rows:
        vals = []
        for r in results:
            v = r.get(key[0], {}).get(key[1]) if isinstance(key, tuple) else r.get(key)
            vals.append(str(v if v is not None else "-").rjust(14))
        print(label.ljust(w0), *vals)
    for r in results:
        errs = {k: v for k, v in r.get("socket_errors", {}).items() if v}
        if errs:
            print(f"{r['side']}: wrk socket errors {errs}")


# What a row is, in the printed tables ("points" for --signal metrics).
RECORDS = "spans"


def spans_per_cpu_s(r):
    return r["rows_landed"] / r["cpu_s_total"] if r.get("cpu_s_total") else None


def print_medians(results, sides):
    """Per side, the median over rounds of the numbers that matter."""
    rows = [("spans per collector CPU-s", spans_per_cpu_s),
            ("spans/s accepted", lambda r: r["accepted_spans_per_s"]),
            ("collector CPU s (+drain)", lambda r: r["cpu_s_total"]),
            ("ClickHouse CPU s (+drain)", lambda r: r["clickhouse_cpu_s_total"]),
            ("ClickHouse CPU µs / row", lambda r: r.get("clickhouse_us_per_row")),
            ("box spans per CPU-s", lambda r: r.get("box_spans_per_cpu_s")),
            ("spans/s landed (wall)", lambda r: r["e2e_rows_per_s"]),
            ("peak RSS MiB", lambda r: r["peak_rss_mib"])]
    print("median of rounds".ljust(28), *[s.rjust(16) for s in sides])
    for label, get in rows:
        label = label.replace("spans", RECORDS)
        vals = []
        for s in sides:
            xs = [get(r) for r in results if r["side"] == s and get(r) is not None]
            vals.append(f"{statistics.median(xs):,.1f}".rjust(16) if xs else "-".rjust(16))
        print(label.ljust(28), *vals)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sides", default="rotel", help="comma list of: " + ",".join(SIDES))
    ap.add_argument("--python", default=os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python")),
                    help="python of the venv with chdb-core/rotel/opentelemetry-proto")
    ap.add_argument("--spans", type=int, default=500, help="spans per request")
    ap.add_argument("--variants", type=int, default=8, help="distinct bodies sent round-robin")
    ap.add_argument("--payload", help="use these body files (comma list) instead of generating")
    ap.add_argument("--gzip", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--duration", type=int, default=15, help="load seconds (keep <= 20)")
    ap.add_argument("--warmup", type=int, default=0, help="warm-up load seconds before measuring")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=1, help="run the sides this many times, interleaved")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10, help="wrk per-request timeout, s")
    ap.add_argument("--path", help="OTLP/HTTP path (default: the signal's)")
    ap.add_argument("--signal", default="traces", choices=sorted(SIGNAL_TABLES),
                    help="spans, log records or metric data points (--spans is then "
                         "records a request)")
    ap.add_argument("--wrk-script", default=os.path.join(HERE, "post_body.lua"),
                    help="wrk Lua script (rum_beacon.lua builds RUM beacons itself)")
    ap.add_argument("--quiet", type=float, default=2.0, help="drain: row count unchanged this long")
    ap.add_argument("--max-drain", type=float, default=60.0)
    ap.add_argument("--stop-timeout", type=float, default=20.0)
    ap.add_argument("--tmp", default=None, help="parent dir of the per-side work dirs")
    ap.add_argument("--keep", action="store_true", help="keep work dirs (logs, data)")
    ap.add_argument("--json-out")
    ap.add_argument("--wait-idle", type=float, default=0,
                    help="wait up to this many s for the machine to go idle before each side")
    ap.add_argument("--sink", default="mergetree", choices=["mergetree", "null"],
                    help="null: tables become ENGINE = Null (rows counted by a MV), "
                         "to take ClickHouse storage cost out of the picture")
    ap.add_argument("--outage", action="store_true",
                    help="stop ClickHouse for the whole load and start it again after: "
                         "measures spooling and replay (Jamscope sides only)")
    ap.add_argument("--settle-max", type=float, default=60.0,
                    help="longest wait for ClickHouse to go idle (merges done) before and after a load")
    ap.add_argument("--idle-cores", type=float, default=0.05,
                    help="ClickHouse counts as idle after a load below its idle rate before it plus this")
    ap.add_argument("--no-clickhouse-logs", dest="clickhouse_logs", action="store_false",
                    help="leave ClickHouse's query/part logs off (no cost breakdown)")
    ap.add_argument("--rotel-async-insert", default="true", choices=["true", "false"])
    ap.add_argument("--rotel-extra", default="", help="extra rotel-agent start flags")
    ap.add_argument("--jamscope-cmd")
    ap.add_argument("--jamscope-env", action="append", default=[], help="K=V (placeholders allowed)")
    ap.add_argument("--jamscope-schema")
    ap.add_argument("--jamscope-count-sql",
                    help="rows landed (default: count() over the signal's tables)")
    ap.add_argument("--jamscope-table", action="append", default=[],
                    help="db.table Jamscope writes spans to (for --sink null; repeatable)")
    ap.add_argument("--jamscope-sql", action="append", default=[],
                    help="SQL run on ClickHouse once the jamscope side is ready (repeatable)")
    ap.add_argument("--jamscope-b-cmd", help="jamscope-b side's command (default: --jamscope-cmd)")
    ap.add_argument("--jamscope-b-env", action="append", default=[],
                    help="K=V added to the jamscope-b side's environment (repeatable)")
    ap.add_argument("--jamscope-b-sql", action="append", default=[],
                    help="SQL run once the jamscope-b side is ready (repeatable)")
    ap.add_argument("--jamscope-check-sql", action="append", default=[],
                    help="extra scalar SQL reported after the drain (repeatable)")
    args = ap.parse_args()
    # Turn SIGTERM/SIGHUP into SystemExit so the finally blocks stop the
    # collector and ClickHouse instead of leaving them running.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))
    if args.duration > 20:
        ap.error("--duration above 20 s is not allowed on this 2-core machine")
    if args.path is None:
        args.path = f"/v1/{args.signal}"
    global RECORDS
    RECORDS = SIGNAL_RECORDS[args.signal]
    if shutil.which("wrk") is None:
        ap.error("wrk not found (apt-get install -y wrk; `make bench` installs it)")
    sides = [s.strip() for s in args.sides.split(",") if s.strip()]
    for s in sides:
        if s not in SIDES:
            ap.error(f"unknown side {s}")

    gen_dir = tempfile.mkdtemp(prefix="bench-payload-", dir=args.tmp)

    def payload():
        """The body files: given, or generated now (span times are "just now")."""
        if args.payload:
            return args.payload.split(",")
        out = os.path.join(gen_dir, "body")
        cmd = [args.python, os.path.join(HERE, "gen_payload.py"), out, "--spans", str(args.spans),
               "--variants", str(args.variants)]
        if args.signal != "traces":
            cmd.append(f"--{args.signal}")
        if args.gzip:
            cmd.append("--gzip")
        if args.json:
            cmd.append("--json")
        subprocess.run(cmd, check=True, capture_output=True)
        return [out] if args.variants == 1 else [f"{out}.{i}" for i in range(args.variants)]

    spans_per_req = args.spans
    body_bytes = os.path.getsize(payload()[0])
    print(f"payload: {spans_per_req} {RECORDS}/request, {body_bytes} bytes"
          f"{' gzip' if args.gzip else ''}{' json' if args.json else ' protobuf'}, "
          f"{args.variants if not args.payload else len(args.payload.split(','))} variant(s); "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s"
          f"{f', {args.repeat} rounds' if args.repeat > 1 else ''}", flush=True)

    results = []
    try:
        for round_no in range(args.repeat):
            for s in sides:
                print(f"--- {s}{f' (round {round_no + 1})' if args.repeat > 1 else ''}", flush=True)
                try:
                    r = run_side(s, args, payload(), spans_per_req)
                except Exception as e:  # keep going with the other sides
                    r = dict(side=s, error=str(e))
                    print(f"{s}: FAILED: {e}", file=sys.stderr, flush=True)
                r["round"] = round_no + 1
                results.append(r)
                if isinstance(r.get("clickhouse_breakdown"), dict):
                    print_breakdown(s, r["clickhouse_breakdown"], r["clickhouse_cpu_s_settled"],
                                    r["rows_landed"])
                if "cmd" in r:
                    print(f"{s} command: {r['cmd']}", flush=True)
    finally:
        shutil.rmtree(gen_dir, ignore_errors=True)
    print()
    print_table([r for r in results if "error" not in r])
    if args.repeat > 1:
        print()
        print_medians([r for r in results if "error" not in r], sides)
    if args.json_out:
        with open(args.json_out, "w") as f:
            json.dump(dict(payload_bytes=body_bytes, spans_per_req=spans_per_req,
                           connections=args.connections, threads=args.threads,
                           duration=args.duration, repeat=args.repeat, results=results), f, indent=2)
    return 1 if any("error" in r for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
