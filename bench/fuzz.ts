/**
 * @module `npm run fuzz`: long mutation-fuzzing campaigns over every file source, beyond what the test
 * suite's property tests have time for. Seeds are the repository's real fixtures; each case is a seed
 * damaged the way real input breaks, fed to the same entry point `vigil import` uses:
 * - captures: packet bytes past the Ethernet/IP/TCP headers (so connections still form and every
 *   dissector sees the damage), sometimes headers and timestamps too, or a truncation → analyzeCapture;
 * - sensor logs and scans: Zeek TSV/JSON and Suricata EVE fields set to extreme or wrong-typed values,
 *   nmap XML attribute values replaced → analyzeZeekLogs, analyzeEve, parseNmapXml;
 * - documents: CSAF, NVD, CycloneDX, SPDX, OpenVEX and CSAF VEX with values replaced or removed →
 *   importBytes into an in-memory database, readSbomBytes, readVexBytes.
 * A finding is anything thrown but a VigilError, or a result whose times are not ISO-8601 with a
 * four-digit year. Each distinct one is printed with its stack and the input saved under --out.
 * The campaigns of 2026-11-29 (these, the API's and a CMMS one) found ten bugs: docs/architecture.md, "Fuzzing".
 *
 * npm run fuzz -- [--seconds 300] [--seed 1] [--only captures|logs|documents] [--out DIR]
 */
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { importBytes } from '../src/advisories/advisory-import.js';
import { readSbomBytes, readVexBytes } from '../src/advisories/sbom-vex-service.js';
import { analyzeCapture } from '../src/discovery/capture-analyzer.js';
import { parseNmapXml } from '../src/discovery/nmap-xml.js';
import { analyzeEve } from '../src/discovery/suricata-eve.js';
import { analyzeZeekLogs } from '../src/discovery/zeek-logs.js';
import { VigilError } from '../src/errors.js';
import { detectAdvisoryFormat } from '../src/formats/detect.js';
import { openDatabase } from '../src/store/database.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { packetRegions } from '../test/fixtures/captures/capture-fixtures.js';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '300' },
    seed: { type: 'string', default: '1' },
    only: { type: 'string' },
    out: { type: 'string', default: '/tmp/vigil-fuzz' },
  },
});
const out = args.out;
mkdirSync(out, { recursive: true });

let state = Number(args.seed) >>> 0 || 1;
/** xorshift32: seeded, so a campaign repeats. */
function rand(): number {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 4294967296;
}
const ri = (n: number) => Math.floor(rand() * n);
const pick = <T>(list: readonly T[]): T => list[ri(list.length)]!;

function files(dir: string, test: RegExp): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (test.test(e)) found.push(p);
    }
  };
  walk(dir);
  return found.sort();
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/** Every string that names a time must be a time the store and reports take. */
function checkTimes(value: unknown, key = ''): void {
  if (typeof value === 'string' && /(?:^time$|Seen$|^start$|^end$|At$|^ts$)/.test(key)) {
    if (!ISO.test(value))
      throw new Error(`time field ${key} is not ISO-8601 with a four-digit year: ${value}`);
  } else if (Array.isArray(value)) for (const v of value) checkTimes(v, key);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) checkTimes(v, k);
}

const findings = new Map<string, string>();
let cases = 0;
async function attempt(
  campaign: string,
  seedName: string,
  input: string | Uint8Array,
  run: () => Promise<unknown>,
) {
  cases++;
  try {
    checkTimes(JSON.parse(JSON.stringify(await run())));
  } catch (e) {
    if (e instanceof VigilError && e.code !== 'internal') return;
    const err = e as Error;
    const signature = `${err.name}: ${err.message.slice(0, 80)} @ ${(err.stack ?? '').split('\n')[1]?.trim()}`;
    if (findings.has(signature)) return;
    const file = join(out, `${campaign}-${findings.size + 1}-${seedName}`);
    writeFileSync(file, input);
    findings.set(signature, file);
    console.log(
      `FINDING ${campaign} ${seedName} → ${file}\n${err.stack?.split('\n').slice(0, 8).join('\n')}\n`,
    );
  }
}

// ---------------------------------------------------------------------------------------------------
// Captures

