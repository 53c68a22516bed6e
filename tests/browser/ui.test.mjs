// The web UI (/ui/) in real headless Chromium: a real `jamscope serve` with its embedded ClickHouse, data sent
// through the real ingest endpoints (OTLP/HTTP JSON spans and log records, RUM beacons, a signed build event), then every page
// opened as a person would. Screenshots land in tests/browser/artifacts/ (gitignored). Run: node --test
// (the collector, Python and Chromium it starts: harness.mjs)
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as harness from './harness.mjs';
import { launchBrowser, root, startCollector } from './harness.mjs';

const ARTIFACTS = join(root, 'artifacts');
const BUILD_SECRET = 'ui-test-build-secret';

const hex = (bytes) => randomBytes(bytes).toString('hex');
const TRACES = { slow: hex(16), fast: hex(16), failing: hex(16), markup: hex(16) };
const PAGE_VIEW = `p-ui-${hex(8)}`;
const MARKUP = '<script>alert(1)</script>';
const LOGS = { declined: 'pool exhausted: payment declined for order A-1001', markup: `cache ${MARKUP} warmed` };

let collector; // harness.startCollector's
let browser;

/** One alert rule that fires on the failing gateway span, evaluated every 200 ms. */
const RULES = `groups:
  - name: ui-test
    rules:
      - alert: GatewayErrors
        for: 0s
        condition:
          type: threshold
          metric: error_rate
          window: 5m
          filter: { layer: gateway }
          direction: above
          critical: 1
          group_by: [service]
        annotations:
          summary: "{{ $labels.service }}: {{ $value }} % of gateway requests fail"
`;

const api = (path) => harness.api(collector, path);
const waitFor = (what, check, ms) => harness.waitFor(collector, what, check, ms);

async function post(path, body, headers = {}) {
  const response = await fetch(collector.http + path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body == 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `POST ${path}: ${response.status} ${text}`);
  return text;
}

// ---- Seeding through the ingest endpoints ----

const nanos = (ms) => `${BigInt(Math.round(ms * 1000)) * 1000n}`;
const attr = (key, value) => {
  if (typeof value != 'number') return { key, value: { stringValue: value } };
  return { key, value: Number.isInteger(value) ? { intValue: String(value) } : { doubleValue: value } };
};

/** One trace across the four layers; times in ms from `start` (Unix ms). */
function traceSpans(traceId, start, { total, cdn, gateway, cms, cmsName = 'SELECT products', cache = 'hit', fail = false }) {
  const ids = { browser: hex(8), cdn: hex(8), gateway: hex(8), cms: hex(8) };
  const span = (layer, parent, name, kind, [from, to], attributes, error) => ({
    layer,
    span: {
      traceId, spanId: ids[layer], parentSpanId: parent ? ids[parent] : '', name, kind,
      startTimeUnixNano: nanos(start + from), endTimeUnixNano: nanos(start + to),
      attributes, status: error ? { code: 2, message: 'upstream failed' } : { code: 0 },
    },
  });
  return [
    span('browser', null, 'page load /products/7', 1, [0, total], [attr('http.route', '/products/:id')]),
    span('cdn', 'browser', 'GET /products/7', 2, cdn, [attr('cdn.cache_status', cache), attr('http.route', '/products/:id')]),
    span('gateway', 'cdn', 'GET /api/products/:id', 2, gateway,
      [attr('http.route', '/api/products/:id'), attr('http.response.status_code', fail ? 502 : 200)], fail),
    span('cms', 'gateway', cmsName, 3, cms, [attr('db.system', 'postgresql'), attr('db.client.connection.pool.utilization', 0.4)]),
  ];
}

const SERVICES = { browser: 'storefront', cdn: 'edge', gateway: 'api-gateway', cms: 'strapi' };

function otlp(spans) {
  return {
    resourceSpans: Object.entries(SERVICES).map(([layer, service]) => ({
      resource: { attributes: [attr('service.name', service), attr('jamstack.layer', layer)] },
      scopeSpans: [{ scope: { name: 'ui-test' }, spans: spans.filter((s) => s.layer == layer).map((s) => s.span) }],
    })),
  };
}

/** Log records: an error under the slow trace's CMS span, a warning whose body is markup, an info line
 *  outside any trace. */
