/**
 * Builds the dashboard (web/) into dist/web/, which `vigil serve` serves under `/`. Pages are split
 * into their own chunks (React.lazy) so the login screen loads only the shell.
 */
import { resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  plugins: [react()],
  build: {
    outDir: resolve(import.meta.dirname, '../dist/web'),
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    // Strict CSP: no inline scripts or styles, and no data: URLs for fonts or images we do not need.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    // A slow or busy machine made rolldown print "[PLUGIN_TIMINGS] JavaScript callbacks ran for …" on a
    // fresh install: noise for a newcomer, nothing to act on.
    rolldownOptions: { checks: { bundlerTimings: false } },
  },
  logLevel: 'warn',
});
