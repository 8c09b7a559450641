#!/usr/bin/env node
// Refreshes the IEEE OUI registry Vigil uses for MAC vendor lookup (src/discovery/oui.ts).
//
// Vigil does not vendor a copy of the registry: it reads the `oui-data` npm package (BSD-2-Clause, a JSON
// build of the IEEE MA-L, MA-M and MA-S CSVs, republished when the IEEE files change). Refreshing is
// bumping that package to an exact version and checking the new table still has the shape oui.ts expects:
//
//   node scripts/refresh-oui.mjs            # check the installed table, print its size and a few lookups
//   node scripts/refresh-oui.mjs --update   # npm i -E oui-data@latest, then the same checks
//
// Commit package.json and package-lock.json with the new version. Never hand-edit a vendor name: a wrong
// name must be fixed at the IEEE (or in oui-data), not here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);

if (process.argv.includes('--update')) {
  execFileSync('npm', ['install', '--save-exact', 'oui-data@latest'], { stdio: 'inherit' });
}

const tablePath = require.resolve('oui-data');
// The package exports only its JSON, so its package.json is read from beside it.
const pkg = JSON.parse(readFileSync(new URL('package.json', pathToFileURL(tablePath)), 'utf8'));
const table = JSON.parse(readFileSync(tablePath, 'utf8'));
const keys = Object.keys(table);
const byLength = { 6: 0, 7: 0, 9: 0 };
const problems = [];
for (const k of keys) {
  if (!/^[0-9A-F]+$/.test(k) || !(k.length in byLength)) problems.push(`unexpected key ${JSON.stringify(k)}`);
  else byLength[k.length]++;
  if (typeof table[k] !== 'string' || !table[k].split('\n', 1)[0].trim()) problems.push(`empty entry ${k}`);
}
// Prefixes whose owners are stable and that Vigil's tests rely on (from the shared captures' README).
const expected = {
  '00A0AA': /spacelabs/i,
  '444B5D': /ge healthcare/i,
  '000F82': /mortara/i,
  '5842E4': /baxter/i,
  '00095C': /philips medical/i,
  '001865': /siemens healthcare/i,
};
for (const [prefix, re] of Object.entries(expected)) {
  const name = table[prefix]?.split('\n', 1)[0];
  if (!name || !re.test(name)) problems.push(`${prefix}: expected ${re}, got ${JSON.stringify(name)}`);
}
// src/discovery/oui.ts searches the file line by line (one entry per line, sorted by prefix length then
// prefix) and falls back to parsing all of it, ~50 ms slower per analysis, when that layout changes.
const lines = readFileSync(tablePath, 'latin1').split('\n').slice(1).filter((l) => l !== '}' && l !== '');
const lineKeys = lines.map((l) => /^ "([0-9A-F]+)": /.exec(l)?.[1]);
const sorted = lineKeys.every(
  (k, i) => k && (i === 0 || lineKeys[i - 1].length < k.length || (lineKeys[i - 1].length === k.length && lineKeys[i - 1] < k)),
);
if (!sorted || lineKeys.length !== keys.length)
  console.warn('note: the file is no longer one sorted entry per line; lookups will parse the whole table');
console.log(
  `oui-data ${pkg.version}: ${keys.length} prefixes (MA-L ${byLength[6]}, MA-M ${byLength[7]}, MA-S ${byLength[9]})`,
);
if (problems.length > 0) {
  console.error(`${problems.length} problem(s):\n  ${problems.slice(0, 20).join('\n  ')}`);
  process.exit(1);
}
console.log('table shape and reference prefixes OK');