function logRecords(spans, now) {
  const cms = spans.find((s) => s.layer == 'cms' && s.span.traceId == TRACES.slow).span;
  const record = (at, severityNumber, severityText, body, extra = {}) => ({
    timeUnixNano: nanos(at), severityNumber, severityText, body: { stringValue: body },
    attributes: [attr('code.function', 'checkout')], ...extra,
  });
  return {
    resourceLogs: [{
      resource: { attributes: [attr('service.name', 'strapi'), attr('jamstack.layer', 'cms')] },
      scopeLogs: [{
        scope: { name: 'ui-test' },
        logRecords: [
          record(now - 40_000 + 1_000, 17, 'ERROR', LOGS.declined, { traceId: TRACES.slow, spanId: cms.spanId }),
          record(now - 9_000, 13, 'WARN', LOGS.markup),
          record(now - 8_000, 9, 'INFO', 'cache refreshed'),
        ],
      }],
    }],
  };
}

function vitalEvents(ts, values) {
  const rating = (name, v) => {
    const [good, poor] = { LCP: [2500, 4000], INP: [200, 500], CLS: [0.1, 0.25], FCP: [1800, 3000], TTFB: [800, 1800] }[name];
    return v > poor ? 'poor' : v > good ? 'needs-improvement' : 'good';
  };
  return Object.entries(values).map(([name, value]) => ({
    type: 'vital', ts, name, value, rating: rating(name, value), delta: value,
    id: `v5-${ts}-${Math.floor(Math.random() * 1e12)}`, navigationType: 'navigate',
  }));
}

function beacon({ pageViewId, traceId = null, ts, vitals, error }) {
  const events = [{ type: 'page_view', ts }, ...vitalEvents(ts + 500, vitals)];
  if (error) {
    events.push({
      type: 'error', ts: ts + 800, errorType: 'TypeError', message: error,
      stack: [{ file: 'https://shop.example/assets/app.js', function: 'renderPrice', line: 42, column: 7 }],
    });
  }
  return {
    app: 'shop', release: '1.4.2', environment: 'test', sessionId: `s-${hex(8)}`, pageViewId, traceId,
    page: { url: 'https://shop.example/products/7', path: '/products/7', route: '/products/:id', referrer: '' },
    connection: '4g', device: 'desktop', events,
  };
}

async function seed() {
  const now = Date.now();
  const spans = [
    ...traceSpans(TRACES.slow, now - 40_000,
      { total: 2400, cdn: [40, 2360], gateway: [90, 2320], cms: [300, 2150], cache: 'miss' }),
    ...traceSpans(TRACES.fast, now - 30_000, { total: 245, cdn: [20, 215], gateway: [40, 205], cms: [120, 165] }),
    ...traceSpans(TRACES.failing, now - 20_000,
      { total: 310, cdn: [15, 300], gateway: [30, 290], cms: [60, 120], cache: 'miss', fail: true }),
    ...traceSpans(TRACES.markup, now - 10_000,
      { total: 180, cdn: [10, 170], gateway: [20, 160], cms: [50, 90], cmsName: MARKUP }),
  ];
  await post('/v1/traces', otlp(spans));
  await post('/v1/logs', logRecords(spans, now));

  // The slow trace's page view, with an error; earlier page views spread over the hour for the sparklines.
  await post('/v1/rum', beacon({
    pageViewId: PAGE_VIEW, traceId: TRACES.slow, ts: now - 45_000,
    vitals: { LCP: 3200, INP: 120, CLS: 0.02, FCP: 1100, TTFB: 950 },
    error: "Cannot read properties of undefined (reading 'price')",
  }));
  for (let i = 1; i <= 6; i++) {
    await post('/v1/rum', beacon({
      pageViewId: `p-ui-${hex(8)}`, ts: now - i * 8 * 60_000,
      vitals: { LCP: 1800 + i * 250, INP: 90 + i * 20, CLS: 0.01 * i, FCP: 900 + i * 60, TTFB: 400 + i * 50 },
    }));
  }

  const body = JSON.stringify({
    id: `deploy-${hex(4)}`, pipeline: 'site', kind: 'deploy', status: 'success', commit: '9f2c1e7',
    started_at: new Date(now - 300_000).toISOString(), finished_at: new Date(now - 60_000).toISOString(),
    stages: { build: 143000, deploy: 61000 },
  });
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = 'sha256=' + createHmac('sha256', BUILD_SECRET).update(`${timestamp}.${body}`).digest('hex');
  await post('/v1/builds', body, { 'X-Jamscope-Timestamp': timestamp, 'X-Jamscope-Signature': signature });
}

