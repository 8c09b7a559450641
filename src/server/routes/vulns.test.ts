/**
 * The advisories / vulnerabilities API on real CISA CSAF documents. Expected matches come from reading
 * the documents (see src/matching/matcher.test.ts): ICSMA-21-308-01 is Philips `Tasy EMR HTML5`
 * `<= 3.06.1803` with CVE-2021-39375 and CVE-2021-39376 (known_affected, vendor_fix); ICSMA-17-241-01 is
 * Abbott (St. Jude Medical) `Assurity MRI` scoped by manufacture date `< august 28` (needs a person).
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { VULN_MATCH_FIELDS, VULN_MATCH_STATUSES } from '../../../test/factories.js';
import { createApiToken } from '../../accounts/api-tokens.js';
import { matchPendingSince } from '../../advisories/pending-match.js';
import { listAudit } from '../../audit/audit-log.js';

const fixture = (path: string) =>
  readFileSync(new URL(`../../../test/fixtures/${path}`, import.meta.url), 'utf8');
const BINARY = { 'content-type': 'application/octet-stream' };

interface Match {
  id: string;
  deviceId: string;
  assetTag: string | null;
  deviceLabel: string;
  vulnerability: string;
  advisoryIds: string[];
  cve: string | null;
  status: string;
  candidate: boolean;
  matchedBy: string[];
  explanation: string;
  fixAvailable: boolean;
}

describe.each(DIALECTS)('vulnerabilities API on %s', (dialect) => {
  let h: ApiHarness;
  const ids: Record<string, string> = {};

  const body = async <T = Record<string, unknown>>(res: Response, status: number): Promise<T> => {
    const text = await res.text();
    expect(res.status, text).toBe(status);
    return JSON.parse(text) as T;
  };
  const items = async (path: string, client = h.as('auditor')) =>
    (await body<{ items: Match[] }>(await client.get(path), 200)).items;
  const row = (m: Match) => `${m.assetTag} ${m.vulnerability} ${m.status}`;

  beforeAll(async () => {
    h = await apiHarness(dialect);
    const eng = h.as('clinical-engineer');
    for (const d of [
      {
        assetTag: 'TASY-1',
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1700',
        site: 'North Clinic',
      },
      { assetTag: 'TASY-4', manufacturer: 'Philips', model: 'Tasy EMR HTML5', site: 'Main Campus' },
      {
        assetTag: 'SJM-1',
        manufacturer: 'St. Jude Medical',
        model: 'Assurity MRI',
        firmwareVersion: '1.0',
        site: 'Main Campus',
      },
    ]) {
      ids[d.assetTag] = (await body<{ id: string }>(await eng.post('/api/v1/devices', d), 201)).id;
    }
  });
  afterAll(async () => h?.close());

  it('imports a CSAF upload and matches it; unknown format and rejected CSAF are 400', async () => {
    const officer = h.as('security-officer');
    expect(
      (
        await h
          .as('auditor')
          .request(
            'POST',
            '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
            fixture('advisories/csaf/icsma-21-308-01.json'),
            BINARY,
          )
      ).status,
    ).toBe(403);
    const r = await body<{ file: Record<string, unknown>; match: Record<string, unknown> | null }>(
      await officer.request(
        'POST',
        '/api/v1/advisories/import?fileName=icsma-21-308-01.json',
        fixture('advisories/csaf/icsma-21-308-01.json'),
        BINARY,
      ),
      200,
    );
    expect(r.file).toMatchObject({ file: 'icsma-21-308-01.json', status: 'imported', issues: [] });
    expect(r.file['summary']).toContain('ICSMA-21-308-01');
    expect(r.file['advisoryId']).toBe('ICSMA-21-308-01');
    // TASY-1 affected x2, TASY-4 needs-review x2.
    expect(r.match).toMatchObject({ matches: 4, added: 4, byStatus: { affected: 2, 'needs-review': 2 } });
    await body(
      await officer.request(
        'POST',
        '/api/v1/advisories/import?fileName=icsma-17-241-01.json',
        fixture('advisories/csaf/icsma-17-241-01.json'),
        BINARY,
      ),
      200,
    );

    const unknown = await officer.request(
      'POST',
      '/api/v1/advisories/import?fileName=notes.txt',
      'hello, this is not an advisory',
      BINARY,
    );
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get('content-type')).toContain('application/problem+json');
    // Said so that a person at the dashboard's Import page can act on it: what Vigil reads.
    expect(await unknown.json()).toMatchObject({
      code: 'invalid_input',
      detail: expect.stringMatching(
        /^notes\.txt: not a recognised advisory format; Vigil reads CSAF 2\.0, NVD/,
      ),
    });

    const doc = JSON.parse(fixture('advisories/csaf/icsma-23-061-01.json'));
    doc.vulnerabilities[0].product_status.known_affected = ['CSAFPID-9999'];
    const rejected = await body<{ code: string; issues: { field: string; reason: string }[] }>(
      await officer.request(
        'POST',
        '/api/v1/advisories/import?fileName=broken.json',
        JSON.stringify(doc),
        BINARY,
      ),
      400,
    );
    expect(rejected.code).toBe('invalid_input');
    expect(rejected.issues).toContainEqual(
      expect.objectContaining({ field: '$.vulnerabilities[0].product_status.known_affected[0]' }),
    );
    // A refused upload wrote nothing: it leaves no advisory writes waiting for a match behind it (the
    // marker used to stay, and the next import matched every device).
    expect(await matchPendingSince(h.ctx.vdb)).toBeUndefined();
    expect((await officer.request('POST', '/api/v1/advisories/import', '', BINARY)).status).toBe(400);
    const advisories = await body<{ items: { advisoryId: string }[] }>(
      await h.as('auditor').get('/api/v1/advisories'),
      200,
    );
    expect(advisories.items.map((a) => a.advisoryId).sort()).toEqual(['ICSMA-17-241-01', 'ICSMA-21-308-01']);
  });

  it('lists every match with the contract fields, and filters', async () => {
    const all = await items('/api/v1/vulns');
    expect(all.map(row).sort()).toEqual(
      [
        'SJM-1 CVE-2017-12712 needs-review',
        'SJM-1 CVE-2017-12714 needs-review',
        'SJM-1 CVE-2017-12716 needs-review',
        'TASY-1 CVE-2021-39375 affected',
        'TASY-1 CVE-2021-39376 affected',
        'TASY-4 CVE-2021-39375 needs-review',
        'TASY-4 CVE-2021-39376 needs-review',
      ].sort(),
    );
    for (const m of all) {
      for (const f of VULN_MATCH_FIELDS) expect(m, f).toHaveProperty(f);
      expect(VULN_MATCH_STATUSES).toContain(m.status);
      for (const a of m.advisoryIds) expect(a).toBe(a.toUpperCase());
      expect(m.explanation).not.toMatch(/\n/);
      expect(typeof m.fixAvailable).toBe('boolean');
      expect(Array.isArray(m.matchedBy)).toBe(true);
      // Every device here has an asset tag, which is what people call it.
      expect(m.deviceLabel).toBe(m.assetTag);
    }
    expect((await items('/api/v1/vulns?status=affected')).map(row).sort()).toEqual([
      'TASY-1 CVE-2021-39375 affected',
      'TASY-1 CVE-2021-39376 affected',
    ]);
    expect((await items(`/api/v1/vulns?deviceId=${ids['TASY-4']}`)).map(row).sort()).toEqual([
      'TASY-4 CVE-2021-39375 needs-review',
      'TASY-4 CVE-2021-39376 needs-review',
    ]);
    const candidates = await items('/api/v1/vulns?candidate=true');
    expect(candidates).toHaveLength(5);
    expect(candidates.every((m) => m.candidate)).toBe(true);
    expect(await items('/api/v1/vulns?limit=1')).toHaveLength(1);
    // Pages of 3 with the cursor give every match exactly once, and the last page says it is the last.
    const paged: string[] = [];
    let after = '';
    for (let page = 0; page < 5; page++) {
      const res = await h.as('auditor').get(`/api/v1/vulns?limit=3${after ? `&after=${after}` : ''}`);
      const body = (await res.json()) as { items: { id: string }[]; nextCursor: string | null };
      paged.push(...body.items.map((m) => m.id));
      if (!body.nextCursor) break;
      after = body.nextCursor;
    }
    expect(paged).toHaveLength(7);
    expect(new Set(paged)).toEqual(new Set(all.map((m) => m.id)));
    expect((await h.as('auditor').get('/api/v1/vulns?status=bogus')).status).toBe(400);
  });

  it('shows an advisory with its fleet view, a CVE, and why a device matched', async () => {
    const adv = await body<{
      kind: string;
      view: { advisoryId: string; vulnerabilities: { counts: object }[] };
    }>(await h.as('auditor').get('/api/v1/vulns/ICSMA-21-308-01'), 200);
    expect(adv.kind).toBe('advisory');
    expect(adv.view.advisoryId).toBe('ICSMA-21-308-01');
    expect(adv.view.vulnerabilities.map((v) => v.counts)).toEqual([
      { affected: 1, 'needs-review': 1 },
      { affected: 1, 'needs-review': 1 },
    ]);
    const cve = await body<{ kind: string; view: { cve: string } }>(
      await h.as('auditor').get('/api/v1/vulns/cve-2021-39375'),
      200,
    );
    expect(cve).toMatchObject({ kind: 'vulnerability', view: { cve: 'CVE-2021-39375' } });
    expect((await h.as('auditor').get('/api/v1/vulns/CVE-1999-99999')).status).toBe(404);
    const why = await body<Match & { details: { evidence: { rule: string }[] } }>(
      await h.as('auditor').get(`/api/v1/vulns/CVE-2021-39375/devices/${ids['TASY-1']}`),
      200,
    );
    expect(why).toMatchObject({ status: 'affected', advisoryIds: ['ICSMA-21-308-01'], fixAvailable: true });
    expect(why.explanation).toContain('3.06.1700 in range "<= 3.06.1803"');
    expect(why.details.evidence.map((e) => e.rule)).toContain('csaf-product');
    expect((await h.as('auditor').get(`/api/v1/vulns/CVE-2017-12712/devices/${ids['TASY-1']}`)).status).toBe(
      404,
    );
  });

  it('takes a device by asset tag as well as by id, and 404s a reference that names no device', async () => {
    // What the table shows (the asset tag), typed back, must not read as "no matches".
    expect((await items('/api/v1/vulns?deviceId=TASY-4')).map(row).sort()).toEqual([
      'TASY-4 CVE-2021-39375 needs-review',
      'TASY-4 CVE-2021-39376 needs-review',
    ]);
    const missing = await h.as('auditor').get('/api/v1/vulns?deviceId=NO-SUCH-TAG');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({
      code: 'not_found',
      detail: 'Device "NO-SUCH-TAG" not found',
    });
    const why = await body<Match>(
      await h.as('auditor').get('/api/v1/vulns/CVE-2021-39375/devices/TASY-1'),
      200,
    );
    expect(why).toMatchObject({ deviceId: ids['TASY-1'], status: 'affected' });
    // Resolved, so the decision is refused for what it is (not a candidate), not as an unknown device.
    const decided = await h
      .as('clinical-engineer')
      .post('/api/v1/vulns/CVE-2021-39375/devices/TASY-1/decision', { decision: 'rejected', reason: 'x' });
    expect(decided.status).toBe(400);
  });

  it('takes decisions from a clinical engineer, not an auditor, and audits them', async () => {
    const path = `/api/v1/vulns/CVE-2017-12712/devices/${ids['SJM-1']}/decision`;
    const decision = { decision: 'confirmed', reason: 'manufactured before 2017-08-28 per Abbott letter' };
    expect((await h.as('auditor').post(path, decision)).status).toBe(403);
    expect(
      (await h.as('clinical-engineer').post(path, { decision: 'confirmed', reason: '   ' })).status,
    ).toBe(400);
    expect(await body(await h.as('clinical-engineer').post(path, decision), 200)).toMatchObject({
      decision: 'confirmed',
      devicesAffected: 1,
    });
    const [m] = await items(`/api/v1/vulns?deviceId=${ids['SJM-1']}&vulnerability=CVE-2017-12712`);
    expect(m).toMatchObject({ status: 'affected', candidate: false });
    expect(m?.matchedBy).toContain('person-confirmed');
    const notCandidate = await h
      .as('clinical-engineer')
      .post(`/api/v1/vulns/CVE-2021-39375/devices/${ids['TASY-1']}/decision`, decision);
    expect(notCandidate.status).toBe(400);
    const audit = await listAudit(h.ctx.vdb, { action: 'vulns.confirm' });
    expect(audit).toHaveLength(1);
  });

  it('runs the matcher for writers only', async () => {
    expect((await h.as('auditor').post('/api/v1/match')).status).toBe(403);
    expect(await body(await h.as('security-officer').post('/api/v1/match'), 200)).toMatchObject({
      matches: 7,
      added: 0,
      removed: 0,
    });
  });

  it('subscribes to, lists and removes feeds', async () => {
    const officer = h.as('security-officer');
    const feed = {
      kind: 'csaf-provider',
      name: 'example-psirt',
      url: 'https://psirt.example.org/.well-known/csaf/provider-metadata.json',
    };
    expect((await h.as('auditor').post('/api/v1/feeds', feed)).status).toBe(403);
    expect(await body(await officer.post('/api/v1/feeds', feed), 201)).toMatchObject({
      name: 'example-psirt',
      lastSuccessAt: null,
      stale: true,
    });
    expect((await officer.post('/api/v1/feeds', { ...feed, name: '' })).status).toBe(400);
    expect(
      (await officer.post('/api/v1/feeds', { ...feed, name: 'x', url: 'ftp://example.org/' })).status,
    ).toBe(400);
    // A clinical engineer (advisories:write) cannot point the server at itself or at cloud metadata.
    const engineer = h.as('clinical-engineer');
    for (const url of ['http://127.0.0.1:7400/api/v1/system', 'https://169.254.169.254/latest/meta-data/']) {
      const refused = await engineer.post('/api/v1/feeds', { kind: 'kev', name: 'internal', url });
      expect(refused.status, url).toBe(400);
      expect(await refused.text(), url).toMatch(/Feed URL refused: .*feedAllowHosts/);
    }
    const list = await body<{ items: { name: string; kind: string }[] }>(
      await h.as('auditor').get('/api/v1/feeds'),
      200,
    );
    expect(list.items.map((f) => f.name)).toEqual(expect.arrayContaining(['csaf-files', 'example-psirt']));
    expect(await body(await officer.request('DELETE', '/api/v1/feeds/example-psirt'), 200)).toEqual({
      removed: 'example-psirt',
    });
    const after = await body<{ items: { name: string }[] }>(await h.as('auditor').get('/api/v1/feeds'), 200);
    expect(after.items.map((f) => f.name)).not.toContain('example-psirt');
  });

  it('imports an SBOM and VEX, stores a hospital statement and exports it', async () => {
    const officer = h.as('security-officer');
    const sbom = await body(
      await officer.request(
        'POST',
        `/api/v1/sboms/import?fileName=medical-device-narrow.sbom.json&model=${encodeURIComponent('Tasy EMR HTML5')}`,
        fixture('sbom-vex/cyclonedx/medical-device-narrow.sbom.json'),
        BINARY,
      ),
      200,
    );
    expect(sbom).toMatchObject({ format: 'cyclonedx', specVersion: '1.4', components: 55 });
    const sboms = await body<{ items: Record<string, unknown>[] }>(
      await h.as('auditor').get('/api/v1/sboms'),
      200,
    );
    // The same words as the import's answer and the rest of the API: camelCase, JSON as JSON.
    expect(sboms.items).toEqual([
      expect.objectContaining({
        model: 'Tasy EMR HTML5',
        manufacturer: 'Philips',
        softwareVersion: null,
        format: 'cyclonedx',
        specVersion: '1.4',
        components: 55,
        file: 'medical-device-narrow.sbom.json',
        importedBy: expect.any(String),
      }),
    ]);
    expect(Object.keys(sboms.items[0]!).filter((k) => k.includes('_'))).toEqual([]);

    const vexImport = await body<{ format: string; statements: number }>(
      await officer.request(
        'POST',
        `/api/v1/vex/import?fileName=go-vex-v0.2.0.json&model=${encodeURIComponent('Tasy EMR HTML5')}`,
        fixture('sbom-vex/openvex/go-vex-v0.2.0.json'),
        BINARY,
      ),
      200,
    );
    expect(vexImport.statements).toBeGreaterThan(0);

    const statement = {
      vulnerability: 'CVE-2021-39376',
      status: 'not-affected',
      justification: 'vulnerable_code_cannot_be_controlled_by_adversary',
      statement: 'Tasy reachable only from the EMR jump host',
      model: 'Tasy EMR HTML5',
      manufacturer: 'Philips',
    };
    expect((await h.as('auditor').post('/api/v1/vex', statement)).status).toBe(403);
    expect(
      (await officer.post('/api/v1/vex', { ...statement, justification: undefined, statement: undefined }))
        .status,
    ).toBe(400);
    expect(await body(await h.as('clinical-engineer').post('/api/v1/vex', statement), 201)).toMatchObject({
      vulnerability: 'CVE-2021-39376',
      status: 'not-affected',
      impactStatement: 'Tasy reachable only from the EMR jump host',
      origin: 'hospital',
      document: null,
    });
    const listed = await body<{ items: Record<string, unknown>[] }>(
      await h.as('auditor').get('/api/v1/vex?vulnerability=CVE-2021-39376'),
      200,
    );
    expect(listed.items).toEqual([
      expect.objectContaining({ vulnerability: 'CVE-2021-39376', origin: 'hospital' }),
    ]);
    const imported = (
      await body<{ items: Record<string, unknown>[] }>(await h.as('auditor').get('/api/v1/vex'), 200)
    ).items.find((v) => v['origin'] === 'document')!;
    expect(imported['document']).toMatchObject({ file: 'go-vex-v0.2.0.json' });
    expect(Object.keys(imported).filter((k) => k.includes('_'))).toEqual([]);
    const [m] = await items(`/api/v1/vulns?deviceId=${ids['TASY-1']}&vulnerability=CVE-2021-39376`);
    expect(m?.status).toBe('not-affected');

    const openvex = await body(await h.as('auditor').get('/api/v1/vex/export?format=openvex'), 200);
    expect(String(openvex['@context'])).toContain('openvex');
    expect(JSON.stringify(openvex['statements'])).toContain('CVE-2021-39376');
    const csaf = await body<{ document: { category: string } }>(
      await h.as('auditor').get('/api/v1/vex/export?format=csaf'),
      200,
    );
    expect(csaf.document.category).toBe('csaf_vex');
    expect((await h.as('auditor').get('/api/v1/vex/export?format=openvex&author=')).status).toBe(400);
  });

  it('keeps a site-limited token to its site’s matches', async () => {
    const north = await body<{ id: string }>(await h.as('auditor').get('/api/v1/sites/North%20Clinic'), 200);
    const { token } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-vulns',
      owner: 'test-auditor',
      permissions: ['vulns:read'],
      sites: [north.id],
    });
    const t = h.withToken(token);
    const mine = await items('/api/v1/vulns', t);
    expect(new Set(mine.map((m) => m.assetTag))).toEqual(new Set(['TASY-1']));
    const adv = await body<{ view: { vulnerabilities: { counts: Record<string, number> }[] } }>(
      await t.get('/api/v1/vulns/ICSMA-21-308-01'),
      200,
    );
    // Only TASY-1 (North Clinic) is counted; TASY-4 is at Main Campus.
    for (const v of adv.view.vulnerabilities)
      expect(Object.values(v.counts).reduce((a, b) => a + b, 0)).toBe(1);
    expect((await t.get(`/api/v1/vulns/CVE-2017-12712/devices/${ids['SJM-1']}`)).status).toBe(404);

    // A site-limited writer cannot decide on, or write VEX for, a device at another site.
    const { token: writer } = await createApiToken(h.ctx.vdb, cliActor, {
      name: 'north-writer',
      owner: 'test-clinical-engineer',
      permissions: ['vulns:read', 'vulns:write'],
      sites: [north.id],
    });
    const w = h.withToken(writer);
    expect(
      (
        await w.post(`/api/v1/vulns/CVE-2017-12714/devices/${ids['SJM-1']}/decision`, {
          decision: 'rejected',
          reason: 'not ours to say',
        })
      ).status,
    ).toBe(404);
    const [still] = await items(`/api/v1/vulns?deviceId=${ids['SJM-1']}&vulnerability=CVE-2017-12714`);
    expect(still).toMatchObject({ status: 'needs-review', candidate: true });
    const vex = { vulnerability: 'CVE-2017-12716', status: 'not-affected', statement: 'segmented' };
    expect((await w.post('/api/v1/vex', { ...vex, device: ids['SJM-1'] })).status).toBe(404);
    expect((await w.post('/api/v1/vex', { ...vex, device: ids['TASY-1'] })).status).toBe(201);
    // A model-wide statement applies at every site, so a site-limited writer cannot make it.
    const modelWide = await w.post('/api/v1/vex', {
      ...vex,
      model: 'Tasy EMR HTML5',
      manufacturer: 'Philips',
    });
    expect(modelWide.status).toBe(403);
    expect(((await modelWide.json()) as { detail: string }).detail).toContain('applies to every site');
  });

  it('names a device without an asset tag by make, model and address, in lists and explanations', async () => {
    const { id } = await body<{ id: string }>(
      await h.as('clinical-engineer').post('/api/v1/devices', {
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: '3.06.1000',
        macs: ['00:09:fb:01:02:77'],
        hostnames: ['tasy-ws-7'],
        ips: ['10.20.0.77'],
      }),
      201,
    );
    const mine = await items(`/api/v1/vulns?deviceId=${id}`);
    expect(mine.map((m) => [m.assetTag, m.deviceLabel]).sort()).toEqual([
      [null, 'Philips Tasy EMR HTML5 (tasy-ws-7)'],
      [null, 'Philips Tasy EMR HTML5 (tasy-ws-7)'],
    ]);
    const why = await body<Match>(
      await h.as('auditor').get(`/api/v1/vulns/CVE-2021-39375/devices/${id}`),
      200,
    );
    expect(why).toMatchObject({ deviceId: id, deviceLabel: 'Philips Tasy EMR HTML5 (tasy-ws-7)' });
  });
});
