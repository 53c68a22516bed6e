#!/usr/bin/env python3
"""Time to alert: from the export carrying a breach to the email and the webhook.

The alerting issue asks for a breach to reach on-call in under 2 s. This
measures it end to end on a real release `jamscope serve` with its embedded
ClickHouse (a fresh data dir), a rules dir holding one threshold rule
(gateway error rate above 1 % critical, `for: 0s`, window 1m, per service),
an SMTP server (aiosmtpd) and an HTTP webhook receiver, both in this process.

Each trial uses a NEW service name, so it is a new series, a new alert and
(with `[alert] group_by = ["alertname", "service"]`) a new notification
group: `group_wait` is 0 s and `group_interval` never applies. Per trial:

  t0         wall clock just before POSTing one OTLP/HTTP protobuf export of
             100 gateway server spans, 3 of them failed (built here with the
             `opentelemetry-proto` package, so t0 is the moment the bytes go
             out, not when an SDK's batch processor decides to flush);
  t_ack      the collector's 200;
  t_tick     the start of the evaluation that fired the alert (the `firing`
             event's time in `/api/alerts/history`, the collector's clock:
             the same host, so the same wall clock);
  t_email    when the SMTP server finished receiving the message (DATA);
  t_webhook  when the webhook receiver had the whole request (its HMAC
             signature is checked).

Printed: median / p90 (nearest rank) / max of t_email - t0 and
t_webhook - t0 in ms, and the split into "waiting for the next evaluation"
(t_tick - t0) and "evaluation to delivery" (t_email - t_tick). That second
part is the evaluation loop's ClickHouse round trips before the rules are
evaluated (heartbeat, window flush, peers' windows, live collectors,
silences), the tick itself, the two INSERTs saving events and state before
anything is sent, then the SMTP conversation or the webhook POST. After
the trials those seven statements are timed from here against the same
ClickHouse (INSERTs into scratch copies of the tables), so the
ClickHouse share can be told apart from the rest.

    time_to_alert.py --jamscope target/release/jamscope [--trials 10]
                     [--spacing 2] [--json-out bench/results/time-to-alert.json]

Loopback only; bounded (every wait has a timeout). The evaluation interval
is the default (1000 ms): the result is what a default install gives.
"""
import argparse
import email
import email.policy
import hashlib
import hmac
import http.client
import http.server
import json
import math
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request

from aiosmtpd.controller import Controller
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from opentelemetry.proto.common.v1 import common_pb2
from opentelemetry.proto.resource.v1 import resource_pb2
from opentelemetry.proto.trace.v1 import trace_pb2

from sidebyside import busy_pct, free_port, wait_idle, wait_ready

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SECRET = "time-to-alert-bench-secret"
RULE = """\
groups:
  - name: bench
    rules:
      - alert: GatewayErrorRate
        for: 0s
        condition:
          type: threshold
          metric: error_rate
          window: 1m
          filter: { layer: gateway }
          direction: above
          critical: 1
          group_by: [service]
        annotations:
          summary: "{{ $labels.service }}: {{ $value }} % of gateway requests fail"
"""


# ---------------------------------------------------------------- receivers

class Arrivals:
    """Arrival times by (receiver, service) of FIRING notifications."""

    def __init__(self):
        self.lock = threading.Lock()
        self.firing = {}          # (receiver, service) -> wall-clock seconds
        self.other = []           # everything else received (resolved, ...)
        self.bad_signatures = 0

    def record(self, receiver, status, services, at):
        with self.lock:
            for service in services:
                if status == "firing":
                    self.firing.setdefault((receiver, service), at)
                else:
                    self.other.append((receiver, status, service, at))

    def get(self, receiver, service):
        with self.lock:
            return self.firing.get((receiver, service))


