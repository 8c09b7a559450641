#!/usr/bin/env node
// Runs the compiled CLI; `npm install` (prepare) or `npm run build` produces dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = fileURLToPath(new URL('../dist/vigil.js', import.meta.url));
if (!existsSync(entry)) {
  console.error('vigil: dist/vigil.js is missing; run `npm run build` in the Vigil checkout first.');
  process.exit(70);
}
await import(entry);
