#!/usr/bin/env python3
"""Send a few log records through Python's ``logging`` with the real
OpenTelemetry Python SDK (``LoggingHandler`` and the OTLP log exporter), one
of them inside a span, and print, as one JSON document on stdout, exactly
what was exported.

Used by the Jamscope end-to-end tests: the Rust test starts the collector,
runs this script against it and compares every printed field with the rows
that land in ClickHouse's ``otel_logs`` table, and the span's log records
with what ``/api/traces/{id}`` shows under it.

Usage:
    send_logs.py --endpoint http://127.0.0.1:4318 [--protocol http|grpc]
                 [--compression none|gzip] [--timeout SECONDS]

``--protocol http`` posts protobuf to ``<endpoint>/v1/logs`` (and the span
to ``/v1/traces``); ``--protocol grpc`` calls LogsService/Export and
TraceService/Export on ``<endpoint>`` (plaintext).

Exit status: 0 when every export call returned SUCCESS, 1 when an export
failed (nothing is printed on stdout then), 2 on bad arguments.
All SDK diagnostics go to stderr; stdout carries only the JSON document.
The output's shape is described in tests/clients/README.md ("Log records").
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import threading
import warnings
from collections.abc import Sequence
from typing import Any

from opentelemetry.exporter.otlp.proto.common._log_encoder import encode_logs
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
)
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler, ReadableLogRecord
from opentelemetry.sdk._logs.export import (
    BatchLogRecordProcessor,
    LogRecordExporter,
    LogRecordExportResult,
)
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from send_spans import attributes, any_value

LOGGER_NAME = "jamscope.e2e.checkout"

RESOURCE_ATTRIBUTES = {
    "service.name": "py-payments",
    "jamstack.layer": "function",
    "deployment.environment": "test",
}


class RecordingExporter(LogRecordExporter):
    """Delegates to the real OTLP exporter and remembers, per export call,
    the OTLP request built from the records handed over (with the encoder
    the exporter itself uses) and the result that came back."""

    def __init__(self, inner: LogRecordExporter) -> None:
        self._inner = inner
        self._lock = threading.Lock()
        self.calls: list[tuple[ExportLogsServiceRequest, LogRecordExportResult]] = []

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        records = list(batch)
        request = encode_logs(records)
        try:
            result = self._inner.export(records)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            print(f"send_logs.py: exporter raised {exc!r}", file=sys.stderr)
            result = LogRecordExportResult.FAILURE
        with self._lock:
            self.calls.append((request, result))
        return result

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self) -> None:
        self._inner.shutdown()


def build_exporters(args: argparse.Namespace):
    """The OTLP log and span exporters of the chosen protocol."""
    base = args.endpoint.rstrip("/")
    if args.protocol == "http":
        from opentelemetry.exporter.otlp.proto.http import Compression
        from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        compression = Compression.Gzip if args.compression == "gzip" else Compression.NoCompression
        return (
            OTLPLogExporter(endpoint=base + "/v1/logs", timeout=args.timeout, compression=compression),
            OTLPSpanExporter(endpoint=base + "/v1/traces", timeout=args.timeout, compression=compression),
        )

    import grpc
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

    compression = grpc.Compression.Gzip if args.compression == "gzip" else grpc.Compression.NoCompression
    return (
        OTLPLogExporter(endpoint=base, insecure=True, timeout=args.timeout, compression=compression),
        OTLPSpanExporter(endpoint=base, insecure=True, timeout=args.timeout, compression=compression),
    )


def emit(logger: logging.Logger, tracer) -> dict[str, str]:
    """The records: one outside any span, three inside one (a formatted
    message, a structured body, an exception); the span's ids."""
    logger.warning(
        "cache miss for product %s",
        42,
        extra={
            "cache.key": "product:42",
            "cache.tier": 2,
            "cache.fill_ratio": 0.75,
            "cache.stale": False,
            "cache.regions": ("eu-west-1", "us-east-1"),
            "jamscope.unicode": "caf\u00e9 \u2615",
        },
    )
    with tracer.start_as_current_span("POST /api/checkout") as span:
        logger.error("payment declined for order %s", "A-1001", extra={"order.id": "A-1001", "order.total": 19.99})
        logger.info({"event": "cart.updated", "items": 3, "total": 42.5, "gift": True})
        try:
            raise ValueError("card expired")
        except ValueError:
            logger.exception("charge failed")
        context = span.get_span_context()
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


def request_records(request: ExportLogsServiceRequest) -> list[dict[str, Any]]:
    out = []
    for resource_logs in request.resource_logs:
        resource, resource_types = attributes(resource_logs.resource.attributes)
        for scope_logs in resource_logs.scope_logs:
            scope_attributes, scope_types = attributes(scope_logs.scope.attributes)
            for record in scope_logs.log_records:
                attrs, attr_types = attributes(record.attributes)
                body, body_type = any_value(record.body) if record.HasField("body") else (None, "empty")
                out.append(
                    {
                        "time_ns": record.time_unix_nano,
                        "observed_ns": record.observed_time_unix_nano,
                        "severity_number": record.severity_number,
                        "severity_text": record.severity_text,
                        "body": body,
                        "body_type": body_type,
                        "attributes": attrs,
                        "attribute_types": attr_types,
                        "trace_id": record.trace_id.hex(),
                        "span_id": record.span_id.hex(),
                        "flags": record.flags,
                        "event_name": record.event_name,
                        "resource": resource,
                        "resource_types": resource_types,
                        "resource_schema_url": resource_logs.schema_url,
                        "scope_name": scope_logs.scope.name,
                        "scope_version": scope_logs.scope.version,
                        "scope_attributes": scope_attributes,
                        "scope_attribute_types": scope_types,
                        "scope_schema_url": scope_logs.schema_url,
                    }
                )
    return out


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="collector base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--protocol", choices=("http", "grpc"), default="http")
    parser.add_argument("--compression", choices=("none", "gzip"), default="none")
    parser.add_argument("--timeout", type=float, default=10.0, help="export timeout in seconds (default 10)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    # The SDK's LoggingHandler warns that it moves to another package; it
    # is still the SDK's, and what is tested here.
    warnings.simplefilter("ignore", DeprecationWarning)

    log_exporter, span_exporter = build_exporters(args)
    resource = Resource.create(RESOURCE_ATTRIBUTES)
    recorder = RecordingExporter(log_exporter)
    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(recorder))
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))

    logger = logging.getLogger(LOGGER_NAME)
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    logger.addHandler(LoggingHandler(level=logging.DEBUG, logger_provider=logger_provider))

    span = emit(logger, tracer_provider.get_tracer("jamscope-e2e", "1.2.3"))

    timeout_ms = int(args.timeout * 1000) + 5000
    spans_flushed = tracer_provider.force_flush(timeout_ms)
    logs_flushed = logger_provider.force_flush(timeout_ms)
    tracer_provider.shutdown()
    logger_provider.shutdown()

    exported = [record for request, _ in recorder.calls for record in request_records(request)]
    failures = [result for _, result in recorder.calls if result is not LogRecordExportResult.SUCCESS]
    if not (spans_flushed and logs_flushed) or failures or len(exported) != 4:
        print(
            f"send_logs.py: export failed (flushed spans={spans_flushed} logs={logs_flushed}, "
            f"export calls={[r.name for _, r in recorder.calls]}, records={len(exported)})",
            file=sys.stderr,
        )
        return 1
    json.dump({"logs": exported, "span": span}, sys.stdout, indent=2)
    sys.stdout.write("\n")
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
