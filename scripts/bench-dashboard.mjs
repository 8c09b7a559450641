// `npm run bench:dashboard`: bundles bench/dashboard.ts with esbuild (as scripts/bench.mjs does) and runs it.
// Arguments after `--` go to the benchmark, e.g. `npm run bench:dashboard -- --devices 20000`.
import { build } from 'esbuild';

await build({
  entryPoints: ['bench/dashboard.ts'],
  outdir: '.bench-out',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  define: { __VIGIL_VERSION__: '"bench"' },
  logLevel: 'warning',
});
await import(new URL('../.bench-out/dashboard.mjs', import.meta.url).href);
