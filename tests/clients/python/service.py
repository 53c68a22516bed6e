#!/usr/bin/env python3
"""A tiny HTTP service instrumented with the OpenTelemetry Python SDK, for
Jamscope's multi-service end-to-end test: it continues the W3C trace
context of each request (`traceparent`), works a little, optionally calls
the next service with the context propagated, and exports its spans to the
collector over OTLP/HTTP.

Usage: service.py --name gateway --layer gateway --endpoint http://127.0.0.1:4318
                  [--downstream http://127.0.0.1:PORT/] [--work-ms 30]
Prints `listening <port>` on stdout once it accepts requests; stops when
stdin closes (the test holds it open) and flushes its spans first.
"""
import argparse
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry import context, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

PROPAGATOR = TraceContextTextMapPropagator()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--name", required=True)
    ap.add_argument("--layer", required=True)
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--downstream")
    ap.add_argument("--work-ms", type=float, default=30)
    args = ap.parse_args()

    provider = TracerProvider(resource=Resource.create(
        {"service.name": args.name, "jamstack.layer": args.layer}))
    provider.add_span_processor(SimpleSpanProcessor(
        OTLPSpanExporter(endpoint=args.endpoint.rstrip("/") + "/v1/traces", timeout=10)))
    tracer = provider.get_tracer("jamscope-e2e-service")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            # Header names are case-insensitive; urllib sends `Traceparent`.
            parent = PROPAGATOR.extract(
                carrier={k.lower(): v for k, v in self.headers.items()})
            with tracer.start_as_current_span(
                    f"GET {self.path}", context=parent, kind=trace.SpanKind.SERVER,
                    attributes={"http.route": self.path, "http.request.method": "GET"}) as span:
                time.sleep(args.work_ms / 2000)
                if args.downstream:
                    with tracer.start_as_current_span(
                            "call downstream", kind=trace.SpanKind.CLIENT):
                        headers = {}
                        PROPAGATOR.inject(carrier=headers)
                        with urllib.request.urlopen(
                                urllib.request.Request(args.downstream, headers=headers),
                                timeout=10) as response:
                            response.read()
                time.sleep(args.work_ms / 2000)
                span.set_attribute("http.response.status_code", 200)
            body = b"ok\n"
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print(f"listening {server.server_address[1]}", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    server.shutdown()
    provider.shutdown()


if __name__ == "__main__":
    main()
