// Builds dist/rum.js (minified IIFE, window.JamscopeRum) and dist/rum.esm.js (ESM), then checks
// the gzipped size of dist/rum.js against the budget. The output is deterministic: no timestamps.
// `node build.mjs --outdir DIR` writes elsewhere (the tests compare a fresh build with dist/).
import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET = 8192; // gzipped bytes of dist/rum.js, web-vitals and tracing included

const root = fileURLToPath(new URL('.', import.meta.url));
const outFlag = process.argv.indexOf('--outdir');
const outdir = outFlag >= 0 ? process.argv[outFlag + 1] : join(root, 'dist');
const common = {
  absWorkingDir: root,
  entryPoints: ['src/index.ts'],
  bundle: true,
  target: 'es2022', // web-vitals itself ships ES2022 (class fields, Array#at)
  legalComments: 'none',
  tsconfigRaw: {}, // tsconfig.json is for tsc; keeps esbuild from adding "use strict"
  banner: { js: '/*! Jamscope RUM | web-vitals (c) Google LLC, Apache-2.0 */' },
  logLevel: 'warning',
  preserveSymlinks: true, // node_modules may be a symlink (worktrees): path comments stay the same
};

await build({
  ...common,
  outfile: join(outdir, 'rum.js'),
  format: 'iife',
  minify: true,
  define: { __IIFE__: 'true' },
});
await build({
  ...common,
  outfile: join(outdir, 'rum.esm.js'),
  format: 'esm',
  minifySyntax: true, // drops the script-tag-only code; whitespace and names stay readable
  define: { __IIFE__: 'false' },
});

const raw = readFileSync(join(outdir, 'rum.js'));
const gz = gzipSync(raw, { level: 9 }).length;
console.log(`dist/rum.js: ${raw.length} bytes, ${gz} bytes gzipped (budget ${BUDGET})`);
if (gz > BUDGET) {
  console.error(`dist/rum.js is over budget by ${gz - BUDGET} bytes gzipped`);
  process.exit(1);
}
