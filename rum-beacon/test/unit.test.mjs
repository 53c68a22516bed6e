// Unit tests for the pure parts of the beacon. Run: npm test (node --test).
// The TypeScript sources are bundled with esbuild into a temporary directory, then imported.
import { build } from 'esbuild';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = mkdtempSync(join(tmpdir(), 'rum-beacon-test-'));
let stack, trace, transport, vitals, errors, spans;

before(async () => {
  await build({
    absWorkingDir: root,
    entryPoints: ['src/stack.ts', 'src/trace.ts', 'src/transport.ts', 'src/vitals.ts', 'src/errors.ts', 'src/spans.ts'],
    outdir: out,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    logLevel: 'error',
  });
  const load = (name) => import(pathToFileURL(join(out, name + '.mjs')).href);
  [stack, trace, transport, vitals, errors, spans] = await Promise.all(
    ['stack', 'trace', 'transport', 'vitals', 'errors', 'spans'].map(load),
  );
});
after(() => rmSync(out, { recursive: true, force: true }));

describe('parseStack', () => {
  test('Chrome / V8 format', () => {
    const s = [
      "TypeError: Cannot read properties of undefined (reading 'x')",
      '    at onClick (https://x.test/app.js:10:5)',
      '    at HTMLButtonElement.<anonymous> (https://x.test/app.js:20:7)',
      '    at https://x.test/vendor.js:1:999',
      '    at async loadAll (https://x.test/app.js:30:1)',
      '    at new Widget (https://x.test/w.js?v=2:4:3)',
    ].join('\n');
    assert.deepEqual(stack.parseStack(s), [
      { file: 'https://x.test/app.js', function: 'onClick', line: 10, column: 5 },
      { file: 'https://x.test/app.js', function: 'HTMLButtonElement.<anonymous>', line: 20, column: 7 },
      { file: 'https://x.test/vendor.js', function: '', line: 1, column: 999 },
      { file: 'https://x.test/app.js', function: 'loadAll', line: 30, column: 1 },
      { file: 'https://x.test/w.js?v=2', function: 'new Widget', line: 4, column: 3 },
    ]);
  });

  test('Firefox and Safari format', () => {
    const s = [
      'onClick@https://x.test/app.js:10:5',
      'render/<@https://x.test/app.js:12:9',
      '@https://x.test/app.js:1:1',
      'global code@https://x.test/index.html:3:14',
      '',
    ].join('\n');
    assert.deepEqual(stack.parseStack(s), [
      { file: 'https://x.test/app.js', function: 'onClick', line: 10, column: 5 },
      { file: 'https://x.test/app.js', function: 'render/<', line: 12, column: 9 },
      { file: 'https://x.test/app.js', function: '', line: 1, column: 1 },
      { file: 'https://x.test/index.html', function: 'global code', line: 3, column: 14 },
    ]);
  });

  test('a real V8 stack from this process', () => {
    function thrower() {
      throw new RangeError('boom');
    }
    try {
      thrower();
    } catch (e) {
      const frames = stack.parseStack(e.stack);
      assert.equal(frames[0].function, 'thrower');
      assert.match(frames[0].file, /unit\.test\.mjs$/);
      assert.ok(frames[0].line > 0 && frames[0].column > 0);
    }
  });

  test('caps at 30 frames and ignores junk', () => {
    const s = Array.from({ length: 50 }, (_, i) => `    at f${i} (https://x.test/a.js:${i + 1}:1)`).join('\n');
    const frames = stack.parseStack(s);
    assert.equal(frames.length, 30);
    assert.equal(frames[29].function, 'f29');
    assert.deepEqual(stack.parseStack(undefined), []);
    assert.deepEqual(stack.parseStack('Error: no frames\n    at <anonymous>'), []);
  });
});

