// The committed dist/ files are what the collector embeds and serves at /rum.js: they must be
// exactly what the sources build to, and within the size budget.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const root = fileURLToPath(new URL('..', import.meta.url));

test('dist/ matches a fresh build of src/ and stays within 8 KB gzipped', () => {
  const out = mkdtempSync(join(tmpdir(), 'rum-build-'));
  try {
    const log = execFileSync(process.execPath, ['build.mjs', '--outdir', out], { cwd: root }).toString();
    assert.match(log, /bytes gzipped \(budget 8192\)/);
    for (const file of ['rum.js', 'rum.esm.js']) {
      const fresh = readFileSync(join(out, file));
      const committed = readFileSync(join(root, 'dist', file));
      assert.ok(fresh.equals(committed), `dist/${file} is stale: run npm run build in rum-beacon/`);
    }
    const gz = gzipSync(readFileSync(join(root, 'dist', 'rum.js')), { level: 9 }).length;
    assert.ok(gz <= 8192, `dist/rum.js is ${gz} bytes gzipped`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
