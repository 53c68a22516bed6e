// Bundles the test app with esbuild (rum-beacon's devDependency), minified with source maps, as a site's build
// would: `src/<entry>.ts` → `dist/<name>/app.js` and `app.js.map`, sources named relative to the map
// (`../../src/checkout.ts`).
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const esbuild = createRequire(join(here, '../../../rum-beacon/package.json'))('esbuild');

/** Builds `src/<entry>.ts` into `dist/<name>/`; resolves to that directory. */
export async function build(entry, name) {
  const outdir = join(here, 'dist', name);
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: [`src/${entry}.ts`],
    outfile: join(outdir, 'app.js'),
    bundle: true,
    minify: true,
    sourcemap: true,
    format: 'iife',
    target: 'es2020',
    logLevel: 'silent',
  });
  return outdir;
}
