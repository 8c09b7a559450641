/**
 * @module NVD CVE reader: the CVE API 2.0 shapes (one `{"cve": …}` item, a bare `cve` object, or a whole
 * API response / feed page `{"resultsPerPage", "vulnerabilities": [{"cve": …}]}`) and the retired JSON
 * 1.1 feed (`{"CVE_Items": […]}` or a single item), into {@link VulnerabilityRecord}s. Pure, never throws.
 *
 * Applicability (`configurations`) is all-or-nothing per record: configurations are alternatives, so
 * silently dropping a malformed one could turn "affected" into "not affected". A record whose
 * configurations cannot all be read gets none (applicability unknown) and an issue.
 * @see https://nvd.nist.gov/developers/vulnerabilities (CVE API 2.0)
 * @see https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema
 * @see https://csrc.nist.gov/schema/nvd/feed/1.1/nvd_cve_feed_json_1.1.schema (retired 2023)
 */
import { z } from 'zod';
import type { NvdConfiguration, NvdNode } from '../../advisories/cpe-applicability.js';
import type { CvssMetric, CvssVersion, InputIssue, VulnerabilityRecord } from '../../advisories/records.js';
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

const LangString = z.looseObject({ lang: z.string().optional(), value: z.string() });

/** @see NVD API 2.0 schema `cpe_match` */
const CpeMatchSchema = z.looseObject({
  vulnerable: z.boolean(),
  criteria: z.string(),
  matchCriteriaId: z.string().optional(),
  versionStartIncluding: z.string().optional(),
  versionStartExcluding: z.string().optional(),
  versionEndIncluding: z.string().optional(),
  versionEndExcluding: z.string().optional(),
});

const NodeSchema = z.looseObject({
  operator: z.enum(['AND', 'OR']),
  negate: z.boolean().optional(),
  cpeMatch: z.array(CpeMatchSchema),
});

/** NVD API 2.0 `configurations[]`; CVE 5.1.1 `cpeApplicability[]` uses the same shape. */
export const NvdConfigurationSchema = z.looseObject({
  operator: z.enum(['AND', 'OR']).optional(),
  negate: z.boolean().optional(),
  nodes: z.array(NodeSchema),
});

