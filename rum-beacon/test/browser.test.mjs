// Browser tests: real headless Chromium, the real collector binary with its embedded ClickHouse, pages served
// cross-origin from small local servers, the way real sites send beacons. Run: node --test test/browser.test.mjs
//   JAMSCOPE_TEST_BIN     collector binary (default ../target/debug/jamscope; `cargo build -p jamscope` first)
//   JAMSCOPE_TEST_PYTHON  Python with chdb-core for the embedded ClickHouse (default ../.venv/bin/python)
//   CHROMIUM              browser binary (default /usr/bin/chromium; `apt-get install chromium`)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const BIN = resolve(root, process.env.JAMSCOPE_TEST_BIN || '../target/debug/jamscope');
const PYTHON = resolve(root, process.env.JAMSCOPE_TEST_PYTHON || '../.venv/bin/python');
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const VITALS = ['LCP', 'FCP', 'TTFB', 'CLS', 'INP'];
const webVitalsIife = readFileSync(join(root, 'node_modules/web-vitals/dist/web-vitals.iife.js'));

/** The script tag exactly as the top-level README prints it, so the two cannot drift apart. */
function readmeSnippet() {
  const readme = readFileSync(join(root, '../README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Real-user monitoring: the one script tag'));
  const match = /```html\n(<script [^\n]*<\/script>)\n```/.exec(section);
  assert.ok(match, 'README.md has the one script tag in an html block');
  return match[1];
}
const README_SNIPPET = readmeSnippet();
const README_COLLECTOR = 'https://collector.example';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let collector; // { child, http, clickhouse, output() }
let dataDir;
let browser;
let allowed; // page server whose origin is in the collector's allowlist
let blocked; // page server on another port, not in the allowlist

function freePort() {
  return new Promise((res, rej) => {
    const server = createTcpServer().once('error', rej);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => res(port));
    });
  });
}

