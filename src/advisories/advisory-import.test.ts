/**
 * `importAdvisoryPaths` / `importBytes` end to end on the real fixtures. Expected values were read off
 * the documents:
 *
 * - `advisories/csaf/`: six CISA documents (ICSMA-17-241-01, ICSMA-21-308-01, ICSMA-23-061-01,
 *   ICSMA-24-151-01, VA-24-201-01, VA-24-262-01); ICSMA-21-308-01 is Philips `Tasy EMR HTML5` `<= 3.06.1803`
 *   (one product CSAFPID-0001) with CVE-2021-39375 and CVE-2021-39376.
 * - `feeds/nvd/api-2.0-full-page-slice.json`: 3 CVEs (CVE-2023-27314, CVE-2022-22377, CVE-2023-43250);
 *   `api-2.0-single-entry.json`: CVE-2022-1576; `nvd-1.1-items.jsonl`: 2 records (CVE-2011-2487,
 *   CVE-2016-11016); `advisories/nvd/wolfssl-jquery.jsonl`: 2 records.
 * - `feeds/cve5/vulnrichment-records.jsonl`: 5 published records, among them CVE-2024-40711, CNA vendor
 *   `Veeam`, product `Backup and  Recovery` (two spaces), `12.1.2` with `lessThanOrEqual: 12.1.2`.
 * - `feeds/osv/`: two single OSV records (GHSA-35jh-r3h4-6jhm, one in 2099).
 * - `feeds/kev/kev-slice.json`: catalog 2025.08.25, 4 entries (CVE-2025-48384 Git added 2025-08-25 due
 *   2025-09-15, CVE-2024-8068, CVE-2024-8069, CVE-2025-49704). No fixture record for any of them exists, and
 *   CVE-2024-40711 is NOT in the slice.
 * - `feeds/epss/epss_scores-sample.csv(.gz)`: 6 scores of 2025-08-25, model v2025.03.14; CVE-2024-40711 is
 *   0.91212 / percentile 0.99626.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { addDevice } from '../inventory/inventory-service.js';
import { streamVulnMatches, type VulnerabilityMatch } from '../matching/vulns-service.js';
import type { VigilDatabase } from '../store/database.js';
import { type FileImportReport, importAdvisoryPaths, importBytes, pointerToPath } from './advisory-import.js';
import { listFeeds } from './feeds-service.js';
import { matchPendingSince } from './pending-match.js';

const FIX = join(import.meta.dirname, '../../test/fixtures');
const CSAF = join(FIX, 'advisories/csaf');
const FEEDS = join(FIX, 'feeds');
const tmp = mkdtempSync(join(tmpdir(), 'vigil-advimport-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const readJson = (path: string): Record<string, unknown> =>
  JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const base = (f: string) => f.split('/').pop();
const byName = (files: FileImportReport[]) => new Map(files.map((f) => [base(f.file), f]));

const KNOWLEDGE_TABLES = [
  'advisories',
  'advisory_products',
  'advisory_vulnerabilities',
  'advisory_statuses',
  'vulnerabilities',
  'vulnerability_records',
  'vulnerability_index',
  'kev_entries',
  'epss_scores',
  'vulnerability_matches',
] as const;

type KnowledgeTable = (typeof KNOWLEDGE_TABLES)[number];

async function count(vdb: VigilDatabase, table: KnowledgeTable): Promise<number> {
  const r = await sql<{ n: number | string }>`select count(*) as n from ${sql.table(table)}`.execute(vdb.db);
  return Number(r.rows[0]?.n);
}

async function counts(vdb: VigilDatabase): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of KNOWLEDGE_TABLES) out[t] = await count(vdb, t);
  return out;
}

async function matches(vdb: VigilDatabase, query: object = {}): Promise<VulnerabilityMatch[]> {
  const out: VulnerabilityMatch[] = [];
  for await (const m of streamVulnMatches(vdb, cliActor, query)) out.push(m);
  return out;
}

const ALL_FORMATS = [
  CSAF,
  join(FEEDS, 'nvd/api-2.0-full-page-slice.json'),
  join(FEEDS, 'nvd/api-2.0-single-entry.json'),
  join(FEEDS, 'nvd/nvd-1.1-items.jsonl'),
  join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
  join(FEEDS, 'osv/ghsa-npm.json'),
  join(FEEDS, 'osv/pypi-ecosystem-git.json'),
  join(FEEDS, 'kev/kev-slice.json'),
  join(FEEDS, 'epss/epss_scores-sample.csv'),
  join(FEEDS, 'epss/epss_scores-sample.csv.gz'),
];

describe.each(DIALECTS)('advisory import on %s', (dialect) => {
  describe('every format', () => {
    let vdb: VigilDatabase;
    beforeAll(async () => {
      vdb = await freshDatabase(dialect);
    });
    afterAll(async () => vdb?.close());

    it('imports CSAF, NVD 2.0 and 1.1, CVE 5, OSV, KEV and EPSS (plain and gzip) from the fixtures', async () => {
      const r = await importAdvisoryPaths(vdb, cliActor, ALL_FORMATS);
      const files = byName(r.files);
      expect([...files.keys()]).toEqual([
        'icsma-17-241-01.json',
        'icsma-21-308-01.json',
        'icsma-23-061-01.json',
        'icsma-24-151-01.json',
        'va-24-201-01.json',
        'va-24-262-01.json',
        'api-2.0-full-page-slice.json',
        'api-2.0-single-entry.json',
        'nvd-1.1-items.jsonl',
        'vulnrichment-records.jsonl',
        'ghsa-npm.json',
        'pypi-ecosystem-git.json',
        'kev-slice.json',
        'epss_scores-sample.csv',
        'epss_scores-sample.csv.gz',
      ]);
      const table = Object.fromEntries(
        r.files.map((f) => [base(f.file), [f.format, f.status, f.records]]),
      ) as Record<string, unknown>;
      expect(table).toEqual({
        'icsma-17-241-01.json': ['csaf', 'imported', 1],
        'icsma-21-308-01.json': ['csaf', 'imported', 1],
        'icsma-23-061-01.json': ['csaf', 'imported', 1],
        'icsma-24-151-01.json': ['csaf', 'imported', 1],
        'va-24-201-01.json': ['csaf', 'imported', 1],
        'va-24-262-01.json': ['csaf', 'imported', 1],
        'api-2.0-full-page-slice.json': ['nvd', 'imported', 3],
        'api-2.0-single-entry.json': ['nvd', 'imported', 1],
        'nvd-1.1-items.jsonl': ['nvd', 'imported', 2],
        'vulnrichment-records.jsonl': ['cve5', 'imported', 5],
        'ghsa-npm.json': ['osv', 'imported', 1],
        'pypi-ecosystem-git.json': ['osv', 'partial', 2],
        'kev-slice.json': ['kev', 'partial', 4],
        'epss_scores-sample.csv': ['epss', 'imported', 6],
        'epss_scores-sample.csv.gz': ['epss', 'imported', 6],
      });
      expect(files.get('icsma-21-308-01.json')?.summary).toContain('ICSMA-21-308-01');
      expect(files.get('kev-slice.json')?.summary).toContain('2025.08.25');
      // The slice keeps the full catalog's `count` (1404) while listing 4: imported, with that said.
      expect(files.get('kev-slice.json')?.issues).toEqual([
        expect.objectContaining({ where: '$.count', message: expect.stringContaining('1404') }),
      ]);
      // The file is an array of two records (PYSEC-2099-1, OSV-2099-2); the first has a CVSS 4 vector
      // without a score, which is reported.
      expect(files.get('pypi-ecosystem-git.json')?.issues.map((i) => i.where)).toEqual(['$[0].severity[0]']);

      const advisories = await vdb.db.selectFrom('advisories').select('tracking_id').execute();
      expect(advisories.map((a) => a.tracking_id).sort()).toEqual([
        'ICSMA-17-241-01',
        'ICSMA-21-308-01',
        'ICSMA-23-061-01',
        'ICSMA-24-151-01',
        'VA-24-201-01',
        'VA-24-262-01',
      ]);
      const records = await vdb.db
        .selectFrom('vulnerability_records')
        .select(['vuln_key', 'source'])
        .execute();
      const ids = records.map((x) => x.vuln_key);
      for (const cve of [
        'CVE-2023-27314',
        'CVE-2022-22377',
        'CVE-2023-43250',
        'CVE-2022-1576',
        'CVE-2011-2487',
        'CVE-2016-11016',
        'CVE-2013-0648',
        'CVE-2024-32006',
        'CVE-2023-6349',
        'CVE-2024-5800',
        'CVE-2024-40711',
        // GHSA-35jh-r3h4-6jhm is filed under its CVE alias, to meet NVD / CVE 5 data.
        'CVE-2021-23337',
        // PYSEC-2099-1 is filed under its alias cve-2099-1234, normalised.
        'CVE-2099-1234',
      ])
        expect(ids).toContain(cve);
      expect(await count(vdb, 'kev_entries')).toBe(4);
      expect(await count(vdb, 'epss_scores')).toBe(6);
      const epss = await vdb.db
        .selectFrom('epss_scores')
        .selectAll()
        .where('cve', '=', 'CVE-2024-40711')
        .executeTakeFirstOrThrow();
      expect(epss).toMatchObject({ epss: 0.91212, percentile: 0.99626, model_version: 'v2025.03.14' });
      expect(epss.score_date).toMatch(/^2025-08-25/);
    });

    it('records feed provenance: manual sources with lastSuccessAt, and origin/sha256/fetched_at per advisory', async () => {
      const feeds = await listFeeds(vdb, cliActor);
      const kinds = new Map(feeds.map((f) => [f.name, f]));
      for (const name of ['csaf-files', 'nvd', 'cve5', 'osv', 'kev', 'epss']) {
        const f = kinds.get(name);
        expect(f, name).toBeDefined();
        expect(f?.kind).toBe(name);
        expect(f?.url).toBeNull();
        expect(f?.lastSuccessAt).toMatch(/^\d{4}-\d\d-\d\dT/);
        expect(f?.stale).toBe(false);
      }
      const csafSource = kinds.get('csaf-files')!;
      const path = join(CSAF, 'icsma-21-308-01.json');
      const row = await vdb.db
        .selectFrom('advisories')
        .selectAll()
        .where('tracking_id', '=', 'ICSMA-21-308-01')
        .executeTakeFirstOrThrow();
      expect(row.origin).toBe(path);
      expect(row.sha256).toBe(sha(readFileSync(path)));
      expect(row.source_id).toBe(csafSource.id);
      expect(Date.parse(row.fetched_at)).not.toBeNaN();
      expect(row.current_release).toBe('2021-11-04T00:00:00.000000Z');
      const kev = await vdb.db
        .selectFrom('kev_entries')
        .selectAll()
        .where('cve', '=', 'CVE-2025-48384')
        .executeTakeFirstOrThrow();
      expect(kev).toMatchObject({
        date_added: '2025-08-25',
        due_date: '2025-09-15',
        catalog_version: '2025.08.25',
        source_id: kinds.get('kev')!.id,
      });
      const rec = await vdb.db
        .selectFrom('vulnerability_records')
        .selectAll()
        .where('vuln_key', '=', 'CVE-2024-40711')
        .executeTakeFirstOrThrow();
      expect(rec.origin).toBe(join(FEEDS, 'cve5/vulnrichment-records.jsonl'));
      expect(rec.source_id).toBe(kinds.get('cve5')!.id);
    });

    it('re-running the whole import is safe: CSAF unchanged, every table count identical', async () => {
      const before = await counts(vdb);
      const r = await importAdvisoryPaths(vdb, cliActor, ALL_FORMATS);
      expect(r.files.filter((f) => f.format === 'csaf').map((f) => f.status)).toEqual(
        Array(6).fill('unchanged'),
      );
      expect(r.files.every((f) => f.status !== 'rejected')).toBe(true);
      expect(await counts(vdb)).toEqual(before);
    });

    it('audits each import run', async () => {
      const audit = await vdb.db
        .selectFrom('audit_log')
        .select(['action', 'summary', 'actor'])
        .where('action', '=', 'advisories.import')
        .execute();
      expect(audit).toHaveLength(2);
      expect(JSON.parse(audit[0]!.summary)).toMatchObject({
        files: 15,
        imported: 13,
        partial: 2,
        rejected: 0,
      });
      expect(audit[0]!.actor).toBe('cli:test');
    });
  });

  describe('format detection and --format', () => {
    let vdb: VigilDatabase;
    beforeAll(async () => {
      vdb = await freshDatabase(dialect);
    });
    afterAll(async () => vdb?.close());

    it('reports a file of no known format with its name, and an SBOM as belonging elsewhere', async () => {
      const csv = join(FEEDS, 'osv/cvss3-oracle-sample.csv');
      const sbom = join(FIX, 'sbom-vex/cyclonedx/medical-device-narrow.sbom.json');
      const r = await importAdvisoryPaths(vdb, cliActor, [csv, sbom, join(CSAF, 'va-24-262-01.json')]);
      expect(r.files.map((f) => f.status)).toEqual(['rejected', 'rejected', 'imported']);
      expect(r.files[0]).toMatchObject({ file: csv, format: null });
      expect(r.files[0]!.issues[0]).toMatchObject({ file: csv });
      expect(r.files[0]!.summary).toMatch(/not a recognised advisory format/);
      expect(r.files[1]!.summary).toMatch(/cyclonedx.*sbom import/);
    });

    it('names a CSAF advisory saved as UTF-16 as such, detected or given with --format', async () => {
      const utf16 = join(FIX, 'advisories/utf16/icsma-17-241-01.json');
      const message = 'the file is UTF-16 (little-endian, with a byte order mark); save it as UTF-8';
      const r = await importAdvisoryPaths(vdb, cliActor, [utf16]);
      expect(r.files[0]).toMatchObject({ status: 'rejected', format: null, summary: message });
      expect(r.files[0]!.issues).toEqual([{ file: utf16, where: 'offset 0', message }]);
      const given = await importBytes(vdb, readFileSync(utf16), 'icsma-17-241-01.json', 'csaf', null);
      expect(given.report).toMatchObject({ status: 'rejected', summary: message });
    });

    it('--format overrides detection: a mis-named file imports, a wrong format is rejected', async () => {
      // An NVD API 2.0 page saved under a name that says nothing.
      const odd = join(tmp, `${dialect}-download.txt`);
      copyFileSync(join(FEEDS, 'nvd/api-2.0-single-entry.json'), odd);
      const detected = await importAdvisoryPaths(vdb, cliActor, [odd]);
      expect(detected.files[0]).toMatchObject({ format: 'nvd', status: 'imported', records: 1 });
      const forced = await importAdvisoryPaths(vdb, cliActor, [join(FEEDS, 'nvd/nvd-1.1-items.jsonl')], {
        format: 'nvd',
      });
      expect(forced.files[0]).toMatchObject({ format: 'nvd', status: 'imported', records: 2 });
      const wrong = await importAdvisoryPaths(vdb, cliActor, [join(FEEDS, 'kev/kev-slice.json')], {
        format: 'osv',
      });
      expect(wrong.files[0]).toMatchObject({ format: 'osv', status: 'rejected', records: 0 });
      expect(await count(vdb, 'kev_entries')).toBe(0);
    });

    it('reads gzipped JSON lines (.jsonl.gz) like plain ones', async () => {
      const gz = join(tmp, `${dialect}-cve5.jsonl.gz`);
      writeFileSync(gz, gzipSync(readFileSync(join(FEEDS, 'cve5/vulnrichment-records.jsonl'))));
      const r = await importAdvisoryPaths(vdb, cliActor, [gz]);
      expect(r.files[0]).toMatchObject({ format: 'cve5', status: 'imported', records: 5, issues: [] });
    });

    it("imports CISA's KEV catalog as CSV, as its website offers it, like the JSON", async () => {
      const r = await importAdvisoryPaths(vdb, cliActor, [join(FEEDS, 'kev/kev-slice.csv')], {
        match: false,
      });
      expect(r.files[0]).toMatchObject({ format: 'kev', status: 'imported', records: 4, issues: [] });
      expect(r.files[0]!.summary).toBe(
        'KEV catalog 2025.08.25 (2025-08-25): 4 entries (CSV: version and release date from its newest dateAdded)',
      );
      const rows = await vdb.db
        .selectFrom('kev_entries')
        .select(['cve', 'ransomware'])
        .orderBy('cve')
        .execute();
      expect(rows).toContainEqual({ cve: 'CVE-2025-49704', ransomware: 'Known' });
    });

    it('names a damaged gzip file as such, for a CSAF advisory and for JSON lines', async () => {
      const damaged = (bytes: Buffer) => {
        const out = Buffer.from(bytes);
        for (const i of [out.length >> 1, (out.length >> 1) + 1]) out[i]! ^= 0xff;
        return out;
      };
      const csaf = join(tmp, `${dialect}-va-24-262-01.json.gz`);
      writeFileSync(csaf, damaged(gzipSync(readFileSync(join(CSAF, 'va-24-262-01.json')))));
      const lines = join(tmp, `${dialect}-damaged-cve5.jsonl.gz`);
      writeFileSync(lines, damaged(gzipSync(readFileSync(join(FEEDS, 'cve5/vulnrichment-records.jsonl')))));
      const r = await importAdvisoryPaths(vdb, cliActor, [csaf, lines]);
      for (const [i, file] of [csaf, lines].entries()) {
        expect(r.files[i]).toMatchObject({ file, status: 'rejected' });
        expect(r.files[i]!.issues[0]).toMatchObject({ file, where: 'offset 0' });
        expect(r.files[i]!.issues[0]!.message).toMatch(/^damaged gzip file: /);
      }
    });

    it('refuses a gzip file that inflates past the advisory limit (a small upload could take all memory)', async () => {
      // 60 gzip members of 10 MB of zeros each: 585 KB that gunzip to 600 MB, more than the 512 MB limit.
      const member = gzipSync(Buffer.alloc(10_000_000));
      const bomb = Buffer.concat(Array.from({ length: 60 }, () => member));
      const r = await importBytes(vdb, bomb, 'nvdcve-2.0-2024.json.gz', 'nvd', null);
      expect(r.report).toMatchObject({ status: 'rejected', records: 0 });
      expect(r.report.issues[0]).toMatchObject({
        file: 'nvdcve-2.0-2024.json.gz',
        where: 'offset 0',
        message: 'the gzip file inflates to more than 512.0 MB, the limit for an advisory file',
      });
    });

    it('importBytes takes bytes from anywhere (an upload) under the manual source of its kind', async () => {
      const bytes = readFileSync(join(FEEDS, 'epss/epss_scores-sample.csv.gz'));
      const r = await importBytes(vdb, bytes, 'upload.csv.gz', 'epss', null);
      expect(r.report).toMatchObject({ format: 'epss', status: 'imported', records: 6 });
      expect(r.report.summary).toContain('v2025.03.14');
      const feeds = await listFeeds(vdb, cliActor);
      expect(feeds.find((f) => f.name === 'epss')?.lastSuccessAt).not.toBeNull();
    });
  });

  describe('bad input', () => {
    let vdb: VigilDatabase;
    const dir = join(tmp, `${dialect}-bad`);
    const good = join(CSAF, 'icsma-23-061-01.json');
    const tasy = () => readJson(join(CSAF, 'icsma-21-308-01.json'));

    beforeAll(async () => {
      vdb = await freshDatabase(dialect);
      mkdirSync(dir, { recursive: true });
      // Broken product reference: the only product CSAFPID-0001 is renamed in the product tree, so both
      // vulnerabilities' known_affected (and remediations) refer to a product that is not defined.
      const broken = tasy();
      const leaf = (
        broken.product_tree as {
          branches: { branches: { branches: { product: { product_id: string } }[] }[] }[];
        }
      ).branches[0]!.branches[0]!.branches[0]!;
      leaf.product.product_id = 'CSAFPID-9999';
      writeFileSync(join(dir, 'a-broken-ref.json'), JSON.stringify(broken));
      // Schema violation: document.title is required.
      const noTitle = readJson(join(CSAF, 'va-24-262-01.json'));
      delete (noTitle.document as Record<string, unknown>).title;
      writeFileSync(join(dir, 'b-no-title.json'), JSON.stringify(noTitle));
      // Schema violation: tracking.status must be draft, final or interim.
      const badStatus = readJson(join(CSAF, 'va-24-262-01.json'));
      ((badStatus.document as Record<string, unknown>).tracking as Record<string, unknown>).status =
        'published';
      writeFileSync(join(dir, 'b-bad-status.json'), JSON.stringify(badStatus));
      // Truncated in the middle (a download cut off).
      const full = readFileSync(join(CSAF, 'icsma-24-151-01.json'), 'utf8');
      writeFileSync(join(dir, 'c-truncated.json'), full.slice(0, 4000));
      // A colon turned into '=' (offset 2101 is the ':' after "title" in the second note).
      expect(full.slice(2094, 2102)).toBe('"title":');
      writeFileSync(join(dir, 'd-garbled.json'), `${full.slice(0, 2101)}=${full.slice(2102)}`);
      // Cut right after the product tree's opening bracket: the parser runs out of input.
      const cut = full.indexOf('"branches": [') + '"branches": ['.length;
      writeFileSync(join(dir, 'd-out-of-input.json'), full.slice(0, cut));
      copyFileSync(good, join(dir, 'e-good.json'));
    });
    afterAll(async () => vdb?.close());

    it('rejects each bad document with its file and JSON path; the rest of the batch imports', async () => {
      const r = await importAdvisoryPaths(vdb, cliActor, [dir]);
      const f = byName(r.files);
      expect([...f.values()].map((x) => [base(x.file), x.status])).toEqual([
        ['a-broken-ref.json', 'rejected'],
        ['b-bad-status.json', 'rejected'],
        ['b-no-title.json', 'rejected'],
        ['c-truncated.json', 'rejected'],
        ['d-garbled.json', 'rejected'],
        ['d-out-of-input.json', 'rejected'],
        ['e-good.json', 'imported'],
      ]);
      const ref = f.get('a-broken-ref.json')!;
      expect(ref.issues.length).toBeGreaterThan(0);
      for (const i of ref.issues) expect(i.file).toBe(join(dir, 'a-broken-ref.json'));
      expect(ref.issues.map((i) => i.where)).toContain(
        '$.vulnerabilities[0].product_status.known_affected[0]',
      );
      const title = f.get('b-no-title.json')!;
      expect(title.issues[0]?.file).toBe(join(dir, 'b-no-title.json'));
      expect(title.issues.map((i) => i.where)).toContain('$.document.title');
      // An enum violation is named at its JSON path too.
      const status = f.get('b-bad-status.json')!;
      expect(status.issues[0]?.file).toBe(join(dir, 'b-bad-status.json'));
      expect(status.issues.map((i) => i.where)).toContain('$.document.tracking.status');
    });

    it('a CSAF or KEV file with a byte that is not UTF-8 is refused at its offset; the rest imports', async () => {
      const notText = mkdtempSync(join(tmp, 'not-utf8-'));
      // The first letter of the first "title" string value in a real CSAF advisory and in the real KEV
      // catalog, each replaced by 0xE9 (é in Windows-1252), as a file saved in another encoding has it.
      const damage = (from: string, needle: string, name: string) => {
        const bytes = readFileSync(from);
        const at = bytes.indexOf(needle) + needle.length;
        bytes[at] = 0xe9;
        writeFileSync(join(notText, name), bytes);
        return at;
      };
      const csafAt = damage(join(CSAF, 'icsma-24-151-01.json'), '"title": "', 'a-csaf.json');
      const kevAt = damage(join(FEEDS, 'kev/kev-slice.json'), '"title": "', 'b-kev.json');
      copyFileSync(good, join(notText, 'c-good.json'));
      const r = await importAdvisoryPaths(vdb, cliActor, [notText]);
      expect(r.files.map((x) => [base(x.file), x.status])).toEqual([
        ['a-csaf.json', 'rejected'],
        ['b-kev.json', 'rejected'],
        // Read and accepted; already stored by the first test of this block.
        ['c-good.json', 'unchanged'],
      ]);
      expect(r.files[0]!.issues).toEqual([
        {
          file: join(notText, 'a-csaf.json'),
          where: `offset ${csafAt}`,
          message: `not UTF-8 text (byte 0xE9 at offset ${csafAt})`,
        },
      ]);
      expect(r.files[1]!.issues).toEqual([
        expect.objectContaining({
          where: `offset ${kevAt}`,
          message: expect.stringMatching(/^not UTF-8 text/),
        }),
      ]);
    });

    it('an EPSS file whose model line is not UTF-8 is refused by line; one bad row only skips that row', async () => {
      const notText = mkdtempSync(join(tmp, 'epss-not-utf8-'));
      const damage = (needle: string, name: string) => {
        const bytes = readFileSync(join(FEEDS, 'epss/epss_scores-sample.csv'));
        bytes[bytes.indexOf(needle) + needle.length] = 0xe9;
        writeFileSync(join(notText, name), bytes);
      };
      damage('score_date:', 'a-model-line.csv');
      damage('CVE-2021-', 'b-row.csv');
      const r = await importAdvisoryPaths(vdb, cliActor, [notText], { format: 'epss' });
      expect(r.files.map((x) => [base(x.file), x.status, x.records, x.issues.map((i) => i.where)])).toEqual([
        ['a-model-line.csv', 'rejected', 0, ['line 1']],
        ['b-row.csv', 'partial', 5, ['line 5']],
      ]);
      expect(r.files[0]!.issues[0]!.message).toBe('not valid UTF-8 (byte 0xE9 at offset 38 of the line)');
    });

    it('a corrupt JSON file names the offset', async () => {
      const r = await importAdvisoryPaths(vdb, cliActor, [
        join(dir, 'c-truncated.json'),
        join(dir, 'd-garbled.json'),
        join(dir, 'd-out-of-input.json'),
      ]);
      const [cut, garbled, ran] = r.files;
      expect(cut?.issues[0]).toMatchObject({ file: join(dir, 'c-truncated.json'), where: 'offset 4000' });
      expect(cut?.issues[0]?.message).toMatch(/not valid JSON/);
      expect(garbled?.issues[0]).toMatchObject({ file: join(dir, 'd-garbled.json'), where: 'offset 2101' });
      // "Unexpected end of JSON input" carries no position: the offset is the end of the file.
      const size = readFileSync(join(dir, 'd-out-of-input.json')).byteLength;
      expect(ran?.issues[0]).toMatchObject({
        file: join(dir, 'd-out-of-input.json'),
        where: `offset ${size}`,
      });
    });

    it('leaves nothing of a rejected document in the database', async () => {
      const advisories = await vdb.db.selectFrom('advisories').select(['id', 'tracking_id']).execute();
      expect(advisories.map((a) => a.tracking_id)).toEqual(['ICSMA-23-061-01']);
      const products = await vdb.db.selectFrom('advisory_products').select(['advisory_id', 'name']).execute();
      expect(new Set(products.map((p) => p.advisory_id))).toEqual(new Set([advisories[0]!.id]));
      expect(products.some((p) => /Tasy|Planet Fitness/.test(p.name))).toBe(false);
      const vulns = await vdb.db.selectFrom('vulnerabilities').select('vuln_key').execute();
      expect(vulns.map((v) => v.vuln_key)).toEqual(['CVE-2023-25931']);
      const audit = await vdb.db
        .selectFrom('audit_log')
        .select('summary')
        .where('action', '=', 'advisories.import')
        .orderBy('seq')
        .execute();
      expect(JSON.parse(audit[0]!.summary)).toMatchObject({ files: 7, imported: 1, rejected: 6 });
    });

    it('an interrupted import re-run completes to the same state as one clean run', async () => {
      const files = [
        join(CSAF, 'icsma-21-308-01.json'),
        join(CSAF, 'va-24-262-01.json'),
        join(FEEDS, 'kev/kev-slice.json'),
      ];
      const stopped = await freshDatabase(dialect);
      const clean = await freshDatabase(dialect);
      // A device the first advisory (Philips Tasy EMR) affects: the re-run must match it too.
      const tasy = {
        assetTag: 'TASY-1',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.05',
      };
      for (const vdb of [stopped, clean]) await addDevice(vdb, cliActor, tasy);
      try {
        // The run dies (Ctrl-C, crash) just before its third file.
        await expect(
          importAdvisoryPaths(stopped, cliActor, files, {
            onProgress: (done) => {
              if (done === 2) throw new Error('interrupted');
            },
          }),
        ).rejects.toThrow('interrupted');
        expect(await count(stopped, 'advisories')).toBe(2);
        expect(await count(stopped, 'kev_entries')).toBe(0);
        expect(await count(stopped, 'vulnerability_matches')).toBe(0);
        expect(await matchPendingSince(stopped)).toBeDefined();
        const rerun = await importAdvisoryPaths(stopped, cliActor, files);
        expect(rerun.files.map((f) => f.status)).toEqual(['unchanged', 'unchanged', 'partial']);
        await importAdvisoryPaths(clean, cliActor, files);
        expect(await counts(stopped)).toEqual(await counts(clean));
        // The advisories the killed run stored unmatched are matched by the re-run, though unchanged.
        const matched = async (vdb: VigilDatabase) =>
          (await matches(vdb)).map((m) => `${m.vulnerability} ${m.status}`).sort();
        expect((await matched(clean)).length).toBeGreaterThan(0);
        expect(await matched(stopped)).toEqual(await matched(clean));
        expect(await matchPendingSince(stopped)).toBeUndefined();
        expect(await matchPendingSince(clean)).toBeUndefined();
      } finally {
        await stopped.close();
        await clean.close();
      }
    });
  });

  describe('revisions', () => {
    let vdb: VigilDatabase;
    beforeAll(async () => {
      vdb = await freshDatabase(dialect);
    });
    afterAll(async () => vdb?.close());

    it('an older revision never replaces a newer one', async () => {
      const newer = join(CSAF, 'icsma-21-308-01.json');
      const r1 = await importAdvisoryPaths(vdb, cliActor, [newer]);
      expect(r1.files[0]?.status).toBe('imported');
      // The same advisory, dated a day before the real one, with a different title (so different bytes).
      const doc = readJson(newer);
      const d = doc.document as { title: string; tracking: Record<string, unknown> };
      d.title = `${d.title} (draft)`;
      d.tracking.current_release_date = '2021-11-03T00:00:00.000000Z';
      d.tracking.initial_release_date = '2021-11-03T00:00:00.000000Z';
      (d.tracking.revision_history as { date: string }[])[0]!.date = '2021-11-03T00:00:00.000000Z';
      const older = join(tmp, `${dialect}-icsma-21-308-01-older.json`);
      writeFileSync(older, JSON.stringify(doc));
      const r2 = await importAdvisoryPaths(vdb, cliActor, [older]);
      expect(r2.files[0]).toMatchObject({ status: 'older', format: 'csaf' });
      expect(r2.match).toBeNull();
      const row = await vdb.db
        .selectFrom('advisories')
        .selectAll()
        .where('tracking_id', '=', 'ICSMA-21-308-01')
        .executeTakeFirstOrThrow();
      expect(row.sha256).toBe(sha(readFileSync(newer)));
      expect(row.current_release).toBe('2021-11-04T00:00:00.000000Z');
      expect(row.title).not.toContain('(draft)');
      expect(await count(vdb, 'advisories')).toBe(1);
    });

    it('compares release dates as instants, not strings (other precision and UTC offset)', async () => {
      // VA-24-262-01 is dated 2024-09-18T16:56:00.000Z. 18:00+02:00 is 16:00Z: earlier, though the string
      // sorts after it.
      const path = join(CSAF, 'va-24-262-01.json');
      expect((await importAdvisoryPaths(vdb, cliActor, [path])).files[0]?.status).toBe('imported');
      const doc = readJson(path);
      (doc.document as { tracking: Record<string, unknown> }).tracking.current_release_date =
        '2024-09-18T18:00:00+02:00';
      const r = await importBytes(
        vdb,
        new TextEncoder().encode(JSON.stringify(doc)),
        'offset.json',
        'csaf',
        null,
      );
      expect(r.report.status).toBe('older');
      const row = await vdb.db
        .selectFrom('advisories')
        .select(['sha256', 'current_release'])
        .where('tracking_id', '=', 'VA-24-262-01')
        .executeTakeFirstOrThrow();
      expect(row).toEqual({ sha256: sha(readFileSync(path)), current_release: '2024-09-18T16:56:00.000Z' });
    });

    it('a newer revision (different bytes, later date) replaces the stored one', async () => {
      const doc = readJson(join(CSAF, 'icsma-21-308-01.json'));
      const d = doc.document as { tracking: Record<string, unknown> };
      d.tracking.current_release_date = '2021-12-01T00:00:00.000000Z';
      d.tracking.version = '2';
      (d.tracking.revision_history as object[]).push({
        date: '2021-12-01T00:00:00.000000Z',
        number: '2',
        summary: 'test revision',
      });
      const bytes = new TextEncoder().encode(JSON.stringify(doc));
      const r = await importBytes(vdb, bytes, 'rev2.json', 'csaf', null);
      expect(r.report.status).toBe('updated');
      const rows = await vdb.db
        .selectFrom('advisories')
        .selectAll()
        .where('tracking_id', '=', 'ICSMA-21-308-01')
        .execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ version: '2', sha256: sha(bytes), origin: 'rev2.json' });
      const products = await vdb.db
        .selectFrom('advisory_products')
        .select('advisory_id')
        .where('product_id', '=', 'CSAFPID-0001')
        .where('name', 'like', 'Tasy%')
        .execute();
      expect(products.map((p) => p.advisory_id)).toEqual([rows[0]!.id]);
    });
  });

  describe('KEV and EPSS enrich matches', () => {
    let vdb: VigilDatabase;
    let veeam: string;
    beforeAll(async () => {
      vdb = await freshDatabase(dialect);
      veeam = (
        await addDevice(vdb, cliActor, {
          assetTag: 'BACKUP-1',
          manufacturer: 'Veeam',
          model: 'Backup and Recovery',
          softwareVersion: '12.1.2',
        })
      ).id;
      await addDevice(vdb, cliActor, {
        assetTag: 'TASY-1',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.05',
      });
    });
    afterAll(async () => vdb?.close());

    it('before KEV and EPSS are loaded, kev and epss are unknown (null)', async () => {
      const r = await importAdvisoryPaths(vdb, cliActor, [
        join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
        join(CSAF, 'icsma-21-308-01.json'),
      ]);
      expect(r.match).not.toBeNull();
      const [m] = await matches(vdb, { deviceId: veeam });
      expect(m).toMatchObject({
        vulnerability: 'CVE-2024-40711',
        cve: 'CVE-2024-40711',
        kev: null,
        epss: null,
      });
      expect(m?.status).toBe('affected');
    });

    it('EPSS adds score and percentile; KEV loaded without the CVE shows kev false', async () => {
      await importAdvisoryPaths(vdb, cliActor, [join(FEEDS, 'epss/epss_scores-sample.csv.gz')]);
      let [m] = await matches(vdb, { deviceId: veeam });
      expect(m?.epss).toMatchObject({ score: 0.91212, percentile: 0.99626 });
      expect(m?.kev).toBeNull();
      await importAdvisoryPaths(vdb, cliActor, [join(FEEDS, 'kev/kev-slice.json')]);
      [m] = await matches(vdb, { deviceId: veeam });
      expect(m?.kev).toBe(false);
      // Tasy CVEs are in neither file.
      const tasy = await matches(vdb, { vulnerability: 'CVE-2021-39375' });
      expect(tasy).toHaveLength(1);
      expect(tasy[0]).toMatchObject({ kev: false, epss: null });
    });

    it('a KEV entry for the matched CVE shows its dateAdded and dueDate', async () => {
      // No fixture KEV entry names a CVE any fixture record matches, so this catalog is derived from the
      // real slice: its first entry (Git, added 2025-08-25, due 2025-09-15) relabelled CVE-2024-40711.
      const kev = readJson(join(FEEDS, 'kev/kev-slice.json'));
      const entries = kev.vulnerabilities as { cveID: string }[];
      expect(entries[0]?.cveID).toBe('CVE-2025-48384');
      entries[0]!.cveID = 'CVE-2024-40711';
      const r = await importBytes(
        vdb,
        new TextEncoder().encode(JSON.stringify(kev)),
        'kev-derived.json',
        'kev',
        null,
      );
      expect(r.report.records).toBe(4);
      const [m] = await matches(vdb, { deviceId: veeam });
      expect(m?.kev).toMatchObject({ dateAdded: '2025-08-25', dueDate: '2025-09-15' });
      expect(m?.epss).toMatchObject({ score: 0.91212, percentile: 0.99626 });
    });
  });
});

describe('pointerToPath', () => {
  it('turns the validator’s JSON pointers into the JSON paths every other issue uses', () => {
    expect(pointerToPath('/vulnerabilities/0/product_status/known_affected/2')).toBe(
      '$.vulnerabilities[0].product_status.known_affected[2]',
    );
    expect(pointerToPath('/document/tracking/revision_history/1/number')).toBe(
      '$.document.tracking.revision_history[1].number',
    );
    expect(pointerToPath('/a~1b/c~0d')).toBe('$["a/b"]["c~d"]');
    expect(pointerToPath('')).toBe('$');
  });
});