/** Copies only the fields {@link NvdConfiguration} knows (loose parsing keeps extension keys). */
export function toNvdConfiguration(c: z.infer<typeof NvdConfigurationSchema>): NvdConfiguration {
  const out: NvdConfiguration = {
    nodes: c.nodes.map((n) => ({
      operator: n.operator,
      ...(n.negate !== undefined ? { negate: n.negate } : {}),
      cpeMatch: n.cpeMatch.map((m) => ({
        vulnerable: m.vulnerable,
        criteria: m.criteria,
        ...optional('matchCriteriaId', m.matchCriteriaId),
        ...optional('versionStartIncluding', m.versionStartIncluding),
        ...optional('versionStartExcluding', m.versionStartExcluding),
        ...optional('versionEndIncluding', m.versionEndIncluding),
        ...optional('versionEndExcluding', m.versionEndExcluding),
      })),
    })),
  };
  if (c.operator !== undefined) out.operator = c.operator;
  if (c.negate !== undefined) out.negate = c.negate;
  return out;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** All-or-nothing parse of a configurations list (see module comment). */
export function readConfigurations(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): NvdConfiguration[] {
  if (raw === undefined || raw === null) return [];
  const r = z.array(NvdConfigurationSchema).safeParse(raw);
  if (r.success) return r.data.map(toNvdConfiguration);
  issues.push(
    { file, where: path, message: 'configurations not readable; applicability left unknown' },
    ...zodIssues(r.error, file, path),
  );
  return [];
}

const CvssData = z.looseObject({
  version: z.enum(['2.0', '3.0', '3.1', '4.0']),
  vectorString: z.string().min(1),
  baseScore: z.number().min(0).max(10),
  baseSeverity: z.string().optional(),
});

/** @see NVD API 2.0 `cvssMetricV2/V30/V31/V40[]`; V2 keeps `baseSeverity` beside `cvssData`. */
const NvdMetric = z.looseObject({
  source: z.string().optional(),
  type: z.enum(['Primary', 'Secondary']).optional(),
  cvssData: CvssData,
  baseSeverity: z.string().optional(),
});

const Cve20 = z.looseObject({
  id: z.string(),
  published: z.string().optional(),
  lastModified: z.string().optional(),
  vulnStatus: z.string().optional(),
  cisaVulnerabilityName: z.string().optional(),
  descriptions: z.array(LangString).optional(),
  metrics: z.record(z.string(), z.unknown()).optional(),
  weaknesses: z.unknown().optional(),
  configurations: z.unknown().optional(),
  references: z.unknown().optional(),
});

const Weakness = z.looseObject({ description: z.array(LangString) });
const Reference = z.looseObject({ url: z.string(), tags: z.array(z.string()).optional() });

const METRIC_KEYS = ['cvssMetricV40', 'cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2'] as const;

/** Reads one NVD API 2.0 `cve` object found at `path`. */
function readCve20(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): VulnerabilityRecord | null {
  const r = Cve20.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssues(r.error, file, path));
    return null;
  }
  const cve = r.data;
  const id = normalizeCveId(cve.id);
  if (id === null) {
    issues.push({ file, where: `${path}.id`, message: `not a CVE id: ${JSON.stringify(cve.id)}` });
    return null;
  }
  const cvss: CvssMetric[] = [];
  for (const key of METRIC_KEYS) {
    for (const { value: m } of parseEach(
      cve.metrics?.[key],
      NvdMetric,
      file,
      `${path}.metrics.${key}`,
      issues,
    )) {
      cvss.push({
        version: m.cvssData.version,
        vectorString: m.cvssData.vectorString,
        baseScore: m.cvssData.baseScore,
        baseSeverity: m.cvssData.baseSeverity ?? m.baseSeverity ?? null,
        source: m.source ?? null,
        type: m.type ?? null,
      });
    }
  }
  const cwes = parseEach(cve.weaknesses, Weakness, file, `${path}.weaknesses`, issues).flatMap((w) =>
    w.value.description.map((d) => d.value.trim()).filter((v) => CWE_PATTERN.test(v)),
  );
  const refObjects = parseEach(cve.references, Reference, file, `${path}.references`, issues);
  const references = refObjects.map((x) => x.value.url);
  const exploitReferences = unique(
    refObjects.filter((x) => x.value.tags?.includes('Exploit')).map((x) => x.value.url),
  );
  return {
    id,
    aliases: [],
    source: 'nvd',
    title: cve.cisaVulnerabilityName ?? null,
    description: pickEnglish(cve.descriptions ?? []),
    published: cve.published ?? null,
    modified: cve.lastModified ?? null,
    status: cve.vulnStatus ?? null,
    cvss,
    cwes: unique(cwes),
    configurations: readConfigurations(cve.configurations, file, `${path}.configurations`, issues),
    affected: [],
    references: unique(references),
    ...(exploitReferences.length ? { exploitReferences } : {}),
    path,
  };
}

// ---- NVD JSON 1.1 (retired feed format; still found in archives and in shared data) ----

const Item11 = z.looseObject({
  cve: z.looseObject({
    CVE_data_meta: z.looseObject({ ID: z.string() }),
    description: z.looseObject({ description_data: z.array(LangString) }).optional(),
    problemtype: z.looseObject({ problemtype_data: z.unknown() }).optional(),
    references: z.looseObject({ reference_data: z.unknown() }).optional(),
  }),
  configurations: z.looseObject({ nodes: z.unknown() }).optional(),
  impact: z.looseObject({ baseMetricV3: z.unknown(), baseMetricV2: z.unknown() }).partial().optional(),
  publishedDate: z.string().optional(),
  lastModifiedDate: z.string().optional(),
});

const CpeMatch11 = z.looseObject({
  vulnerable: z.boolean(),
  cpe23Uri: z.string(),
  versionStartIncluding: z.string().optional(),
  versionStartExcluding: z.string().optional(),
  versionEndIncluding: z.string().optional(),
  versionEndExcluding: z.string().optional(),
});

