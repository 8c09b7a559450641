/**
 * Manufacturer relations on a real inventory: the CMMS fixture test/fixtures/cmms/hospital-export.csv
 * (27 devices, 9 manufacturers named after CISA ICSMA advisories; Philips: 4 active devices of 4 models;
 * Baxter: 2 in service, 2 retired). Contacts, feed links and their state, support dates, documents on
 * file and their warnings, requests and the overdue list, and the coverage the compliance report reads.
 */
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import type { Actor } from '../../accounts/actor.js';
import { addSubscription } from '../../advisories/feeds-service.js';
import { listAudit } from '../../audit/audit-log.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';
import type { VigilDatabase } from '../../store/database.js';
import { manufacturerCoverage } from './coverage.js';
import {
  addDocument,
  type DocumentKind,
  linkFeed,
  listDocuments,
  listManufacturers,
  showManufacturer,
  updateManufacturer,
  updateModelSupport,
} from './manufacturers-service.js';
import {
  addRequest,
  answerRequest,
  closeRequest,
  followUpRequest,
  listRequests,
  reopenRequest,
} from './requests-service.js';

const fixture = new URL('../../../test/fixtures/cmms/hospital-export.csv', import.meta.url);
const NOW = new Date('2026-11-29T09:00:00Z');
const readOnly: Actor = { kind: 'user', id: 'u', name: 'viewer', permissions: new Set(['program:read']) };