class SmtpHandler:
    """aiosmtpd handler: stamps the time the whole message is in."""

    def __init__(self, arrivals):
        self.arrivals = arrivals

    async def handle_DATA(self, server, session, envelope):
        at = time.time()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        subject = str(message["subject"])
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""
        status = "firing" if subject.startswith("[FIRING") else "resolved"
        services = re.findall(r"service=([\w.-]+)", text)
        self.arrivals.record("email", status, services, at)
        return "250 OK"


def webhook_server(arrivals):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            at = time.time()
            timestamp = self.headers.get("X-Jamscope-Timestamp", "")
            expected = "sha256=" + hmac.new(SECRET.encode(), timestamp.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, self.headers.get("X-Jamscope-Signature", "")):
                arrivals.bad_signatures += 1
            payload = json.loads(body)
            services = [a["labels"].get("service", "") for a in payload.get("alerts", [])
                        if a.get("status") == payload.get("status")]
            arrivals.record("webhook", payload.get("status"), services, at)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


# ---------------------------------------------------------------- traffic

def kv(key, value):
    if isinstance(value, int):
        return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(int_value=value))
    return common_pb2.KeyValue(key=key, value=common_pb2.AnyValue(string_value=value))


def gateway_export(service, requests=100, errors=3):
    """One ExportTraceServiceRequest: `requests` gateway server spans that
    ended just now, the first `errors` failed (status ERROR, HTTP 500)."""
    req = trace_service_pb2.ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.resource.CopyFrom(resource_pb2.Resource(attributes=[
        kv("service.name", service), kv("jamstack.layer", "gateway")]))
    scope = rs.scope_spans.add()
    scope.scope.name = "jamscope-bench-time-to-alert"
    end = time.time_ns()
    for n in range(requests):
        span = scope.spans.add()
        span.trace_id = random.randbytes(16)
        span.span_id = random.randbytes(8)
        span.name = "GET /api/products"
        span.kind = trace_pb2.Span.SPAN_KIND_SERVER
        span.start_time_unix_nano = end - 20_000_000
        span.end_time_unix_nano = end
        failed = n < errors
        span.attributes.extend([kv("http.route", "/api/products"),
                                kv("http.response.status_code", 500 if failed else 200)])
        if failed:
            span.status.code = trace_pb2.Status.STATUS_CODE_ERROR
            span.status.message = "upstream failed"
    return req.SerializeToString()


def post(url, body):
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/x-protobuf"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
        if response.status != 200:
            raise RuntimeError(f"export answered {response.status}")


def get(url):
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


# ---------------------------------------------------------------- helpers

def stats(values):
    """median, p90 (nearest rank), max, in ms."""
    ordered = sorted(values)
    p90 = ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]
    return dict(median=round(statistics.median(ordered), 1), p90=round(p90, 1),
                max=round(ordered[-1], 1), n=len(ordered))


