#!/usr/bin/env node
// Send three log records to an OTLP/HTTP endpoint with the real
// OpenTelemetry JS logs SDK (protobuf exporter) and print, as one JSON
// document on stdout, exactly what was exported.
//
// Used by the Jamscope end-to-end tests: the Rust test starts the collector,
// runs this script against it and compares every printed field with the rows
// that land in ClickHouse's `otel_logs` table.
//
// Usage:
//   node send_logs.mjs --endpoint http://127.0.0.1:4318
//                      [--compression none|gzip] [--timeout SECONDS]
//
// The exporter posts application/x-protobuf to `<endpoint>/v1/logs`. The
// records: a warning outside any trace, an error inside a (made-up, sampled)
// span context, and an event with a structured body; times are exact to the
// nanosecond. Exit status: 0 when every export call succeeded, 1 when an
// export failed (nothing is printed on stdout then), 2 on bad arguments.
// The output's shape is described in tests/clients/README.md ("Log records").

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import { context, diag, DiagLogLevel, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';

import {
  attributes,
  fail,
  hrTime,
  hrTimeToNs,
  jsonValue,
  NS_PER_S,
  RecordingExporter,
  toJson,
  typeName,
} from './otlp_json.mjs';

const RESOURCE_ATTRIBUTES = {
  'service.name': 'node-cms',
  'jamstack.layer': 'cms',
  'deployment.environment': 'test',
};
const RESOURCE_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.29.0';
const SCOPE_NAME = 'jamscope-e2e-logs';
const SCOPE_VERSION = '1.2.3';
const SCOPE_SCHEMA_URL = 'https://opentelemetry.io/schemas/1.30.0';

function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        compression: { type: 'string', default: 'none' },
        timeout: { type: 'string', default: '10' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    fail(err.message, 2);
  }
  if (!values.endpoint) fail('--endpoint URL is required', 2);
  if (!['none', 'gzip'].includes(values.compression)) fail('--compression must be none or gzip', 2);
  const timeoutSeconds = Number(values.timeout);
  if (!(timeoutSeconds > 0)) fail('--timeout must be a positive number of seconds', 2);
  return {
    endpoint: values.endpoint.replace(/\/+$/, ''),
    compression: values.compression,
    timeoutMillis: Math.round(timeoutSeconds * 1000),
  };
}

function randomNonZeroHex(bytes) {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (/[^0]/.test(hex)) return hex;
  }
}

function emitLogs(provider, t0) {
  const logger = provider.getLogger(SCOPE_NAME, SCOPE_VERSION, { schemaUrl: SCOPE_SCHEMA_URL });
  logger.emit({
    timestamp: hrTime(t0),
    observedTimestamp: hrTime(t0 + 1_234n),
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'cache miss for product 42',
    attributes: {
      'cache.key': 'product:42',
      'cache.tier': 2,
      'cache.fill_ratio': 0.75,
      'cache.stale': false,
      'cache.regions': ['eu-west-1', 'us-east-1'],
      'jamscope.unicode': 'caf\u00e9 \u2615',
    },
  });
  const inSpan = trace.setSpanContext(context.active(), {
    traceId: randomNonZeroHex(16),
    spanId: randomNonZeroHex(8),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: false,
  });
  logger.emit({
    timestamp: hrTime(t0 + 100_000_002n),
    observedTimestamp: hrTime(t0 + 100_000_777n),
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    body: 'payment declined for order A-1001',
    attributes: { 'order.id': 'A-1001', 'order.total': 19.99 },
    context: inSpan,
  });
  logger.emit({
    timestamp: hrTime(t0 + 200_000_003n),
    observedTimestamp: hrTime(t0 + 200_000_003n),
    severityNumber: SeverityNumber.INFO2,
    severityText: 'info',
    eventName: 'cart.updated',
    body: { event: 'cart.updated', items: 3, total: 42.5, tags: ['gift', 'express'] },
  });
}

// ------------------------------------------------------------ JSON output
//
// Built from the records the exporter was handed, following the mapping of
// @opentelemetry/otlp-transformer (logs/internal.js): times as held, the
// severity number and text as given, the body and attributes as AnyValues
// (an integral JS number as int_value), flags from the span context.

function recordJson(record) {
  const [attrs, attrTypes] = attributes(record.attributes);
  const [resource, resourceTypes] = attributes(record.resource.attributes);
  const [scopeAttrs, scopeTypes] = attributes(record.instrumentationScope.attributes);
  const span = record.spanContext;
  return {
    time_ns: hrTimeToNs(record.hrTime),
    observed_ns: hrTimeToNs(record.hrTimeObserved),
    severity_number: record.severityNumber ?? 0,
    severity_text: record.severityText ?? '',
    body: jsonValue(record.body),
    body_type: typeName(record.body),
    attributes: attrs,
    attribute_types: attrTypes,
    trace_id: span?.traceId ?? '',
    span_id: span?.spanId ?? '',
    flags: span?.traceFlags ?? 0,
    event_name: record.eventName ?? '',
    resource,
    resource_types: resourceTypes,
    resource_schema_url: record.resource.schemaUrl ?? '',
    scope_name: record.instrumentationScope.name,
    scope_version: record.instrumentationScope.version ?? '',
    scope_attributes: scopeAttrs,
    scope_attribute_types: scopeTypes,
    scope_schema_url: record.instrumentationScope.schemaUrl ?? '',
  };
}

// ---------------------------------------------------------------------- main

async function main() {
  const args = parseCommandLine();
  const toStderr = (...parts) => process.stderr.write(`${parts.map(String).join(' ')}\n`);
  diag.setLogger(
    { error: toStderr, warn: toStderr, info: toStderr, debug: toStderr, verbose: toStderr },
    DiagLogLevel.WARN,
  );

  const recorder = new RecordingExporter(
    new OTLPLogExporter({
      url: `${args.endpoint}/v1/logs`,
      timeoutMillis: args.timeoutMillis,
      compression: args.compression,
    }),
  );
  const provider = new LoggerProvider({
    resource: resourceFromAttributes(RESOURCE_ATTRIBUTES, { schemaUrl: RESOURCE_SCHEMA_URL }),
    processors: [new BatchLogRecordProcessor({ exporter: recorder })],
  });

  // About 30 s ago, sub-second digits not round.
  const t0 = BigInt(Math.floor(Date.now() / 1000) - 30) * NS_PER_S + 123_456_789n;
  emitLogs(provider, t0);

  let flushError = null;
  try {
    await provider.forceFlush();
    await provider.shutdown();
  } catch (err) {
    flushError = err;
  }

  const exported = recorder.calls.flatMap((call) => call.items);
  const failures = recorder.calls.filter((call) => call.result.code !== ExportResultCode.SUCCESS);
  if (flushError || failures.length > 0 || exported.length !== 3) {
    const reasons = failures.map((call) => String(call.result.error ?? 'FAILED'));
    fail(
      `export failed (flush error: ${flushError ?? 'none'}; export calls: ${recorder.calls.length}; ` +
        `failures: [${reasons.join('; ')}]; records handed to the exporter: ${exported.length})`,
    );
  }
  process.stdout.write(`${toJson({ logs: exported.map(recordJson) })}\n`, () => process.exit(0));
}

main().catch((err) => fail(`unexpected error: ${err?.stack ?? err}`));