const INTERESTING = [0, 0xff, 0x7f, 0x80, 0x01, 0x0d, 0x0a, 0x1c, 0x0b, 0x7c, 0x5e];
function damageCapture(source: Uint8Array): Uint8Array {
  let b = source.slice();
  const regions = packetRegions(b);
  for (let i = 0, n = 1 + ri(rand() < 0.5 ? 4 : 40); i < n; i++) {
    const [s, e] = pick(regions);
    const skip = rand() < 0.8 ? Math.min(54, e - s - 1) : 0;
    if (e - s - skip <= 0) continue;
    const at = s + skip + ri(e - s - skip);
    const op = ri(5);
    if (op === 0) b[at] = ri(256);
    else if (op === 1) b[at]! ^= 1 << ri(8);
    else if (op === 2) b[at] = pick(INTERESTING);
    else if (op === 3 && at + 4 <= e)
      new DataView(b.buffer).setUint32(
        at,
        pick([0xffffffff, 0x7fffffff, 0x80000000, 0, 0x10000]),
        rand() < 0.5,
      );
    else {
      const length = 1 + ri(Math.min(64, e - at));
      const from = s + ri(Math.max(1, e - s - length));
      b.copyWithin(at, from, from + length);
    }
  }
  if (rand() < 0.05) b = b.subarray(0, ri(b.length));
  return b;
}

// ---------------------------------------------------------------------------------------------------
// Sensor logs and scans

const EXTREME: unknown[] = [
  1e20,
  -1e20,
  -1,
  0,
  1e308,
  -0.5,
  2 ** 53,
  2 ** 32,
  65536,
  1.5,
  '',
  'x',
  '-',
  '(empty)',
  null,
  [],
  {},
  true,
  '1e400',
  '99999999999999999',
  'NaN',
  '-1',
  '0.0.0.0',
  '::',
  'ff02::1',
  '999.1.1.1',
  '2026-13-45T99:99:99Z',
  '\u0000',
  'a'.repeat(5000),
  ['x', 1],
  [null],
];
const EXTREME_TSV = [
  '-',
  '(empty)',
  '',
  '1e20',
  '-1',
  '0',
  '99999999999999999999',
  'NaN',
  'inf',
  'x',
  'T',
  'F',
  '1.5',
  '-1e20',
  '::',
  '999.1.1.1',
  'a,b,c',
  '\\x00',
  '1e400',
  ',',
];