interface Node11 {
  operator: 'AND' | 'OR';
  negate?: boolean | undefined;
  cpe_match?: z.infer<typeof CpeMatch11>[] | undefined;
  children?: Node11[] | undefined;
}

const Node11Schema: z.ZodType<Node11> = z.lazy(() =>
  z.looseObject({
    operator: z.enum(['AND', 'OR']),
    negate: z.boolean().optional(),
    cpe_match: z.array(CpeMatch11).optional(),
    children: z.array(Node11Schema).optional(),
  }),
);

const Metric3 = z.looseObject({
  cvssV3: z.looseObject({
    version: z.enum(['3.0', '3.1']),
    vectorString: z.string().min(1),
    baseScore: z.number().min(0).max(10),
    baseSeverity: z.string().optional(),
  }),
});
const Metric2 = z.looseObject({
  cvssV2: z.looseObject({
    version: z.literal('2.0'),
    vectorString: z.string().min(1),
    baseScore: z.number().min(0).max(10),
  }),
  severity: z.string().optional(),
});
const ProblemType11 = z.looseObject({ description: z.array(LangString) });

function toNode11(n: Node11): NvdNode {
  return {
    operator: n.operator,
    ...(n.negate !== undefined ? { negate: n.negate } : {}),
    cpeMatch: (n.cpe_match ?? []).map((m) => ({
      vulnerable: m.vulnerable,
      criteria: m.cpe23Uri,
      ...optional('versionStartIncluding', m.versionStartIncluding),
      ...optional('versionStartExcluding', m.versionStartExcluding),
      ...optional('versionEndIncluding', m.versionEndIncluding),
      ...optional('versionEndExcluding', m.versionEndExcluding),
    })),
  };
}

/**
 * 1.1 nodes are a tree; 2.0 flattened it to configuration → nodes. A top-level node with children
 * becomes one configuration with that node's operator; a leaf top-level node becomes a configuration
 * of one node. Deeper trees (never published by NVD as far as the shared data shows) cannot be
 * represented and leave applicability unknown.
 */
function readConfigurations11(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): NvdConfiguration[] {
  if (raw === undefined || raw === null) return [];
  const r = z.array(Node11Schema).safeParse(raw);
  const unknown = (message: string): NvdConfiguration[] => {
    issues.push({ file, where: path, message: `${message}; applicability left unknown` });
    return [];
  };
  if (!r.success) {
    unknown('configurations not readable');
    issues.push(...zodIssues(r.error, file, path));
    return [];
  }
  const out: NvdConfiguration[] = [];
  for (const top of r.data) {
    const children = top.children ?? [];
    if (children.length === 0) {
      out.push({ nodes: [toNode11(top)] });
      continue;
    }
    if ((top.cpe_match ?? []).length > 0 || children.some((c) => (c.children ?? []).length > 0)) {
      return unknown('configuration nodes nested deeper than NVD 2.0 can express');
    }
    const config: NvdConfiguration = { operator: top.operator, nodes: children.map(toNode11) };
    if (top.negate !== undefined) config.negate = top.negate;
    out.push(config);
  }
  return out;
}

