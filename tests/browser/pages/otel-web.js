// A page traced with the OpenTelemetry JS web SDK, unmodified, exporting to Jamscope on another origin: the
// document-load and fetch instrumentations, the OTLP/HTTP (JSON) exporter with the RUM key as `x-api-key`.
// Bundled by sdks.test.mjs with esbuild; the collector's URL and key come from the page's query.
import { WebTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { resourceFromAttributes } from '@opentelemetry/resources';

const query = new URLSearchParams(location.search);
const exporter = new OTLPTraceExporter({
  url: `${query.get('collector')}/v1/traces`,
  headers: { 'x-api-key': query.get('key') },
});
// Which traces the page made, for the test to look up.
const traceIds = new Set();
const seen = { onStart() {}, onEnd: (span) => traceIds.add(span.spanContext().traceId), forceFlush: async () => {}, shutdown: async () => {} };
const provider = new WebTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'shop-otel-web', 'jamstack.layer': 'gateway' }),
  spanProcessors: [seen, new SimpleSpanProcessor(exporter)],
});
provider.register();
for (const instrumentation of [new DocumentLoadInstrumentation(), new FetchInstrumentation()]) {
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
}

window.runScenario = async () => {
  await fetch('/data.json').then((r) => r.json());
  // The fetch span ends once the browser has its resource timing, a moment after the response.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await provider.forceFlush();
  return [...traceIds];
};
