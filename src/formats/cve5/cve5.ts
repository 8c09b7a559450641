/**
 * @module CVE JSON 5.x record reader: the CNA container (affected products and versions, metrics,
 * problem types, descriptions) plus every ADP container (CISA Vulnrichment adds CVSS, CWE and
 * `affected[]` entries with CPEs), into one {@link VulnerabilityRecord}. REJECTED records are kept,
 * with `status: 'REJECTED'` and the rejection reason as description, so an importer can retire them.
 * Pure, never throws; a bad `affected`, version or metric entry is an issue and is skipped alone.
 * @see https://github.com/CVEProject/cve-schema/blob/main/schema/CVE_Record_Format.json (5.1)
 */
import { z } from 'zod';
import type { NvdConfiguration } from '../../advisories/cpe-applicability.js';
import type {
  AffectedEntry,
  AffectedVersion,
  CvssMetric,
  InputIssue,
  VulnerabilityRecord,
} from '../../advisories/records.js';
import type { SsvcDecision } from '../csaf/csaf-advisory.js';
import { readConfigurations } from '../nvd/nvd.js';
import {
  CWE_PATTERN,
  isRecord,
  normalizeCveId,
  parseEach,
  pickEnglish,
  type ReadResult,
  unique,
  zodIssues,
} from '../read-result.js';

const Status = z.enum(['affected', 'unaffected', 'unknown']);

const Version = z.looseObject({
  version: z.string(),
  status: Status,
  versionType: z.string().optional(),
  lessThan: z.string().optional(),
  lessThanOrEqual: z.string().optional(),
  changes: z.array(z.looseObject({ at: z.string(), status: Status })).optional(),
});

const Affected = z.looseObject({
  vendor: z.string().optional(),
  product: z.string().optional(),
  collectionURL: z.string().optional(),
  packageName: z.string().optional(),
  cpes: z.array(z.string()).optional(),
  platforms: z.array(z.string()).optional(),
  defaultStatus: Status.optional(),
  versions: z.unknown().optional(),
});

const Score = z.looseObject({
  vectorString: z.string().min(1),
  baseScore: z.number().min(0).max(10),
  baseSeverity: z.string().optional(),
});

const LangString = z.looseObject({ lang: z.string().optional(), value: z.string() });

const ProblemType = z.looseObject({
  descriptions: z.array(
    z.looseObject({
      cweId: z.string().optional(),
      description: z.string().optional(),
      type: z.string().optional(),
    }),
  ),
});

const Container = z.looseObject({
  title: z.string().optional(),
  descriptions: z.array(LangString).optional(),
  rejectedReasons: z.array(LangString).optional(),
  affected: z.unknown().optional(),
  metrics: z.unknown().optional(),
  problemTypes: z.unknown().optional(),
  references: z.unknown().optional(),
  cpeApplicability: z.unknown().optional(),
  providerMetadata: z.looseObject({ shortName: z.string().optional() }).optional(),
});

const Record5 = z.looseObject({
  dataType: z.literal('CVE_RECORD').optional(),
  dataVersion: z.string().optional(),
  cveMetadata: z.looseObject({
    cveId: z.string(),
    state: z.enum(['PUBLISHED', 'REJECTED']),
    datePublished: z.string().optional(),
    dateUpdated: z.string().optional(),
    dateRejected: z.string().optional(),
  }),
  containers: z.looseObject({ cna: z.unknown(), adp: z.unknown().optional() }),
});

/** CVE 5 metric keys → CVSS version; the record's `version` field inside is not trusted over the key. */
const METRIC_KEYS = [
  ['cvssV4_0', '4.0'],
  ['cvssV3_1', '3.1'],
  ['cvssV3_0', '3.0'],
  ['cvssV2_0', '2.0'],
] as const;

/**
 * `collectionURL` values the CVE schema documentation lists for package registries, mapped to purl
 * types. Anything else (a git host, a vendor site) gives no purl: guessing would mis-match.
 * @see CVE JSON 5.1 `collectionURL` examples; https://github.com/package-url/purl-spec (types)
 */
const COLLECTION_PURL_TYPES: readonly [RegExp, string][] = [
  [/^https?:\/\/registry\.npmjs\.org\/?$/i, 'npm'],
  [/^https?:\/\/(www\.)?npmjs\.com\/?$/i, 'npm'],
  [/^https?:\/\/pypi\.(python\.)?org\/?/i, 'pypi'],
  [/^https?:\/\/repo(1)?\.maven(\.apache)?\.org\/maven2\/?$/i, 'maven'],
  [/^https?:\/\/(pkg\.go\.dev|proxy\.golang\.org)\/?$/i, 'golang'],
  [/^https?:\/\/crates\.io\/?/i, 'cargo'],
  [/^https?:\/\/(www\.|api\.)?nuget\.org\/?/i, 'nuget'],
  [/^https?:\/\/rubygems\.org\/?/i, 'gem'],
  [/^https?:\/\/packagist\.org\/?/i, 'composer'],
];

