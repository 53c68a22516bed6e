#!/usr/bin/env python3
"""Record a few measurements with the real OpenTelemetry Python metrics
SDK, export them to an OTLP endpoint, and print, as one JSON document on
stdout, exactly what was exported.

Used by the Jamscope end-to-end tests: the Rust test starts the collector,
runs this script against it and compares every printed point with the rows
of the ``otel_metrics_*`` tables.

Usage:
    send_metrics.py --endpoint http://127.0.0.1:4318 [--protocol http|grpc]
                    [--temporality cumulative|delta] [--service NAME]
                    [--timeout SECONDS]

``--protocol http`` posts protobuf to ``<endpoint>/v1/metrics``;
``--protocol grpc`` calls MetricsService/Export on ``<endpoint>``
(plaintext). ``--temporality delta`` asks for what the SDK's "delta"
preference gives (counters and histograms delta, up-down counters and
gauges cumulative, as the OpenTelemetry specification says).

Exit status: 0 when every export call returned SUCCESS, 1 when an export
failed (nothing is printed on stdout then), 2 on bad arguments. SDK
diagnostics go to stderr; stdout carries only the JSON document.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
from collections.abc import Sequence

from google.protobuf.json_format import MessageToDict
from opentelemetry.exporter.otlp.proto.common.metrics_encoder import encode_metrics
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    MeterProvider,
    ObservableCounter,
    ObservableGauge,
    ObservableUpDownCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics._internal.instrument import Gauge
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    MetricExporter,
    MetricExportResult,
    MetricsData,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider

SCOPE_NAME = "jamscope-e2e"
SCOPE_VERSION = "1.2.3"

DELTA = AggregationTemporality.DELTA
CUMULATIVE = AggregationTemporality.CUMULATIVE


class RecordingExporter(MetricExporter):
    """Delegates to the real OTLP exporter and remembers, per export call,
    the OTLP request built from the data handed over (with the encoder the
    exporter itself uses) and the result that came back."""

    def __init__(self, inner: MetricExporter) -> None:
        super().__init__(
            preferred_temporality=inner._preferred_temporality,  # pylint: disable=protected-access
            preferred_aggregation=inner._preferred_aggregation,  # pylint: disable=protected-access
        )
        self._inner = inner
        self._lock = threading.Lock()
        self.calls: list[tuple[dict, MetricExportResult]] = []

    def export(self, metrics_data: MetricsData, timeout_millis: float = 10_000, **kwargs) -> MetricExportResult:
        request = MessageToDict(encode_metrics(metrics_data))
        try:
            result = self._inner.export(metrics_data, timeout_millis=timeout_millis, **kwargs)
        except Exception as exc:  # pylint: disable=broad-exception-caught
            print(f"send_metrics.py: exporter raised {exc!r}", file=sys.stderr)
            result = MetricExportResult.FAILURE
        with self._lock:
            self.calls.append((request, result))
        return result

    def force_flush(self, timeout_millis: float = 10_000) -> bool:
        return self._inner.force_flush(timeout_millis)

    def shutdown(self, timeout_millis: float = 30_000, **kwargs) -> None:
        self._inner.shutdown(timeout_millis=timeout_millis, **kwargs)


def temporalities(choice: str) -> dict:
    if choice == "cumulative":
        return {kind: CUMULATIVE for kind in (Counter, UpDownCounter, Histogram, Gauge,
                                             ObservableCounter, ObservableUpDownCounter, ObservableGauge)}
    return {
        Counter: DELTA,
        ObservableCounter: DELTA,
        Histogram: DELTA,
        UpDownCounter: CUMULATIVE,
        ObservableUpDownCounter: CUMULATIVE,
        Gauge: CUMULATIVE,
        ObservableGauge: CUMULATIVE,
    }


def build_exporter(args: argparse.Namespace) -> MetricExporter:
    base = args.endpoint.rstrip("/")
    preferred = temporalities(args.temporality)
    if args.protocol == "http":
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        return OTLPMetricExporter(
            endpoint=base + "/v1/metrics", timeout=args.timeout, preferred_temporality=preferred
        )
    from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter

    return OTLPMetricExporter(
        endpoint=base, insecure=True, timeout=args.timeout, preferred_temporality=preferred
    )


def record(provider: MeterProvider, tracer_provider: TracerProvider) -> None:
    """Every synchronous instrument kind, one measurement of the counter
    inside a sampled span (so it carries an exemplar)."""
    meter = provider.get_meter(SCOPE_NAME, SCOPE_VERSION)
    pool = {"db.client.connection.pool.name": "main"}
    requests = meter.create_counter("http.server.requests", unit="{request}", description="Requests served")
    connections = meter.create_up_down_counter(
        "db.client.connection.count", unit="{connection}", description="Connections by state"
    )
    cpu = meter.create_gauge("process.cpu.utilization", unit="1", description="CPU in use")
    duration = meter.create_histogram(
        "http.server.request.duration", unit="s", description="How long requests took"
    )
    sizes = meter.create_histogram("http.response.body.size", unit="By", description="Response sizes")

    tracer = tracer_provider.get_tracer(SCOPE_NAME)
    with tracer.start_as_current_span("GET /checkout"):
        requests.add(3, {"http.route": "/checkout"})
    requests.add(2, {"http.route": "/"})
    connections.add(7, {**pool, "db.client.connection.state": "used"})
    connections.add(3, {**pool, "db.client.connection.state": "idle"})
    connections.add(-2, {**pool, "db.client.connection.state": "used"})
    cpu.set(0.625, {"cpu": "0"})
    for seconds in (0.004, 0.02, 0.3, 1.5, 7.25):
        duration.record(seconds, {"http.route": "/checkout"})
    for size in (0, 512, 2048, 65_536, 1_000_000):
        sizes.record(size, {"content.type": "image"})


def to_hex(request: dict) -> dict:
    """OTLP/JSON writes ids in hex; protobuf's JSON mapping in base64."""
    for resource_metrics in request.get("resourceMetrics", []):
        for scope_metrics in resource_metrics.get("scopeMetrics", []):
            for metric in scope_metrics.get("metrics", []):
                for kind in metric.values():
                    if not isinstance(kind, dict):
                        continue
                    for point in kind.get("dataPoints", []):
                        for exemplar in point.get("exemplars", []):
                            for key in ("traceId", "spanId"):
                                if key in exemplar:
                                    exemplar[key] = base64.b64decode(exemplar[key]).hex()
    return request


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", required=True, help="collector base URL, e.g. http://127.0.0.1:4318")
    parser.add_argument("--protocol", choices=("http", "grpc"), default="http")
    parser.add_argument("--temporality", choices=("cumulative", "delta"), default="cumulative")
    parser.add_argument("--service", default="py-metrics")
    parser.add_argument("--timeout", type=float, default=10.0, help="export timeout in seconds (default 10)")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    exporter = RecordingExporter(build_exporter(args))
    # One export, when asked: the interval is far longer than the test.
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    resource = Resource.create(
        {"service.name": args.service, "jamstack.layer": "cms", "deployment.environment": "test"}
    )
    provider = MeterProvider(
        resource=resource,
        metric_readers=[reader],
        views=[
            View(instrument_name="http.response.body.size", aggregation=ExponentialBucketHistogramAggregation())
        ],
    )
    tracer_provider = TracerProvider(resource=resource)
    record(provider, tracer_provider)
    provider.force_flush()
    provider.shutdown()
    if any(result != MetricExportResult.SUCCESS for _, result in exporter.calls):
        return 1
    requests = [to_hex(request) for request, _ in exporter.calls if request]
    json.dump({"requests": requests}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
