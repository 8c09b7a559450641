// `npm run fuzz`: bundles bench/fuzz.ts with esbuild (as the product is built) and runs it.
// Arguments after `--` go to the campaign, e.g. `npm run fuzz -- --seconds 600 --seed 7 --only captures`.
import { build } from 'esbuild';

await build({
  entryPoints: ['bench/fuzz.ts'],
  outdir: '.bench-out',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  logLevel: 'warning',
});
await import(new URL('../.bench-out/fuzz.mjs', import.meta.url).href);