function readItem11(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): VulnerabilityRecord | null {
  const r = Item11.safeParse(raw);
  if (!r.success) {
    issues.push(...zodIssues(r.error, file, path));
    return null;
  }
  const item = r.data;
  const rawId = item.cve.CVE_data_meta.ID;
  const id = normalizeCveId(rawId);
  if (id === null) {
    issues.push({
      file,
      where: `${path}.cve.CVE_data_meta.ID`,
      message: `not a CVE id: ${JSON.stringify(rawId)}`,
    });
    return null;
  }
  // The 1.1 feeds carried only NVD's own scores, so the scorer is NVD and the score is Primary.
  const cvss: CvssMetric[] = [];
  const v3 = item.impact?.baseMetricV3;
  if (v3 !== undefined) {
    const m = Metric3.safeParse(v3);
    if (m.success) {
      const d = m.data.cvssV3;
      cvss.push(nvdScore(d.version, d.vectorString, d.baseScore, d.baseSeverity ?? null));
    } else issues.push(...zodIssues(m.error, file, `${path}.impact.baseMetricV3`));
  }
  const v2 = item.impact?.baseMetricV2;
  if (v2 !== undefined) {
    const m = Metric2.safeParse(v2);
    if (m.success) {
      const d = m.data.cvssV2;
      cvss.push(nvdScore('2.0', d.vectorString, d.baseScore, m.data.severity ?? null));
    } else issues.push(...zodIssues(m.error, file, `${path}.impact.baseMetricV2`));
  }
  const cwes = parseEach(
    item.cve.problemtype?.problemtype_data,
    ProblemType11,
    file,
    `${path}.cve.problemtype.problemtype_data`,
    issues,
  ).flatMap((p) => p.value.description.map((d) => d.value.trim()).filter((v) => CWE_PATTERN.test(v)));
  const references = parseEach(
    item.cve.references?.reference_data,
    Reference,
    file,
    `${path}.cve.references.reference_data`,
    issues,
  ).map((x) => x.value.url);
  return {
    id,
    aliases: [],
    source: 'nvd',
    title: null,
    description: pickEnglish(item.cve.description?.description_data ?? []),
    published: item.publishedDate ?? null,
    modified: item.lastModifiedDate ?? null,
    status: null,
    cvss,
    cwes: unique(cwes),
    configurations: readConfigurations11(
      item.configurations?.nodes,
      file,
      `${path}.configurations.nodes`,
      issues,
    ),
    affected: [],
    references: unique(references),
    path,
  };
}

function nvdScore(
  version: CvssVersion,
  vectorString: string,
  baseScore: number,
  sev: string | null,
): CvssMetric {
  return { version, vectorString, baseScore, baseSeverity: sev, source: 'nvd@nist.gov', type: 'Primary' };
}

/** One element of `vulnerabilities[]` / `CVE_Items[]`, or a single item: 2.0 `{cve:{id}}` or 1.1 `{cve:{CVE_data_meta}}`. */
function readItem(
  raw: unknown,
  file: string,
  path: string,
  issues: InputIssue[],
): VulnerabilityRecord | null {
  if (isRecord(raw) && isRecord(raw.cve)) {
    if (isRecord(raw.cve.CVE_data_meta)) return readItem11(raw, file, path, issues);
    return readCve20(raw.cve, file, `${path}.cve`, issues);
  }
  issues.push({ file, where: path, message: 'expected an object with a "cve" object' });
  return null;
}

/**
 * Reads NVD JSON: an API 2.0 response or feed page, one `{"cve": …}` item, a bare 2.0 `cve` object,
 * a 1.1 feed (`CVE_Items`) or item, or an array of items.
 */
export function readNvd(json: unknown, file: string): ReadResult<VulnerabilityRecord> {
  const issues: InputIssue[] = [];
  const records: VulnerabilityRecord[] = [];
  const each = (list: unknown[], base: string) => {
    list.forEach((item, i) => {
      const rec = readItem(item, file, `${base}[${i}]`, issues);
      if (rec) records.push(rec);
    });
  };
  if (Array.isArray(json)) each(json, '$');
  else if (isRecord(json) && Array.isArray(json.vulnerabilities))
    each(json.vulnerabilities, '$.vulnerabilities');
  else if (isRecord(json) && Array.isArray(json.CVE_Items)) each(json.CVE_Items, '$.CVE_Items');
  else if (isRecord(json) && isRecord(json.cve)) {
    const rec = readItem(json, file, '$', issues);
    if (rec) records.push(rec);
  } else if (isRecord(json) && typeof json.id === 'string' && ('descriptions' in json || 'metrics' in json)) {
    const rec = readCve20(json, file, '$', issues);
    if (rec) records.push(rec);
  } else {
    issues.push({
      file,
      where: '$',
      message: 'not an NVD CVE document (no vulnerabilities, CVE_Items or cve)',
    });
  }
  return { records, issues };
}
