/**
 * The matcher end to end on real CISA advisories: an inventory whose devices are named as in the
 * advisories (several spellings, versions inside and outside the ranges) is matched, and the expected
 * results below were worked out by reading the documents, not from the matcher's output:
 *
 * - ICSMA-21-308-01: vendor `Philips`, product `Tasy EMR HTML5`, range `<= 3.06.1803`, CVE-2021-39375 and
 *   CVE-2021-39376, both known_affected with a vendor_fix.
 * - ICSMA-23-061-01: vendor `Medtronic ` (trailing space), `Micro Clinician` with `A51200` in the version
 *   slot (the app's model number), CVE-2023-25931 known_affected, vendor_fix.
 * - ICSMA-17-241-01: vendor `Abbott Laboratories`, `Assurity MRI` etc. with range `< august 28` (a
 *   manufacture date), three CVEs, mitigation only.
 * - ICSMA-18-156-01: vendor `Philips`, `IntelliVue Patient Monitors MX (MX400-550)` with version
 *   `Rev J-M | (X3/MX100 for Rev M only)`, three CVEs known_affected. IntelliVue firmware is numbered
 *   by revision letter (`M.00.03` is a release of revision M), so an MX450 on M.00.03 is in, on N.00.01
 *   is not.
 * - ICSMA-24-151-02: vendor `Baxter`, product `Welch Allyn Connex Spot Monitor (CSM)` (the brand in the
 *   product name; hospitals record `Connex Spot Monitor (CSM)` by Welch Allyn), `<=1.52`, CVE-2024-1275;
 *   the remediation names 1.52.01.
 * - ICSMA-19-190-01: vendor `General Electric (GE)`, product `GE Aisys` with `CS2  Avance | Amingo |
 *   Avance CS2` in the version slot (model variants, not versions), CVE-2019-10966.
 * - VA-24-262-01 (not medical; the only fixture with a fixed version): `Planet Fitness Workouts`,
 *   `0 < 9.8.12` known_affected, `9.8.12` fixed, CVE-2024-43201.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths, importBytes } from '../advisories/advisory-import.js';
import { addVexStatement } from '../advisories/sbom-vex-service.js';
import { addDevice, updateDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { runMatch } from './matcher.js';
import {
  decideCandidate,
  explainMatch,
  showVulnerability,
  streamVulnMatches,
  type VulnerabilityMatch,
} from './vulns-service.js';

const CSAF = join(import.meta.dirname, '../../test/fixtures/advisories/csaf');
const CSAF_NAMES = join(import.meta.dirname, '../../test/fixtures/advisories/csaf-names');
const files = ['icsma-21-308-01.json', 'icsma-23-061-01.json', 'icsma-17-241-01.json', 'va-24-262-01.json']
  .map((f) => join(CSAF, f))
  .concat(
    ['icsma-18-156-01.json', 'icsma-24-151-02.json', 'icsma-19-190-01.json'].map((f) => join(CSAF_NAMES, f)),
  );

/** Asset tag → what the hospital recorded. */
const INVENTORY = {
  'TASY-1': { manufacturer: 'Philips Healthcare', model: 'Tasy EMR HTML5', softwareVersion: '3.06.1803' },
  'TASY-2': { manufacturer: 'Philips', model: 'TASY EMR html5', softwareVersion: '3.06.1700' },
  'TASY-3': {
    manufacturer: 'Philips Medical Systems',
    model: 'Tasy EMR HTML5',
    softwareVersion: '3.06.1804',
  },
  'TASY-4': { manufacturer: 'Philips', model: 'Tasy EMR HTML5' },
  'TASY-5': { manufacturer: 'Phillips', model: 'Tasy-EMR HTML5', softwareVersion: '3.05' },
  'TASY-GE': { manufacturer: 'GE Healthcare', model: 'Tasy EMR HTML5', softwareVersion: '3.0' },
  'MDT-1': {
    manufacturer: 'Medtronic',
    model: 'Micro Clinician',
    modelNumber: 'A51200',
    softwareVersion: '1.2.0',
  },
  'MDT-2': { manufacturer: 'Medtronic, Inc.', model: 'InterStim X Clinician', modelNumber: 'A51300' },
  'SJM-1': { manufacturer: 'St. Jude Medical', model: 'Assurity MRI', firmwareVersion: '1.0' },
  'SJM-2': { manufacturer: 'Boston Scientific', model: 'Assurity MRI', firmwareVersion: '1.0' },
  'PF-1': { manufacturer: 'Planet Fitness', model: 'Planet Fitness Workouts', softwareVersion: '9.8.11' },
  'PF-2': { manufacturer: 'Planet Fitness', model: 'Planet Fitness Workouts', softwareVersion: '9.8.12' },
  'PF-3': { manufacturer: 'Planet Fitness', model: 'Planet Fitness Workouts', softwareVersion: '9.9.0' },
  'MX-1': { manufacturer: 'Philips', model: 'IntelliVue MX450', firmwareVersion: 'M.00.03' },
  'MX-2': { manufacturer: 'Philips', model: 'IntelliVue MX450', firmwareVersion: 'N.00.01' },
  'CSM-1': { manufacturer: 'Welch Allyn', model: 'Connex Spot Monitor (CSM)', softwareVersion: '1.52' },
  'CSM-2': { manufacturer: 'Welch Allyn', model: 'Connex Spot Monitor (CSM)', softwareVersion: '1.52.01' },
  'AISYS-1': { manufacturer: 'GE Healthcare', model: 'Aisys CS2', firmwareVersion: '11.0' },
} as const;

