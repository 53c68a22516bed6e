// Source maps end to end: a TypeScript app bundled and minified by esbuild (source maps on), served with the
// README's script tag, in real headless Chromium; a button throws inside a named function. After
// `jamscope sourcemaps upload` of the build, the stored error names the original file, line and function, with
// the source around it; a second build of the same code, whose minifier gave the functions other names, lands
// in the same group.
// Run: node --test (the collector and Chromium it starts: harness.mjs)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as harness from './harness.mjs';
import { BIN, launchBrowser, root, startCollector } from './harness.mjs';
import { build } from './errors-app/build.mjs';

let collector;
let browser;
let site;
let siteUrl;
const builds = {};

const waitFor = (what, check, ms) => harness.waitFor(collector, what, check, ms);

/** The page of one build: the button, its bundle and the README's tag with the build's release. */
const page = (name, release) => `<!doctype html><html><head><meta charset="utf-8"><title>checkout</title>
<script src="${collector.http}/rum.js" data-app="shop" data-release="${release}" data-env="test" defer></script>
<script src="/${name}/app.js" defer></script></head><body><button id="pay">Pay</button></body></html>`;

before(async () => {
  builds.first = await build('main', 'first');
  builds.second = await build('main-with-vendor', 'second');
  // The static site: /<build>/index.html and the build's files.
  site = createServer((request, response) => {
    const [, name, file] = request.url.split('/');
    const release = { first: '1.0.0', second: '1.1.0' }[name];
    if (!release) return response.writeHead(file === undefined ? 200 : 404).end('away');
    if (file === 'index.html') return response.writeHead(200, { 'content-type': 'text/html' }).end(page(name, release));
    try {
      const body = readFileSync(join(builds[name], file));
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise((res) => site.listen(0, '127.0.0.1', res));
  siteUrl = `http://127.0.0.1:${site.address().port}`;
  collector = await startCollector({ env: { JAMSCOPE_RUM_ALLOWED_ORIGINS: siteUrl } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await collector?.stop();
  site?.close();
  rmSync(join(root, 'errors-app/dist'), { recursive: true, force: true });
});

/** `jamscope sourcemaps upload` of one build, as CI runs it after building. */
function upload(name, release) {
  execFileSync(BIN, ['sourcemaps', 'upload', builds[name], '--app', 'shop', '--release', release,
    '--url-prefix', `${siteUrl}/${name}/`, '--collector', collector.http], { stdio: 'pipe' });
}

/** Opens one build's page, clicks the button (which throws), leaves so rum.js sends the error. */
async function clickPay(name) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  await tab.goto(`${siteUrl}/${name}/index.html`, { waitUntil: 'load' });
  await tab.click('#pay');
  await tab.goto(`${siteUrl}/`);
  await context.close();
}

/** The browser groups once the one of `app` reached `count`. */
const groupWith = (count) =>
  waitFor(`a browser error group of ${count}`, async () => {
    const { body } = await harness.api(collector, '/api/errors?window=1h&layer=browser');
    const groups = body.errors ?? [];
    return { done: groups.length > 0 && groups.every((g) => g.count >= count), value: groups };
  });

test('the stored error names the original file, line and function, and a rebuild keeps its group', async () => {
  // The two builds are the same code with other minified names.
  const minified = (name) => readFileSync(join(builds[name], 'app.js'), 'utf8');
  const thrower = (code) => /function (\w+)\(\w+\)\{if\(\w+\.total>100\)throw/.exec(code)?.[1];
  assert.ok(thrower(minified('first')), minified('first'));
  assert.notEqual(thrower(minified('first')), thrower(minified('second')), 'different minified names');

  upload('first', '1.0.0');
  upload('second', '1.1.0');
  await clickPay('first');
  const [group] = await groupWith(1);
  assert.equal(group.symbolication, 'symbolicated', JSON.stringify(group));
  assert.equal(group.error_type, 'Error');
  assert.equal(group.message, 'order 7 exceeds the limit');
  const [top, caller] = group.sample_frames;
  assert.deepEqual(
    [top.file, top.line, top.function, top.in_app],
    ['src/checkout.ts', 8, 'checkTotal', true],
    JSON.stringify(group.sample_frames),
  );
  assert.deepEqual([caller.file, caller.line, caller.function], ['src/checkout.ts', 14, 'submitOrder']);
  const here = top.context.lines[top.line - top.context.first_line];
  assert.match(here, /throw new Error\(`order \$\{order\.id\} exceeds the limit`\)/);
  assert.equal(group.sample_page_view_id.length > 0, true);

  await clickPay('second');
  const groups = await groupWith(2);
  assert.equal(groups.length, 1, JSON.stringify(groups));
  assert.equal(groups[0].fingerprint, group.fingerprint);
  assert.deepEqual(groups[0].releases, ['1.0.0', '1.1.0']);

  // The errors page shows it with its source.
  const tab = await browser.newPage();
  await tab.goto(`${collector.http}/ui/errors?layer=browser`);
  const panel = tab.locator(`#fp-${group.fingerprint}`);
  assert.match(await panel.textContent(), /checkTotal \(src\/checkout\.ts:8:/);
  assert.match(await panel.locator('pre.source .here').first().textContent(), /throw new Error/);
  // Resolved from its button: the page reloads showing it resolved.
  await Promise.all([tab.waitForEvent('load'), panel.locator('button[data-state="resolved"]').click()]);
  assert.equal(await tab.locator(`#fp-${group.fingerprint}`).getAttribute('data-state'), 'resolved');
  await tab.close();
});
