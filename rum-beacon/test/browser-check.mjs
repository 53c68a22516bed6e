// Manual end-to-end check in headless Chromium (not part of `npm test`: needs a Chromium binary).
//   apt-get install -y chromium   # Debian package, /usr/bin/chromium
//   npm run build && node test/browser-check.mjs
// Serves dist/rum.js and test pages from a local HTTP server on 127.0.0.1, records the beacons
// POSTed to /v1/rum, drives Chromium with playwright-core, and checks what arrived.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { chromium } from 'playwright-core';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE2 = '0af7651916cd43dd8448eb211c80319c';
const rumJs = readFileSync(new URL('../dist/rum.js', import.meta.url));
const rumEsm = readFileSync(new URL('../dist/rum.esm.js', import.meta.url));
const beacons = [];

const page = (title, head, body) => `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}
<script src="/rum.js" data-key="KEY" data-app="shop" data-release="1.4.2" data-env="production" data-sample-rate="1" defer></script>
</head><body>${body}</body></html>`;

const pages = {
  // trace id from <meta name=traceparent>, route from <meta name=jamscope-route>
  '/products/7': page(
    'product',
    `<meta name="traceparent" content="00-${TRACE}-00f067aa0ba902b7-01"><meta name="jamscope-route" content="/products/:id">`,
    `<h1 id="hero" style="font-size:64px">Product seven, a large heading for LCP</h1>
     <button id="buy" onclick="const t=performance.now();while(performance.now()-t<120);undefined.x">Buy</button>
     <button id="reject" onclick="Promise.reject(new RangeError('rejected on purpose'))">Reject</button>
     <p>${'Some text. '.repeat(50)}</p>`,
  ),
  // trace id from Server-Timing: traceparent;desc=...; throws 25 errors to force an early flush
  '/errors': page(
    'errors',
    '',
    `<p>errors page</p><button id="many" onclick="for(let i=0;i<25;i++)setTimeout(()=>{throw new Error('e'+i)})">Many</button>`,
  ),
  // ESM build, configured through init() only; endpoint defaults to the page's origin + /v1/rum
  '/esm': `<!doctype html><title>esm</title><p>esm</p><script type="module">
    import { init } from '/rum.esm.js';
    init({ key: 'ESMKEY', app: 'esm-app', route: '/esm' });
  </script>`,
  '/away': '<!doctype html><title>away</title><p>away</p>',
};

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://127.0.0.1');
  if (req.method == 'POST' && url.pathname == '/v1/rum') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      beacons.push({ key: url.searchParams.get('key'), contentType: req.headers['content-type'], body: JSON.parse(body) });
      res.writeHead(204).end();
    });
    return;
  }
  if (url.pathname == '/rum.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(rumJs);
  if (url.pathname == '/rum.esm.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(rumEsm);
  const html = pages[url.pathname];
  if (!html) return res.writeHead(404).end();
  const headers = { 'content-type': 'text/html; charset=utf-8' };
  if (url.pathname == '/errors') headers['server-timing'] = `traceparent;desc="00-${TRACE2}-b7ad6b7169203331-01"`;
  res.writeHead(200, headers).end(html);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const settle = (ms = 1000) => new Promise((r) => setTimeout(r, ms));
const waitFor = async (pred, what) => {
  for (let i = 0; i < 50 && !pred(); i++) await settle(100);
  assert.ok(pred(), `timed out waiting for ${what}`);
};
const events = (pathname) =>
  beacons.filter((b) => new URL(b.body.page.url).pathname == pathname).flatMap((b) => b.body.events);

try {
  // 1. Page view, error, rejection and vitals; batch sent when navigating away.
  const ctx = await browser.newContext();
  const tab = await ctx.newPage();
  const pageErrors = [];
  tab.on('pageerror', (e) => pageErrors.push(e.message));
  await tab.goto(origin + '/products/7', { waitUntil: 'load' });
  assert.equal(await tab.evaluate(() => typeof window.JamscopeRum?.init), 'function');
  await settle(500);
  await tab.click('#buy');
  await tab.click('#reject');
  await settle(500);
  assert.equal(beacons.length, 0, 'nothing is sent before the page is hidden');
  await tab.goto(origin + '/away');
  await waitFor(() => events('/products/7').some((e) => e.name == 'LCP'), 'LCP beacon');
  await settle(500);

  const first = beacons.filter((b) => b.body.page.path == '/products/7');
  const evs = first.flatMap((b) => b.body.events);
  console.log(`page 1: ${first.length} beacon(s); page errors seen by Playwright: ${JSON.stringify(pageErrors)}`);
  for (const b of first) {
    assert.equal(b.key, 'KEY');
    assert.match(b.contentType, /^text\/plain/);
    assert.equal(b.body.app, 'shop');
    assert.equal(b.body.release, '1.4.2');
    assert.equal(b.body.environment, 'production');
    assert.equal(b.body.traceId, TRACE);
    assert.equal(b.body.page.route, '/products/:id');
    assert.match(b.body.sessionId, /^s-[0-9a-f]{16}$/);
    assert.match(b.body.pageViewId, /^p-[0-9a-f]{16}$/);
    assert.equal(b.body.device, 'desktop');
  }
  // the only page errors are the two thrown on purpose: rum.js itself loads and runs cleanly
  assert.deepEqual(pageErrors, ["Cannot read properties of undefined (reading 'x')", 'rejected on purpose']);
  assert.equal(evs.filter((e) => e.type == 'page_view').length, 1);
  for (const name of ['LCP', 'FCP', 'TTFB', 'CLS', 'INP']) {
    assert.ok(evs.some((e) => e.type == 'vital' && e.name == name), `vital ${name}`);
  }
  const typeError = evs.find((e) => e.type == 'error' && e.errorType == 'TypeError');
  assert.ok(typeError, 'TypeError reported');
  assert.ok(typeError.stack.length > 0 && typeError.stack[0].file.endsWith('/products/7'));
  // The page-load span continues the document's server trace, its phases as events.
  const load = evs.filter((e) => e.type == 'span');
  assert.equal(load.length, 1, 'one page-load span');
  assert.deepEqual([load[0].traceId, load[0].parentSpanId, load[0].name], [TRACE, '00f067aa0ba902b7', 'page load /products/:id']);
  assert.ok(load[0].end > load[0].start && load[0].events.some((e) => e.name == 'responseStart'), JSON.stringify(load[0]));
  const rejection = evs.find((e) => e.type == 'error' && e.errorType == 'RangeError');
  assert.equal(rejection?.message, 'rejected on purpose');
  console.log('sample batch (page 1):\n' + JSON.stringify(first.map((b) => b.body), null, 2));

  // 2. Server-Timing trace link, same session in the same tab, early flush at 20 events.
  const before = beacons.length;
  await tab.goto(origin + '/errors', { waitUntil: 'load' });
  await settle(300);
  await tab.click('#many');
  await waitFor(() => beacons.length > before, 'early flush');
  const early = beacons.slice(before);
  assert.equal(early[0].body.traceId, TRACE2);
  assert.equal(early[0].body.events.length, 20, 'early flush at 20 events');
  assert.equal(early[0].body.sessionId, first[0].body.sessionId, 'session id kept per tab');
  assert.notEqual(early[0].body.pageViewId, first[0].body.pageViewId);
  await tab.goto(origin + '/away');
  await settle(1000);
  const errs = events('/errors').filter((e) => e.type == 'error');
  assert.equal(errs.length, 25, 'all 25 errors arrive across batches');
  console.log(`page 2: early flush of 20 events, then ${beacons.length - before - 1} more beacon(s); 25/25 errors`);
  await ctx.close();

  // 3. sendBeacon refusing the body: fetch(keepalive) fallback.
  const ctx2 = await browser.newContext();
  await ctx2.addInitScript(() => {
    navigator.sendBeacon = () => false;
  });
  const tab2 = await ctx2.newPage();
  const n = beacons.length;
  await tab2.goto(origin + '/products/7', { waitUntil: 'load' });
  await settle(300);
  await tab2.goto(origin + '/away');
  await waitFor(() => beacons.length > n, 'fetch fallback beacon');
  assert.match(beacons[n].contentType, /^text\/plain/);
  console.log(`fallback: ${beacons.length - n} beacon(s) via fetch keepalive`);
  await ctx2.close();

  // 4. sample rate 0: nothing sent.
  const ctx3 = await browser.newContext();
  const tab3 = await ctx3.newPage();
  await tab3.route(origin + '/products/7', async (route) => {
    const res = await route.fetch();
    const body = (await res.text()).replace('data-sample-rate="1"', 'data-sample-rate="0"');
    await route.fulfill({ response: res, body });
  });
  const m = beacons.length;
  await tab3.goto(origin + '/products/7', { waitUntil: 'load' });
  await tab3.click('#buy');
  await tab3.goto(origin + '/away');
  await settle(1000);
  assert.equal(beacons.length, m, 'sampled out page sends nothing');
  console.log('sample rate 0: no beacon');
  await ctx3.close();

  // 5. ESM build with init() options.
  const ctx4 = await browser.newContext();
  const tab4 = await ctx4.newPage();
  const k = beacons.length;
  await tab4.goto(origin + '/esm', { waitUntil: 'load' });
  await settle(300);
  await tab4.goto(origin + '/away');
  await waitFor(() => beacons.length > k, 'ESM beacon');
  assert.equal(beacons[k].key, 'ESMKEY');
  assert.equal(beacons[k].body.app, 'esm-app');
  assert.equal(beacons[k].body.page.route, '/esm');
  // No server trace: the page load starts the page view's own trace, and the page view carries its id.
  assert.match(beacons[k].body.traceId, /^[0-9a-f]{32}$/);
  assert.equal(beacons[k].body.events[0].type, 'page_view');
  const esmLoad = beacons[k].body.events.find((e) => e.type == 'span');
  assert.equal(esmLoad?.traceId, beacons[k].body.traceId);
  assert.equal(esmLoad.parentSpanId, undefined, 'the root of a new trace');
  console.log('ESM build: beacon received');
  await ctx4.close();

  console.log('browser check: all assertions passed');
} finally {
  await browser.close();
  server.close();
}
