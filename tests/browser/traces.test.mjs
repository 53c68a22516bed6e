// The browser starts the trace: a static site served by an instrumented "CDN" (OpenTelemetry JS SDK, layer cdn)
// that proxies /api/… to an instrumented gateway calling an instrumented CMS (OpenTelemetry Python SDK), the
// README's one script tag pointing at a real `jamscope serve`, real headless Chromium clicking. What the page
// traced lands as the root of the trace the servers continue, and the page view and the trace find each other.
// Run: node --test (the collector, services and Chromium it starts: harness.mjs)
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as harness from './harness.mjs';
import { launchBrowser, PYTHON, root, sleep, startCollector, startService } from './harness.mjs';

const CLIENTS = join(root, '../clients');
const README_COLLECTOR = 'https://collector.example';

let collector;
let browser;
let services = []; // CMS, gateway, CDN: stopped in reverse
let cdn;
let siteDir;
let apis = []; // the cross-origin APIs
let listedApi;
let unlistedApi;

const api = (path) => harness.api(collector, path);
const waitFor = (what, check, ms) => harness.waitFor(collector, what, check, ms);

/** The script tag exactly as the top-level README prints it, pointed at the test's collector. */
function readmeTag(attributes = '') {
  const readme = readFileSync(join(root, '../../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Real-user monitoring: the one script tag'));
  const match = /```html\n(<script [^\n]*<\/script>)\n```/.exec(section);
  assert.ok(match, 'README.md has the one script tag in an html block');
  assert.ok(match[1].includes(`${README_COLLECTOR}/rum.js`), match[1]);
  return match[1].replace(README_COLLECTOR, collector.http).replace('></script>', `${attributes}></script>`);
}

const page = (title, { head = '', tag = readmeTag(), body }) => `<!doctype html><html><head><meta charset="utf-8">
<title>${title}</title>${head}
${tag}
</head><body><h1>${title}</h1>${body}<p id="result"></p></body></html>`;

/** A button running `script`, which sets #result when its requests are answered. */
const button = (id, script) => `<button id="${id}" onclick="${script.replaceAll('"', '&quot;')}">${id}</button>`;
const show = "then((r) => r.text()).then((t) => { document.querySelector('#result').textContent += t; })";

function site(listed, unlisted) {
  return {
    'index.html': page('Product 7', {
      body:
        button('fetch', `fetch('/api/products/7').${show}`) +
        button('xhr', `const x = new XMLHttpRequest(); x.open('GET', '/api/products/8');
          x.onload = () => { document.querySelector('#result').textContent += x.responseText; }; x.send();`),
    }),
    // An edge that renders the serving span's trace context into the page.
    'meta.html': page('Rendered', { head: '<meta name="traceparent" content="{{traceparent}}">', body: '' }),
    'cross.html': page('Cross origin', {
      tag: readmeTag(` data-trace-origins="${listed}"`),
      body: button('cross', `Promise.all([fetch('${listed}/data'), fetch('${unlisted}/data')]
        .map((p) => p.${show}))`),
    }),
    'sampled-out.html': page('Sampled out', {
      tag: readmeTag(' data-sample-rate="0"'),
      body: button('fetch', `fetch('/api/products/9').${show}`),
    }),
    'no-inject.html': page('No injection', {
      tag: readmeTag(' data-trace-inject="off"'),
      body: button('fetch', `fetch('/api/products/10').${show}`),
    }),
    'away.html': '<!doctype html><title>away</title><p>away</p>',
  };
}

