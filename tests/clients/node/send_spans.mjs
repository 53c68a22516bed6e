#!/usr/bin/env node
// Send a small, fully specified trace to an OTLP/HTTP endpoint with the real
// OpenTelemetry JS SDK (protobuf exporter) and print, as one JSON document on
// stdout, exactly what was exported.
//
// Used by the Jamscope end-to-end tests: the Rust test starts the collector,
// runs this script against it and compares every printed field with the rows
// that land in ClickHouse's `otel_traces` table.
//
// Usage:
//   node send_spans.mjs --endpoint http://127.0.0.1:4318
//                       [--compression none|gzip] [--timeout SECONDS] [--start-ns NS]
//
// The exporter posts application/x-protobuf to `<endpoint>/v1/traces`. The
// Node exporter streams the body (Transfer-Encoding: chunked, no
// Content-Length).
//
// Exit status: 0 when every export call succeeded, 1 when an export failed
// (nothing is printed on stdout then), 2 on bad arguments.
// SDK diagnostics go to stderr; stdout carries only the JSON document.

import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';

import {
  context,
  createTraceState,
  diag,
  DiagLogLevel,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';

import {
  attributes,
  fail,
  hrTime,
  hrTimeToNs,
  NS_PER_S,
  RecordingExporter,
  toJson,
} from './otlp_json.mjs';

const SCOPE_NAME = 'jamscope-e2e';
const SCOPE_VERSION = '1.2.3';

const RESOURCE_ATTRIBUTES = {
  'service.name': 'node-cms',
  'jamstack.layer': 'cms',
  'deployment.environment': 'test',
};

// Offsets (ns) from the root span's start; deliberately not round so that
// nanosecond precision is visible end to end. Same values as send_spans.py.
const CHILD_START_OFFSET = 100_000_002;
const EVENT_1_OFFSET = 177_545_214;
const EVENT_2_OFFSET = 226_543_218;
const CHILD_END_OFFSET = 333_332_224;
const ROOT_END_OFFSET = 864_197_532;


function parseCommandLine() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        compression: { type: 'string', default: 'none' },
        timeout: { type: 'string', default: '10' },
        'start-ns': { type: 'string' },
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
  let startNs;
  if (values['start-ns'] !== undefined) {
    if (!/^\d+$/.test(values['start-ns'])) fail('--start-ns must be an integer number of ns', 2);
    startNs = BigInt(values['start-ns']);
  } else {
    startNs = BigInt(Math.floor(Date.now() / 1000) - 30) * NS_PER_S + 123_456_789n;
  }
  return {
    endpoint: values.endpoint.replace(/\/+$/, ''),
    compression: values.compression,
    timeoutMillis: Math.round(timeoutSeconds * 1000),
    startNs,
  };
}

function randomNonZeroHex(bytes) {
  for (;;) {
    const hex = randomBytes(bytes).toString('hex');
    if (/[^0]/.test(hex)) return hex;
  }
}

function emitTrace(provider, t0) {
  const tracer = provider.getTracer(SCOPE_NAME, SCOPE_VERSION);

  const root = tracer.startSpan('GET /api/products/:id', {
    kind: SpanKind.SERVER,
    attributes: {
      'http.request.method': 'GET',
      'http.route': '/api/products/:id',
      'url.path': '/api/products/42',
      'http.response.status_code': 200,
      'server.address': 'cms.example.test',
    },
    startTime: hrTime(t0),
  });

  const linked = {
    traceId: randomNonZeroHex(16),
    spanId: randomNonZeroHex(8),
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('vendor1=opaque1,rojo=00f067aa0ba902b7'),
  };

  const child = tracer.startSpan(
    'SELECT products',
    {
      kind: SpanKind.CLIENT,
      // one attribute for every AnyValue type the JS SDK accepts
      // (it has no bytes attributes and no integers beyond 2**53)
      attributes: {
        'db.system.name': 'postgresql',
        'db.query.text': 'SELECT * FROM products WHERE id = $1',
        'jamscope.unicode': 'caf\u00e9 \u2615 \u65e5\u672c',
        'db.prepared': true,
        'db.cache.hit': false,
        'db.response.returned_rows': 1,
        'jamscope.negative_int': -17,
        'db.pool.utilization': 0.625,
        'jamscope.price': 19.99,
        'db.query.parameters': ['42', 'en-US'],
        'db.shard_ids': [3, 7, 11],
        'db.replica_flags': [true, false, true],
        'db.latency_buckets': [0.5, 1.25, 2.75],
      },
      links: [
        {
          context: linked,
          attributes: {
            'link.reason': 'upstream-batch',
            'link.batch_size': 3,
            'link.sampled': true,
          },
        },
      ],
      startTime: hrTime(t0 + BigInt(CHILD_START_OFFSET)),
    },
    trace.setSpan(context.active(), root),
  );
  child.addEvent(
    'cache.miss',
    {
      'cache.key': 'product:42',
      'cache.ttl_ms': 1500,
      'cache.stale': true,
      'cache.fill_ratio': 0.75,
      'cache.tiers': ['l1', 'l2'],
    },
    hrTime(t0 + BigInt(EVENT_1_OFFSET)),
  );
  child.addEvent('query.retry', {}, hrTime(t0 + BigInt(EVENT_2_OFFSET)));
  child.setStatus({ code: SpanStatusCode.ERROR, message: 'connection reset by peer' });
  child.end(hrTime(t0 + BigInt(CHILD_END_OFFSET)));

  root.setStatus({ code: SpanStatusCode.OK });
  root.end(hrTime(t0 + BigInt(ROOT_END_OFFSET)));
}

