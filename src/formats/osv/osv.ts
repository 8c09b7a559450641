/**
 * @module OSV record reader (schema 1.x): one record, an array of records, or an OSV API `{"vulns": […]}`
 * response, into {@link VulnerabilityRecord}s with `affected[]` in the CVE 5 `versions[]` shape.
 * Pure, never throws; a bad affected entry, range or severity is an issue and is skipped alone.
 *
 * Range events become CVE-5-style versions: introduced X … fixed/limit Y → `{version: X, lessThan: Y}`,
 * introduced X … last_affected Y → `{version: X, lessThanOrEqual: Y}`, and an introduced that is never
 * closed → `lessThanOrEqual: "*"` (the open-ended form CVE 5 CNAs such as the Linux kernel CNA publish),
 * because a bare `{version: X}` means "exactly X" in CVE 5.
 * @see https://ossf.github.io/osv-schema/ (1.6: affected, ranges, events, severity)
 */
import { PackageURL } from 'packageurl-js';
import { z } from 'zod';
import type {
  AffectedEntry,
  AffectedVersion,
  CvssMetric,
  InputIssue,
  VulnerabilityRecord,
} from '../../advisories/records.js';
import {
  CVE_ID_PATTERN,
  CWE_PATTERN,
  isRecord,
  normalizeCveId,
  parseEach,
  type ReadResult,
  unique,
  zodIssues,
} from '../read-result.js';
import { cvss3BaseScore } from './cvss3.js';

const Severity = z.looseObject({ type: z.string(), score: z.string() });

const Event = z.looseObject({
  introduced: z.string().optional(),
  fixed: z.string().optional(),
  last_affected: z.string().optional(),
  limit: z.string().optional(),
});

const Range = z.looseObject({
  type: z.enum(['SEMVER', 'ECOSYSTEM', 'GIT']),
  repo: z.string().optional(),
  events: z.array(Event).min(1),
});

const Affected = z.looseObject({
  package: z.looseObject({ ecosystem: z.string(), name: z.string(), purl: z.string().optional() }).optional(),
  ranges: z.unknown().optional(),
  versions: z.array(z.string()).optional(),
  severity: z.unknown().optional(),
});

const Osv = z.looseObject({
  schema_version: z.string().optional(),
  id: z.string().min(1),
  modified: z.string().optional(),
  published: z.string().optional(),
  withdrawn: z.string().optional(),
  aliases: z.array(z.string()).optional(),
  summary: z.string().optional(),
  details: z.string().optional(),
  severity: z.unknown().optional(),
  affected: z.unknown().optional(),
  references: z.unknown().optional(),
  database_specific: z.unknown().optional(),
});

const VERSION_TYPE = { SEMVER: 'semver', ECOSYSTEM: 'ecosystem', GIT: 'git' } as const;

/** OSV ecosystem (the part before `:`) → purl type, namespace rule. @see purl-spec PURL-TYPES */
function purlFor(ecosystem: string, name: string): string | null {
  const [eco = '', release] = ecosystem.split(':', 2);
  const build = (type: string, namespace: string | null, n: string, qualifiers?: Record<string, string>) => {
    try {
      return new PackageURL(type, namespace, n, null, qualifiers ?? null, null).toString();
    } catch {
      return null;
    }
  };
  const lastSlash = (t: string) => {
    const i = name.lastIndexOf('/');
    return i > 0 ? build(t, name.slice(0, i), name.slice(i + 1)) : build(t, null, name);
  };
  switch (eco) {
    case 'npm':
      return lastSlash('npm');
    case 'PyPI':
      return build('pypi', null, name);
    case 'Maven': {
      const [group, artifact] = name.split(':');
      return group && artifact ? build('maven', group, artifact) : null;
    }
    case 'Go':
      return lastSlash('golang');
    case 'crates.io':
      return build('cargo', null, name);
    case 'NuGet':
      return build('nuget', null, name);
    case 'RubyGems':
      return build('gem', null, name);
    case 'Packagist':
      return lastSlash('composer');
    // Distribution releases become the `distro` qualifier (Debian:11 → debian-11, Alpine:v3.16 → v3.16).
    case 'Debian':
      return build('deb', 'debian', name, release ? { distro: `debian-${release}` } : undefined);
    case 'Alpine':
      return build('apk', 'alpine', name, release ? { distro: release } : undefined);
    default:
      return null;
  }
}

