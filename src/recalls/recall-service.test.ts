/**
 * Recalls end to end on both dialects with the real openFDA samples (test/fixtures/recalls): imports
 * are idempotent and report bad records; the matcher finds the devices created here; decisions survive
 * re-runs; one campaign per recall and model.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit } from '../audit/audit-log.js';
import { addDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { countRecallTables } from '../store/recall-store.js';
import { getCampaignView } from '../tasks/campaigns-service.js';
import { importRecallFiles } from './recall-import.js';
import {
  decideRecallMatch,
  getRecallDetail,
  listRecallMatches,
  listRecalls,
  runRecallMatch,
} from './recall-service.js';

const FIX = join(import.meta.dirname, '../../test/fixtures/recalls');
const f = (n: string) => join(FIX, n);
const T0 = new Date('2026-03-01T08:00:00Z');

describe.each(DIALECTS)('recalls on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    const devices = [
      {
        assetTag: 'BED-1',
        serialNumber: 'RRFK00050',
        manufacturer: 'Kinetic Concepts, Inc',
        model: 'RotoProne',
        modelNumber: '209500',
      },
      {
        assetTag: 'BED-2',
        serialNumber: 'RRFK00200',
        manufacturer: 'Kinetic Concepts, Inc',
        model: 'RotoProne',
        modelNumber: '209500',
      },
      {
        assetTag: 'PLUM-1',
        serialNumber: 'P1',
        manufacturer: 'Hospira',
        model: 'Plum A+3',
        modelNumber: '12618-04',
      },
      {
        assetTag: 'OTHER-1',
        serialNumber: 'X1',
        manufacturer: 'Hospira',
        model: 'LifeCare 5000',
        modelNumber: '4P',
      },
    ];
    for (const d of devices) ids[d.assetTag] = (await addDevice(vdb, cliActor, d)).id;
  });
  afterAll(async () => vdb?.close());

  it('imports the four openFDA files, detecting each kind; a re-import changes nothing', async () => {
    const files = [
      f('device-recall-sample.json'),
      f('device-enforcement-sample.json'),
      f('device-classification-sample.json'),
      f('device-udi-sample.json'),
    ];
    const r = await importRecallFiles(vdb, cliActor, { files });
    expect(r.files.map((x) => [x.kind, x.records, x.stored, x.bad])).toEqual([
      ['recall', 5, 5, 0],
      ['enforcement', 3, 3, 0],
      ['classification', 2, 2, 0],
      ['udi', 1, 1, 0],
    ]);
    expect(await countRecallTables(vdb)).toEqual({ recalls: 8, productCodes: 2, gudidDevices: 1 });
    const before = (await listRecalls(vdb, cliActor, { limit: 100 })).items.map((x) => x.id).sort();
    const again = await importRecallFiles(vdb, cliActor, { files, batchSize: 2 });
    expect(again.stored).toBe(11);
    expect(await countRecallTables(vdb)).toEqual({ recalls: 8, productCodes: 2, gudidDevices: 1 });
    expect((await listRecalls(vdb, cliActor, { limit: 100 })).items.map((x) => x.id).sort()).toEqual(before);
  });

  it('reads the zipped bulk download form', async () => {
    const r = await importRecallFiles(vdb, cliActor, { files: [f('device-recall-0001-of-0001.json.zip')] });
    expect(r.files).toHaveLength(1);
    expect(r.files[0]).toMatchObject({ kind: 'recall', records: 5, stored: 5, bad: 0 });
    expect(r.files[0]!.file).toMatch(
      /device-recall-0001-of-0001\.json\.zip!device-recall-0001-of-0001\.json$/,
    );
    expect((await countRecallTables(vdb)).recalls).toBe(8);
  });

  it('names a zip entry whose compressed bytes are damaged instead of failing with an internal error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-recalls-'));
    const zip = Buffer.from(readFileSync(f('device-recall-0001-of-0001.json.zip')));
    // Two bytes in the middle of the deflate stream: the entry no longer inflates to its stated size.
    zip[zip.length >> 1]! ^= 0xff;
    zip[(zip.length >> 1) + 1]! ^= 0xff;
    const damaged = join(dir, 'device-recall-0001-of-0001.json.zip');
    writeFileSync(damaged, zip);
    const r = await importRecallFiles(vdb, cliActor, { files: [damaged] });
    expect(r.files).toHaveLength(1);
    expect(r.files[0]!.error).toMatch(/!device-recall-0001-of-0001\.json: broken zip entry \(.+\)$/);
    expect(r.files[0]!.issues.at(-1)).toMatchObject({
      file: `${damaged}!device-recall-0001-of-0001.json`,
      offset: expect.any(Number),
      reason: expect.stringMatching(/^broken zip entry: /),
    });
    expect((await countRecallTables(vdb)).recalls).toBe(8);
  });

  it('skips and reports bad records (file, index, offset, field) and stores the good ones', async () => {
    const r = await importRecallFiles(vdb, cliActor, { files: [f('device-recall-bad-records.json')] });
    const file = r.files[0]!;
    expect(file).toMatchObject({ kind: 'recall', records: 4, stored: 1, bad: 3, error: null });
    expect(file.issues.map((i) => i.field)).toEqual([
      'results[1].res_event_number',
      'results[2].k_numbers',
      'results[3]',
    ]);
    expect(file.issues[0]!.reason).toBe('res_event_number is missing');
    expect(file.issues[1]!.reason).toBe('must be a list of text values (or one text value)');
    expect(file.issues[2]!.reason).toMatch(/malformed JSON/);
    const text = readFileSync(f('device-recall-bad-records.json'), 'utf8');
    expect(text.slice(file.issues[2]!.offset!, file.issues[2]!.offset! + 40)).toContain(
      '"cfres_id": "34907"',
    );
  });

  it('keeps what came before a truncated download and says where it broke off', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-recalls-'));
    const whole = readFileSync(f('device-recall-sample.json'));
    const cut = join(dir, 'device-recall-cut.json');
    writeFileSync(cut, whole.subarray(0, whole.indexOf('"cfres_id": "43492"')));
    const r = await importRecallFiles(vdb, cliActor, { files: [cut] });
    expect(r.files[0]).toMatchObject({ records: 2, stored: 2 });
    expect(r.files[0]!.error).toMatch(/ends early after 2 results/);
    const audit = await listAudit(vdb, { action: 'recalls.import' });
    expect(audit.some((a) => a.outcome === 'failure' && a.targetId === cut)).toBe(true);
  });

  it('lists and shows recalls, joining the class from enforcement and the product code', async () => {
    const all = await listRecalls(vdb, cliActor, {});
    expect(all.total).toBe(8);
    expect((await listRecalls(vdb, cliActor, { cyber: true })).total).toBe(0);
    expect(
      (await listRecalls(vdb, cliActor, { source: 'enforcement' })).items.map((x) => x.recallNumber).sort(),
    ).toEqual(['Z-0971-2018', 'Z-0987-2017', 'Z-2031-2014']);
    expect((await listRecalls(vdb, cliActor, { firm: 'kinetic' })).items.map((x) => x.recallNumber)).toEqual([
      'Z-0520-06',
    ]);
    const d = await getRecallDetail(vdb, cliActor, 'z-0439-05');
    expect(d).toMatchObject({
      source: 'recall',
      recallingFirm: 'Hospira Inc',
      kNumbers: ['K021350'],
      cyber: false,
    });
    await expect(getRecallDetail(vdb, cliActor, 'Z-9999-99')).rejects.toThrow(/not found/);
  });

  it('matches devices by firm, model and serial range; a serial outside the range is not affected', async () => {
    const run = await runRecallMatch(vdb, cliActor, {}, T0);
    expect(run.added).toBe(2);
    const ms = await listRecallMatches(vdb, cliActor, {});
    const byTag = Object.fromEntries(ms.map((m) => [m.assetTag, m]));
    expect(Object.keys(byTag).sort()).toEqual(['BED-1', 'PLUM-1']);
    expect(byTag['BED-1']).toMatchObject({
      recallNumber: 'Z-0520-06',
      deviceLabel: 'BED-1',
      basis: 'firm-model',
      confidence: 'high',
      state: 'matched',
      evidence: { serial: 'RRFK00050', modelNamed: '209500' },
    });
    expect(byTag['BED-1']!.explanation).toContain('serial RRFK00050 is listed');
    expect(byTag['PLUM-1']).toMatchObject({
      recallNumber: 'Z-0439-05',
      state: 'candidate',
      confidence: 'low',
    });
    const again = await runRecallMatch(vdb, cliActor, {}, T0);
    expect(again).toMatchObject({ added: 0, updated: 0, removed: 0, unchanged: 2 });
  });

  it('keeps a decision across runs; campaigns open once per recall and model, for the affected devices', async () => {
    const plum = (await listRecallMatches(vdb, cliActor, { state: ['candidate'] }))[0]!;
    const ro: Actor = { kind: 'user', id: 'u', name: 'auditor', permissions: permissionsOf('auditor') };
    await expect(decideRecallMatch(vdb, ro, plum.id, { decision: 'confirm' })).rejects.toThrow(
      /recalls:write/,
    );
    const c = await decideRecallMatch(
      vdb,
      cliActor,
      plum.id,
      { decision: 'confirm', reason: 'LIST 12618-04 on label' },
      T0,
    );
    expect(c).toMatchObject({
      deviceLabel: 'PLUM-1',
      state: 'confirmed',
      decidedBy: 'cli:test',
      decisionReason: 'LIST 12618-04 on label',
    });
    const run = await runRecallMatch(vdb, cliActor, { campaigns: true }, T0);
    expect(run.byState).toEqual({ matched: 1, confirmed: 1 });
    expect(run.campaigns.map((x) => x.recallNumber).sort()).toEqual(['Z-0439-05', 'Z-0520-06']);
    const bed = run.campaigns.find((x) => x.recallNumber === 'Z-0520-06')!;
    const view = await getCampaignView(vdb, cliActor, bed.campaignId);
    expect(view).toMatchObject({ action: 'recall', model: 'RotoProne' });
    // BED-2's serial is outside the recalled range: the campaign has a task for BED-1 only.
    expect(bed.tasksCreated).toBe(1);
    expect(view.title).toContain('Recall Z-0520-06');
    const third = await runRecallMatch(vdb, cliActor, { campaigns: true }, T0);
    expect(third.campaigns).toEqual([]);
    const detail = await getRecallDetail(vdb, cliActor, 'Z-0520-06');
    expect(detail.campaigns).toHaveLength(1);
    expect(detail.matches.map((m) => m.deviceLabel)).toEqual(['BED-1']);

    // A unit without a serial on record is a candidate; once a person confirms it, the open campaign
    // gets its task too (it used to be skipped: the record then missed a recalled device).
    await addDevice(vdb, cliActor, {
      assetTag: 'BED-3',
      manufacturer: 'Kinetic Concepts, Inc',
      model: 'RotoProne',
      modelNumber: '209500',
    });
    await runRecallMatch(vdb, cliActor, {}, T0);
    const bed3 = (await listRecallMatches(vdb, cliActor, { state: ['candidate'] })).find(
      (x) => x.assetTag === 'BED-3',
    )!;
    await decideRecallMatch(vdb, cliActor, bed3.id, { decision: 'confirm', reason: 'serial plate read' }, T0);
    const fourth = await runRecallMatch(vdb, cliActor, { campaigns: true }, T0);
    expect(fourth.campaigns).toEqual([
      { recallNumber: 'Z-0520-06', modelId: view.modelId, campaignId: bed.campaignId, tasksCreated: 1 },
    ]);
    expect((await getCampaignView(vdb, cliActor, bed.campaignId)).progress.total).toBe(2);
    expect((await runRecallMatch(vdb, cliActor, { campaigns: true }, T0)).campaigns).toEqual([]);
    const actions = (await listAudit(vdb, {})).map((a) => a.action);
    for (const a of ['recalls.import', 'recalls.match', 'recalls.match-confirm', 'recalls.campaign'])
      expect(actions).toContain(a);
  });
});

describe.each(DIALECTS)('recalls by UDI and 510(k) through GUDID on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterAll(async () => vdb?.close());

  it('attaches GUDID records by the device UDI-DI and by model number', async () => {
    vdb = await freshDatabase(dialect);
    await importRecallFiles(vdb, cliActor, { files: [f('device-udi-sample.json')] });
    // No public recall names FDA's GUDID sample device, so this recall record is constructed here (not a
    // fixture) to reach the UDI and 510(k) paths: product code OQG, K094035, catalog 1107-0-3258.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-recalls-'));
    const file = join(dir, 'constructed-recall.json');
    writeFileSync(
      file,
      JSON.stringify({
        results: [
          {
            res_event_number: '1',
            product_res_number: 'Z-0001-2026',
            product_code: 'OQG',
            k_numbers: ['K094035'],
            product_description: 'CS2 Acetabular insert, catalog 1107-0-3258',
            code_info: 'All lots',
            recalling_firm: 'Consensus Orthopedics Inc',
          },
        ],
      }),
    );
    await importRecallFiles(vdb, cliActor, { files: [file] });
    const byUdi = (
      await addDevice(vdb, cliActor, {
        assetTag: 'HIP-1',
        udi: '(01)00844588018923(10)LOT7',
        manufacturer: 'Acme',
        model: 'X',
      })
    ).id;
    const byModel =
      // No asset tag: named by make, model and address.
      (
        await addDevice(vdb, cliActor, {
          serialNumber: 'S2',
          manufacturer: 'Consensus Orthopedics',
          model: 'CS2',
          modelNumber: '1107-0-3258',
          ips: ['10.30.0.42'],
        })
      ).id;
    const run = await runRecallMatch(vdb, cliActor, {}, T0);
    expect(run.added).toBe(2);
    const ms = Object.fromEntries((await listRecallMatches(vdb, cliActor, {})).map((m) => [m.deviceId, m]));
    expect(ms[byUdi]).toMatchObject({
      deviceLabel: 'HIP-1',
      basis: 'udi',
      confidence: 'high',
      state: 'matched',
      evidence: { di: '00844588018923' },
    });
    expect(ms[byModel]).toMatchObject({
      assetTag: null,
      deviceLabel: 'Consensus Orthopedics CS2 (10.30.0.42)',
      basis: '510k',
      confidence: 'high',
      evidence: { submissions: ['K094035'] },
    });
  });
});