// ------------------------------------------------------------ JSON output
//
// Built from the spans the exporter was handed, following the mapping of
// @opentelemetry/otlp-transformer: a JS number is sent as int_value when
// Number.isInteger() holds, double_value otherwise; SpanKind is the API enum
// + 1; status codes and trace states are sent as held.

const SPAN_KINDS = [
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];

function spanJson(span) {
  const ctx = span.spanContext();
  const [attrs, attrTypes] = attributes(span.attributes);
  const [resource, resourceTypes] = attributes(span.resource.attributes);
  return {
    trace_id: ctx.traceId,
    span_id: ctx.spanId,
    parent_span_id: span.parentSpanContext?.spanId ?? '',
    trace_state: ctx.traceState?.serialize() ?? '',
    name: span.name,
    kind: SPAN_KINDS[span.kind],
    start_ns: hrTimeToNs(span.startTime),
    end_ns: hrTimeToNs(span.endTime),
    status_code: STATUS_CODES[span.status.code],
    status_message: span.status.message ?? '',
    attributes: attrs,
    attribute_types: attrTypes,
    resource,
    resource_types: resourceTypes,
    scope_name: span.instrumentationScope.name,
    scope_version: span.instrumentationScope.version ?? '',
    events: span.events.map((event) => {
      const [evAttrs, evTypes] = attributes(event.attributes);
      return {
        name: event.name,
        time_ns: hrTimeToNs(event.time),
        attributes: evAttrs,
        attribute_types: evTypes,
      };
    }),
    links: span.links.map((link) => {
      const [lnAttrs, lnTypes] = attributes(link.attributes);
      return {
        trace_id: link.context.traceId,
        span_id: link.context.spanId,
        trace_state: link.context.traceState?.serialize() ?? '',
        attributes: lnAttrs,
        attribute_types: lnTypes,
      };
    }),
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
    new OTLPTraceExporter({
      url: `${args.endpoint}/v1/traces`,
      timeoutMillis: args.timeoutMillis,
      compression: args.compression,
    }),
  );
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(RESOURCE_ATTRIBUTES),
    spanProcessors: [new BatchSpanProcessor(recorder)],
  });

  emitTrace(provider, args.startNs);

  let flushError = null;
  try {
    await provider.forceFlush();
  } catch (err) {
    flushError = err;
  }
  try {
    await provider.shutdown();
  } catch (err) {
    flushError ??= err;
  }

  const exported = recorder.calls.flatMap((call) => call.items);
  const failures = recorder.calls.filter((call) => call.result.code !== ExportResultCode.SUCCESS);
  if (flushError || failures.length > 0 || exported.length !== 2) {
    const reasons = failures.map((call) => String(call.result.error ?? 'FAILED'));
    fail(
      `export failed (flush error: ${flushError ?? 'none'}; export calls: ${recorder.calls.length}; ` +
        `failures: [${reasons.join('; ')}]; spans handed to the exporter: ${exported.length})`,
    );
  }

  const spans = exported.map(spanJson);
  spans.sort((a, b) => (a.start_ns < b.start_ns ? -1 : a.start_ns > b.start_ns ? 1 : 0));
  process.stdout.write(`${toJson({ spans })}\n`, () => process.exit(0));
}

main().catch((err) => fail(`unexpected error: ${err?.stack ?? err}`));