function toCvss(raw: unknown, file: string, path: string, issues: InputIssue[], out: CvssMetric[]): void {
  for (const { value: s, path: sp } of parseEach(raw, Severity, file, path, issues)) {
    if (s.type !== 'CVSS_V3') {
      // CVSS v2 and v4 base scores need their full calculators; OSV gives the vector only.
      if (s.type === 'CVSS_V2' || s.type === 'CVSS_V4') {
        issues.push({
          file,
          where: sp,
          message: `${s.type} vector kept out: OSV gives no base score (${s.score})`,
        });
      }
      continue;
    }
    const score = cvss3BaseScore(s.score);
    if (!score) {
      issues.push({ file, where: `${sp}.score`, message: `not a complete CVSS 3.x base vector: ${s.score}` });
      continue;
    }
    if (out.some((m) => m.vectorString === s.score)) continue;
    out.push({
      version: score.version,
      vectorString: s.score,
      baseScore: score.baseScore,
      baseSeverity: score.severity,
      source: null,
      type: null,
    });
  }
}

function rangeVersions(range: z.infer<typeof Range>, file: string, path: string, issues: InputIssue[]) {
  const versionType = VERSION_TYPE[range.type];
  const out: AffectedVersion[] = [];
  const push = (version: string, bound: { lessThan?: string; lessThanOrEqual?: string }) =>
    out.push({
      version,
      status: 'affected',
      lessThan: bound.lessThan ?? null,
      lessThanOrEqual: bound.lessThanOrEqual ?? null,
      versionType,
      changes: [],
    });
  let start: string | null = null;
  range.events.forEach((e, i) => {
    const keys = (['introduced', 'fixed', 'last_affected', 'limit'] as const).filter(
      (k) => e[k] !== undefined,
    );
    const key = keys[0];
    if (keys.length !== 1 || key === undefined) {
      issues.push({
        file,
        where: `${path}.events[${i}]`,
        message: 'an event needs exactly one of introduced, fixed, last_affected, limit',
      });
      return;
    }
    const value = e[key]!;
    if (key === 'introduced') {
      if (start !== null) push(start, { lessThanOrEqual: '*' });
      start = value;
      return;
    }
    if (start === null) {
      issues.push({ file, where: `${path}.events[${i}]`, message: `${key} without a preceding introduced` });
      return;
    }
    // `limit` bounds the range like `fixed` (versions at or past it are outside this range).
    push(start, key === 'last_affected' ? { lessThanOrEqual: value } : { lessThan: value });
    start = null;
  });
  if (start !== null) push(start, { lessThanOrEqual: '*' });
  return out;
}

function readAffected(raw: unknown, file: string, path: string, issues: InputIssue[], cvss: CvssMetric[]) {
  const out: AffectedEntry[] = [];
  for (const { value: a, path: ap } of parseEach(raw, Affected, file, path, issues)) {
    const ranges = parseEach(a.ranges, Range, file, `${ap}.ranges`, issues);
    const versions: AffectedVersion[] = ranges.flatMap((r) => rangeVersions(r.value, file, r.path, issues));
    for (const v of a.versions ?? []) {
      versions.push({
        version: v,
        status: 'affected',
        lessThan: null,
        lessThanOrEqual: null,
        versionType: 'ecosystem',
        changes: [],
      });
    }
    toCvss(a.severity, file, `${ap}.severity`, issues, cvss);
    const pkg = a.package;
    const gitOnly = ranges.length > 0 && ranges.every((r) => r.value.type === 'GIT') && !a.versions?.length;
    out.push({
      vendor: null,
      product: pkg?.name ?? ranges.find((r) => r.value.repo)?.value.repo ?? null,
      purl: pkg ? (pkg.purl ?? purlFor(pkg.ecosystem, pkg.name)) : null,
      ecosystem: pkg?.ecosystem ?? null,
      cpes: [],
      // OSV lists what is affected; everything else is not. Commit ranges alone say nothing about
      // release versions, so those stay unknown rather than "unaffected".
      defaultStatus: gitOnly ? 'unknown' : 'unaffected',
      versions,
      platforms: [],
    });
  }
  return out;
}