def wait_for(what, timeout, check, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(interval)
    raise RuntimeError(f"timed out after {timeout}s waiting for {what}")


def embedded_clickhouse_url(data_dir):
    """The embedded ClickHouse publishes its ports in its launcher's dir."""
    with open(os.path.join(data_dir, "chdb-launcher", "ports.tsv")) as f:
        return f"http://127.0.0.1:{int(f.read().split()[0])}"


# The statements one evaluation runs, in order, before anything is sent
# (collector/src/alert/service/mod.rs, store/alerts/): two INSERTs and
# three SELECTs in `sync` and `evaluate`, then two INSERTs saving the
# events and the state. The INSERTs go to scratch copies of the tables so
# the probe's rows never count as a live collector or an event.
LOOP_STATEMENTS = [
    ("INSERT alert_heartbeats", "INSERT INTO {probe}.alert_heartbeats FORMAT JSONEachRow",
     '{{"Instance":"probe","StartedAt":"{now}","At":"{now}","Alive":1}}'),
    ("INSERT alert_window_deltas", "INSERT INTO {probe}.alert_window_deltas FORMAT JSONEachRow",
     '{{"Instance":"probe","Seq":1,"FlushedAt":"{now}","Deltas":"[]"}}'),
    ("SELECT alert_window_deltas", "SELECT Instance AS instance, Seq AS seq, Deltas AS deltas "
     "FROM {db}.alert_window_deltas WHERE FlushedAt > fromUnixTimestamp64Milli({since_ms}) "
     "AND Instance != 'probe' ORDER BY Instance, Seq FORMAT JSONEachRow", None),
    ("SELECT alert_heartbeats", "SELECT Instance AS instance, "
     "toUnixTimestamp64Milli(min(StartedAt)) AS started_at_millis FROM {db}.alert_heartbeats "
     "WHERE At > fromUnixTimestamp64Milli({since_ms}) GROUP BY Instance "
     "HAVING argMax(Alive, At) = 1 ORDER BY started_at_millis, instance FORMAT JSONEachRow", None),
    ("SELECT alert_silences", "SELECT Id AS id, argMax(Matchers, UpdatedAt) AS matchers, "
     "toUnixTimestamp64Milli(argMax(StartsAt, UpdatedAt)) AS starts_at_millis, "
     "toUnixTimestamp64Milli(argMax(EndsAt, UpdatedAt)) AS ends_at_millis, "
     "argMax(Comment, UpdatedAt) AS comment FROM {db}.alert_silences GROUP BY Id "
     "HAVING ends_at_millis > {now_ms} ORDER BY starts_at_millis FORMAT JSONEachRow", None),
    ("INSERT alert_events", "INSERT INTO {probe}.alert_events FORMAT JSONEachRow",
     '{{"Time":"{now}","Event":"firing","Fingerprint":"f","AlertName":"Probe","Severity":"critical",'
     '"Labels":{{"service":"probe"}},"Annotations":{{}},"Value":3,"Threshold":"1","StartsAt":"{now}",'
     '"EndsAt":null,"ExampleTraceId":"","GroupKey":"","Fingerprints":[],"Instance":"probe"}}'),
    ("INSERT alert_state", "INSERT INTO {probe}.alert_state FORMAT JSONEachRow",
     '{{"SavedAt":"{now}","Instance":"probe","State":"{{}}"}}'),
]


def probe_loop_statements(ch_url, database, rounds):
    """Times the evaluation loop's ClickHouse statements from here (one
    kept-alive HTTP connection, as the collector's pooled client), each
    `rounds` times, while the collector keeps running: what one evaluation
    spends on ClickHouse before it can notify. Median ms per statement."""
    parsed = urllib.parse.urlparse(ch_url)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    probe = "bench_time_to_alert_probe"

    def execute(sql, body=None):
        path = "/?" + urllib.parse.urlencode({"query": sql}) if body is not None else "/"
        conn.request("POST", path, body=(body if body is not None else sql).encode())
        response = conn.getresponse()
        text = response.read().decode()
        if response.status != 200:
            raise RuntimeError(f"ClickHouse {response.status}: {text[:300]}")
        return text

    execute(f"CREATE DATABASE IF NOT EXISTS {probe}")
    for table in ("alert_heartbeats", "alert_window_deltas", "alert_events", "alert_state"):
        execute(f"CREATE TABLE IF NOT EXISTS {probe}.{table} AS {database}.{table}")
    times = {name: [] for name, _, _ in LOOP_STATEMENTS}
    for _ in range(rounds):
        for name, sql, row in LOOP_STATEMENTS:
            now = time.time()
            fill = dict(db=database, probe=probe, now=f"{now:.3f}", now_ms=int(now * 1e3),
                        since_ms=int(now * 1e3) - 60_000)
            start = time.perf_counter()
            execute(sql.format(**fill), row.format(**fill) if row else None)
            times[name].append((time.perf_counter() - start) * 1e3)
        time.sleep(0.05)
    execute(f"DROP DATABASE {probe}")
    conn.close()
    out = {name: round(statistics.median(values), 2) for name, values in times.items()}
    out["sum_of_medians"] = round(sum(out.values()), 1)
    return out


def git_commit():
    try:
        return subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
    except Exception:
        return None


# ---------------------------------------------------------------- run

def run(args):
    work = tempfile.mkdtemp(prefix="bench-time-to-alert-", dir=args.tmp)
    arrivals = Arrivals()
    smtp_port = free_port()
    smtp = Controller(SmtpHandler(arrivals), hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    hook = webhook_server(arrivals)
    proc = log = None
    result = dict(trials=[], workdir=work)
    try:
        rules = os.path.join(work, "rules")
        os.makedirs(rules)
        with open(os.path.join(rules, "gateway.yaml"), "w") as f:
            f.write(RULE)
        http_port, grpc_port = free_port(), free_port()
        data_dir = os.path.join(work, "data")
        config = os.path.join(work, "jamscope.toml")
        with open(config, "w") as f:
            f.write(f"""\
http_addr = "127.0.0.1:{http_port}"
grpc_addr = "127.0.0.1:{grpc_port}"
data_dir = "{data_dir}"

[clickhouse]
embedded_python = "{args.python}"
embedded_http_port = 0
embedded_tcp_port = 0

[alert]
enabled = true
rules_dir = "{rules}"
group_by = ["alertname", "service"]
external_url = "http://jamscope.bench"

[alert.email]
smtp_url = "smtp://127.0.0.1:{smtp_port}?tls=none"
from = "jamscope@example.com"
to = ["oncall@example.com"]

[alert.webhook]
url = "http://127.0.0.1:{hook.server_address[1]}/hook"
secret = "{SECRET}"
""")
        # The TOML says everything; no JAMSCOPE_* from the caller overrides it.
        env = {k: v for k, v in os.environ.items() if not k.startswith("JAMSCOPE_")}
        log = open(os.path.join(work, "jamscope.log"), "wb")
        result["machine_busy_pct_before"] = wait_idle(args.wait_idle)
        started = time.monotonic()
        proc = subprocess.Popen([args.jamscope, "serve", "--config", config], env=env, cwd=work,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        base = f"http://127.0.0.1:{http_port}"
        wait_ready(base + "/readyz", 90, proc)
        wait_for("jamscope_alert_leader 1", 60,
                 lambda: "\njamscope_alert_leader 1\n" in get(base + "/metrics"), 0.2)
        result["start_to_leading_s"] = round(time.monotonic() - started, 1)
        print(f"collector leads after {result['start_to_leading_s']} s; "
              f"{args.trials} trials, {args.spacing} s apart", flush=True)

        run_id = f"{random.getrandbits(24):06x}"
        for i in range(args.trials):
            service = f"tta-{run_id}-{i:02d}"
            body = gateway_export(service)
            t0 = time.time()
            post(base + "/v1/traces", body)
            t_ack = time.time()
            t_email = wait_for(f"the email for {service}", args.timeout,
                               lambda: arrivals.get("email", service))
            t_webhook = wait_for(f"the webhook for {service}", args.timeout,
                                 lambda: arrivals.get("webhook", service))
            trial = dict(service=service, ack_ms=round((t_ack - t0) * 1e3, 1),
                         email_ms=round((t_email - t0) * 1e3, 1),
                         webhook_ms=round((t_webhook - t0) * 1e3, 1), t0=t0)
            result["trials"].append(trial)
            print(f"  {service}: ack {trial['ack_ms']:7.1f} ms  email {trial['email_ms']:7.1f} ms"
                  f"  webhook {trial['webhook_ms']:7.1f} ms", flush=True)
            # A random part so t0 falls anywhere between two evaluations
            # (a fixed spacing would lock it to one phase of the 1 s tick).
            time.sleep(args.spacing + random.random())

        # When the firing evaluation started, from the collector's history.
        history = json.loads(get(base + "/api/alerts/history?alertname=GatewayErrorRate&limit=1000"))
        ticks = {e["labels"].get("service"): e["time_millis"] / 1e3
                 for e in history["events"] if e["event"] == "firing"}
        for trial in result["trials"]:
            tick = ticks.get(trial["service"])
            if tick is not None:
                trial["tick_ms"] = round((tick - trial["t0"]) * 1e3, 1)
                trial["tick_to_email_ms"] = round(trial["email_ms"] - trial["tick_ms"], 1)
                trial["tick_to_webhook_ms"] = round(trial["webhook_ms"] - trial["tick_ms"], 1)
        # What one evaluation spends on ClickHouse, timed from here while
        # the collector keeps evaluating.
        result["loop_statements_ms"] = probe_loop_statements(
            embedded_clickhouse_url(data_dir), "jamscope", args.probe_rounds)
        result["machine_busy_pct_after"] = round(busy_pct(1.0), 1)
        if arrivals.bad_signatures:
            raise RuntimeError(f"{arrivals.bad_signatures} webhook(s) with a bad signature")
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if log is not None:
            log.close()
        smtp.stop()
        hook.shutdown()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--jamscope", default=os.path.join(REPO, "target", "release", "jamscope"))
    ap.add_argument("--python", default=os.environ.get("BENCH_PYTHON", os.path.join(REPO, ".venv", "bin", "python")),
                    help="interpreter with chdb-core, for the embedded ClickHouse")
    ap.add_argument("--trials", type=int, default=10)
    ap.add_argument("--spacing", type=float, default=2.0,
                    help="seconds between trials (plus a random 0-1 s)")
    ap.add_argument("--probe-rounds", type=int, default=20,
                    help="times each evaluation-loop ClickHouse statement is timed")
    ap.add_argument("--timeout", type=float, default=20.0, help="longest wait for one notification, s")
    ap.add_argument("--wait-idle", type=float, default=30, help="wait up to this long for an idle machine")
    ap.add_argument("--tmp", default=None)
    ap.add_argument("--keep", action="store_true", help="keep the work dir (log, data)")
    ap.add_argument("--json-out")
    args = ap.parse_args()
    args.python = os.path.abspath(args.python)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))

    result = run(args)
    trials = result["trials"]
    summary = dict(
        email_ms=stats([t["email_ms"] for t in trials]),
        webhook_ms=stats([t["webhook_ms"] for t in trials]),
        ack_ms=stats([t["ack_ms"] for t in trials]),
    )
    timed = [t for t in trials if "tick_ms" in t]
    if timed:
        summary.update(
            t0_to_tick_ms=stats([t["tick_ms"] for t in timed]),
            tick_to_email_ms=stats([t["tick_to_email_ms"] for t in timed]),
            tick_to_webhook_ms=stats([t["tick_to_webhook_ms"] for t in timed]),
        )
    print()
    print(f"{'ms from t0':24} {'median':>8} {'p90':>8} {'max':>8}")
    for key, label in [("email_ms", "email"), ("webhook_ms", "webhook"), ("ack_ms", "export acknowledged"),
                       ("t0_to_tick_ms", "firing evaluation start"),
                       ("tick_to_email_ms", "evaluation -> email"),
                       ("tick_to_webhook_ms", "evaluation -> webhook")]:
        if key in summary:
            s = summary[key]
            print(f"{label:24} {s['median']:8.1f} {s['p90']:8.1f} {s['max']:8.1f}")
    target = 2000
    worst = max(summary["email_ms"]["max"], summary["webhook_ms"]["max"])
    print(f"target < {target} ms: {'met' if worst < target else 'NOT met'} (worst {worst} ms)")
    print("\nOne evaluation's ClickHouse statements, timed from here (median ms, "
          f"{args.probe_rounds} rounds):")
    for name, ms in result["loop_statements_ms"].items():
        print(f"  {name:28} {ms:7.2f}")
    if args.json_out:
        os.makedirs(os.path.dirname(os.path.abspath(args.json_out)), exist_ok=True)
        with open(args.json_out, "w") as f:
            json.dump(dict(commit=git_commit(), date=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                           cpus=os.cpu_count(), evaluation_interval_ms=1000, trials_requested=args.trials,
                           spacing_s=args.spacing, target_ms=target, summary=summary, **result),
                      f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