describe('parseTraceparent', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  test('valid values', () => {
    assert.equal(trace.parseTraceparent(`00-${id}-00f067aa0ba902b7-01`), id);
    assert.equal(trace.parseTraceparent(` 00-${id.toUpperCase()}-00F067AA0BA902B7-00 `), id);
    // a future version may append fields
    assert.equal(trace.parseTraceparent(`01-${id}-00f067aa0ba902b7-01-extra`), id);
  });
  test('invalid values', () => {
    for (const v of [
      undefined,
      null,
      '',
      'garbage',
      `ff-${id}-00f067aa0ba902b7-01`,
      `00-${'0'.repeat(32)}-00f067aa0ba902b7-01`,
      `00-${id.slice(1)}-00f067aa0ba902b7-01`,
      `00-${id}-00f067aa0ba902b-01`,
      `00-${id}-00f067aa0ba902b7-01x`,
      `00-${id.replace('4', 'g')}-00f067aa0ba902b7-01`,
    ]) {
      assert.equal(trace.parseTraceparent(v), null, String(v));
    }
  });
});

describe('trace context', () => {
  const id = '4bf92f3577b34da6a3ce929d0e0e4736';
  test('parseParent gives the trace and the span of a traceparent', () => {
    assert.deepEqual(trace.parseParent(`00-${id}-00f067aa0ba902b7-01`), [id, '00f067aa0ba902b7']);
    assert.deepEqual(trace.parseParent(` 00-${id.toUpperCase()}-00F067AA0BA902B7-00 `), [id, '00f067aa0ba902b7']);
    assert.equal(trace.parseParent(`00-${id}-0000000000000000-01`), null, 'a zero span id names no parent');
    assert.equal(trace.parseParent(42), null);
  });
  test('traceparent says whether the page view is sampled', () => {
    assert.equal(trace.traceparent(id, '00f067aa0ba902b7', true), `00-${id}-00f067aa0ba902b7-01`);
    assert.equal(trace.traceparent(id, '00f067aa0ba902b7', false), `00-${id}-00f067aa0ba902b7-00`);
  });
  test('data-trace-origins: exact origins and * patterns, nothing else', () => {
    const listed = trace.originMatcher(['https://api.shop.example/', 'https://*.cdn.example', 'http://127.0.0.1:8080']);
    for (const origin of ['https://api.shop.example', 'https://img.cdn.example', 'https://a.b.cdn.example', 'http://127.0.0.1:8080']) {
      assert.ok(listed(origin), origin);
    }
    for (const origin of [
      'http://api.shop.example',
      'https://api.shop.example:8443',
      'https://evil.example',
      'https://cdn.example',
      'https://img.cdn.example.evil',
      'https://img.cdn.example:444',
      'http://127.0.0.1:8081',
      'https://apixshop.example',
    ]) {
      assert.ok(!listed(origin), origin);
    }
    assert.ok(!trace.originMatcher([])('https://api.shop.example'));
  });
});

describe('phases', () => {
  test('one event per timed phase, on the epoch clock', () => {
    const entry = { redirectStart: 0, fetchStart: 10.5, domainLookupStart: 0, requestStart: 20.25, responseEnd: 42 };
    const events = spans.phases(entry, ['redirectStart', 'fetchStart', 'domainLookupStart', 'requestStart', 'responseEnd']);
    assert.deepEqual(events.map((e) => e.name), ['fetchStart', 'requestStart', 'responseEnd']);
    const origin = performance.timeOrigin;
    assert.ok(Math.abs(events[0].ts - (origin + 10.5)) < 1e-3);
    assert.ok(Math.abs(events[2].ts - events[1].ts - 21.75) < 2e-3);
    assert.deepEqual(spans.phases(undefined, ['fetchStart']), []);
  });
});

