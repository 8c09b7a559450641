// Bundles TypeScript entry points with esbuild (as the product is built) into .bench-out/ and runs the
// first one: the shared step of `npm run bench`, `bench:dashboard`, `fuzz` and `screenshots`.
import { build } from 'esbuild';

/** @param {string[]} entryPoints the first is run; the others are bundled beside it (child processes) */
export async function runBundled(entryPoints, options = {}) {
  await build({
    entryPoints,
    outdir: '.bench-out',
    outExtension: { '.js': '.mjs' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20.19',
    packages: 'external',
    logLevel: 'warning',
    ...options,
  });
  const main = entryPoints[0].replace(/^.*\//, '').replace(/\.ts$/, '.mjs');
  await import(new URL(`../.bench-out/${main}`, import.meta.url).href);
}
