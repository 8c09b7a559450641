/**
 * @module Synthetic inputs for the vulnerability-matching benchmark, deterministic for a seed:
 *
 * - a fleet of N devices as a CMMS export (the same columns as `cmms-generator.ts`), about 70 % of them
 *   manufacturer/model pairs taken from the real CSAF advisories (with the spellings hospitals use:
 *   aliases such as `Philips Healthcare` for `Philips`, case and punctuation variants), about 30 % other
 *   medical makes that no advisory names; versions spread around the advisories' bounds (some inside,
 *   some outside, about 10 % not recorded);
 * - M vulnerability records shaped like NVD's (CPE configurations with version bounds, some AND nodes
 *   with a running-on platform), built from the vendor:product pairs of a real NVD CPE-match sample,
 *   about 1 % naming the fleet's medical makes, plus CNA-only (`cve5`) records with `affected[]`.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { NvdConfiguration, NvdCpeMatch } from '../src/advisories/cpe-applicability.js';
import type { VulnerabilityRecord } from '../src/advisories/records.js';
import { readCsafAdvisory } from '../src/formats/csaf/index.js';
import { MANUFACTURERS, resolveManufacturer } from '../src/matching/names/names.js';
import { CMMS_HEADER, syntheticIp, syntheticMac } from './cmms-generator.js';

/** mulberry32: small, fast, deterministic. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pickOf =
  (random: Random) =>
  <T>(list: readonly T[]): T =>
    list[Math.floor(random() * list.length)]!;

/** Every `*.json` below a folder, sorted (stable across machines). */
export function jsonFilesUnder(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.json')) out.push(p);
    }
  };
  walk(dir);
  return out;
}

/** One manufacturer/model of the advisories, with the version numbers its ranges mention. */
export interface CatalogModel {
  vendor: string;
  vendorKey: string;
  model: string;
  modelNumber: string;
  /** Version numbers written in the product's version or range (`< 3.2.1` → `3.2.1`). */
  bounds: string[];
}

const VERSION_NUMBER = /\d+(?:\.\d+){1,3}/g;

/** The manufacturers and models of the real advisories (one entry per distinct vendor + product name). */
export function advisoryCatalog(files: readonly string[]): CatalogModel[] {
  const byKey = new Map<string, CatalogModel>();
  for (const file of files) {
    const read = readCsafAdvisory(JSON.parse(readFileSync(file, 'utf8')), file);
    if (!read.ok) continue;
    for (const p of read.advisory.products) {
      const vendor = p.trimmed.vendor;
      const model = p.trimmed.productName ?? p.trimmed.name;
      if (!vendor || !model || model.length > 80) continue;
      const key = `${vendor}\u0000${model}`.toLowerCase();
      let entry = byKey.get(key);
      if (!entry) {
        const helpers = p.helpers as { model_numbers?: unknown } | null;
        const numbers = Array.isArray(helpers?.model_numbers) ? helpers.model_numbers.map(String) : [];
        entry = {
          vendor,
          vendorKey: resolveManufacturer(vendor).key,
          model,
          modelNumber: numbers[0] ?? '',
          bounds: [],
        };
        byKey.set(key, entry);
      }
      for (const text of [p.trimmed.version, p.trimmed.versionRange])
        for (const m of (text ?? '').matchAll(VERSION_NUMBER))
          if (!entry.bounds.includes(m[0])) entry.bounds.push(m[0]);
    }
  }
  return [...byKey.values()];
}

/** Versions around a bound: equal, just below, just above, a major away. */
function versionsAround(bound: string, random: Random): string[] {
  const parts = bound.split('.').map(Number);
  const last = parts.length - 1;
  const withLast = (d: number) => parts.map((p, i) => (i === last ? Math.max(0, p + d) : p)).join('.');
  const withMajor = (d: number) =>
    parts.map((p, i) => (i === 0 ? Math.max(0, p + d) : i === 1 ? 0 : p)).join('.');
  return [
    bound,
    withLast(-1 - Math.floor(random() * 3)),
    withLast(1 + Math.floor(random() * 2)),
    withMajor(1),
    withMajor(-1),
  ];
}

function genericVersions(random: Random): string[] {
  const major = 1 + Math.floor(random() * 9);
  return [0, 1, 2, 3].map((i) => `${major}.${i}.${Math.floor(random() * 10)}`);
}

