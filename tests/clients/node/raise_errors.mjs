// Serves `--traces` requests of a service whose code throws, each recorded on its server span with the real
// OpenTelemetry JS SDK (`span.recordException`): one bug with a different cart id each time, so one error group
// across the traces. `--release` is the resource's `service.version`. Prints one JSON document: the trace ids.
//   node raise_errors.mjs --endpoint http://127.0.0.1:4318 --service node-cms --release 1.0.0 [--traces 5]
import { parseArgs } from 'node:util';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    service: { type: 'string', default: 'node-cms' },
    release: { type: 'string', default: '1.0.0' },
    layer: { type: 'string', default: 'cms' },
    traces: { type: 'string', default: '5' },
  },
});

/** The bug: an empty cart has no first item. */
function firstItem(cart) {
  return cart.items[0].sku;
}

function renderCart(id) {
  return firstItem({ id, items: undefined });
}

const exporter = new OTLPTraceExporter({ url: `${args.endpoint.replace(/\/$/, '')}/v1/traces` });
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': args.service,
    'service.version': args.release,
    'jamstack.layer': args.layer,
  }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer('jamscope-e2e');
const traceIds = [];
for (let i = 0; i < Number(args.traces); i++) {
  tracer.startActiveSpan('GET /cart/:id', { kind: SpanKind.SERVER }, (span) => {
    traceIds.push(span.spanContext().traceId);
    try {
      renderCart(1000 + i);
    } catch (error) {
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    span.end();
  });
}
await provider.forceFlush();
await provider.shutdown();
console.log(JSON.stringify({ trace_ids: traceIds }));