describe('splitBatches', () => {
  const header = { app: 'shop', sessionId: 's-1', traceId: null, page: { url: 'https://x.test/' } };
  const bytes = (s) => Buffer.byteLength(s, 'utf8');

  test('small queue: one body with the header and all events', () => {
    const events = [{ type: 'page_view', ts: 1 }, { type: 'error', ts: 2, message: 'x' }];
    const bodies = transport.splitBatches(header, events.map((e) => JSON.stringify(e)));
    assert.equal(bodies.length, 1);
    assert.deepEqual(JSON.parse(bodies[0]), { ...header, events });
  });

  test('every body stays under 60 KB, order kept, nothing lost', () => {
    // multi-byte text so that UTF-8 bytes, not string length, must be counted
    const events = Array.from({ length: 40 }, (_, i) => ({ type: 'error', ts: i, message: 'é€😀'.repeat(1000 + i) }));
    const bodies = transport.splitBatches(header, events.map((e) => JSON.stringify(e)));
    assert.ok(bodies.length > 1);
    const seen = [];
    for (const body of bodies) {
      assert.ok(bytes(body) <= transport.MAX_BODY, `${bytes(body)} bytes`);
      assert.ok(bytes(body) < 60 * 1024);
      const batch = JSON.parse(body);
      assert.equal(batch.app, 'shop');
      assert.equal(batch.traceId, null);
      seen.push(...batch.events.map((e) => e.ts));
    }
    assert.deepEqual(seen, events.map((e) => e.ts));
  });

  test('an event larger than a request on its own is dropped', () => {
    const big = JSON.stringify({ type: 'error', ts: 1, message: 'x'.repeat(70000) });
    const small = JSON.stringify({ type: 'page_view', ts: 2 });
    const bodies = transport.splitBatches(header, [big, small]);
    assert.equal(bodies.length, 1);
    assert.deepEqual(JSON.parse(bodies[0]).events, [{ type: 'page_view', ts: 2 }]);
    assert.deepEqual(transport.splitBatches(header, []), []);
  });

  test('exact fit at a small limit', () => {
    const events = ['{"a":1}', '{"a":2}', '{"a":3}'];
    for (let limit = 40; limit < 120; limit++) {
      for (const body of transport.splitBatches({ h: 1 }, events, limit)) {
        assert.ok(bytes(body) <= limit);
        JSON.parse(body);
      }
    }
  });
});

describe('vitalEvent', () => {
  test('keeps metric fields and flat attribution, renames LCP target to element', () => {
    const metric = {
      name: 'LCP',
      value: 1234.5,
      rating: 'good',
      delta: 1234.5,
      id: 'v5-1-2',
      navigationType: 'navigate',
      entries: [{ startTime: 1 }],
      attribution: {
        target: '#hero',
        url: 'https://x.test/img.jpg',
        timeToFirstByte: 100,
        resourceLoadDelay: 10,
        resourceLoadDuration: 200,
        elementRenderDelay: 5,
        lcpEntry: { element: {} },
        navigationEntry: {},
        bogus: NaN,
      },
    };
    const e = vitals.vitalEvent(metric);
    assert.equal(e.type, 'vital');
    assert.equal(typeof e.ts, 'number');
    const { ts, ...rest } = e;
    assert.deepEqual(rest, {
      type: 'vital',
      name: 'LCP',
      value: 1234.5,
      rating: 'good',
      delta: 1234.5,
      id: 'v5-1-2',
      navigationType: 'navigate',
      attribution: {
        element: '#hero',
        url: 'https://x.test/img.jpg',
        timeToFirstByte: 100,
        resourceLoadDelay: 10,
        resourceLoadDuration: 200,
        elementRenderDelay: 5,
      },
    });
  });
});

describe('errorEvent', () => {
  test('from an Error', () => {
    const e = errors.errorEvent(new TypeError('bad thing'));
    assert.equal(e.type, 'error');
    assert.equal(e.message, 'bad thing');
    assert.equal(e.errorType, 'TypeError');
    assert.ok(e.stack.length > 0);
  });
  test('cross-origin "Script error." falls back to the event location', () => {
    const e = errors.errorEvent(null, { message: 'Script error.', filename: 'https://cdn.test/a.js', lineno: 0, colno: 0 });
    assert.equal(e.message, 'Script error.');
    assert.equal(e.errorType, 'Error');
    assert.deepEqual(e.stack, [{ file: 'https://cdn.test/a.js', function: '', line: 0, column: 0 }]);
  });
  test('a rejection with a non-Error reason', () => {
    const e = errors.errorEvent('nope');
    assert.equal(e.message, 'nope');
    assert.equal(e.errorType, 'UnhandledRejection');
    assert.deepEqual(e.stack, []);
    assert.equal(errors.errorEvent({ message: 'm'.repeat(5000) }).message.length, 1000);
  });
});