describe.each(DIALECTS)('manufacturer relations on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importCmmsCsv(vdb, cliActor, {
      file: 'hospital-export.csv',
      input: await readFile(fixture, 'utf8'),
    });
  });
  afterAll(async () => vdb?.close());

  const philipsModel = async (name: string) =>
    (await showManufacturer(vdb, cliActor, 'Philips', { now: NOW })).models.find((m) => m.name === name)!;

  it('lists the manufacturers of the inventory with their active devices', async () => {
    const list = await listManufacturers(vdb, cliActor);
    const byName = new Map(list.map((m) => [m.name, m]));
    expect(byName.get('Philips')).toMatchObject({
      activeDevices: 4,
      modelCount: 4,
      subscribed: false,
      openRequests: 0,
    });
    expect(byName.get('Baxter')!.activeDevices).toBe(2);
    expect(list.some((m) => m.name === '')).toBe(false);
    expect(
      (await listManufacturers(vdb, cliActor, { withDevices: true })).every((m) => m.activeDevices > 0),
    ).toBe(true);
  });

  it('finds a manufacturer by a name the name table resolves to it ("BD")', async () => {
    // The CMMS spells it "Becton, Dickinson and Company (BD)"; people and DOC-1 of an MDS2 say "BD".
    expect((await showManufacturer(vdb, cliActor, 'BD')).name).toBe('Becton, Dickinson and Company (BD)');
    await expect(showManufacturer(vdb, cliActor, 'Dräger')).rejects.toThrow(/Manufacturer Dräger not found/);
  });

  it('keeps contacts, audits which fields changed (not their values), refuses bad ones', async () => {
    const m = await updateManufacturer(vdb, cliActor, 'philips', {
      psirtEmail: 'productsecurity@philips.com',
      psirtUrl: 'https://www.philips.com/a-w/security/coordinated-vulnerability-disclosure.html',
      supportPortal: 'https://www.usa.philips.com/healthcare/services',
    });
    expect(m.psirt).toEqual({
      email: 'productsecurity@philips.com',
      url: 'https://www.philips.com/a-w/security/coordinated-vulnerability-disclosure.html',
      phone: null,
    });
    const again = await updateManufacturer(vdb, cliActor, m.id, {
      accountName: 'Key account',
      supportPortal: null,
    });
    expect(again.psirt.email).toBe('productsecurity@philips.com');
    expect(again.supportPortal).toBeNull();
    expect(again.account.name).toBe('Key account');
    const audit = await listAudit(vdb, { action: 'manufacturer.update' });
    expect(audit.map((a) => a.summary)).toContainEqual({
      name: 'Philips',
      fields: ['accountName', 'supportPortal'],
    });
    expect(JSON.stringify(audit)).not.toContain('productsecurity@');
    await expect(
      updateManufacturer(vdb, cliActor, 'Philips', { psirtEmail: 'not-an-address' }),
    ).rejects.toThrow(/Invalid manufacturer update/);
    await expect(
      updateManufacturer(vdb, cliActor, 'Philips', { psirtUrl: 'javascript:alert(1)' }),
    ).rejects.toThrow();
    await expect(updateManufacturer(vdb, cliActor, 'Nobody Inc', { notes: 'x' })).rejects.toThrow(
      /Manufacturer Nobody Inc not found/,
    );
    await expect(updateManufacturer(vdb, readOnly, 'Philips', { notes: 'x' })).rejects.toThrow(
      /program:write/,
    );
  });

  it('links feed subscriptions and shows their state; a feed made for a manufacturer links by name', async () => {
    const philips = await addSubscription(vdb, cliActor, {
      kind: 'csaf-provider',
      name: 'Philips CSAF',
      url: 'https://www.philips.com/.well-known/csaf/provider-metadata.json',
    });
    await addSubscription(vdb, cliActor, {
      kind: 'csaf-provider',
      name: 'GE HealthCare CSAF',
      url: 'https://www.gehealthcare.com/.well-known/csaf/provider-metadata.json',
      manufacturer: 'GE Healthcare',
    });
    const linked = await linkFeed(vdb, cliActor, 'Philips', 'Philips CSAF');
    expect(linked.subscribed).toBe(true);
    expect(linked.feeds).toMatchObject([
      { feedSourceId: philips.id, enabled: true, link: 'explicit', lastSuccessAt: null },
    ]);
    // Linking twice is one link and one audit entry.
    await linkFeed(vdb, cliActor, 'Philips', philips.id);
    expect(await listAudit(vdb, { action: 'manufacturer.link-feed' })).toHaveLength(1);
    const ge = (await listManufacturers(vdb, cliActor)).find((m) => m.name === 'GE Healthcare')!;
    expect(ge.feeds.map((f) => `${f.name} ${f.link}`)).toEqual(['GE HealthCare CSAF by-name']);
    await expect(linkFeed(vdb, cliActor, 'Philips', 'No Such Feed')).rejects.toThrow(
      /Feed subscription No Such Feed not found/,
    );
  });

  it('keeps support dates per model, end of support on the model itself', async () => {
    const mx40 = await philipsModel('IntelliVue MX40 Patient Worn Monitor');
    const r = await updateModelSupport(vdb, cliActor, mx40.id, {
      endOfSale: '2024-06-30',
      endOfSupport: '2027-12-31',
    });
    expect(r).toEqual({
      modelId: mx40.id,
      endOfSale: '2024-06-30',
      endOfSupport: '2027-12-31',
      endOfLife: null,
    });
    await updateModelSupport(vdb, cliActor, mx40.id, { endOfLife: '2029-12-31' });
    expect(await philipsModel('IntelliVue MX40 Patient Worn Monitor')).toMatchObject({
      endOfSale: '2024-06-30',
      endOfSupport: '2027-12-31',
      endOfLife: '2029-12-31',
    });
    const row = await vdb.db
      .selectFrom('device_models')
      .select('end_of_support')
      .where('id', '=', mx40.id)
      .executeTakeFirstOrThrow();
    expect(row.end_of_support).toBe('2027-12-31');
    await expect(updateModelSupport(vdb, cliActor, mx40.id, { endOfLife: '31/12/2029' })).rejects.toThrow(
      /Invalid model support dates/,
    );
  });

  it('records documents on file once per file and warns about missing and stale ones', async () => {
    const mx40 = await philipsModel('IntelliVue MX40 Patient Worn Monitor');
    const sha = 'a'.repeat(64);
    const first = await addDocument(
      vdb,
      cliActor,
      {
        model: mx40.id,
        kind: 'mds2',
        title: 'MDS2 MX40 B.06',
        documentDate: '2022-03-01',
        fileName: '/home/x/MX40 MDS2.xlsx',
        sha256: sha.toUpperCase(),
        size: 120_000,
      },
      { now: NOW },
    );
    expect(first).toMatchObject({
      created: true,
      fileName: 'MX40 MDS2.xlsx',
      sha256: sha,
      receivedDate: '2026-11-29',
    });
    const again = await addDocument(vdb, cliActor, {
      model: mx40.id,
      kind: 'mds2',
      title: 'copy',
      sha256: sha,
    });
    expect(again).toMatchObject({ created: false, id: first.id });
    const docs = await listDocuments(vdb, cliActor, { model: mx40.id }, { now: NOW });
    expect(docs.documents.map((d) => `${d.manufacturer} ${d.model} ${d.kind}`)).toEqual([
      'Philips IntelliVue MX40 Patient Worn Monitor mds2',
    ]);
    expect(docs.warnings.map((w) => w.code)).toEqual(['no-sbom', 'stale-document']);
    expect(docs.warnings[1]!.message).toMatch(/dated 2022-03-01, older than 24 months/);
    // A longer horizon: no longer stale.
    expect(
      (await listDocuments(vdb, cliActor, { model: mx40.id, staleMonths: 60 }, { now: NOW })).warnings.map(
        (w) => w.code,
      ),
    ).toEqual(['no-sbom']);
    await addDocument(vdb, cliActor, {
      model: mx40.id,
      kind: 'sbom',
      title: 'SBOM B.06',
      documentDate: '2026-01-10',
    });
    // Every in-use model appears in the all-models list; the MX40 now has both.
    const all = await listDocuments(vdb, cliActor, {}, { now: NOW });
    expect(all.warnings.filter((w) => w.modelId === mx40.id).map((w) => w.code)).toEqual(['stale-document']);
    expect(all.warnings.filter((w) => w.code === 'no-mds2').length).toBeGreaterThan(10);
    await expect(
      addDocument(vdb, cliActor, { model: mx40.id, kind: 'brochure', title: 'x' }),
    ).rejects.toThrow(/Invalid document/);
    // Listing by a misspelt kind is refused, not answered with an empty list.
    await expect(
      listDocuments(vdb, cliActor, { kind: 'white-paper' as DocumentKind }, { now: NOW }),
    ).rejects.toThrow('Unknown document kind "white-paper"; one of mds2, sbom, security-white-paper');
    await expect(
      addDocument(vdb, cliActor, { model: 'No Such Model', kind: 'other', title: 'x' }),
    ).rejects.toThrow(/not found/);
  });

  it('refuses documents dated or received in the future, and a document dated after it was received', async () => {
    const model = await philipsModel('IntelliVue MX40 Patient Worn Monitor');
    const add = (dates: Record<string, string>) =>
      addDocument(vdb, cliActor, { model: model.id, kind: 'mds2', title: 'x', ...dates }, { now: NOW });
    await expect(add({ documentDate: '2031-01-01', receivedDate: '2031-02-01' })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [
        { field: 'documentDate', reason: '2031-01-01 is in the future' },
        { field: 'receivedDate', reason: '2031-02-01 is in the future' },
      ],
    });
    await expect(add({ documentDate: '2026-06-01', receivedDate: '2026-05-01' })).rejects.toMatchObject({
      issues: [{ field: 'documentDate', reason: '2026-06-01 is after the received date 2026-05-01' }],
    });
    // Tomorrow is allowed (time zones).
    await expect(add({ documentDate: '2026-11-30' })).resolves.toMatchObject({ created: true });
  });

  it('refuses an end of sale after end of support or end of life, given now or stored before', async () => {
    const model = await philipsModel('IntelliVue MX40 Patient Worn Monitor');
    await expect(
      updateModelSupport(vdb, cliActor, model.id, {
        endOfSale: '2030-01-01',
        endOfSupport: '2027-12-31',
        endOfLife: null,
      }),
    ).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ field: 'endOfSupport', reason: expect.stringMatching(/end of sale 2030-01-01 is after/) }],
    });
    await updateModelSupport(vdb, cliActor, model.id, {
      endOfSale: '2024-06-30',
      endOfSupport: '2027-12-31',
      endOfLife: null,
    });
    await expect(
      updateModelSupport(vdb, cliActor, model.id, { endOfLife: '2020-01-01' }),
    ).rejects.toMatchObject({ issues: [{ field: 'endOfLife' }] });
    await expect(
      updateModelSupport(vdb, cliActor, model.id, { endOfSale: '2028-01-01' }),
    ).rejects.toMatchObject({
      issues: [{ field: 'endOfSale', reason: expect.stringMatching(/after end of support 2027-12-31/) }],
    });
    // End of life before end of support is a valid reading of the terms (IMDRF N70): accepted.
    await expect(
      updateModelSupport(vdb, cliActor, model.id, { endOfLife: '2026-12-31' }),
    ).resolves.toMatchObject({
      endOfSale: '2024-06-30',
      endOfSupport: '2027-12-31',
      endOfLife: '2026-12-31',
    });
  });

  it('tracks requests: last requested per document kind, overdue, answer, follow-up, close, reopen', async () => {
    const mx450 = await philipsModel('IntelliVue MX450');
    const sbom = await addRequest(
      vdb,
      cliActor,
      {
        manufacturer: 'Philips',
        kind: 'sbom',
        subject: 'Send current SBOM',
        models: ['IntelliVue MX450'],
        requestedDate: '2026-10-01',
        dueDate: '2026-10-31',
        note: 'via PSIRT portal',
      },
      { now: NOW },
    );
    expect(sbom).toMatchObject({
      status: 'open',
      overdue: true,
      models: [{ id: mx450.id, name: 'IntelliVue MX450' }],
      requestedBy: 'cli:test',
    });
    expect(sbom.events.map((e) => `${e.action} ${e.note}`)).toEqual(['created via PSIRT portal']);
    // An older request does not move "last requested" back.
    await addRequest(vdb, cliActor, {
      manufacturer: 'Philips',
      kind: 'sbom',
      subject: 'older',
      models: [mx450.id],
      requestedDate: '2026-01-05',
    });
    expect((await philipsModel('IntelliVue MX450')).lastRequested).toEqual({ sbom: '2026-10-01' });
    const patch = await addRequest(
      vdb,
      cliActor,
      {
        manufacturer: 'Philips',
        kind: 'patch-validation',
        subject: 'Is KB5034441 validated for IntelliSpace PACS?',
        models: ['IntelliSpace PACS'],
        requestedDate: '2026-11-20',
        dueDate: '2026-12-15',
      },
      { now: NOW },
    );
    expect(patch.overdue).toBe(false);
    expect((await listRequests(vdb, cliActor, { overdue: true }, { now: NOW })).map((r) => r.id)).toEqual([
      sbom.id,
    ]);

    const answered = await answerRequest(
      vdb,
      cliActor,
      sbom.id,
      { answer: 'CycloneDX 1.5 SBOM sent by e-mail', answeredDate: '2026-11-02' },
      { now: NOW },
    );
    expect(answered).toMatchObject({ status: 'answered', answeredDate: '2026-11-02', overdue: false });
    const fu = await followUpRequest(vdb, cliActor, patch.id, {
      note: 'Called the account manager',
      dueDate: '2026-12-31',
    });
    expect(fu.dueDate).toBe('2026-12-31');
    expect(fu.events.map((e) => e.action)).toEqual(['created', 'follow-up']);
    await closeRequest(vdb, cliActor, sbom.id);
    await expect(answerRequest(vdb, cliActor, sbom.id, { answer: 'late' })).rejects.toThrow(
      /is closed; reopen it first/,
    );
    await expect(closeRequest(vdb, cliActor, sbom.id)).rejects.toThrow(/already closed/);
    expect((await reopenRequest(vdb, cliActor, sbom.id, { note: 'SBOM incomplete' })).status).toBe('open');
    expect((await listRequests(vdb, cliActor, { status: ['open'], manufacturer: 'Philips' })).length).toBe(3);

    await expect(
      addRequest(vdb, cliActor, {
        manufacturer: 'Philips',
        kind: 'sbom',
        subject: 'x',
        models: ['CARESCAPE B650'],
      }),
    ).rejects.toThrow(/CARESCAPE B650 is not a model of Philips/);
    await expect(
      addRequest(vdb, cliActor, {
        manufacturer: 'Philips',
        kind: 'sbom',
        subject: 'x',
        requestedDate: '2026-05-01',
        dueDate: '2026-04-01',
      }),
    ).rejects.toMatchObject({
      issues: [
        expect.objectContaining({ field: 'dueDate', reason: 'the due date is before the requested date' }),
      ],
    });
    await expect(
      addRequest(vdb, cliActor, { manufacturer: 'Philips', kind: 'gossip', subject: 'x' }),
    ).rejects.toThrow(/Invalid manufacturer request/);
    const actions = (await listAudit(vdb, {}))
      .map((a) => a.action)
      .filter((a) => a.startsWith('manufacturer-request.'));
    expect(actions.sort()).toEqual([
      'manufacturer-request.add',
      'manufacturer-request.add',
      'manufacturer-request.add',
      'manufacturer-request.answer',
      'manufacturer-request.close',
      'manufacturer-request.follow-up',
      'manufacturer-request.reopen',
    ]);
  });

  it('reports coverage for manufacturers with devices or subscriptions', async () => {
    await vdb.db
      .updateTable('feed_sources')
      .set({
        last_attempt_at: '2026-11-28T02:00:00.000Z',
        last_success_at: '2026-11-28T02:00:00.000Z',
        last_error: null,
      })
      .where('name', '=', 'Philips CSAF')
      .execute();
    await vdb.db
      .updateTable('feed_sources')
      .set({
        last_attempt_at: '2026-11-28T03:00:00.000Z',
        last_success_at: '2026-11-20T03:00:00.000Z',
        last_error: 'HTTP 503 from provider-metadata.json',
      })
      .where('name', '=', 'GE HealthCare CSAF')
      .execute();
    const cov = await manufacturerCoverage(vdb, new Date('2026-12-20T00:00:00Z'));
    const philips = cov.find((c) => c.name === 'Philips')!;
    expect(philips).toMatchObject({
      activeDevices: 4,
      subscribed: true,
      lastSyncAt: '2026-11-28T02:00:00.000Z',
      lastSyncError: null,
      psirtContact: true,
      // MX40 has an MDS2 and an SBOM on file; the other three models in use have neither.
      modelsWithoutMds2: 3,
      modelsWithoutSbom: 3,
      openRequests: 3,
      // On 2026-12-20: the reopened SBOM request (due 2026-10-31) and the older one (no due date: never overdue).
      overdueRequests: 1,
    });
    expect(philips.feedSourceIds).toHaveLength(1);
    // The contract the compliance report reads, field by field (docs/manufacturers.md).
    expect(Object.keys(philips)).toEqual([
      'manufacturerId',
      'name',
      'activeDevices',
      'subscribed',
      'feedSourceIds',
      'lastSyncAt',
      'lastSyncError',
      'psirtContact',
      'modelsWithoutMds2',
      'modelsWithoutSbom',
      'openRequests',
      'overdueRequests',
    ]);
    expect(cov.find((c) => c.name === 'GE Healthcare')).toMatchObject({
      subscribed: true,
      lastSyncAt: '2026-11-20T03:00:00.000Z',
      lastSyncError: 'HTTP 503 from provider-metadata.json',
      psirtContact: false,
      activeDevices: 6,
    });
    expect(cov.find((c) => c.name === 'Baxter')).toMatchObject({
      subscribed: false,
      feedSourceIds: [],
      activeDevices: 2,
    });
    expect(cov.every((c) => c.activeDevices > 0 || c.feedSourceIds.length > 0)).toBe(true);
  });
});