async function all(vdb: VigilDatabase, query: object = {}): Promise<VulnerabilityMatch[]> {
  const out: VulnerabilityMatch[] = [];
  for await (const m of streamVulnMatches(vdb, cliActor, query)) out.push(m);
  return out;
}

function table(list: VulnerabilityMatch[]): string[] {
  return list.map((m) => `${m.assetTag} ${m.vulnerability} ${m.status}`).sort();
}

describe.each(DIALECTS)('matcher on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    for (const [tag, attrs] of Object.entries(INVENTORY)) {
      ids[tag] = (await addDevice(vdb, cliActor, { assetTag: tag, ...attrs })).id;
    }
    const r = await importAdvisoryPaths(vdb, cliActor, files);
    expect(r.files.map((f) => f.status)).toEqual(Array(files.length).fill('imported'));
  });
  afterAll(async () => vdb?.close());

  it('finds exactly the affected devices, with the status each document gives', async () => {
    expect(table(await all(vdb))).toEqual(
      [
        // Tasy: 3.06.1803 and 3.06.1700 are <= 3.06.1803; "Phillips" is CISA's own misspelling of Philips.
        'TASY-1 CVE-2021-39375 affected',
        'TASY-1 CVE-2021-39376 affected',
        'TASY-2 CVE-2021-39375 affected',
        'TASY-2 CVE-2021-39376 affected',
        'TASY-5 CVE-2021-39375 affected',
        'TASY-5 CVE-2021-39376 affected',
        // No version recorded: a candidate, never silently dropped.
        'TASY-4 CVE-2021-39375 needs-review',
        'TASY-4 CVE-2021-39376 needs-review',
        // The model numbers A51200 and A51300 stand in the version slot: identities, so any version.
        'MDT-1 CVE-2023-25931 affected',
        'MDT-2 CVE-2023-25931 affected',
        // Scope by manufacture date: needs a person (three CVEs).
        'SJM-1 CVE-2017-12712 needs-review',
        'SJM-1 CVE-2017-12714 needs-review',
        'SJM-1 CVE-2017-12716 needs-review',
        'PF-1 CVE-2024-43201 affected',
        'PF-2 CVE-2024-43201 fixed',
        // Revision M is within J-M; the model is within the MX400-550 range, a candidate (0.8).
        'MX-1 CVE-2018-10597 needs-review',
        'MX-1 CVE-2018-10599 needs-review',
        'MX-1 CVE-2018-10601 needs-review',
        // 'Welch Allyn Connex Spot Monitor (CSM)' is the model without its brand: decided, 1.52 <= 1.52.
        'CSM-1 CVE-2024-1275 affected',
        // 'GE Aisys' is the Aisys; which variants the version slot names needs a person.
        'AISYS-1 CVE-2019-10966 needs-review',
      ].sort(),
    );
  });

  it('fills the contract fields and explains each match', async () => {
    const [m] = await all(vdb, { deviceId: ids['TASY-5'], vulnerability: 'CVE-2021-39375' });
    expect(m).toMatchObject({
      deviceId: ids['TASY-5'],
      advisoryIds: ['ICSMA-21-308-01'],
      cve: 'CVE-2021-39375',
      status: 'affected',
      confidence: 1,
      candidate: false,
      fixAvailable: true,
      kev: null,
      epss: null,
    });
    expect(m?.matchedBy).toContain('csaf-product');
    expect(m?.explanation).toContain('vendor Philips');
    expect(m?.explanation).toContain('software 3.05 in range "<= 3.06.1803"');
    expect(m?.explanation).toContain('ICSMA-21-308-01, 2021-11-04');
    const pf = (await all(vdb, { deviceId: ids['PF-1'] }))[0];
    expect(pf?.fixAvailable).toBe(true);
    const sjm = await explainMatch(vdb, cliActor, ids['SJM-1']!, 'CVE-2017-12712');
    expect(sjm.candidate).toBe(true);
    expect(sjm.explanation).toContain('St. Jude Medical');
    expect(sjm.explanation).toContain('manufacture date');
    expect(sjm.details.evidence[0]?.remediations.map((r) => r.category)).toEqual(['mitigation']);
    const [csm] = await all(vdb, { deviceId: ids['CSM-1'] });
    expect(csm).toMatchObject({ confidence: 1, candidate: false });
    expect(csm?.explanation).toContain(
      `model 'Connex Spot Monitor (CSM)' = product 'Connex Spot Monitor (CSM)' ("Welch Allyn Connex Spot Monitor (CSM)" without the brand 'Welch Allyn')`,
    );
  });

  it('shows the fleet view of an advisory', async () => {
    const r = await showVulnerability(vdb, cliActor, 'icsma-21-308-01');
    expect(r.kind).toBe('advisory');
    if (r.kind !== 'advisory') return;
    expect(r.view.vulnerabilities.map((v) => v.vulnerability)).toEqual(['CVE-2021-39375', 'CVE-2021-39376']);
    expect(r.view.vulnerabilities[0]?.counts).toEqual({ affected: 3, 'needs-review': 1 });
  });

  it('refuses decisions from an actor limited to some sites (a decision applies at every site)', async () => {
    await expect(
      decideCandidate(vdb, { ...cliActor, siteIds: ['some-site'] }, ids['SJM-1']!, 'CVE-2017-12714', {
        decision: 'rejected',
        reason: 'only my site',
      }),
    ).rejects.toThrow(/applies to every site/);
  });

  it('remembers a decision on a candidate for the model and version, and audits it', async () => {
    await decideCandidate(vdb, cliActor, ids['SJM-1']!, 'CVE-2017-12712', {
      decision: 'confirmed',
      reason: 'serial range manufactured before 2017-08-28 per Abbott letter',
    });
    // A second device of the same model and firmware gets the decision too.
    const twin = (
      await addDevice(vdb, cliActor, {
        assetTag: 'SJM-3',
        manufacturer: 'Abbott',
        model: 'Assurity MRI',
        firmwareVersion: '1.0',
      })
    ).id;
    await runMatch(vdb, cliActor, { deviceIds: [twin] });
    const [m] = await all(vdb, { deviceId: twin, vulnerability: 'CVE-2017-12712' });
    expect(m).toMatchObject({ status: 'affected', candidate: false, confidence: 1 });
    expect(m?.matchedBy).toContain('person-confirmed');
    const audit = await vdb.db
      .selectFrom('audit_log')
      .select(['action'])
      .where('action', '=', 'vulns.confirm')
      .execute();
    expect(audit).toHaveLength(1);
  });

  it('applies VEX statements and keeps the match listed with the statement', async () => {
    const [before] = await all(vdb, { deviceId: ids['TASY-1'], vulnerability: 'CVE-2021-39375' });
    await addVexStatement(vdb, cliActor, {
      vulnerability: 'CVE-2021-39375',
      status: 'not-affected',
      justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
      statement: 'Tasy web front end reachable only from the EMR jump host (segmentation)',
      model: 'Tasy EMR HTML5',
      manufacturer: 'Philips Healthcare',
      version: '3.06.1803',
    });
    const list = table(await all(vdb, { vulnerability: 'CVE-2021-39375' }));
    expect(list).toContain('TASY-1 CVE-2021-39375 not-affected');
    expect(list).toContain('TASY-2 CVE-2021-39375 affected');
    const why = await explainMatch(vdb, cliActor, ids['TASY-1']!, 'CVE-2021-39375');
    expect(why.details.vex?.justification).toBe('vulnerable_code_cannot_be_controlled_by_adversary');
    expect(why.explanation).toContain('VEX: not-affected');
    // A changed match keeps when it first appeared; lastMatched says when it changed.
    expect(why.firstMatched).toBe(before?.firstMatched);
    expect(why.lastMatched >= (before?.lastMatched ?? '')).toBe(true);
    // No match: the device is named by its asset tag, not by an internal id nobody knows.
    await expect(explainMatch(vdb, cliActor, ids['TASY-1']!, 'CVE-1999-0001')).rejects.toThrow(
      'A match of CVE-1999-0001 on TASY-1 not found',
    );
    await expect(explainMatch(vdb, cliActor, 'TASY-1', 'CVE-2021-39375')).rejects.toThrow(
      'A match of CVE-2021-39375 on device TASY-1 not found',
    );
  });

  it('re-matches a device as soon as the inventory changes it, and drops what no longer applies', async () => {
    expect(await all(vdb, { deviceId: ids['PF-1'] })).toHaveLength(1);
    await updateDevice(vdb, cliActor, ids['PF-1']!, { softwareVersion: '9.9.1' });
    expect(await all(vdb, { deviceId: ids['PF-1'] })).toEqual([]);
    const added = await addDevice(vdb, cliActor, {
      assetTag: 'TASY-6',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1000',
    });
    expect(table(await all(vdb, { deviceId: added.id }))).toEqual([
      'TASY-6 CVE-2021-39375 affected',
      'TASY-6 CVE-2021-39376 affected',
    ]);
  });

  it('names the device of each match as a person would: asset tag, else make, model and address', async () => {
    expect((await all(vdb, { deviceId: ids['TASY-2'] })).map((m) => m.deviceLabel)).toEqual([
      'TASY-2',
      'TASY-2',
    ]);
    // Discovered on the network, no asset tag yet: its UUID would mean nothing to a clinical engineer.
    const untagged = await addDevice(vdb, cliActor, {
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1000',
      macs: ['00:09:fb:01:02:77'],
      ips: ['10.20.0.77'],
    });
    // The catalogue keeps the model as first spelled for Philips (TASY-2's "TASY EMR html5").
    const ms = await all(vdb, { deviceId: untagged.id });
    expect(ms.map((m) => [m.assetTag, m.deviceLabel, m.vulnerability])).toEqual([
      [null, 'Philips TASY EMR html5 (10.20.0.77)', 'CVE-2021-39375'],
      [null, 'Philips TASY EMR html5 (10.20.0.77)', 'CVE-2021-39376'],
    ]);
    expect((await explainMatch(vdb, cliActor, untagged.id, 'CVE-2021-39375')).deviceLabel).toBe(
      'Philips TASY EMR html5 (10.20.0.77)',
    );
  });

  it('is incremental: a re-import of the same documents changes nothing', async () => {
    const r = await importAdvisoryPaths(vdb, cliActor, files);
    expect(r.files.map((f) => f.status)).toEqual(Array(files.length).fill('unchanged'));
    expect(r.match).toBeNull();
    const full = await runMatch(vdb, cliActor);
    expect(full.added + full.changed + full.removed).toBe(0);
  });
});

