#!/usr/bin/env python3
"""Send gateway requests as server spans with the real OpenTelemetry Python
SDK: ``--requests`` spans of service ``--service`` on the gateway layer, the
first ``--errors`` of them failed (status ERROR, HTTP 500), all in one
export so a collector sees them at once. Prints one JSON document: the
trace ids of the failed requests and of all requests.

Usage:
    gateway_traffic.py --endpoint http://127.0.0.1:4318 --requests 100
                       --errors 2 [--service api-gateway]

Exit status: 0 when the export succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import SpanKind
from opentelemetry.trace.status import Status, StatusCode


class Recording(SpanExporter):
    """Wraps the OTLP exporter and remembers whether every export worked."""

    def __init__(self, inner: SpanExporter) -> None:
        self.inner = inner
        self.ok = True

    def export(self, spans):  # type: ignore[no-untyped-def]
        result = self.inner.export(spans)
        self.ok = self.ok and result == SpanExportResult.SUCCESS
        return result

    def shutdown(self) -> None:
        self.inner.shutdown()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--requests", type=int, required=True)
    parser.add_argument("--errors", type=int, default=0)
    parser.add_argument("--service", default="api-gateway")
    args = parser.parse_args()
    if not 0 <= args.errors <= args.requests:
        print("--errors must be between 0 and --requests", file=sys.stderr)
        return 2

    exporter = Recording(OTLPSpanExporter(endpoint=f"{args.endpoint}/v1/traces", timeout=10))
    provider = TracerProvider(
        resource=Resource.create(
            {"service.name": args.service, "jamstack.layer": "gateway"}
        )
    )
    # One export for everything: the collector records it in one go.
    provider.add_span_processor(
        BatchSpanProcessor(
            exporter,
            max_queue_size=max(2048, args.requests),
            max_export_batch_size=max(512, args.requests),
            schedule_delay_millis=60_000,
        )
    )
    tracer = provider.get_tracer("jamscope-e2e-gateway")
    failed, all_ids = [], []
    for n in range(args.requests):
        with tracer.start_as_current_span("GET /api/products", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.route", "/api/products")
            trace_id = format(span.get_span_context().trace_id, "032x")
            all_ids.append(trace_id)
            if n < args.errors:
                span.set_attribute("http.response.status_code", 500)
                span.set_status(Status(StatusCode.ERROR, "upstream failed"))
                failed.append(trace_id)
            else:
                span.set_attribute("http.response.status_code", 200)
    provider.force_flush(timeout_millis=10_000)
    provider.shutdown()
    if not exporter.ok:
        print("export failed", file=sys.stderr)
        return 1
    print(json.dumps({"failed": failed, "all": all_ids}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
