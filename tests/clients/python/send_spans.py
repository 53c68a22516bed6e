#!/usr/bin/env python3
"""Send a small, fully specified trace to an OTLP endpoint with the real
OpenTelemetry Python SDK and print, as one JSON document on stdout, exactly
what was exported.

Used by the Jamscope end-to-end tests: the Rust test starts the collector,
runs this script against it and compares every printed field with the rows
that land in ClickHouse's ``otel_traces`` table.

Usage:
    send_spans.py --endpoint http://127.0.0.1:4318 [--protocol http|grpc]
                  [--compression none|gzip] [--timeout SECONDS] [--start-ns NS]
                  [--ca-file PEM]

``--protocol http`` posts protobuf to ``<endpoint>/v1/traces``;
``--protocol grpc`` calls TraceService/Export on ``<endpoint>`` (plaintext).
``--ca-file`` trusts that PEM certificate and speaks TLS (an https://
endpoint). Headers (an API key) come the SDK's way, from
``OTEL_EXPORTER_OTLP_HEADERS``.

Exit status: 0 when every export call returned SUCCESS, 1 when an export
failed (nothing is printed on stdout then), 2 on bad arguments.
All SDK diagnostics go to stderr; stdout carries only the JSON document.
"""

from __future__ import annotations

import argparse
import base64
import json
import logging
import random
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from typing import Any

from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span as PB2Span
from opentelemetry.proto.trace.v1.trace_pb2 import Status as PB2Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.trace import Link, SpanContext, SpanKind, TraceFlags, TraceState
from opentelemetry.trace.status import Status, StatusCode

SCOPE_NAME = "jamscope-e2e"
SCOPE_VERSION = "1.2.3"

RESOURCE_ATTRIBUTES = {
    "service.name": "py-checkout",
    "jamstack.layer": "gateway",
    "deployment.environment": "test",
}

# Offsets (ns) from the root span's start; deliberately not round so that
# nanosecond precision is visible end to end.
CHILD_START_OFFSET = 100_000_002
EVENT_1_OFFSET = 177_545_214
EVENT_2_OFFSET = 226_543_218
CHILD_END_OFFSET = 333_332_224
ROOT_END_OFFSET = 864_197_532


class RecordingExporter(SpanExporter):
    """Delegates to the real OTLP exporter and remembers, per export call,
    the OTLP request built from the spans handed over (with the encoder the
    exporter itself uses) and the SpanExportResult that came back."""

    def __init__(self, inner: SpanExporter) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.calls: list[tuple[ExportTraceServiceRequest, SpanExportResult]] = []

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        batch = list(spans)
        request = encode_spans(batch)
        try:
            result = self._inner.export(batch)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            print(f"send_spans.py: exporter raised {exc!r}", file=sys.stderr)
            result = SpanExportResult.FAILURE
        with self._lock:
            self.calls.append((request, result))
        return result

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self) -> None:
        self._inner.shutdown()


def build_exporter(args: argparse.Namespace) -> SpanExporter:
    base = args.endpoint.rstrip("/")
    if args.protocol == "http":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter,
        )

        compression = Compression.Gzip if args.compression == "gzip" else Compression.NoCompression
        return OTLPSpanExporter(
            endpoint=base + "/v1/traces",
            timeout=args.timeout,
            compression=compression,
            certificate_file=args.ca_file,
        )

    import grpc
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
        OTLPSpanExporter,
    )

    compression = grpc.Compression.Gzip if args.compression == "gzip" else grpc.Compression.NoCompression
    if args.ca_file:
        with open(args.ca_file, "rb") as pem:
            credentials = grpc.ssl_channel_credentials(root_certificates=pem.read())
        return OTLPSpanExporter(
            endpoint=base,
            insecure=False,
            credentials=credentials,
            timeout=args.timeout,
            compression=compression,
        )
    return OTLPSpanExporter(
        endpoint=base,
        insecure=True,
        timeout=args.timeout,
        compression=compression,
    )


def random_nonzero_bits(bits: int) -> int:
    while True:
        value = random.getrandbits(bits)
        if value:
            return value


def emit_trace(provider: TracerProvider, t0: int) -> None:
    tracer = provider.get_tracer(SCOPE_NAME, SCOPE_VERSION)

    root = tracer.start_span(
        "GET /api/products/:id",
        kind=SpanKind.SERVER,
        attributes={
            "http.request.method": "GET",
            "http.route": "/api/products/:id",
            "url.path": "/api/products/42",
            "http.response.status_code": 200,
            "server.address": "shop.example.test",
        },
        start_time=t0,
    )

    linked = SpanContext(
        trace_id=random_nonzero_bits(128),
        span_id=random_nonzero_bits(64),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
        trace_state=TraceState([("vendor1", "opaque1"), ("rojo", "00f067aa0ba902b7")]),
    )

    child = tracer.start_span(
        "SELECT products",
        context=trace.set_span_in_context(root),
        kind=SpanKind.CLIENT,
        attributes={
            # one attribute for every AnyValue type the SDK can carry
            "db.system.name": "postgresql",
            "db.query.text": "SELECT * FROM products WHERE id = $1",
            "jamscope.unicode": "caf\u00e9 \u2615 \u65e5\u672c",
            "db.prepared": True,
            "db.cache.hit": False,
            "db.response.returned_rows": 1,
            "jamscope.negative_int": -17,
            "jamscope.big_int": 9007199254740993,  # 2**53 + 1: not exact as a double
            "db.pool.utilization": 0.625,
            "jamscope.price": 19.99,
            "db.query.parameters": ("42", "en-US"),
            "db.shard_ids": (3, 7, 11),
            "db.replica_flags": (True, False, True),
            "db.latency_buckets": (0.5, 1.25, 2.75),
            "db.row_hash": b"\x00\x01\xfe\xffjam",
        },
        links=[
            Link(
                linked,
                attributes={
                    "link.reason": "upstream-batch",
                    "link.batch_size": 3,
                    "link.sampled": True,
                },
            )
        ],
        start_time=t0 + CHILD_START_OFFSET,
    )
    child.add_event(
        "cache.miss",
        attributes={
            "cache.key": "product:42",
            "cache.ttl_ms": 1500,
            "cache.stale": True,
            "cache.fill_ratio": 0.75,
            "cache.tiers": ("l1", "l2"),
        },
        timestamp=t0 + EVENT_1_OFFSET,
    )
    child.add_event("query.retry", timestamp=t0 + EVENT_2_OFFSET)
    child.set_status(Status(StatusCode.ERROR, "connection reset by peer"))
    child.end(end_time=t0 + CHILD_END_OFFSET)

    root.set_status(Status(StatusCode.OK))
    root.end(end_time=t0 + ROOT_END_OFFSET)