describe.each(DIALECTS)('a product listed by serial number on %s', (dialect) => {
  it('concerns exactly the devices with those serial numbers', async () => {
    const vdb = await freshDatabase(dialect);
    try {
      // ICSMA-21-308-01 as published, with the product narrowed to serial numbers (CSAF 2.0 §3.1.3.3.5),
      // which no real ICSMA document uses yet.
      const doc = JSON.parse(readFileSync(join(CSAF, 'icsma-21-308-01.json'), 'utf8')) as {
        product_tree: { branches: { branches: { branches: { product: Record<string, unknown> }[] }[] }[] };
      };
      const leaf = doc.product_tree.branches[0]!.branches[0]!.branches[0]!;
      leaf.product['product_identification_helper'] = { serial_numbers: ['TS-2021-*'] };
      const listed = await addDevice(vdb, cliActor, {
        assetTag: 'SER-1',
        serialNumber: 'ts-2021-0042',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1700',
      });
      const other = await addDevice(vdb, cliActor, {
        assetTag: 'SER-2',
        serialNumber: 'TS-2020-0007',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1700',
      });
      const r = await importBytes(
        vdb,
        Buffer.from(JSON.stringify(doc)),
        'icsma-21-308-01-serials.json',
        'csaf',
        null,
      );
      expect(r.report.status).toBe('imported');
      await runMatch(vdb, cliActor, { vulnKeys: r.vulnKeys });
      expect(table(await all(vdb))).toEqual([
        'SER-1 CVE-2021-39375 affected',
        'SER-1 CVE-2021-39376 affected',
      ]);
      const why = await explainMatch(vdb, cliActor, listed.id, 'CVE-2021-39375');
      expect(why.explanation).toContain('serial number ts-2021-0042 listed');
      expect(await all(vdb, { deviceId: other.id })).toEqual([]);
    } finally {
      await vdb.close();
    }
  });
});