function readRecord(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): VulnerabilityRecord | null {
  const r = Osv.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssues(r.error, file, path));
    return null;
  }
  const osv = r.data;
  // A CVE-looking id must be a valid CVE id; other ids (GHSA-, PYSEC-, GO- …) are the record's own.
  const looksCve = (s: string) => /^cve-/i.test(s.trim());
  if (looksCve(osv.id) && normalizeCveId(osv.id) === null) {
    issues.push({ file, where: `${path}.id`, message: `not a CVE id: ${JSON.stringify(osv.id)}` });
    return null;
  }
  const aliases: string[] = [];
  for (const [i, a] of (osv.aliases ?? []).entries()) {
    if (looksCve(a) && normalizeCveId(a) === null) {
      issues.push({ file, where: `${path}.aliases[${i}]`, message: `not a CVE id: ${JSON.stringify(a)}` });
    } else aliases.push(looksCve(a) ? normalizeCveId(a)! : a);
  }
  const ownId = looksCve(osv.id) ? normalizeCveId(osv.id)! : osv.id;
  // The record is filed under its CVE when it has one (the first CVE alias), so it meets NVD/CVE 5 data.
  const id = CVE_ID_PATTERN.test(ownId) ? ownId : (aliases.find((a) => CVE_ID_PATTERN.test(a)) ?? ownId);
  const cvss: CvssMetric[] = [];
  toCvss(osv.severity, file, `${path}.severity`, issues, cvss);
  const affected = readAffected(osv.affected, file, `${path}.affected`, issues, cvss);
  const refs = parseEach(
    osv.references,
    z.looseObject({ url: z.string() }),
    file,
    `${path}.references`,
    issues,
  );
  const dbCwes = isRecord(osv.database_specific) ? osv.database_specific.cwe_ids : undefined;
  const cwes = Array.isArray(dbCwes)
    ? dbCwes.filter((c): c is string => typeof c === 'string' && CWE_PATTERN.test(c))
    : [];
  return {
    id,
    aliases: unique([ownId, ...aliases].filter((a) => a !== id)),
    source: 'osv',
    title: osv.summary ?? null,
    description: osv.details ?? osv.summary ?? null,
    published: osv.published ?? null,
    modified: osv.modified ?? null,
    status: osv.withdrawn !== undefined ? 'WITHDRAWN' : null,
    cvss,
    cwes: unique(cwes),
    configurations: [],
    affected,
    references: unique(refs.map((x) => x.value.url)),
    path,
  };
}

/** Reads one OSV record, an array of records, or an OSV API response `{"vulns": […]}`. */
export function readOsv(json: unknown, file: string): ReadResult<VulnerabilityRecord> {
  const issues: InputIssue[] = [];
  const records: VulnerabilityRecord[] = [];
  const each = (list: unknown[], base: string) =>
    list.forEach((item, i) => {
      const rec = readRecord(item, file, `${base}[${i}]`, issues);
      if (rec) records.push(rec);
    });
  if (Array.isArray(json)) each(json, '$');
  else if (isRecord(json) && Array.isArray(json.vulns) && json.id === undefined) each(json.vulns, '$.vulns');
  else if (isRecord(json)) {
    const rec = readRecord(json, file, '$', issues);
    if (rec) records.push(rec);
  } else issues.push({ file, where: '$', message: 'expected an OSV record object or an array of them' });
  return { records, issues };
}
