#!/usr/bin/env python3
"""Serve ``--traces`` requests of a service whose code raises, each recorded
on its server span with the real OpenTelemetry Python SDK
(``span.record_exception``, what instrumentations do): one bug, raised with
a different order number each time, so one error group across the traces.
``--release`` is the resource's ``service.version``; ``--first-order`` the
first order number; ``--ago-seconds`` dates the spans and their exceptions
that far back (a batch arriving late). Prints one JSON document: the trace
ids.

Usage:
    raise_errors.py --endpoint http://127.0.0.1:4318 --service py-checkout
                    --release 1.0.0 [--traces 5] [--layer gateway]
                    [--first-order 101] [--ago-seconds 0]

Exit status: 0 when the export succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind
from opentelemetry.trace.status import Status, StatusCode


def price_of(order_id: int) -> float:
    """The bug: orders above 100 have no price."""
    prices = {order_id - 1: 9.5}
    if order_id not in prices:
        raise KeyError(f"order {order_id} has no price")
    return prices[order_id]


def checkout(order_id: int) -> float:
    return price_of(order_id) * 2


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--endpoint", required=True)
    parser.add_argument("--service", default="py-checkout")
    parser.add_argument("--release", default="1.0.0")
    parser.add_argument("--layer", default="gateway")
    parser.add_argument("--traces", type=int, default=5)
    parser.add_argument("--first-order", type=int, default=101)
    parser.add_argument("--ago-seconds", type=int, default=0)
    args = parser.parse_args()

    resource = Resource.create(
        {
            "service.name": args.service,
            "service.version": args.release,
            "jamstack.layer": args.layer,
        }
    )
    provider = TracerProvider(resource=resource)
    exporter = OTLPSpanExporter(endpoint=args.endpoint.rstrip("/") + "/v1/traces", timeout=10)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("jamscope-e2e")
    trace_ids = []
    for index in range(args.traces):
        started = time.time_ns() - args.ago_seconds * 1_000_000_000
        with tracer.start_as_current_span(
            "POST /checkout",
            kind=SpanKind.SERVER,
            record_exception=False,
            set_status_on_exception=False,
            start_time=started,
            end_on_exit=False,
        ) as span:
            trace_ids.append(format(span.get_span_context().trace_id, "032x"))
            try:
                checkout(args.first_order + index)
            except KeyError as error:
                span.record_exception(error, timestamp=started + 500_000, escaped=True)
                span.set_status(Status(StatusCode.ERROR, str(error)))
            span.end(end_time=started + 1_000_000)
    provider.shutdown()
    print(json.dumps({"trace_ids": trace_ids}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
