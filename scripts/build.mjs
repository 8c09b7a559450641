// Bundles the CLI and server into dist/vigil.js (one ES module; npm packages stay external so native
// modules load from node_modules). Runs on `npm install` (prepare) and `npm run build`.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: ['src/cli/main.ts'],
  // Code splitting keeps what only `serve` needs (the HTTP stack) out of every other command's start-up.
  outdir: 'dist',
  entryNames: 'vigil',
  chunkNames: 'chunks/[name]-[hash]',
  splitting: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20.19',
  packages: 'external',
  sourcemap: 'linked',
  define: { __VIGIL_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
});