function purlFor(collectionURL: string | undefined, packageName: string | undefined): string | null {
  if (!collectionURL || !packageName) return null;
  const type = COLLECTION_PURL_TYPES.find(([re]) => re.test(collectionURL.trim()))?.[1];
  if (!type) return null;
  // Maven writes group:artifact; purl wants group/artifact. Scoped npm names keep their '@' encoded.
  const name = type === 'maven' ? packageName.replace(':', '/') : packageName;
  const encoded = name
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
  return `pkg:${type}/${encoded}`;
}

interface Collected {
  cvss: CvssMetric[];
  cwes: string[];
  affected: AffectedEntry[];
  references: string[];
  exploitReferences: string[];
  ssvc: SsvcDecision | null;
  configurations: NvdConfiguration[];
}

function readContainer(raw: unknown, file: string, path: string, issues: InputIssue[], into: Collected) {
  const r = Container.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssues(r.error, file, path));
    return null;
  }
  const c = r.data;
  const scorer = c.providerMetadata?.shortName ?? null;
  const metrics = parseEach(c.metrics, z.record(z.string(), z.unknown()), file, `${path}.metrics`, issues);
  for (const { value: m, path: mp } of metrics) {
    for (const [key, version] of METRIC_KEYS) {
      if (m[key] === undefined) continue;
      const s = Score.safeParse(m[key]);
      if (!s.success) {
        issues.push(...zodIssues(s.error, file, `${mp}.${key}`));
        continue;
      }
      into.cvss.push({
        version,
        vectorString: s.data.vectorString,
        baseScore: s.data.baseScore,
        baseSeverity: s.data.baseSeverity ?? null,
        source: scorer,
        type: null,
      });
    }
  }
  for (const { value: p } of parseEach(c.problemTypes, ProblemType, file, `${path}.problemTypes`, issues)) {
    for (const d of p.descriptions) {
      // `cweId` is 5.1; older records only have "CWE-79 Cross-site…" in `description`.
      const cwe = d.cweId ?? /^(CWE-\d+)\b/.exec(d.description ?? '')?.[1];
      if (cwe !== undefined && CWE_PATTERN.test(cwe.trim())) into.cwes.push(cwe.trim());
    }
  }
  for (const { value: a, path: ap } of parseEach(c.affected, Affected, file, `${path}.affected`, issues)) {
    const versions: AffectedVersion[] = parseEach(a.versions, Version, file, `${ap}.versions`, issues).map(
      ({ value: v }) => ({
        version: v.version,
        status: v.status,
        lessThan: v.lessThan ?? null,
        lessThanOrEqual: v.lessThanOrEqual ?? null,
        versionType: v.versionType ?? null,
        changes: (v.changes ?? []).map((ch) => ({ at: ch.at, status: ch.status })),
      }),
    );
    into.affected.push({
      vendor: a.vendor ?? null,
      product: a.product ?? a.packageName ?? null,
      purl: purlFor(a.collectionURL, a.packageName),
      ecosystem: a.collectionURL ?? null,
      cpes: a.cpes ?? [],
      defaultStatus: a.defaultStatus ?? 'unknown',
      versions,
      platforms: a.platforms ?? [],
    });
  }
  const refs = parseEach(
    c.references,
    z.looseObject({ url: z.string(), tags: z.array(z.string()).optional() }),
    file,
    `${path}.references`,
    issues,
  );
  into.references.push(...refs.map((x) => x.value.url));
  into.exploitReferences.push(
    ...refs.filter((x) => x.value.tags?.includes('exploit')).map((x) => x.value.url),
  );
  for (const { value: m } of metrics) {
    const ssvc = adpSsvc(m['other']);
    if (ssvc && !into.ssvc) into.ssvc = ssvc;
  }
  // CVE 5.1.1 `cpeApplicability` has the NVD configurations shape.
  into.configurations.push(
    ...readConfigurations(c.cpeApplicability, file, `${path}.cpeApplicability`, issues),
  );
  return c;
}

