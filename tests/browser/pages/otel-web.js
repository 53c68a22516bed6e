// A page traced with the OpenTelemetry JS web SDK, unmodified, exporting to Jamscope on another origin: the
// document-load and fetch instrumentations, the OTLP/HTTP (JSON) exporter with the RUM key as `x-api-key`;
// and the JS logs SDK sending the page's TTFB as a `browser.web_vital` event, as OpenTelemetry's browser
// instrumentation names Web Vitals. Bundled by sdks.test.mjs with esbuild; the collector's URL and key come
// from the page's query.
import { WebTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-web';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { FetchInstrumentation } from '@opentelemetry/instrumentation-fetch';
import { DocumentLoadInstrumentation } from '@opentelemetry/instrumentation-document-load';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';

const query = new URLSearchParams(location.search);
const exporter = new OTLPTraceExporter({
  url: `${query.get('collector')}/v1/traces`,
  headers: { 'x-api-key': query.get('key') },
});
// Which traces the page made, for the test to look up.
const traceIds = new Set();
const seen = { onStart() {}, onEnd: (span) => traceIds.add(span.spanContext().traceId), forceFlush: async () => {}, shutdown: async () => {} };
const resource = resourceFromAttributes({ 'service.name': 'shop-otel-web', 'jamstack.layer': 'gateway' });
const provider = new WebTracerProvider({
  resource,
  spanProcessors: [seen, new SimpleSpanProcessor(exporter)],
});
provider.register();
for (const instrumentation of [new DocumentLoadInstrumentation(), new FetchInstrumentation()]) {
  instrumentation.setTracerProvider(provider);
  instrumentation.enable();
}

const logs = new LoggerProvider({
  resource,
  processors: [
    new SimpleLogRecordProcessor({
      exporter: new OTLPLogExporter({ url: `${query.get('collector')}/v1/logs`, headers: { 'x-api-key': query.get('key') } }),
    }),
  ],
});

/** The page's TTFB from Navigation Timing, sent as a `browser.web_vital` event; its id. */
async function sendTimeToFirstByte() {
  const [navigation] = performance.getEntriesByType('navigation');
  const value = Math.max(navigation.responseStart - navigation.activationStart, 0);
  const id = `v5-${Date.now()}-${Math.floor(Math.random() * 1e12)}`;
  logs.getLogger('web-vitals').emit({
    eventName: 'browser.web_vital',
    attributes: {
      'browser.web_vital.name': 'TTFB',
      'browser.web_vital.value': value,
      'browser.web_vital.delta': value,
      'browser.web_vital.id': id,
      'browser.web_vital.rating': value <= 800 ? 'good' : value <= 1800 ? 'needs-improvement' : 'poor',
      'browser.web_vital.navigation_type': navigation.type,
      'url.full': location.href,
    },
  });
  await logs.forceFlush();
  return { id, value };
}

window.runScenario = async () => {
  await fetch('/data.json').then((r) => r.json());
  // The fetch span ends once the browser has its resource timing, a moment after the response.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await provider.forceFlush();
  return { traceIds: [...traceIds], vital: await sendTimeToFirstByte() };
};