function damageJsonLine(line: string): string {
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    return line;
  }
  if (!o || typeof o !== 'object') return line;
  const record = o as Record<string, unknown>;
  const keys = Object.keys(record);
  for (let i = 0, n = 1 + ri(3); i < n && keys.length > 0; i++) {
    const k = pick(keys);
    if (rand() < 0.15) delete record[k];
    else record[k] = structuredClone(pick(EXTREME));
  }
  return JSON.stringify(record);
}
function damageTsvLine(line: string): string {
  if (line.startsWith('#')) return line;
  const fields = line.split('\t');
  for (let i = 0, n = 1 + ri(3); i < n; i++) fields[ri(fields.length)] = pick(EXTREME_TSV);
  return fields.join('\t');
}
function damageXml(text: string): string {
  const values = [...text.matchAll(/="[^"]*"/g)];
  let damaged = text;
  for (let i = 0, n = 1 + ri(4); i < n && values.length > 0; i++) {
    const m = pick(values);
    const v = String(pick(EXTREME.filter((x) => typeof x !== 'object'))).replace(/[<&"]/g, '');
    damaged = `${damaged.slice(0, m.index)}="${v}"${damaged.slice(m.index + m[0].length)}`;
  }
  return damaged;
}
async function* linesOf(text: string) {
  yield* text.split('\n');
}

// ---------------------------------------------------------------------------------------------------
// Documents

function paths(o: unknown, prefix: (string | number)[] = [], found: (string | number)[][] = []) {
  if (found.length > 20_000 || prefix.length > 12) return found;
  if (Array.isArray(o))
    o.forEach((v, i) => {
      found.push([...prefix, i]);
      paths(v, [...prefix, i], found);
    });
  else if (o && typeof o === 'object')
    for (const [k, v] of Object.entries(o)) {
      found.push([...prefix, k]);
      paths(v, [...prefix, k], found);
    }
  return found;
}
function damageDocument(doc: unknown): unknown {
  const d = structuredClone(doc);
  const all = paths(d);
  for (let i = 0, n = 1 + ri(5); i < n && all.length > 0; i++) {
    const p = pick(all);
    let parent: unknown = d;
    for (const k of p.slice(0, -1)) parent = (parent as Record<string | number, unknown> | null)?.[k];
    if (!parent || typeof parent !== 'object') continue;
    const holder = parent as Record<string | number, unknown>;
    const key = p.at(-1)!;
    const old = holder[key];
    const r = rand();
    if (r < 0.15) {
      if (Array.isArray(holder)) holder.splice(Number(key), 1);
      else delete holder[key];
    } else if (r < 0.8 && typeof old === 'string') {
      // Still a string, so schema validation lets it through to the code behind it.
      holder[key] = pick([
        old + old,
        old.slice(0, 1),
        old.replace(/\d/g, '9'),
        old.replace(/\d+/, '99999999999999999999'),
        ` ${old}`,
        `${old}\u0000`,
        '',
        '2026-13-45',
        '9999-99-99',
        'cpe:2.3:a',
        'pkg:',
        '< 1.0 ||',
      ]);
    } else holder[key] = structuredClone(pick(EXTREME));
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------

const until = Date.now() + Number(args.seconds) * 1000;
const campaigns = args.only ? [args.only] : ['captures', 'logs', 'documents'];
const captures = files('test/fixtures/captures', /\.(pcap|pcapng)$/)
  .map((f) => ({ f, bytes: new Uint8Array(readFileSync(f)) }))
  .filter((c) => c.bytes.length > 24);
const logs = [
  ...files('src/formats/zeek/fixtures', /\.(log|json)$/),
  ...files('src/formats/suricata/fixtures', /\.json$/),
  ...files('test/fixtures/nmap', /\.xml$/),
].map((f) => ({ f, text: readFileSync(f, 'utf8') }));
const documents = [
  ...files('test/fixtures/advisories/csaf', /\.json$/),
  ...files('test/fixtures/sbom-vex', /\.json$/),
].map((f) => ({ f, doc: JSON.parse(readFileSync(f, 'utf8')) as unknown }));
const vdb = await openDatabase('sqlite::memory:');
await migrateToLatest(vdb);

while (Date.now() < until) {
  const campaign = pick(campaigns);
  if (campaign === 'captures') {
    const { f, bytes } = pick(captures);
    const damaged = damageCapture(bytes);
    await attempt(campaign, basename(f), damaged, () =>
      analyzeCapture(
        (async function* () {
          yield damaged;
        })(),
        { file: basename(f) },
      ),
    );
  } else if (campaign === 'logs') {
    const { f, text } = pick(logs);
    const name = basename(f);
    if (name.endsWith('.xml')) {
      const damaged = damageXml(text);
      await attempt(campaign, name, damaged, async () => parseNmapXml(damaged, { file: name }));
      continue;
    }
    const lines = text.split('\n');
    const json = lines[0]!.startsWith('{');
    for (let i = 0, n = 1 + ri(6); i < n; i++) {
      const k = ri(lines.length);
      lines[k] = json ? damageJsonLine(lines[k]!) : damageTsvLine(lines[k]!);
    }
    const damaged = lines.join('\n');
    const eve = lines[0]!.includes('"event_type"');
    await attempt(campaign, name, damaged, () =>
      eve
        ? analyzeEve([{ file: name, lines: linesOf(damaged) }])
        : analyzeZeekLogs([{ file: name, lines: linesOf(damaged) }]),
    );
  } else {
    const { f, doc } = pick(documents);
    const name = basename(f);
    const damaged = JSON.stringify(damageDocument(doc));
    const bytes = new TextEncoder().encode(damaged);
    await attempt(campaign, name, damaged, async () => {
      const format = detectAdvisoryFormat(bytes.subarray(0, 65536), name);
      if (format === 'cyclonedx' || format === 'spdx') return readSbomBytes(bytes, name);
      if (format === 'openvex' || /vex/i.test(f)) return readVexBytes(bytes, name);
      if (format) return (await importBytes(vdb, bytes, name, format, null)).report;
      return readSbomBytes(bytes, name);
    });
  }
}
await vdb.close();
console.log(
  `${cases} cases (${campaigns.join(', ')}), ${findings.size} distinct findings${findings.size ? ` in ${out}` : ''}`,
);
process.exit(findings.size > 0 ? 1 : 0);