function readRecord(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): VulnerabilityRecord | null {
  const r = Record5.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssues(r.error, file, path));
    return null;
  }
  const rec = r.data;
  const id = normalizeCveId(rec.cveMetadata.cveId);
  if (id === null) {
    issues.push({
      file,
      where: `${path}.cveMetadata.cveId`,
      message: `not a CVE id: ${JSON.stringify(rec.cveMetadata.cveId)}`,
    });
    return null;
  }
  const into: Collected = {
    cvss: [],
    cwes: [],
    affected: [],
    references: [],
    exploitReferences: [],
    ssvc: null,
    configurations: [],
  };
  const cna = readContainer(rec.containers.cna, file, `${path}.containers.cna`, issues, into);
  // A broken ADP container loses only what that provider added; the CNA's content stands.
  for (const { value, path: p } of parseEach(
    rec.containers.adp,
    z.unknown(),
    file,
    `${path}.containers.adp`,
    issues,
  )) {
    readContainer(value, file, p, issues, into);
  }
  const rejected = rec.cveMetadata.state === 'REJECTED';
  const description = rejected
    ? pickEnglish(cna?.rejectedReasons ?? cna?.descriptions ?? [])
    : pickEnglish(cna?.descriptions ?? []);
  return {
    id,
    aliases: [],
    source: 'cve5',
    title: cna?.title ?? null,
    description,
    published: rec.cveMetadata.datePublished ?? null,
    modified: rec.cveMetadata.dateUpdated ?? rec.cveMetadata.dateRejected ?? null,
    status: rec.cveMetadata.state,
    cvss: into.cvss,
    cwes: unique(into.cwes),
    configurations: into.configurations,
    affected: into.affected,
    references: unique(into.references),
    ...(into.exploitReferences.length ? { exploitReferences: unique(into.exploitReferences) } : {}),
    ...(into.ssvc ? { ssvc: into.ssvc } : {}),
    path,
  };
}

const AdpSsvc = z.looseObject({
  type: z.literal('ssvc'),
  content: z.looseObject({
    role: z.string().optional(),
    version: z.string().optional(),
    timestamp: z.string().optional(),
    options: z.array(z.record(z.string(), z.string())),
  }),
});
const ADP_EXPLOITATION: Record<string, SsvcDecision['exploitation']> = {
  none: 'none',
  poc: 'public_poc',
  public_poc: 'public_poc',
  active: 'active',
};

/**
 * CISA's "Vulnrichment" ADP container carries SSVC decision points as `metrics[].other` of type `ssvc`:
 * `options: [{"Exploitation": "poc"}, {"Automatable": "no"}, {"Technical Impact": "total"}]`. Values
 * outside SSVC's vocabulary leave that point unknown rather than guessed.
 */
function adpSsvc(raw: unknown): SsvcDecision | null {
  const r = AdpSsvc.safeParse(raw);
  if (!r.success) return null;
  const o = Object.assign({}, ...r.data.content.options) as Record<string, string>;
  const e = o['Exploitation']?.toLowerCase();
  const a = o['Automatable']?.toLowerCase();
  const t = o['Technical Impact']?.toLowerCase();
  const exploitation = e !== undefined ? (ADP_EXPLOITATION[e] ?? null) : null;
  const automatable = a === 'yes' ? true : a === 'no' ? false : null;
  const technicalImpact = t === 'partial' || t === 'total' ? t : null;
  if (exploitation === null && automatable === null && technicalImpact === null) return null;
  const decisionPoints: Record<string, string> = {};
  if (exploitation) decisionPoints['E'] = { none: 'N', public_poc: 'P', active: 'A' }[exploitation];
  if (automatable !== null) decisionPoints['A'] = automatable ? 'Y' : 'N';
  if (technicalImpact) decisionPoints['T'] = technicalImpact === 'total' ? 'T' : 'P';
  const ts = r.data.content.timestamp ?? null;
  return {
    raw: `CISA ADP SSVC ${r.data.content.version ?? ''}: Exploitation ${e ?? '?'}, Automatable ${a ?? '?'}, Technical Impact ${t ?? '?'}${ts ? ` (${ts.slice(0, 10)})` : ''}`.replace(
      'SSVC :',
      'SSVC:',
    ),
    exploitation,
    automatable,
    technicalImpact,
    decisionPoints,
    timestamp: ts,
    origin: 'cve5-adp',
  };
}

/** Reads one CVE 5 record or an array of them (e.g. the lines of a JSONL file, parsed). */
export function readCve5(json: unknown, file: string): ReadResult<VulnerabilityRecord> {
  const issues: InputIssue[] = [];
  const records: VulnerabilityRecord[] = [];
  if (Array.isArray(json)) {
    json.forEach((item, i) => {
      const rec = readRecord(item, file, `$[${i}]`, issues);
      if (rec) records.push(rec);
    });
  } else if (isRecord(json)) {
    const rec = readRecord(json, file, '$', issues);
    if (rec) records.push(rec);
  } else {
    issues.push({ file, where: '$', message: 'expected a CVE record object or an array of them' });
  }
  return { records, issues };
}