# ---------------------------------------------------------------- JSON output
#
# The document is built from the ExportTraceServiceRequest that the exporter
# serialises (both OTLP exporters call the same ``encode_spans``), so it shows
# what went over the wire rather than what the SDK merely holds. The two
# differ in one known place: the Python encoder leaves Span.Link.trace_state
# out, so links[].trace_state is "" although the link's context has one.


def any_value(value: AnyValue) -> tuple[Any, str]:
    """(JSON value, OTLP type name) of an AnyValue; bytes become padded
    standard base64."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value, "string"
    if kind == "bool_value":
        return value.bool_value, "bool"
    if kind == "int_value":
        return value.int_value, "int"
    if kind == "double_value":
        return value.double_value, "double"
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii"), "bytes"
    if kind == "array_value":
        items = [any_value(v) for v in value.array_value.values]
        types = {t for _, t in items}
        return [v for v, _ in items], (f"array<{types.pop()}>" if len(types) == 1 else "array")
    if kind == "kvlist_value":
        return {kv.key: any_value(kv.value)[0] for kv in value.kvlist_value.values}, "map"
    return None, "empty"


def attributes(key_values: Iterable[KeyValue]) -> tuple[dict[str, Any], dict[str, str]]:
    values: dict[str, Any] = {}
    types: dict[str, str] = {}
    for kv in key_values:
        values[kv.key], types[kv.key] = any_value(kv.value)
    return values, types


def request_spans(request: ExportTraceServiceRequest) -> list[dict[str, Any]]:
    out = []
    for resource_spans in request.resource_spans:
        resource, resource_types = attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                attrs, attr_types = attributes(span.attributes)
                events = []
                for event in span.events:
                    ev_attrs, ev_types = attributes(event.attributes)
                    events.append(
                        {
                            "name": event.name,
                            "time_ns": event.time_unix_nano,
                            "attributes": ev_attrs,
                            "attribute_types": ev_types,
                        }
                    )
                links = []
                for link in span.links:
                    ln_attrs, ln_types = attributes(link.attributes)
                    links.append(
                        {
                            "trace_id": link.trace_id.hex(),
                            "span_id": link.span_id.hex(),
                            "trace_state": link.trace_state,
                            "attributes": ln_attrs,
                            "attribute_types": ln_types,
                        }
                    )
                out.append(
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex(),
                        "trace_state": span.trace_state,
                        "name": span.name,
                        "kind": PB2Span.SpanKind.Name(span.kind),
                        "start_ns": span.start_time_unix_nano,
                        "end_ns": span.end_time_unix_nano,
                        "status_code": PB2Status.StatusCode.Name(span.status.code),
                        "status_message": span.status.message,
                        "attributes": attrs,
                        "attribute_types": attr_types,
                        "resource": resource,
                        "resource_types": resource_types,
                        "scope_name": scope_spans.scope.name,
                        "scope_version": scope_spans.scope.version,
                        "events": events,
                        "links": links,
                    }
                )
    return out


# ----------------------------------------------------------------------- main


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="collector base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--protocol", choices=("http", "grpc"), default="http")
    parser.add_argument("--compression", choices=("none", "gzip"), default="none")
    parser.add_argument("--timeout", type=float, default=10.0, help="export timeout in seconds (default 10)")
    parser.add_argument(
        "--start-ns",
        type=int,
        default=None,
        help="root span start, ns since the epoch (default: about 30 s ago, sub-second part .123456789)",
    )
    parser.add_argument("--ca-file", default=None, help="PEM certificate to trust: speak TLS")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)

    t0 = args.start_ns if args.start_ns is not None else (int(time.time()) - 30) * 1_000_000_000 + 123_456_789

    recorder = RecordingExporter(build_exporter(args))
    provider = TracerProvider(resource=Resource.create(RESOURCE_ATTRIBUTES))
    provider.add_span_processor(BatchSpanProcessor(recorder))

    emit_trace(provider, t0)

    flushed = provider.force_flush(int(args.timeout * 1000) + 5000)
    provider.shutdown()

    exported = [span for request, _ in recorder.calls for span in request_spans(request)]
    failures = [result for _, result in recorder.calls if result is not SpanExportResult.SUCCESS]
    if not flushed or failures or len(exported) != 2:
        print(
            f"send_spans.py: export failed (flushed={flushed}, export calls="
            f"{[r.name for _, r in recorder.calls]}, spans handed to the exporter={len(exported)})",
            file=sys.stderr,
        )
        return 1

    exported.sort(key=lambda span: (span["start_ns"], span["name"]))
    json.dump({"spans": exported}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