/** A cross-origin API answering CORS for the site, counting preflights and the traceparent it is sent. */
async function startApi(siteOrigin) {
  const seen = [];
  const server = createServer((request, response) => {
    seen.push({ method: request.method, traceparent: request.headers.traceparent ?? null });
    const cors = { 'access-control-allow-origin': siteOrigin };
    if (request.method == 'OPTIONS') {
      return response
        .writeHead(204, { ...cors, 'access-control-allow-headers': 'traceparent, tracestate', 'access-control-allow-methods': 'GET' })
        .end();
    }
    response.writeHead(200, { ...cors, 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, seen, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Opens `path` on the site, runs `act`, then leaves so the page sends its beacons. */
async function visit(path, act = async () => {}) {
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(cdn.url + path, { waitUntil: 'load' });
    const result = await act(tab);
    await tab.goto(cdn.url + '/away.html', { waitUntil: 'load' });
    return result;
  } finally {
    await context.close();
  }
}

/** Clicks `#id` and waits for the page to show the answer. */
async function click(tab, id) {
  await tab.click(`#${id}`);
  await tab.waitForFunction(() => document.querySelector('#result').textContent.length > 0);
  await sleep(100);
}

/** The trace whose root is the page's span `name`, as `/api/traces/{id}` shows it, once it has `spans`. */
async function traceRootedAt(name, spans) {
  const summary = await waitFor(`a trace rooted at the page's '${name}' with ${spans} spans`, async () => {
    const { body } = await api('/api/traces?window=15m&limit=200');
    const found = body.traces?.find((t) => t.root_service == 'shop' && t.root_name == name && t.spans >= spans);
    return { done: !!found, value: found ?? body };
  });
  return (await api(`/api/traces/${summary.trace_id}`)).body;
}

before(
  async () => {
    collector = await startCollector();
    const endpoint = collector.http;
    const cms = await startService(PYTHON, [join(CLIENTS, 'python/service.py'), '--name', 'cms', '--layer', 'cms',
      '--endpoint', endpoint, '--work-ms', '20'], 'the CMS');
    services.push(cms);
    const gateway = await startService(PYTHON, [join(CLIENTS, 'python/service.py'), '--name', 'gateway', '--layer',
      'gateway', '--endpoint', endpoint, '--downstream', `${cms.url}/`, '--work-ms', '20'], 'the gateway');
    services.push(gateway);
    siteDir = mkdtempSync(join(tmpdir(), 'jamscope-site-'));
    cdn = await startService(process.execPath, [join(CLIENTS, 'node/cdn.mjs'), '--endpoint', endpoint, '--root',
      siteDir, '--upstream', gateway.url], 'the CDN');
    services.push(cdn);
    listedApi = await startApi(cdn.url);
    unlistedApi = await startApi(cdn.url);
    apis = [listedApi, unlistedApi];
    for (const [name, html] of Object.entries(site(listedApi.origin, unlistedApi.origin))) {
      writeFileSync(join(siteDir, name), html);
    }
    browser = await launchBrowser();
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close().catch(() => {});
  for (const { server } of apis) {
    server.closeAllConnections();
    server.close();
  }
  for (const service of services.reverse()) await service.stop().catch(() => {});
  await collector?.stop();
  if (siteDir) rmSync(siteDir, { recursive: true, force: true });
});

test('a click starts the trace: browser → cdn → gateway → cms, and the page view links to it', { timeout: 120_000 }, async () => {
  await visit('/', async (tab) => {
    await click(tab, 'fetch');
    await tab.evaluate(() => (document.querySelector('#result').textContent = ''));
    await click(tab, 'xhr');
  });

  // One trace, the browser's span its root, the CDN's its child, then the gateway and the CMS.
  const trace = await traceRootedAt('GET /api/products/7', 5);
  const spans = trace.spans;
  console.log('trace:', trace.trace_id, trace.summary);
  assert.deepEqual(
    spans.map((s) => [s.depth, s.layer, s.service, s.name]),
    [
      [0, 'browser', 'shop', 'GET /api/products/7'],
      [1, 'cdn', 'cdn-edge', 'GET /api/products/7'],
      [2, 'gateway', 'gateway', 'GET /api/products/7'],
      [3, 'gateway', 'gateway', 'call downstream'],
      [4, 'cms', 'cms', 'GET /'],
    ],
  );
  for (let i = 1; i < spans.length; i++) assert.equal(spans[i].parent_span_id, spans[i - 1].span_id, spans[i].name);
  const [browserSpan] = spans;
  assert.equal(browserSpan.parent_span_id, '');
  assert.equal(browserSpan.kind, 'Client');
  assert.equal(browserSpan.attributes['http.response.status_code'], '200');
  assert.equal(browserSpan.attributes['url.full'], `${cdn.url}/api/products/7`);
  assert.ok(spans.every((s) => !s.orphan), 'no orphan');

  // The breakdown: the browser's own share is above zero, and the parts add up to the wall time.
  const part = (layer) => trace.breakdown.find((p) => p.layer == layer).ms;
  assert.ok(part('browser') > 0, JSON.stringify(trace.breakdown));
  for (const layer of ['cdn', 'gateway', 'cms']) assert.ok(part(layer) > 0, `${layer}: ${JSON.stringify(trace.breakdown)}`);
  const sum = trace.breakdown.reduce((total, p) => total + p.ms, 0);
  assert.ok(Math.abs(sum - trace.total_ms) < 1e-6, `${sum} != ${trace.total_ms}`);
  assert.equal(trace.total_ms, browserSpan.duration_ms, 'the browser span spans the trace');

  // The page view that started it, both ways.
  const pageViewId = browserSpan.attributes['jamscope.page_view.id'];
  assert.match(pageViewId, /^p-[0-9a-f]{16}$/);
  assert.match(browserSpan.attributes['session.id'], /^s-[0-9a-f]{16}$/);
  assert.deepEqual(trace.rum.map((r) => r.page_view.page_view_id), [pageViewId]);
  const view = await waitFor('the page view with its three traces', async () => {
    const { status, body } = await api(`/api/page-views/${pageViewId}`);
    return { done: status == 200 && body.traces?.length >= 3, value: body };
  });
  assert.ok(view.page_view.trace_ids.includes(trace.trace_id));
  assert.deepEqual(view.traces.map((t) => t.name), ['page load /', 'GET /api/products/7', 'GET /api/products/8']);
  const pageLoad = view.traces[0];
  assert.equal(view.page_view.trace_ids.includes(pageLoad.trace_id), true, 'the page load started its own trace');

  // The XMLHttpRequest is traced the same way.
  const xhr = await traceRootedAt('GET /api/products/8', 5);
  assert.deepEqual(xhr.spans.slice(0, 2).map((s) => s.layer), ['browser', 'cdn']);
  assert.equal(xhr.spans[1].parent_span_id, xhr.spans[0].span_id);

  // The browser's share per route, from the same breakdowns.
  const { body: layers } = await api('/api/layers?window=15m');
  const route = layers.browser.routes.find((r) => r.route == '/');
  assert.ok(route && route.traces >= 3 && route.browser_p75_ms > 0 && route.share > 0, JSON.stringify(layers.browser));

  // The web UI: the browser span tops the waterfall, and the trace and its page view link to each other.
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(`${collector.http}/ui/traces/${trace.trace_id}`);
    const layersShown = await tab.$$eval('#waterfall details.span', (rows) => rows.map((r) => r.dataset.layer));
    assert.deepEqual(layersShown, ['browser', 'cdn', 'gateway', 'gateway', 'cms']);
    await Promise.all([tab.waitForURL(`**/ui/page-views/${pageViewId}`), tab.click('a.rum-link')]);
    const listed = await tab.$$eval('#traces li', (items) => items.map((li) => li.dataset.traceId));
    assert.ok(listed.includes(trace.trace_id), JSON.stringify(listed));
  } finally {
    await context.close();
  }
});

test('a page load continues the trace the server rendered into the page', { timeout: 120_000 }, async () => {
  const rendered = await visit('/meta.html', (tab) =>
    tab.evaluate(() => document.querySelector('meta[name=traceparent]').content),
  );
  const [, traceId, serverSpanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(rendered) ?? [];
  assert.ok(traceId, `the CDN rendered a traceparent: ${rendered}`);
  const trace = await waitFor('the server span and the page load in one trace', async () => {
    const { status, body } = await api(`/api/traces/${traceId}`);
    return { done: status == 200 && body.spans.length == 2 && body.rum?.length == 1, value: body };
  });
  console.log('rendered trace:', trace.summary, JSON.stringify(trace.spans.map((s) => [s.name, s.start_ms, s.duration_ms, s.clamped_ms])));
  // The page load encloses the server span it names as parent: it heads
  // the waterfall, with its own time kept, and the server span under it.
  const [pageLoad, server] = trace.spans;
  assert.deepEqual([server.layer, server.name, server.span_id], ['cdn', 'GET /meta.html', serverSpanId]);
  assert.deepEqual([pageLoad.layer, pageLoad.name, pageLoad.parent_span_id], ['browser', 'page load /meta.html', serverSpanId]);
  assert.ok(pageLoad.attributes['url.full'].endsWith('/meta.html'));
  assert.ok(trace.spans.every((s) => s.clamped_ms == 0), 'no time clamped away');
  const part = (layer) => trace.breakdown.find((p) => p.layer == layer).ms;
  assert.ok(part('browser') > 0 && part('cdn') > 0, JSON.stringify(trace.breakdown));
  const sum = trace.breakdown.reduce((total, p) => total + p.ms, 0);
  assert.ok(Math.abs(sum - trace.total_ms) < 1e-6, `${sum} != ${trace.total_ms}`);
  assert.equal(trace.total_ms, pageLoad.duration_ms, 'the page load spans the trace');
  const pageViewId = pageLoad.attributes['jamscope.page_view.id'];
  assert.equal(trace.rum[0].page_view.page_view_id, pageViewId);
  const { body: view } = await api(`/api/page-views/${pageViewId}`);
  assert.deepEqual(view.page_view.trace_ids, [traceId], 'its vitals and page view carry the rendered trace');
});

test('traceparent goes to a listed origin only: an unlisted API gets no header and no preflight', { timeout: 60_000 }, async () => {
  await visit('/cross.html', async (tab) => {
    await tab.click('#cross');
    await tab.waitForFunction(() => document.querySelector('#result').textContent.length >= 2 * '{"ok":true}'.length);
  });
  const listed = listedApi.seen;
  assert.deepEqual(listed.map((r) => r.method), ['OPTIONS', 'GET'], 'the listed API was asked whether it takes traceparent');
  assert.match(listed[1].traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
  assert.deepEqual(unlistedApi.seen, [{ method: 'GET', traceparent: null }], 'no header, no preflight');
  // Both requests are traced all the same, as roots of their own traces.
  const trace = await traceRootedAt('GET /data', 1);
  assert.equal(trace.spans[0].layer, 'browser');
});

test('a sampled-out page view tells the servers (-00) and sends nothing; the off switch adds no header', { timeout: 60_000 }, async () => {
  await visit('/sampled-out.html', (tab) => click(tab, 'fetch'));
  await visit('/no-inject.html', (tab) => click(tab, 'fetch'));
  const requests = cdn.lines();
  const sent = (path) => requests.find((r) => r.path == path);
  assert.match(sent('/api/products/9').traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
  assert.equal(sent('/api/products/10').traceparent, null);
  // The request of the page without injection is still traced, its own root; the servers start their own trace.
  const lone = await traceRootedAt('GET /api/products/10', 1);
  assert.equal(lone.spans.length, 1);
  // By now the sampled-out page's beacons would have landed too: there are none, and no server kept its trace.
  const { body } = await api('/api/traces?window=15m&limit=200');
  const shown = body.traces.map((t) => t.root_name);
  assert.ok(!shown.some((name) => name.includes('/api/products/9')), JSON.stringify(shown));
  const { body: views } = await api('/api/traces?window=15m&limit=200&service=shop');
  assert.ok(!views.traces.some((t) => t.root_name == 'page load /sampled-out.html'), 'no page load of it');
});