async function startCollector(allowedOrigin) {
  dataDir = mkdtempSync(join(tmpdir(), 'jamscope-browser-'));
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  // Only what this test sets: inherited JAMSCOPE_* (the Makefile's, a developer's) would change the setup.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('JAMSCOPE_')));
  Object.assign(env, {
    JAMSCOPE_DATA_DIR: dataDir,
    JAMSCOPE_CLICKHOUSE_EMBEDDED_PYTHON: PYTHON,
    JAMSCOPE_CLICKHOUSE_EMBEDDED_HTTP_PORT: '0',
    JAMSCOPE_CLICKHOUSE_EMBEDDED_TCP_PORT: '0',
    JAMSCOPE_HTTP_ADDR: `127.0.0.1:${httpPort}`,
    JAMSCOPE_GRPC_ADDR: `127.0.0.1:${grpcPort}`,
    JAMSCOPE_WRITER_FLUSH_INTERVAL_MS: '200',
    JAMSCOPE_RUM_ALLOWED_ORIGINS: allowedOrigin,
  });
  const child = spawn(BIN, ['serve'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  collector = { child, http: `http://127.0.0.1:${httpPort}`, output: () => output };
  collector.clickhouse = await new Promise((res, rej) => {
    const timer = setTimeout(() => rej(new Error(`collector not ready within 90 s:\n${output}`)), 90_000);
    child.once('error', (e) => rej(new Error(`cannot start ${BIN} (cargo build -p jamscope): ${e.message}`)));
    child.once('exit', (code, signal) => rej(new Error(`collector exited (${code ?? signal}):\n${output}`)));
    child.stderr.setEncoding('utf8').on('data', (chunk) => (output += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk) => {
      output += chunk;
      // The banner line the end-to-end tests read: "  ClickHouse        http://127.0.0.1:PORT (database ...)".
      const match = /^ {2}ClickHouse +(http:\/\/\S+)/m.exec(output);
      if (match) {
        clearTimeout(timer);
        res(match[1]);
      }
    });
  });
}

/** SIGTERM (a clean stop also stops the embedded ClickHouse), SIGKILL if it hangs. */
async function stopCollector() {
  const child = collector?.child;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  await exited;
  clearTimeout(timer);
}

async function query(sql) {
  const url = `${collector.clickhouse}/?database=jamscope&output_format_json_quote_64bit_integers=0`;
  const response = await fetch(url, { method: 'POST', body: `${sql} FORMAT JSONEachRow` });
  const text = await response.text();
  assert.ok(response.ok, `query failed (${response.status}): ${sql}\n${text}`);
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

async function waitForRows(sql, done, what, ms = 20_000) {
  const deadline = Date.now() + ms;
  let rows = [];
  while (Date.now() < deadline) {
    rows = await query(sql);
    if (done(rows)) return rows;
    await sleep(200);
  }
  assert.fail(`timed out waiting for ${what}; last rows: ${JSON.stringify(rows)}\ncollector:\n${collector.output().slice(-3000)}`);
}

async function metric(name) {
  const text = await (await fetch(`${collector.http}/metrics`)).text();
  return Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
}

/** A page with the SDK loaded from the collector, as a site adds it. */
function sdkPage({ app, head = '', body }) {
  return `<!doctype html><html><head><meta charset="utf-8"><title>${app}</title>${head}
<script src="${collector.http}/rum.js" data-endpoint="${collector.http}/v1/rum" data-app="${app}"
        data-release="1.0.0" data-env="test"></script>
</head><body>${body}</body></html>`;
}

function pages() {
  const text = `<p>${'Some text to read. '.repeat(40)}</p>`;
  return {
    // LCP (the heading), FCP, TTFB; a layout shift after load (CLS > 0); a click blocking 550 ms (INP > 500: poor).
    '/vitals': (app) =>
      sdkPage({
        app,
        head: `<meta name="traceparent" content="00-${TRACE}-00f067aa0ba902b7-01">`,
        body: `<h1 style="font-size:64px">A heading large enough to be the LCP element</h1>${text}
<button id="slow" onclick="const t=performance.now();while(performance.now()-t<550);">Slow</button>
<script>addEventListener('load', () => setTimeout(() => {
  const banner = document.createElement('div');
  banner.id = 'late-banner';
  banner.style.height = '200px';
  banner.textContent = 'A late banner pushes everything down';
  document.body.prepend(banner);
}, 100));</script>`,
      }),
    // The order number differs per page view and the script URL per deploy: one fingerprint all the same.
    '/throws': (app) =>
      `<!doctype html><html><head><meta charset="utf-8"><title>throws</title>
<script src="/app.js?v=${Math.random().toString(36).slice(2)}"></script>
<script src="${collector.http}/rum.js" data-endpoint="${collector.http}/v1/rum" data-app="${app}"></script>
</head><body><button id="buy" onclick="checkout(Math.floor(Math.random() * 1e6))">Buy</button></body></html>`,
    // Upstream web-vitals only, with the hand-written one-metric beacon pages copy from web.dev.
    '/plain': () => `<!doctype html><html><head><meta charset="utf-8"><title>plain</title>
<script src="/web-vitals.iife.js"></script>
<script>
function sendToAnalytics({name, value, delta, id}) {
  const body = JSON.stringify({name, value, delta, id, page: location.pathname, connection: navigator.connection.effectiveType});
  navigator.sendBeacon('${collector.http}/v1/rum', body);
}
webVitals.onCLS(sendToAnalytics);
webVitals.onINP(sendToAnalytics);
webVitals.onLCP(sendToAnalytics);
webVitals.onFCP(sendToAnalytics);
webVitals.onTTFB(sendToAnalytics);
</script></head><body><h1 style="font-size:48px">Plain web-vitals page</h1>${text}</body></html>`,
    // The README's one script tag, verbatim but for the collector's address.
    '/readme': () => `<!doctype html><html><head><meta charset="utf-8"><title>readme</title>
${README_SNIPPET.replace(README_COLLECTOR, collector.http)}
</head><body><h1 style="font-size:64px">A page with the README's one script tag</h1>${text}</body></html>`,
    '/away': () => '<!doctype html><title>away</title><p>away</p>',
  };
}

async function startPageServer() {
  const routes = pages();
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (url.pathname == '/app.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' });
      return res.end("function checkout(order) {\n  throw new Error('checkout failed for order ' + order);\n}\n");
    }
    if (url.pathname == '/web-vitals.iife.js') {
      return res.writeHead(200, { 'content-type': 'text/javascript' }).end(webVitalsIife);
    }
    const page = routes[url.pathname];
    if (!page) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page(url.searchParams.get('app') || 'test'));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}

