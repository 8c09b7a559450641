// Bundles the CLI and server into dist/vigil.js (one ES module; npm packages stay external so native
// modules load from node_modules), then the web dashboard (web/, vite) into dist/web/, which `vigil serve`
// serves under `/`. Runs on `npm install` (prepare) and `npm run build`.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const BUNDLED = new Set(['kysely']);

const bundle = await build({
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
  // npm packages stay external (native modules load from node_modules; packages that read their own data
  // files need their directory), except kysely: pure ESM in ~290 files, whose resolution and loading was a
  // third of every command's start-up.
  external: Object.keys(pkg.dependencies)
    .filter((name) => !BUNDLED.has(name))
    .flatMap((name) => [name, `${name}/*`]),
  sourcemap: 'linked',
  define: { __VIGIL_VERSION__: JSON.stringify(pkg.version) },
  logLevel: 'warning',
  metafile: true,
});

// Chunk names carry their content's hash, so each build adds files. Those no build has written for a day
// go: a process started from an older build (a running server or sensor) may still load its own chunks.
const written = new Set(Object.keys(bundle.metafile.outputs).map((f) => basename(f)));
const chunks = fileURLToPath(new URL('../dist/chunks', import.meta.url));
for (const f of readdirSync(chunks)) {
  const path = `${chunks}/${f}`;
  if (!written.has(f) && Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { force: true });
}

// The dashboard (docs/dashboard.md): its own vite config; vite loads only here, never at run time.
// Production React even when a test runner (NODE_ENV=test) runs this script.
process.env.NODE_ENV = 'production';
const { build: buildWeb } = await import('vite');
// Built aside and swapped in, so a running `vigil serve` (or a test) never sees a half-written dist/web.
const webDir = fileURLToPath(new URL('../dist/web', import.meta.url));
const staging = `${webDir}.build-${process.pid}`;
await buildWeb({
  configFile: fileURLToPath(new URL('../web/vite.config.ts', import.meta.url)),
  build: { outDir: staging, emptyOutDir: true },
  logLevel: 'warn',
});
// Another build may swap at the same moment: then move its result aside too and try again.
for (let attempt = 0; ; attempt++) {
  const old = `${webDir}.old-${process.pid}-${attempt}`;
  try {
    if (existsSync(webDir)) renameSync(webDir, old);
  } catch (e) {
    if (e.code !== 'ENOENT') throw e;
  }
  try {
    renameSync(staging, webDir);
    rmSync(old, { recursive: true, force: true });
    break;
  } catch (e) {
    rmSync(old, { recursive: true, force: true });
    if (attempt >= 5 || (e.code !== 'ENOTEMPTY' && e.code !== 'EEXIST')) throw e;
  }
}