async function waitForSeed() {
  await waitFor('four traces', async () => {
    const { body } = await api('/api/traces?window=1h');
    return { done: body.traces?.length == 4 && body.traces.every((t) => t.spans == 4), value: body };
  });
  await waitFor('the page view with its vitals and error', async () => {
    const { status, body } = await api(`/api/page-views/${PAGE_VIEW}`);
    return { done: status == 200 && body.vitals.length == 5 && body.errors.length == 1, value: body };
  });
  await waitFor('vitals of seven page views', async () => {
    const { body } = await api('/api/vitals/series?window=1h');
    return { done: body.series?.find((s) => s.metric == 'LCP')?.count == 7, value: body };
  });
  await waitFor('three log records', async () => {
    const { body } = await api('/api/logs?window=1h');
    return { done: body.logs?.length == 3, value: body };
  });
  await waitFor('the deploy', async () => {
    const { body } = await api('/api/builds');
    return { done: body.builds?.length == 1, value: body };
  });
  await waitFor('the gateway alert firing', async () => {
    const { body } = await api('/api/alerts');
    return { done: body.alerts?.some((a) => a.state == 'firing'), value: body };
  });
}

// ---- Opening pages ----

/** Opens `path` and records what a person would notice going wrong: console errors, page errors, failed
 *  requests, error statuses, dialogs (an executed `alert(1)`). */
