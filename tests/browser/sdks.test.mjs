// Browser SDKs other than rum.js, unmodified, in headless Chromium, sending to a real collector from another
// origin (two loopback ports are two origins): the OpenTelemetry JS web SDK (document-load and fetch
// instrumentations, OTLP/HTTP exporter) through CORS to `/v1/traces`, and the Grafana Faro web SDK to
// `/collect`. Each page is bundled here with esbuild. What they send lands where it belongs: spans with the
// browser layer (whatever the page claims), Faro's vitals, exception, log, event and trace.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { build } from 'esbuild';
import * as harness from './harness.mjs';

const KEY = 'page-key';
let collector;
let site;
let browser;
const bundles = {};

/** Serves the test pages (`/<name>.html` running `<name>.js`) and `/data.json` on its own origin. */
function startSite() {
  const server = createServer((request, response) => {
    const path = new URL(request.url, 'http://x').pathname;
    const name = path.slice(1).replace(/\.(html|js)$/, '');
    if (path == '/data.json') return response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (path.endsWith('.js') && bundles[name]) {
      return response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundles[name]);
    }
    if (path.endsWith('.html') && bundles[name]) {
      const html = `<!doctype html><html><head><title>${name}</title><script src="/${name}.js"></script></head>` +
        `<body><h1>${name}</h1></body></html>`;
      return response.writeHead(200, { 'content-type': 'text/html' }).end(html);
    }
    response.writeHead(404).end();
  });
  return new Promise((res) => server.listen(0, '127.0.0.1', () => res(server)));
}

before(async () => {
  for (const name of ['otel-web', 'faro']) {
    const result = await build({
      entryPoints: [`${harness.root}pages/${name}.js`],
      bundle: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'error',
    });
    bundles[name] = result.outputFiles[0].text;
  }
  site = await startSite();
  const origin = `http://127.0.0.1:${site.address().port}`;
  collector = await harness.startCollector({
    env: { JAMSCOPE_RUM_ALLOWED_ORIGINS: origin, JAMSCOPE_RUM_KEYS: KEY },
  });
  browser = await harness.launchBrowser();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  site?.close();
});

const api = (path) => harness.api(collector, path);
const waitFor = (what, check) => harness.waitFor(collector, what, check);

/** Opens `/<name>.html` of the site, pointed at the collector, and runs its scenario. */
async function runPage(name) {
  const page = await browser.newPage();
  const failures = [];
  page.on('console', (message) => message.type() == 'error' && failures.push(message.text()));
  page.on('requestfailed', (request) => failures.push(`${request.url()}: ${request.failure()?.errorText}`));
  const query = new URLSearchParams({ collector: collector.http, key: KEY });
  await page.goto(`http://127.0.0.1:${site.address().port}/${name}.html?${query}`, { waitUntil: 'load' });
  const result = await page.evaluate(() => window.runScenario());
  return { page, result, failures };
}

test('the OpenTelemetry web SDK exports its spans and a web-vital event through CORS; they land as the browser layer and in rum_vitals', async () => {
  const { page, result, failures } = await runPage('otel-web');
  const { traceIds, vital } = result;
  assert.ok(traceIds.length >= 1, 'the page made spans');
  const spans = await waitFor('the page spans', async () => {
    const all = [];
    for (const id of traceIds) {
      const { status, body } = await api(`/api/traces/${id}`);
      if (status == 200) all.push(...body.spans);
    }
    const names = all.map((s) => s.name);
    return { done: names.includes('documentLoad') && names.includes('GET'), value: all };
  });
  console.log('OpenTelemetry web spans:', JSON.stringify(spans.map((s) => [s.service, s.layer, s.name])));
  assert.ok(spans.every((s) => s.layer == 'browser' && s.service == 'shop-otel-web'), 'a page claiming the gateway is the browser');
  assert.deepEqual(failures.filter((f) => f.includes(collector.http)), [], 'no export failed');
  // The `browser.web_vital` event is a Web Vital of the page, stored where rum.js's vitals are.
  const vitals = await waitFor('the web-vital event as a vital', async () => {
    const { body } = await api('/api/vitals?window=1h&group_by=page');
    const ttfb = (body.vitals ?? []).filter((v) => v.group.includes('otel-web') && v.metric == 'TTFB');
    return { done: ttfb.length > 0, value: { body, ttfb } };
  });
  console.log('the web-vital event as stored:', JSON.stringify(vitals.ttfb), 'sent', JSON.stringify(vital));
  assert.equal(vitals.ttfb[0].count, 1, 'one TTFB from the page');
  assert.ok(Math.abs(vitals.ttfb[0].p75 - vital.value) < 1, `p75 ${vitals.ttfb[0].p75} is the value sent, ${vital.value}`);
  const { body: pageLogs } = await api('/api/logs?service=shop-otel-web&window=1h');
  assert.ok(!JSON.stringify(pageLogs).includes('browser.web_vital'), 'the event is a vital, not a log record');
  assert.deepEqual(failures.filter((f) => f.includes(collector.http)), [], 'no export failed');
  await page.close();
});

test('the Faro web SDK sends vitals, an exception, a log, an event and a trace; each lands where it belongs', async () => {
  const { page, result, failures } = await runPage('faro');
  const trace = await waitFor("Faro's trace", async () => {
    const { status, body } = await api(`/api/traces/${result.traceId}`);
    return { done: status == 200 && body.spans?.length == 1, value: body };
  });
  assert.deepEqual([trace.spans[0].layer, trace.spans[0].service, trace.spans[0].name], ['browser', 'shop-faro', 'checkout']);
  const logs = await waitFor("Faro's log and event", async () => {
    const { body } = await api('/api/logs?service=shop-faro&window=1h');
    const records = body.records ?? body.logs ?? [];
    return { done: records.length >= 2, value: records };
  });
  console.log("Faro's log records:", JSON.stringify(logs).slice(0, 800));
  const text = JSON.stringify(logs);
  assert.ok(text.includes('cart opened from faro') && text.includes('add_to_cart'), text);
  assert.ok(text.includes(result.traceId), 'the log joins its trace');
  const errors = await waitFor("Faro's exception", async () => {
    const { body } = await api('/api/errors');
    const found = JSON.stringify(body).includes('faro checkout failed');
    return { done: found, value: body };
  });
  assert.ok(JSON.stringify(errors).includes('TypeError'));
  // Checked before leaving the page: leaving may abort a send still in flight, which Faro then retries.
  assert.deepEqual(failures.filter((f) => f.includes(collector.http)), [], 'no send failed');
  // Faro's Web Vitals instrumentation reports TTFB (and FCP) once the page has loaded; leaving the page sends
  // what is still buffered.
  await page.goto('about:blank');
  const vitals = await waitFor("Faro's Web Vitals", async () => {
    const { body } = await api('/api/vitals?group_by=page');
    const metrics = JSON.stringify(body);
    return { done: metrics.includes('TTFB'), value: body };
  });
  console.log("Faro's vitals:", JSON.stringify(vitals).slice(0, 800));
  await page.close();
});