describe.each(DIALECTS)('fix available for the matched product on %s', (dialect) => {
  const FIX = join(import.meta.dirname, '../../test/fixtures/advisories/fix-available');
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    const devices = {
      'VENUE-1': { manufacturer: 'GE HealthCare', model: 'Venue', softwareVersion: 'R1' },
      'VIVID-1': { manufacturer: 'GE HealthCare', model: 'Vivid iq', softwareVersion: '201' },
      'IRT-1': { manufacturer: 'Siemens', model: 'SCALANCE X-200IRT', firmwareVersion: '5.2.1' },
      'XC-1': { manufacturer: 'Siemens', model: 'SCALANCE XC-200', firmwareVersion: '5.2.1' },
    };
    for (const [tag, d] of Object.entries(devices))
      ids[tag] = (await addDevice(vdb, cliActor, { assetTag: tag, ...d })).id;
    const r = await importAdvisoryPaths(vdb, cliActor, [
      join(FIX, 'cve-2024-1486.cve5.jsonl'),
      join(FIX, 'cve-2019-13924.nvd.jsonl'),
    ]);
    expect(r.files.map((f) => f.status)).toEqual(['imported', 'imported']);
  });
  afterAll(async () => vdb?.close());

  it('says no fix for GE Venue (only <= bounds) though Vivid in the same CVE 5 record has one', async () => {
    const [venue] = await all(vdb, { deviceId: ids['VENUE-1'], vulnerability: 'CVE-2024-1486' });
    const [vivid] = await all(vdb, { deviceId: ids['VIVID-1'], vulnerability: 'CVE-2024-1486' });
    expect(venue).toMatchObject({ status: 'affected', fixAvailable: false });
    expect(vivid).toMatchObject({ status: 'affected', fixAvailable: true });
  });

  it('says no fix for SCALANCE X-200IRT (unbounded criterion) though XC-200 in the same NVD record has one', async () => {
    const [irt] = await all(vdb, { deviceId: ids['IRT-1'], vulnerability: 'CVE-2019-13924' });
    const [xc] = await all(vdb, { deviceId: ids['XC-1'], vulnerability: 'CVE-2019-13924' });
    expect(irt).toMatchObject({ fixAvailable: false });
    expect(xc).toMatchObject({ fixAvailable: true });
  });
});