async function open(path, viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => m.type() == 'error' && problems.push(`console: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`${r.status()} ${r.url()}`));
  page.on('dialog', (d) => {
    problems.push(`dialog: ${d.message()}`);
    d.dismiss().catch(() => {});
  });
  const response = await page.goto(collector.http + path, { waitUntil: 'load' });
  return { context, page, problems, response };
}

const PAGES = () => [
  ['overview', '/ui/'],
  ['traces', '/ui/traces?window=1h'],
  ['traces-slowest', '/ui/traces?window=1h&sort=slowest'],
  ['trace-page', `/ui/traces/${TRACES.slow}`],
  ['trace-markup', `/ui/traces/${TRACES.markup}`],
  ['page-view', `/ui/page-views/${PAGE_VIEW}`],
  ['errors', '/ui/errors'],
  ['logs', '/ui/logs?window=1h'],
  ['logs-search', '/ui/logs?q=declined&severity=error&window=1h'],
  ['alerts', '/ui/alerts'],
  ['traces-empty', '/ui/traces?from=0&to=1000'],
];

before(
  async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    collector = await startCollector({
      prepare: (dataDir) => {
        mkdirSync(join(dataDir, 'rules'));
        writeFileSync(join(dataDir, 'rules', 'ui.yaml'), RULES);
      },
      env: (dataDir) => ({
        JAMSCOPE_BUILD_WEBHOOK_SECRET: BUILD_SECRET,
        JAMSCOPE_ALERT_RULES_DIR: join(dataDir, 'rules'),
        JAMSCOPE_ALERT_EVALUATION_INTERVAL_MS: '200',
        JAMSCOPE_ALERT_PEER_LEASE_MS: '1000',
      }),
    });
    await seed();
    await waitForSeed();
    browser = await launchBrowser();
  },
  { timeout: 180_000 },
);

after(async () => {
  await browser?.close().catch(() => {});
  await collector?.stop();
});

test('every page renders with no console error and no failed request', { timeout: 120_000 }, async () => {
  for (const [name, path] of PAGES()) {
    const { context, page, problems, response } = await open(path);
    try {
      assert.equal(response.status(), 200, `${path}: status`);
      const csp = response.headers()['content-security-policy'];
      assert.match(csp, /script-src 'self'/, `${path}: CSP`);
      assert.doesNotMatch(csp, /unsafe/, `${path}: CSP`);
      assert.ok(await page.locator('h1').count(), `${path}: a heading`);
      await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
      assert.deepEqual(problems, [], `${path}: ${problems.join('\n')}`);
    } finally {
      await context.close();
    }
  }
});

test('the layout holds at 375 px wide: no horizontal scroll', { timeout: 120_000 }, async () => {
  for (const [name, path] of PAGES()) {
    const { context, page, problems } = await open(path, { width: 375, height: 812 });
    try {
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      await page.screenshot({ path: join(ARTIFACTS, `${name}-375.png`), fullPage: true });
      assert.ok(width <= 375, `${path}: scrollWidth ${width} > 375`);
      assert.deepEqual(problems, [], `${path}: ${problems.join('\n')}`);
    } finally {
      await context.close();
    }
  }
});

test('the slowest trace in the list opens its waterfall, with the breakdown of /api/traces/{id}', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await open('/ui/traces?window=1h&sort=slowest');
  try {
    const first = page.locator('#traces tbody tr').first();
    assert.equal(await first.getAttribute('data-trace-id'), TRACES.slow, 'the slowest trace is listed first');
    await Promise.all([page.waitForURL(`**/ui/traces/${TRACES.slow}`), first.locator('a.trace-link').click()]);

    const { body: trace } = await api(`/api/traces/${TRACES.slow}`);
    const shown = await page.$$eval('#breakdown tbody tr', (rows) =>
      rows.map((r) => ({ layer: r.dataset.layer, ms: Number(r.dataset.ms), text: r.cells[1].textContent })),
    );
    assert.deepEqual(shown.map(({ layer, ms }) => ({ layer, ms })), trace.breakdown);
    for (const row of shown) assert.equal(row.text, `${row.ms.toFixed(1)} ms`, row.layer);
    assert.equal(Number(await page.getAttribute('#total-ms', 'data-ms')), trace.total_ms);
    const total = shown.reduce((sum, r) => sum + r.ms, 0);
    assert.ok(Math.abs(total - trace.total_ms) < 1e-6, `the parts add up to the wall time (${total})`);

    const rows = await page.$$eval('#waterfall details.span', (rows) =>
      rows.map((r) => ({ id: r.dataset.spanId, layer: r.dataset.layer, critical: r.classList.contains('crit') })),
    );
    assert.deepEqual(rows.map((r) => r.id), trace.spans.map((s) => s.span_id), 'one row per span, in order');
    assert.deepEqual(rows.map((r) => r.layer), ['browser', 'cdn', 'gateway', 'cms']);
    assert.deepEqual(rows.filter((r) => r.critical).map((r) => r.id), trace.critical_path);

    // Its page view, linked both ways.
    await Promise.all([page.waitForURL(`**/ui/page-views/${PAGE_VIEW}`), page.click('a.rum-link')]);
    const vitals = await page.$$eval('#vitals [data-metric]', (cards) =>
      Object.fromEntries(cards.map((c) => [c.dataset.metric, c.className])));
    assert.match(vitals.LCP, /needs-improvement/);
    assert.match(vitals.INP, /\bgood\b/);
    assert.match(await page.textContent('#errors'), /Cannot read properties of undefined/);
    assert.equal(await page.getAttribute('#traces a.trace-link', 'href'), `/ui/traces/${TRACES.slow}`);
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await context.close();
  }
});

test('a span named <script>alert(1)</script> renders as text', { timeout: 30_000 }, async () => {
  const { context, page, problems } = await open(`/ui/traces/${TRACES.markup}`);
  try {
    const names = await page.$$eval('#waterfall .name', (cells) => cells.map((c) => c.textContent));
    assert.ok(names.some((n) => n.includes(MARKUP)), JSON.stringify(names));
    assert.equal(await page.locator('script').count(), 1, 'only /ui/app.js');
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await context.close();
  }
});

test('the logs page finds a record by a word, links its trace, and the trace shows it under its span', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await open('/ui/logs?window=1h');
  try {
    const { body: all } = await api('/api/logs?window=1h');
    const bodies = await page.$$eval('#logs tbody tr .log-body', (cells) => cells.map((c) => c.textContent));
    assert.deepEqual(bodies, all.logs.map((l) => l.body), 'the API\'s records, newest first');
    assert.ok(bodies.includes(LOGS.markup), 'a markup body is text');
    assert.equal(await page.locator('script').count(), 1, 'only /ui/app.js');

    await page.fill('input[name="q"]', 'DECLINED');
    await page.selectOption('select[name="severity"]', 'error');
    await Promise.all([page.waitForURL('**/ui/logs?**'), page.click('form.filters button[type="submit"]')]);
    const rows = page.locator('#logs tbody tr');
    assert.equal(await rows.count(), 1);
    assert.equal(await rows.first().locator('.log-body').textContent(), LOGS.declined);
    assert.equal(await rows.first().locator('.badge').textContent(), 'ERROR');
    assert.match(await rows.first().locator('.badge').getAttribute('class'), /sev-error/);

    await Promise.all([page.waitForURL(`**/ui/traces/${TRACES.slow}`), rows.first().locator('a.trace-link').click()]);
    const { body: trace } = await api(`/api/traces/${TRACES.slow}`);
    const cms = trace.spans.find((s) => s.layer == 'cms');
    assert.deepEqual(cms.logs.map((l) => l.body), [LOGS.declined]);
    const row = page.locator(`#waterfall details.span[data-span-id="${cms.span_id}"]`);
    assert.match(await row.locator('.log-count').textContent(), /1 log/);
    await row.locator(':scope > summary').click();
    assert.equal(await row.locator('.log-lines .log-body').textContent(), LOGS.declined);
    await page.screenshot({ path: join(ARTIFACTS, 'trace-with-logs.png'), fullPage: true });
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await context.close();
  }
});

