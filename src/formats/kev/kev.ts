/**
 * @module CISA Known Exploited Vulnerabilities catalog reader. Validates the header and each entry
 * against the fields CISA's JSON schema marks required; a bad entry is an issue and is skipped, the
 * rest of the catalog stands. A `count` that disagrees with the entries read is reported, because it
 * is how a truncated download shows.
 * @see https://www.cisa.gov/known-exploited-vulnerabilities-catalog
 * @see https://github.com/cisagov/kev-data (known_exploited_vulnerabilities_schema.json)
 */
import { z } from 'zod';
import type { InputIssue, KevCatalog, KevEntry } from '../../advisories/records.js';
import { CWE_PATTERN, normalizeCveId, parseEach, zodIssues } from '../read-result.js';

const Header = z.looseObject({
  title: z.string().optional(),
  catalogVersion: z.string(),
  dateReleased: z.string(),
  count: z.number().int().nonnegative(),
  vulnerabilities: z.array(z.unknown()),
});

/** Required per the schema: cveID … dueDate. `dueDate` is accepted missing (older entries lacked it). */
const Entry = z.looseObject({
  cveID: z.string(),
  vendorProject: z.string(),
  product: z.string(),
  vulnerabilityName: z.string(),
  dateAdded: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date'),
  shortDescription: z.string(),
  requiredAction: z.string(),
  dueDate: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected a YYYY-MM-DD date')
    .nullish(),
  knownRansomwareCampaignUse: z.string().optional(),
  notes: z.string().optional(),
  cwes: z.array(z.string()).optional(),
});

export function readKev(json: unknown, file: string): { catalog: KevCatalog | null; issues: InputIssue[] } {
  const issues: InputIssue[] = [];
  const h = Header.safeParse(json);
  if (!h.success) {
    issues.push(...zodIssues(h.error, file, '$'));
    return { catalog: null, issues };
  }
  const entries: KevEntry[] = [];
  for (const { value: e, path } of parseEach(
    h.data.vulnerabilities,
    Entry,
    file,
    '$.vulnerabilities',
    issues,
  )) {
    const cve = normalizeCveId(e.cveID);
    if (cve === null) {
      issues.push({ file, where: `${path}.cveID`, message: `not a CVE id: ${JSON.stringify(e.cveID)}` });
      continue;
    }
    entries.push({
      cve,
      vendor: e.vendorProject,
      product: e.product,
      name: e.vulnerabilityName,
      dateAdded: e.dateAdded,
      dueDate: e.dueDate ?? null,
      shortDescription: e.shortDescription,
      requiredAction: e.requiredAction,
      knownRansomwareCampaignUse: e.knownRansomwareCampaignUse ?? 'Unknown',
      notes: e.notes ?? '',
      cwes: (e.cwes ?? []).filter((c) => CWE_PATTERN.test(c)),
    });
  }
  if (h.data.count !== h.data.vulnerabilities.length) {
    issues.push({
      file,
      where: '$.count',
      message: `count says ${h.data.count} but the file lists ${h.data.vulnerabilities.length} vulnerabilities`,
    });
  }
  return {
    catalog: {
      title: h.data.title ?? '',
      catalogVersion: h.data.catalogVersion,
      dateReleased: h.data.dateReleased,
      entries,
    },
    issues,
  };
}