/** Opens `path` in a fresh context, runs `act`, then navigates away so the page flushes its beacons. */
async function visit(origin, path, act = async () => {}) {
  const context = await browser.newContext();
  try {
    const tab = await context.newPage();
    await tab.goto(origin + path, { waitUntil: 'load' });
    await act(tab);
    await tab.goto(origin + '/away', { waitUntil: 'load' });
  } finally {
    await context.close();
  }
}

before(
  async () => {
    allowed = await startPageServer();
    blocked = await startPageServer();
    await startCollector(allowed.origin);
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
             '--disable-component-update', '--disable-sync'],
    });
  },
  { timeout: 120_000 },
);

after(async () => {
  await browser?.close().catch(() => {});
  for (const pageServer of [allowed, blocked]) {
    pageServer?.server.closeAllConnections();
    pageServer?.server.close();
  }
  await stopCollector();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

test('the SDK reports LCP, FCP, TTFB, CLS and INP with the page\'s trace id', { timeout: 60_000 }, async () => {
  await visit(allowed.origin, '/vitals?app=browser-vitals', async (tab) => {
    await tab.waitForSelector('#late-banner');
    await sleep(300);
    await tab.click('#slow');
    // The interaction exists once the frame after it is painted, and web-vitals adds it to INP in an idle
    // callback; if the page is hidden first, web-vitals reports INP before that callback and the interaction
    // is lost (so it is on a real page left that fast). Headless Chromium has idle periods only after a frame:
    // wait for the entry, draw one frame, then wait for an idle callback (queued after web-vitals' one).
    await tab.evaluate(
      () =>
        new Promise((done) =>
          new PerformanceObserver((list) => {
            if (list.getEntries().some((e) => e.interactionId && e.duration >= 500)) done();
          }).observe({ type: 'event', buffered: true, durationThreshold: 16 }),
        ),
    );
    await tab.evaluate(() => {
      document.body.style.outline = '1px solid transparent';
      return new Promise((done) => requestAnimationFrame(() => requestIdleCallback(done)));
    });
  });
  const rows = await waitForRows(
    "SELECT Name, Value, Rating, TraceId, PageViewId, Browser FROM rum_vitals FINAL WHERE App = 'browser-vitals'",
    (rows) => VITALS.every((name) => rows.some((r) => r.Name == name)),
    'five vitals',
  );
  const byName = Object.fromEntries(rows.map((r) => [r.Name, r]));
  console.log('stored vitals:', JSON.stringify(rows.map(({ Name, Value, Rating }) => ({ Name, Value, Rating }))));
  assert.equal(rows.length, VITALS.length, 'one row per metric after FINAL');
  for (const row of rows) {
    assert.equal(row.TraceId, TRACE, `${row.Name} carries the meta traceparent's trace id`);
    assert.equal(row.PageViewId, rows[0].PageViewId);
  }
  assert.ok(byName.CLS.Value > 0, `CLS ${byName.CLS.Value} > 0`);
  assert.ok(byName.INP.Value >= 500, `INP ${byName.INP.Value} >= 500`);
  assert.equal(byName.INP.Rating, 'poor');
  assert.ok(byName.LCP.Value > 0 && byName.FCP.Value > 0);
  const views = await query("SELECT TraceId, Path FROM rum_page_views WHERE App = 'browser-vitals'");
  assert.deepEqual(views, [{ TraceId: TRACE, Path: '/vitals' }]);
});

test('the README\'s one script tag, as printed, sends LCP, FCP and TTFB from another origin', { timeout: 60_000 }, async () => {
  assert.ok(README_SNIPPET.includes(`${README_COLLECTOR}/rum.js`), README_SNIPPET);
  assert.ok(!/data-endpoint|data-key/.test(README_SNIPPET), 'the snippet needs neither');
  assert.notEqual(new URL(allowed.origin).origin, new URL(collector.http).origin, 'a cross-origin page');
  await visit(allowed.origin, '/readme', async (tab) => {
    await tab.waitForSelector('h1');
    await sleep(300);
  });
  const rows = await waitForRows(
    "SELECT Name, Release, Environment, Path FROM rum_vitals FINAL WHERE App = 'shop'",
    (rows) => ['LCP', 'FCP', 'TTFB'].every((name) => rows.some((r) => r.Name == name)),
    'LCP, FCP and TTFB from the README snippet',
  );
  console.log('stored from the README snippet:', JSON.stringify(rows.map(({ Name }) => Name)));
  for (const row of rows) {
    assert.deepEqual([row.Release, row.Environment, row.Path], ['1.4.2', 'production', '/readme']);
  }
});

test('a thrown error is stored once per page view, with one fingerprint across page views', { timeout: 60_000 }, async () => {
  for (let i = 0; i < 2; i++) {
    await visit(allowed.origin, '/throws?app=browser-errors', async (tab) => {
      await tab.click('#buy');
      await sleep(200);
    });
  }
  const rows = await waitForRows(
    "SELECT PageViewId, Fingerprint, ErrorType, Message, `Stack.File` AS files, `Stack.Function` AS functions FROM rum_errors WHERE App = 'browser-errors'",
    (rows) => rows.length >= 2,
    'two errors',
  );
  console.log('stored errors:', JSON.stringify(rows.map(({ Fingerprint, Message }) => ({ Fingerprint, Message }))));
  assert.equal(rows.length, 2);
  assert.notEqual(rows[0].PageViewId, rows[1].PageViewId);
  assert.notEqual(rows[0].Message, rows[1].Message, 'the order numbers differ');
  assert.match(rows[0].Fingerprint, /^[0-9a-f]{16}$/);
  assert.equal(rows[0].Fingerprint, rows[1].Fingerprint);
  for (const row of rows) {
    assert.equal(row.ErrorType, 'Error');
    assert.match(row.Message, /^checkout failed for order \d+$/);
    assert.equal(row.functions[0], 'checkout');
    assert.match(row.files[0], /\/app\.js$/, 'stored without its query');
  }
});

test('a page with only upstream web-vitals and the hand-written beacon lands as-is', { timeout: 60_000 }, async () => {
  let connection;
  await visit(allowed.origin, '/plain', async (tab) => {
    connection = await tab.evaluate(() => navigator.connection.effectiveType);
    await sleep(300);
    await tab.click('h1');
    await sleep(200);
  });
  const rows = await waitForRows(
    "SELECT Name, Value, Rating, App, Connection, MetricId FROM rum_vitals FINAL WHERE Path = '/plain'",
    (rows) => ['LCP', 'FCP', 'TTFB', 'CLS'].every((name) => rows.some((r) => r.Name == name)),
    'LCP, FCP, TTFB and CLS from the hand-written beacon',
  );
  console.log('stored hand-written vitals:', JSON.stringify(rows.map(({ Name, Value, Rating }) => ({ Name, Value, Rating }))));
  const host = new URL(allowed.origin).host;
  for (const row of rows) {
    assert.equal(row.App, host, 'named after the sending site');
    assert.equal(row.Connection, connection);
    assert.match(row.MetricId, /^v5-/);
    assert.ok(['good', 'needs-improvement', 'poor'].includes(row.Rating));
  }
});

test('beacons from an origin outside the allowlist are refused and nothing is stored', { timeout: 60_000 }, async () => {
  const refusedBefore = await metric('jamscope_requests_invalid_total');
  await visit(blocked.origin, '/vitals?app=blocked-app', async (tab) => {
    await tab.waitForSelector('#late-banner');
  });
  // The same page from the allowed origin, afterwards: once its rows are in, the blocked beacons had their turn.
  await visit(allowed.origin, '/vitals?app=after-blocked', async (tab) => {
    await tab.waitForSelector('#late-banner');
  });
  await waitForRows(
    "SELECT Name FROM rum_vitals WHERE App = 'after-blocked'",
    (rows) => rows.some((r) => r.Name == 'LCP'),
    'the allowed page\'s LCP',
  );
  const stored = await query(
    "SELECT 'vitals' AS t, count() AS n FROM rum_vitals WHERE App = 'blocked-app' UNION ALL " +
      "SELECT 'page views', count() FROM rum_page_views WHERE App = 'blocked-app' UNION ALL " +
      "SELECT 'errors', count() FROM rum_errors WHERE App = 'blocked-app'",
  );
  assert.deepEqual(stored.map((r) => r.n), [0, 0, 0], JSON.stringify(stored));
  const refused = (await metric('jamscope_requests_invalid_total')) - refusedBefore;
  assert.ok(refused >= 1, `the blocked page's beacons were answered 403 (${refused} refused)`);
});