test('the overview shows the p75 of /api/vitals/series, KPIs, the firing alert and the deploy', { timeout: 30_000 }, async () => {
  const { context, page, problems } = await open('/ui/');
  try {
    const { body } = await api('/api/vitals/series?window=1h');
    for (const series of body.series) {
      const card = page.locator(`#vitals [data-metric="${series.metric}"]`);
      assert.equal(Number(await card.getAttribute('data-p75')), series.p75, series.metric);
      assert.equal(await card.getAttribute('data-rating'), series.rating, series.metric);
      assert.equal(await card.locator('svg.spark polyline').count() > 0, true, `${series.metric} sparkline`);
    }
    const { body: layers } = await api('/api/layers?window=1h');
    const verdicts = await page.$$eval('#kpis tbody tr', (rows) =>
      Object.fromEntries(rows.map((r) => [r.dataset.kpi, r.querySelector('.badge').textContent])));
    for (const kpi of layers.kpis) {
      const expected = kpi.met === true ? 'pass' : kpi.met === false ? 'fail' : kpi.value == null ? 'no data' : 'tracked';
      assert.equal(verdicts[kpi.name], expected, kpi.name);
    }
    assert.equal(verdicts.error_rate, 'fail', 'one gateway request in three failed');
    assert.match(await page.textContent('#alerts'), /GatewayErrors/);
    assert.match(await page.textContent('#builds'), /site.*deploy.*success/s);
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await context.close();
  }
});

test('an alert is silenced for an hour from its button, and the silence expired from its own', { timeout: 60_000 }, async () => {
  const { context, page, problems } = await open('/ui/alerts');
  try {
    const alert = page.locator('#active article', { hasText: 'GatewayErrors' }).first();
    await Promise.all([page.waitForEvent('load'), alert.locator('button[data-action="silence"]').click()]);
    const { body: silenced } = await api('/api/silences');
    assert.equal(silenced.silences.length, 1, JSON.stringify(silenced));
    const silence = silenced.silences[0];
    const hour = silence.ends_at_millis - silence.starts_at_millis;
    assert.equal(hour, 3_600_000);
    assert.ok(silence.matchers.includes('alertname=GatewayErrors'), JSON.stringify(silence.matchers));
    await page.locator(`#silences tr[data-silence-id="${silence.id}"]`).waitFor();
    assert.match(await page.textContent('#active'), /silenced/);
    await page.screenshot({ path: join(ARTIFACTS, 'alerts-silenced.png'), fullPage: true });

    await Promise.all([page.waitForEvent('load'), page.click(`button[data-action="expire"][data-silence-id="${silence.id}"]`)]);
    const { body: after } = await api('/api/silences');
    assert.deepEqual(after.silences, []);
    assert.match(await page.textContent('main'), /No silences\./);
    assert.deepEqual(problems, [], problems.join('\n'));
  } finally {
    await context.close();
  }
});

test('pages without data show empty states; an unknown trace is a 404 page', { timeout: 30_000 }, async () => {
  const { context, page } = await open('/ui/traces?from=0&to=1000');
  try {
    assert.match(await page.textContent('main'), /No traces match/);
    const missing = await page.goto(`${collector.http}/ui/traces/${hex(16)}`);
    assert.equal(missing.status(), 404);
    assert.match(await page.textContent('#error-message'), /no trace .* is stored/);
    const bad = await page.goto(`${collector.http}/ui/traces?window=soon`);
    assert.equal(bad.status(), 400);
    assert.match(await page.textContent('#error-message'), /'window'/);
    const home = await page.goto(collector.http + '/');
    assert.equal(new URL(home.url()).pathname, '/ui/');
  } finally {
    await context.close();
  }
});
