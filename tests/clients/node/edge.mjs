#!/usr/bin/env node
// The edge of Jamscope's multi-service end-to-end test: a CDN-layer span
// (real OpenTelemetry JS SDK) that calls the gateway over HTTP with the W3C
// trace context in `traceparent`, then exports over OTLP/HTTP protobuf and
// prints {"trace_id": "..."} on stdout.
//
// Usage: node edge.mjs --endpoint http://127.0.0.1:4318 --url http://127.0.0.1:PORT/page

import { parseArgs } from 'node:util';

import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const { values } = parseArgs({ options: { endpoint: { type: 'string' }, url: { type: 'string' } } });
if (!values.endpoint || !values.url) {
  process.stderr.write('usage: edge.mjs --endpoint URL --url URL\n');
  process.exit(2);
}

propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'node-edge', 'jamstack.layer': 'cdn' }),
  spanProcessors: [
    new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${values.endpoint}/v1/traces` })),
  ],
});
const tracer = provider.getTracer('jamscope-e2e-edge');

const span = tracer.startSpan('GET /page', {
  kind: SpanKind.SERVER,
  attributes: { 'cdn.cache_status': 'MISS', 'http.route': '/page' },
});
const traceId = span.spanContext().traceId;
// No context manager is registered, so the span's context is passed by
// hand rather than made "active".
const spanContext = trace.setSpan(context.active(), span);
await new Promise((resolve) => setTimeout(resolve, 15));
const headers = {};
propagation.inject(spanContext, headers);
const response = await fetch(values.url, { headers });
await response.text();
await new Promise((resolve) => setTimeout(resolve, 15));
span.end();
await provider.forceFlush();
await provider.shutdown();
process.stdout.write(JSON.stringify({ trace_id: traceId }) + '\n');
