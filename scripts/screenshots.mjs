// `npm run screenshots`: bundles test/e2e/screenshots.ts with esbuild and runs it against the built
// dist/ (run `npm run build` first). Writes docs/screenshots/*.png.
import { build } from 'esbuild';

await build({
  entryPoints: ['test/e2e/screenshots.ts'],
  outdir: '.bench-out',
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  logLevel: 'warning',
});
await import(new URL('../.bench-out/screenshots.mjs', import.meta.url).href);