describe.each(DIALECTS)('a CNA product named with its brand on %s', (dialect) => {
  it("matches Baxter's 'Welch Allyn Connex Spot Monitor' to the CMMS's Welch Allyn 'Connex Spot Monitor (CSM)' (a candidate)", async () => {
    const vdb = await freshDatabase(dialect);
    try {
      const csm = await addDevice(vdb, cliActor, {
        assetTag: 'BME-60001',
        manufacturer: 'Welch Allyn',
        model: 'Connex Spot Monitor (CSM)',
        softwareVersion: '1.52',
      });
      const later = await addDevice(vdb, cliActor, {
        assetTag: 'BME-60009',
        manufacturer: 'Welch Allyn',
        model: 'Connex Spot Monitor (CSM)',
        softwareVersion: '1.53',
      });
      const r = await importAdvisoryPaths(vdb, cliActor, [
        join(import.meta.dirname, '../../test/fixtures/advisories/cna-brand/cve-2024-1275.cve5.jsonl'),
      ]);
      expect(r.files.map((f) => f.status)).toEqual(['imported']);
      const [m] = await all(vdb, { deviceId: csm.id, vulnerability: 'CVE-2024-1275' });
      // Without the brand the names differ only by the model's abbreviation "(CSM)": a candidate a person
      // confirms once for the model (docs/vulnerabilities.md), where before there was nothing at all.
      expect(m).toMatchObject({
        status: 'needs-review',
        matchedBy: expect.arrayContaining(['cna-affected']),
      });
      const why = await explainMatch(vdb, cliActor, csm.id, 'CVE-2024-1275');
      expect(why.explanation).toContain("without the brand 'Welch Allyn'");
      expect(why.explanation).toMatch(/1\.52/);
      // 1.53 is past the record's `lessThanOrEqual: 1.52`.
      expect(await all(vdb, { deviceId: later.id, vulnerability: 'CVE-2024-1275' })).toEqual([]);
    } finally {
      await vdb.close();
    }
  });
});
