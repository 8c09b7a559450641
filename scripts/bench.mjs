// `npm run bench`: bundles bench/run.ts with esbuild (as the product is built) and runs it.
// Arguments after `--` go to the benchmark, e.g. `npm run bench -- --devices 20000`.
import { build } from 'esbuild';

await build({
  entryPoints: ['bench/run.ts', 'bench/capture-child.ts'],
  outdir: '.bench-out',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  logLevel: 'warning',
});
await import(new URL('../.bench-out/run.mjs', import.meta.url).href);
