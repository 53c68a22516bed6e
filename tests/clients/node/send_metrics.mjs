#!/usr/bin/env node
// Record a few measurements with the real OpenTelemetry JS metrics SDK,
// export them to an OTLP/HTTP endpoint (protobuf exporter), and print, as
// one JSON document on stdout, exactly what was exported.
//
// Used by the Jamscope end-to-end tests: the Rust test starts the collector,
// runs this script against it and compares every printed point with the rows
// of the `otel_metrics_*` tables.
//
// Usage:
//   node send_metrics.mjs --endpoint http://127.0.0.1:4318
//                         [--temporality cumulative|delta] [--service NAME]
//
// The exporter posts application/x-protobuf to `<endpoint>/v1/metrics`.
// `delta` is the exporter's own delta preference (counters and histograms
// delta, up-down counters cumulative). The document is built from the same
// metrics handed to the exporter, by the JSON serializer of the same
// transformer the exporter encodes with.
//
// Exit status: 0 when every export call succeeded, 1 when an export failed
// (nothing is printed on stdout then), 2 on bad arguments.

import { parseArgs } from 'node:util';

import { diag, DiagLogLevel } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { JsonMetricsSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

const SCOPE_NAME = 'jamscope-e2e';
const SCOPE_VERSION = '1.2.3';

function fail(message, code = 1) {
  process.stderr.write(`send_metrics.mjs: ${message}\n`);
  process.exit(code);
}

function options() {
  try {
    const { values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        temporality: { type: 'string', default: 'cumulative' },
        service: { type: 'string', default: 'node-metrics' },
      },
    });
    if (!values.endpoint) throw new Error('--endpoint is required');
    if (!['cumulative', 'delta'].includes(values.temporality)) {
      throw new Error('--temporality must be cumulative or delta');
    }
    return values;
  } catch (error) {
    return fail(error.message, 2);
  }
}

/** Delegates to the real exporter; remembers each request and its result. */
class RecordingExporter {
  constructor(inner) {
    this.inner = inner;
    this.calls = [];
  }

  export(metrics, resultCallback) {
    const request = JSON.parse(
      new TextDecoder().decode(JsonMetricsSerializer.serializeRequest(metrics)),
    );
    this.inner.export(metrics, (result) => {
      this.calls.push({ request, ok: result.code === ExportResultCode.SUCCESS });
      if (result.code !== ExportResultCode.SUCCESS) {
        process.stderr.write(`send_metrics.mjs: export failed: ${result.error}\n`);
      }
      resultCallback(result);
    });
  }

  selectAggregationTemporality(kind) {
    return this.inner.selectAggregationTemporality(kind);
  }

  selectAggregation(kind) {
    return this.inner.selectAggregation(kind);
  }

  forceFlush() {
    return this.inner.forceFlush();
  }

  shutdown() {
    return this.inner.shutdown();
  }
}

function record(provider) {
  const meter = provider.getMeter(SCOPE_NAME, SCOPE_VERSION);
  const pool = { 'db.client.connection.pool.name': 'main' };
  const requests = meter.createCounter('http.server.requests', {
    unit: '{request}',
    description: 'Requests served',
  });
  const connections = meter.createUpDownCounter('db.client.connection.count', {
    unit: '{connection}',
    description: 'Connections by state',
  });
  const cpu = meter.createGauge('process.cpu.utilization', { unit: '1', description: 'CPU in use' });
  const duration = meter.createHistogram('http.server.request.duration', {
    unit: 's',
    description: 'How long requests took',
  });
  const sizes = meter.createHistogram('http.response.body.size', {
    unit: 'By',
    description: 'Response sizes',
  });
  requests.add(3, { 'http.route': '/checkout' });
  requests.add(2, { 'http.route': '/' });
  connections.add(7, { ...pool, 'db.client.connection.state': 'used' });
  connections.add(3, { ...pool, 'db.client.connection.state': 'idle' });
  connections.add(-2, { ...pool, 'db.client.connection.state': 'used' });
  cpu.record(0.625, { cpu: '0' });
  for (const seconds of [0.004, 0.02, 0.3, 1.5, 7.25]) {
    duration.record(seconds, { 'http.route': '/checkout' });
  }
  for (const size of [0, 512, 2048, 65536, 1000000]) {
    sizes.record(size, { 'content.type': 'image' });
  }
}

async function main() {
  const args = options();
  diag.setLogger(
    { error: (...a) => console.error(...a), warn: (...a) => console.error(...a), info() {}, debug() {}, verbose() {} },
    DiagLogLevel.WARN,
  );
  const exporter = new RecordingExporter(
    new OTLPMetricExporter({
      url: `${args.endpoint.replace(/\/$/, '')}/v1/metrics`,
      // The exporter's preference takes the SDK's temporality values
      // (DELTA: its delta preference, not delta for everything).
      temporalityPreference:
        args.temporality === 'delta'
          ? AggregationTemporality.DELTA
          : AggregationTemporality.CUMULATIVE,
    }),
  );
  const provider = new MeterProvider({
    resource: resourceFromAttributes({
      'service.name': args.service,
      'jamstack.layer': 'cms',
      'deployment.environment': 'test',
    }),
    views: [
      {
        instrumentName: 'http.response.body.size',
        aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM },
      },
    ],
    // One export, when asked: the interval is far longer than the test.
    readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
  });
  record(provider);
  await provider.forceFlush();
  await provider.shutdown();
  if (exporter.calls.length === 0 || exporter.calls.some((call) => !call.ok)) {
    fail('an export failed');
  }
  process.stdout.write(JSON.stringify({ requests: exporter.calls.map((call) => call.request) }));
}

main().catch((error) => fail(error.stack ?? String(error)));
