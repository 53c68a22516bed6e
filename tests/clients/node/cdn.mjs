#!/usr/bin/env node
// The "CDN" of Jamscope's browser tests: a small HTTP server instrumented with the OpenTelemetry JS SDK (layer
// `cdn`, W3C trace context) that serves a site's static files and proxies `/api/…` to an upstream gateway, the
// way a Jamstack CDN does. Each request is a SERVER span continuing the caller's traceparent (and honouring its
// sampled flag); a proxied request carries the span's context upstream. A page may carry
// `<meta name="traceparent" content="{{traceparent}}">`: it is rendered with the context of the span serving the
// document, as an edge that renders trace context into HTML does.
//
// Usage: node cdn.mjs --endpoint http://127.0.0.1:4318 --root DIR --upstream http://127.0.0.1:PORT
// Prints `listening <port>` once it accepts requests, then one JSON line per request it answered:
// {"method": "GET", "path": "/api/products/7", "traceparent": "00-…" | null, "tracestate": … }.
// Stops when stdin closes, after its spans are exported.

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { parseArgs } from 'node:util';

import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, ParentBasedSampler, AlwaysOnSampler, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';

const { values } = parseArgs({
  options: { endpoint: { type: 'string' }, root: { type: 'string' }, upstream: { type: 'string' } },
});
if (!values.endpoint || !values.root || !values.upstream) {
  process.stderr.write('usage: cdn.mjs --endpoint URL --root DIR --upstream URL\n');
  process.exit(2);
}

const propagator = new W3CTraceContextPropagator();
propagation.setGlobalPropagator(propagator);
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'cdn-edge', 'jamstack.layer': 'cdn' }),
  sampler: new ParentBasedSampler({ root: new AlwaysOnSampler() }),
  spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${values.endpoint}/v1/traces` }))],
});
const tracer = provider.getTracer('jamscope-e2e-cdn');
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.json': 'application/json' };

/** The upstream's answer to a proxied request, the span's context injected. */
async function proxy(request, spanContext) {
  const headers = {};
  propagation.inject(spanContext, headers);
  const response = await fetch(values.upstream + request.url, { headers });
  return { status: response.status, type: response.headers.get('content-type'), body: Buffer.from(await response.arrayBuffer()) };
}

/** A static file under the root; a page's `{{traceparent}}` becomes the serving span's context. */
async function file(path, spanContext) {
  const name = normalize(path == '/' ? '/index.html' : path);
  let body = await readFile(join(values.root, name)).catch(() => null);
  if (!body) return { status: 404, type: 'text/plain', body: Buffer.from('not found\n') };
  if (extname(name) == '.html') {
    const carrier = {};
    propagation.inject(spanContext, carrier);
    body = Buffer.from(body.toString('utf8').replaceAll('{{traceparent}}', carrier.traceparent ?? ''));
  }
  return { status: 200, type: TYPES[extname(name)] ?? 'application/octet-stream', body };
}

const server = createServer(async (request, response) => {
  const path = new URL(request.url, 'http://cdn').pathname;
  const parent = propagation.extract(context.active(), request.headers);
  const api = path.startsWith('/api/');
  const span = tracer.startSpan(
    `${request.method} ${path}`,
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.request.method': request.method, 'url.path': path, 'cdn.cache_status': api ? 'MISS' : 'HIT' },
    },
    parent,
  );
  const spanContext = trace.setSpan(parent, span);
  let answer;
  try {
    answer = api ? await proxy(request, spanContext) : await file(path, spanContext);
  } catch (error) {
    answer = { status: 502, type: 'text/plain', body: Buffer.from(`upstream failed: ${error.message}\n`) };
  }
  span.setAttribute('http.response.status_code', answer.status);
  if (answer.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
  response.writeHead(answer.status, { 'content-type': answer.type ?? 'text/plain' }).end(answer.body);
  const header = (name) => request.headers[name] ?? null;
  process.stdout.write(
    JSON.stringify({ method: request.method, path, traceparent: header('traceparent'), tracestate: header('tracestate') }) + '\n',
  );
});

server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${server.address().port}\n`));
process.stdin.resume();
process.stdin.on('end', async () => {
  server.close();
  await provider.forceFlush();
  await provider.shutdown();
  process.exit(0);
});
