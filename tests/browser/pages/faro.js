// A page instrumented with the Grafana Faro web SDK, unmodified, sending to Jamscope's `/collect` on another
// origin with the RUM key as `apiKey`: its web instrumentations (Web Vitals among them), then an exception, a
// log, an event and a trace (OTLP JSON, as Faro's tracing package pushes it). Bundled by sdks.test.mjs.
import { initializeFaro, getWebInstrumentations } from '@grafana/faro-web-sdk';

const query = new URLSearchParams(location.search);
const faro = initializeFaro({
  url: `${query.get('collector')}/collect`,
  apiKey: query.get('key'),
  app: { name: 'shop-faro', version: '1.0.0', environment: 'test' },
  instrumentations: getWebInstrumentations({ captureConsole: false }),
});

const hex = (bytes) => [...crypto.getRandomValues(new Uint8Array(bytes))].map((b) => b.toString(16).padStart(2, '0')).join('');

window.runScenario = async () => {
  const traceId = hex(16);
  const spanId = hex(8);
  faro.api.pushError(new TypeError('faro checkout failed'));
  faro.api.pushLog(['cart opened from faro'], { level: 'warn', spanContext: { traceId, spanId } });
  faro.api.pushEvent('add_to_cart', { sku: '7' }, 'shop');
  const now = BigInt(Date.now()) * 1000000n;
  faro.api.pushTraces({
    resourceSpans: [{
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'shop-faro' } }] },
      scopeSpans: [{ scope: { name: '@grafana/faro-web-tracing' }, spans: [{
        traceId, spanId, name: 'checkout', kind: 1,
        startTimeUnixNano: String(now - 20000000n), endTimeUnixNano: String(now),
      }] }],
    }],
  });
  return { traceId, spanId };
};