/** How hospitals spell a vendor: the advisory's, an alias, upper case, punctuation dropped, a suffix. */
function vendorSpellings(vendor: string, random: Random): string[] {
  const out = [vendor];
  const entry = MANUFACTURERS.find((m) => m.key === resolveManufacturer(vendor).key);
  if (entry) for (const a of entry.aliases.slice(0, 3)) if (!out.includes(a)) out.push(a);
  out.push(vendor.toUpperCase());
  const plain = vendor
    .replace(/[.,()]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (plain !== vendor) out.push(plain);
  if (random() < 0.5) out.push(`${plain} Inc.`);
  return out;
}

function modelSpellings(model: string): string[] {
  const out = [model, model.toUpperCase(), model.replace(/\s+/g, '-'), model.replace(/[-_/]/g, ' ')];
  return [...new Set(out)];
}

/** Medical makes and models that the advisories do not name (the other ~30 % of a fleet). */
const OTHER_MAKES: [vendor: string, models: string[]][] = [
  ['Masimo', ['Radical-7', 'Root', 'Rad-97', 'Patient SafetyNet']],
  ['Nonin Medical', ['Onyx Vantage 9590', 'WristOx2 3150']],
  ['Hill-Rom', ['Centrella Smart+ Bed', 'Progressa', 'Voalte Nurse Call']],
  ['Getinge', ['Servo-u', 'Servo-air', 'Flow-i']],
  ['Olympus', ['EVIS EXERA III CV-190', 'OER-Pro']],
  ['Karl Storz', ['IMAGE1 S', 'AIDA']],
  ['Canon Medical Systems', ['Aquilion ONE', 'Aplio i800', 'Vantage Orian']],
  ['Hologic', ['Selenia Dimensions', '3Dimensions']],
  ['Varian', ['TrueBeam', 'Halcyon', 'ARIA OIS']],
  ['Sysmex', ['XN-1000', 'CS-2500']],
  ['Beckman Coulter', ['DxH 900', 'AU5800']],
  ['Cepheid', ['GeneXpert IV']],
  ['Mortara Instrument', ['ELI 380', 'Surveyor S12']],
  ['Edwards Lifesciences', ['HemoSphere', 'EV1000']],
  ['Teleflex', ['Arrow EZ-IO']],
  ['Terumo', ['TE-171', 'TE-SS700']],
  ['Moog', ['Curlin 6000 CMS']],
  ['Cardinal Health', ['Kangaroo ePump', 'Pyxis MedStation ES']],
  ['Omnicell', ['XT Automated Dispensing Cabinet']],
  ['Vocera', ['B3000n Badge']],
  ['Ascom', ['Myco 3', 'Telligence']],
  ['Capsule Technologies', ['SmartLinx Neuron 3']],
  ['Cerner', ['CareAware iBus']],
  ['Shimadzu', ['MobileDaRt Evolution', 'RADspeed Pro']],
  ['Konica Minolta', ['AeroDR', 'Sonimage HS1']],
];

export interface Fleet {
  /** CMMS CSV text, header first. */
  csv: string;
  /** Distinct (vendor key, CPE-style product, versions) of the fleet, for the medical CVE records. */
  medical: { vendor: string; vendorKey: string; model: string; versions: string[] }[];
  fromAdvisories: number;
  missingVersion: number;
}

/** The synthetic fleet as a CMMS export. */
export function generateFleet(opts: {
  devices: number;
  catalog: readonly CatalogModel[];
  seed?: number;
  start?: number;
}): Fleet {
  const random = prng(opts.seed ?? 7);
  const pick = pickOf(random);
  const advisoryKeys = new Set(opts.catalog.map((c) => c.vendorKey));
  // Per model a small, fixed set of spellings and versions: a fleet has a few thousand distinct
  // (manufacturer, model, version) combinations, not one per device.
  const models = [
    ...opts.catalog.map((c) => ({
      fromAdvisory: true,
      vendorSpellings: vendorSpellings(c.vendor, random),
      modelSpellings: modelSpellings(c.model),
      modelNumber: c.modelNumber,
      versions: (c.bounds.length ? c.bounds.slice(0, 3) : ['']).flatMap((b) =>
        b ? versionsAround(b, random) : genericVersions(random),
      ),
      vendor: c.vendor,
      vendorKey: c.vendorKey,
      model: c.model,
      weight: 0.3 + random() * 2,
    })),
  ];
  const others = OTHER_MAKES.filter(([v]) => !advisoryKeys.has(resolveManufacturer(v).key)).flatMap(
    ([vendor, list]) =>
      list.map((model) => ({
        fromAdvisory: false,
        vendorSpellings: vendorSpellings(vendor, random),
        modelSpellings: modelSpellings(model),
        modelNumber: '',
        versions: genericVersions(random),
        vendor,
        vendorKey: resolveManufacturer(vendor).key,
        model,
        weight: 0.3 + random() * 2,
      })),
  );
  const cumulative = (list: { weight: number }[]) => {
    let sum = 0;
    return list.map((m) => {
      sum += m.weight;
      return sum;
    });
  };
  const advCum = cumulative(models);
  const othCum = cumulative(others);
  const weighted = <T>(list: T[], cum: number[]): T => {
    const x = random() * cum.at(-1)!;
    let lo = 0;
    let hi = cum.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return list[lo]!;
  };
  const cell = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  const lines = [CMMS_HEADER];
  const start = opts.start ?? 1;
  let fromAdvisories = 0;
  let missingVersion = 0;
  for (let i = start; i < start + opts.devices; i++) {
    const fromAdvisory = random() < 0.7 && models.length > 0;
    const m = fromAdvisory ? weighted(models, advCum) : weighted(others, othCum);
    if (fromAdvisory) fromAdvisories++;
    // Most devices keep the canonical spelling; the rest spread over the variants.
    const vendor = random() < 0.6 ? m.vendor : pick(m.vendorSpellings);
    const model = random() < 0.7 ? m.model : pick(m.modelSpellings);
    const missing = random() < 0.1;
    if (missing) missingVersion++;
    const version = missing ? '' : pick(m.versions);
    const inSoftware = random() < 0.15;
    const cells = [
      `MX-${String(i).padStart(7, '0')}`,
      `SN${(i * 7919).toString(36).toUpperCase()}`,
      '',
      vendor,
      model,
      m.modelNumber,
      '',
      syntheticMac(i * 2),
      random() < 0.85 ? syntheticIp(i) : '',
      '',
      inSoftware ? '' : version,
      inSoftware ? version : '',
      '',
      '',
      `Site ${1 + (i % 6)}`,
      '',
      '',
      '',
      pick(['ICU', 'Emergency', 'Radiology', 'Surgery', 'Cardiology', 'Oncology']),
      'Biomed',
      '',
      '',
      'Active',
    ];
    lines.push(cells.map(cell).join(','));
  }
  const medical = [...models, ...others].map((m) => ({
    vendor: m.vendor,
    vendorKey: m.vendorKey,
    model: m.model,
    versions: m.versions.filter(Boolean),
  }));
  return { csv: `${lines.join('\n')}\n`, medical, fromAdvisories, missingVersion };
}

// ---------------------------------------------------------------------------------------------------
// Vulnerability records

/** Distinct CPE (part, vendor, product) of a real NVD CPE-match sample, and its platform CPEs. */
export function cpeSample(csvFile: string): {
  products: { part: string; vendor: string; product: string }[];
  platforms: string[];
} {
  const rows = parse(readFileSync(csvFile, 'utf8'), { columns: true }) as Record<string, string>[];
  const seen = new Set<string>();
  const products: { part: string; vendor: string; product: string }[] = [];
  const platforms = new Set<string>();
  for (const r of rows) {
    const f = (r['cpe23'] ?? '').split(':');
    if (f.length < 13 || f[0] !== 'cpe') continue;
    const [part, vendor, product] = [f[2]!, f[3]!, f[4]!];
    if (!/^[a-z0-9_.-]+$/i.test(vendor) || !/^[a-z0-9_.-]+$/i.test(product)) continue;
    const key = `${part}:${vendor}:${product}`;
    if (part === 'o' || part === 'h') platforms.add(`cpe:2.3:${part}:${vendor}:${product}:*:*:*:*:*:*:*:*`);
    if (seen.has(key)) continue;
    seen.add(key);
    products.push({ part, vendor, product });
  }
  return { products, platforms: [...platforms] };
}

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');

const CWES = ['CWE-79', 'CWE-787', 'CWE-20', 'CWE-125', 'CWE-78', 'CWE-89', 'CWE-416', 'CWE-22', 'CWE-352'];

function semver(random: Random): string {
  return `${Math.floor(random() * 12)}.${Math.floor(random() * 20)}.${Math.floor(random() * 30)}`;
}

function bumpUp(v: string, random: Random): string {
  const p = v.split('.').map(Number);
  p[p.length - 1] = (p[p.length - 1] ?? 0) + 1 + Math.floor(random() * 5);
  return p.join('.');
}

/**
 * Records `start` … `start + count - 1` (ids `CVE-<year>-1nnnnnn`, disjoint from real ids).
 * ~96 % NVD-shaped with IT products, ~1 % NVD-shaped naming the fleet's medical makes, ~3 % CNA-only.
 */
export function generateRecords(opts: {
  start: number;
  count: number;
  seed: number;
  cpe: ReturnType<typeof cpeSample>;
  medical: Fleet['medical'];
}): VulnerabilityRecord[] {
  const random = prng(opts.seed);
  const pick = pickOf(random);
  const out: VulnerabilityRecord[] = [];
  const medical = opts.medical.filter((m) => m.vendorKey);
  const cpeOf = (part: string, vendor: string, product: string, version = '*') =>
    `cpe:2.3:${part}:${vendor}:${product}:${version}:*:*:*:*:*:*:*`;
  for (let n = opts.start; n < opts.start + opts.count; n++) {
    const year = 2015 + (n % 10);
    const id = `CVE-${year}-${1_000_000 + n}`;
    const date = `${year}-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}T10:00:00.000Z`;
    const score = Math.round((2 + random() * 8) * 10) / 10;
    const base: VulnerabilityRecord = {
      id,
      aliases: [],
      source: 'nvd',
      title: null,
      description: `Synthetic benchmark vulnerability ${id}.`,
      published: date,
      modified: date,
      status: 'Analyzed',
      cvss: [
        {
          version: '3.1',
          vectorString: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
          baseScore: score,
          baseSeverity: score >= 9 ? 'CRITICAL' : score >= 7 ? 'HIGH' : score >= 4 ? 'MEDIUM' : 'LOW',
          source: 'nvd@nist.gov',
          type: 'Primary',
        },
      ],
      cwes: [pick(CWES)],
      configurations: [],
      affected: [],
      references: [`https://example.org/advisories/${id}`],
      path: `synthetic ${n}`,
    };
    const kind = random();
    if (kind < 0.01 && medical.length) {
      // NVD naming a medical make: `cpe:2.3:o:philips:<model>_firmware:*` < a bound, often on its hardware.
      const m = pick(medical);
      const vendor = m.vendorKey.replace(/-/g, '_');
      const product = slug(m.model);
      const bound = m.versions.length ? pick(m.versions) : semver(random);
      const firmware: NvdCpeMatch = {
        vulnerable: true,
        criteria: random() < 0.6 ? cpeOf('o', vendor, `${product}_firmware`) : cpeOf('a', vendor, product),
        versionEndExcluding: random() < 0.5 ? bound : bumpUp(bound, random),
      };
      if (random() < 0.3) firmware.versionStartIncluding = '1.0';
      const conf: NvdConfiguration =
        random() < 0.4
          ? {
              operator: 'AND',
              nodes: [
                { operator: 'OR', negate: false, cpeMatch: [firmware] },
                {
                  operator: 'OR',
                  negate: false,
                  cpeMatch: [{ vulnerable: false, criteria: cpeOf('h', vendor, product, '-') }],
                },
              ],
            }
          : { nodes: [{ operator: 'OR', negate: false, cpeMatch: [firmware] }] };
      base.configurations = [conf];
    } else if (kind < 0.04) {
      // CNA-only record (no NVD enrichment yet): vendor, product, versions.
      base.source = 'cve5';
      base.status = 'PUBLISHED';
      const med = random() < 0.3 && medical.length ? pick(medical) : null;
      const it = pick(opts.cpe.products);
      const bound = med?.versions.length ? pick(med.versions) : semver(random);
      base.affected = [
        {
          vendor: med ? med.vendor : it.vendor.replace(/_/g, ' '),
          product: med ? med.model : it.product.replace(/_/g, ' '),
          purl: null,
          ecosystem: null,
          cpes: [],
          defaultStatus: 'unaffected',
          versions: [
            {
              version: '0',
              status: 'affected',
              lessThan: bound,
              lessThanOrEqual: null,
              versionType: 'custom',
              changes: [],
            },
          ],
          platforms: [],
        },
      ];
    } else {
      // NVD shape for IT products: 1–4 ranges of one or two products, sometimes running on a platform.
      const products = [pick(opts.cpe.products)];
      if (random() < 0.25) products.push(pick(opts.cpe.products));
      const matches: NvdCpeMatch[] = [];
      for (const p of products) {
        const ranges = 1 + Math.floor(random() * (random() < 0.2 ? 4 : 2));
        for (let r = 0; r < ranges; r++) {
          const style = random();
          if (style < 0.15) {
            matches.push({ vulnerable: true, criteria: cpeOf(p.part, p.vendor, p.product, semver(random)) });
          } else {
            const start = semver(random);
            const m: NvdCpeMatch = { vulnerable: true, criteria: cpeOf(p.part, p.vendor, p.product) };
            if (style < 0.6) m.versionStartIncluding = start;
            if (random() < 0.7) m.versionEndExcluding = bumpUp(start, random);
            else m.versionEndIncluding = bumpUp(start, random);
            matches.push(m);
          }
        }
      }
      const conf: NvdConfiguration =
        random() < 0.15 && opts.cpe.platforms.length
          ? {
              operator: 'AND',
              nodes: [
                { operator: 'OR', negate: false, cpeMatch: matches },
                {
                  operator: 'OR',
                  negate: false,
                  cpeMatch: [{ vulnerable: false, criteria: pick(opts.cpe.platforms) }],
                },
              ],
            }
          : { nodes: [{ operator: 'OR', negate: false, cpeMatch: matches }] };
      base.configurations = [conf];
    }
    out.push(base);
  }
  return out;
}
