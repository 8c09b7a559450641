/**
 * MDS2 import, the issue's acceptance case: a workbook in the published layout (question ids DOC-1,
 * MLDP-1, AUTH-1 … with Yes/No/N/A answers and notes) is built with exceljs, written to a temp file and
 * imported; its declared services feed the unnecessary-service check. The device is real: the legacy
 * gateway of test/fixtures/policy/legacy-dicom-telnet-ftp.pcap (DICOM 104, FTP 21, Telnet 23), imported
 * through the capture path.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importCaptureFile } from '../../../test/import-capture.js';
import { listAudit } from '../../audit/audit-log.js';
import { VigilError } from '../../errors.js';
import { updateDevice } from '../../inventory/inventory-service.js';
import { fixturePath } from '../../policy/policy-test-fixtures.js';
import { checkUnnecessaryServices } from '../../policy/unnecessary-services.js';
import type { VigilDatabase } from '../../store/database.js';
import { listDocuments } from '../manufacturers/manufacturers-service.js';
import {
  importMds2,
  loadMds2Capabilities,
  loadMds2Services,
  MAX_MDS2_BYTES,
  showMds2,
} from './mds2-service.js';
import { buildMds2Workbook, replaceBytes, rewritePart, sampleAnswers } from './mds2-test-workbook.js';

describe.each(DIALECTS)('MDS2 import feeding the unnecessary-service check on %s', (dialect) => {
  let vdb: VigilDatabase;
  let dir: string;
  let modelId: string;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    dir = await mkdtemp(join(tmpdir(), 'vigil-mds2-'));
    await importCaptureFile(vdb, fixturePath('legacy-dicom-telnet-ftp.pcap'));
    const { device_id } = await vdb.db
      .selectFrom('device_identifiers')
      .select('device_id')
      .where('kind', '=', 'ip')
      .where('value', '=', '10.20.0.40')
      .executeTakeFirstOrThrow();
    await updateDevice(vdb, cliActor, device_id, {
      manufacturer: 'Spacelabs Medical',
      model: 'Legacy Gateway 90',
    });
    const d = await vdb.db
      .selectFrom('devices')
      .select('model_id')
      .where('id', '=', device_id)
      .executeTakeFirstOrThrow();
    modelId = d.model_id!;
  });
  afterAll(async () => {
    await vdb?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const formCount = async () =>
    Number(
      (
        await vdb.db
          .selectFrom('mds2_forms')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );

  const importFile = async (name: string, answers: ReturnType<typeof sampleAnswers>) => {
    const path = join(dir, name);
    await writeFile(path, await buildMds2Workbook({ answers }));
    return importMds2(vdb, cliActor, { data: await readFile(path), fileName: path });
  };

  it('imports the form for the model DOC-1/DOC-3 name, and its declared DICOM leaves Telnet and FTP flagged by mds2', async () => {
    const r = await importFile('lg90-2025.xlsx', sampleAnswers());
    expect(r).toMatchObject({
      file: 'lg90-2025.xlsx',
      sheet: 'MDS2',
      manufacturer: 'Spacelabs Medical',
      model: 'Legacy Gateway 90',
      formId: 'MDS2-LG90',
      releaseDate: '2025-06-01',
    });
    expect(r.forms).toHaveLength(1);
    expect(r.forms[0]).toMatchObject({ modelId, created: true, current: true, replaced: 0 });
    expect(r.forms[0]!.services).toEqual([
      { port: 104, transport: 'tcp', protocol: 'dicom', service: 'DICOM' },
      { port: 443, transport: 'tcp', protocol: null, service: null },
    ]);

    const shown = await showMds2(vdb, cliActor, modelId);
    const caps = shown.current!.capabilities;
    expect(caps).toMatchObject({
      encryptionAtRest: false,
      encryptionInTransit: false,
      tls: true,
      remoteService: true,
      sbomAvailable: true,
      authentication: {
        userLogin: true,
        roleBased: true,
        externalDirectory: true,
        multiFactor: false,
        nodeAuthentication: null,
      },
      malware: { hostsExecutableSoftware: false, antiMalware: false },
    });
    const auth11 = shown.current!.answers.find((a) => a.questionId === 'AUTH-1.1')!;
    expect(auth11).toMatchObject({ section: 'AUTH', answer: 'yes', value: 'Yes', note: 'LDAP' });
    expect(auth11.question).toMatch(/federated credentials management/);

    const check = await checkUnnecessaryServices(vdb, cliActor, { mds2: await loadMds2Services(vdb) });
    expect(check.items.map((i) => `${i.subject} ${i.needSource} ${i.risk}`).sort()).toEqual([
      'ftp:21 mds2 ftp',
      'telnet:23 mds2 telnet',
    ]);

    // The form is on file as the model's MDS2 document.
    const docs = await listDocuments(
      vdb,
      cliActor,
      { model: modelId },
      { now: new Date('2026-01-01T00:00:00Z') },
    );
    expect(docs.documents.map((d) => `${d.kind} ${d.documentDate} ${d.fileName} ${d.sha256}`)).toEqual([
      `mds2 2025-06-01 lg90-2025.xlsx ${r.sha256}`,
    ]);
    expect(docs.warnings.map((w) => w.code)).toEqual(['no-sbom']);
  });

  it('re-importing the same file changes nothing', async () => {
    const before = (await listAudit(vdb, { action: 'mds2.import' })).length;
    // The very bytes imported before (a workbook written again differs in its timestamps).
    const path = join(dir, 'lg90-2025.xlsx');
    const r = await importMds2(vdb, cliActor, { data: await readFile(path), fileName: 'copy.xlsx' });
    expect(r.forms[0]).toMatchObject({ created: false, current: true });
    expect(await formCount()).toBe(1);
    expect(await listAudit(vdb, { action: 'mds2.import' })).toHaveLength(before);
  });

  it('a newer form that also declares FTP replaces the current one and keeps the old as history', async () => {
    const r = await importFile(
      'lg90-2026.xlsx',
      sampleAnswers({
        'DOC-7': [new Date('2026-02-01T00:00:00Z')],
        'CONN-2': ['Yes', '104/tcp (DICOM storage), 21/tcp (FTP export)'],
      }),
    );
    expect(r.releaseDate).toBe('2026-02-01');
    expect(r.forms[0]).toMatchObject({ created: true, current: true, replaced: 1 });
    const shown = await showMds2(vdb, cliActor, 'Legacy Gateway 90');
    expect(shown.current!.releaseDate).toBe('2026-02-01');
    expect(shown.history.map((h) => `${h.releaseDate} ${h.current} ${h.supersededAt !== null}`)).toEqual([
      '2025-06-01 false true',
    ]);
    const check = await checkUnnecessaryServices(vdb, cliActor, { mds2: await loadMds2Services(vdb) });
    expect(check.items.map((i) => `${i.subject} ${i.needSource}`)).toEqual(['telnet:23 mds2']);
    // An older form imported afterwards is history only.
    const old = await importFile(
      'lg90-2024.xlsx',
      sampleAnswers({ 'DOC-7': ['2024-01-15'], 'CONN-2': ['Yes', 'TCP 104, 23 Telnet'] }),
    );
    expect(old.forms[0]).toMatchObject({ created: true, current: false, replaced: 0 });
    expect((await showMds2(vdb, cliActor, modelId)).current!.releaseDate).toBe('2026-02-01');
    expect((await loadMds2Capabilities(vdb)).get(modelId)?.services.map((s) => s.port)).toEqual([
      104, 21, 443,
    ]);
  });

  it('a bad answer stores nothing and names sheet, row and cell', async () => {
    const before = await formCount();
    const err = await importFile('bad.xlsx', sampleAnswers({ 'AUTH-1': ['Maybe'] })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('invalid_input');
    expect((err as VigilError).message).toMatch(
      /^MDS2 sheet 'MDS2' row \d+: answer 'Maybe' for AUTH-1 is not Yes\/No\/N\/A$/,
    );
    expect((err as VigilError).issues[0]).toMatchObject({
      file: 'bad.xlsx',
      field: expect.stringMatching(/^sheet 'MDS2' cell C\d+$/),
    });
    expect(await formCount()).toBe(before);
    const huge = await importMds2(vdb, cliActor, {
      data: new Uint8Array(MAX_MDS2_BYTES + 1),
      fileName: 'huge.xlsx',
    }).catch((e: unknown) => e);
    expect(huge).toMatchObject({ code: 'too_large' });
  });

  it('a byte that is not UTF-8 in the shared strings stores nothing and names part and offset; a real U+FFFD is stored', async () => {
    const before = await formCount();
    const audits = (await listAudit(vdb, { action: 'mds2.import' })).length;
    const answers = sampleAnswers({
      'DOC-4': ['MDS2-LG90-ZH'],
      'DOC-5': ['Spacelabs Medical, Zürich service desk \uFFFD'],
    });
    // The Latin-1 "ü" (FC) where the UTF-8 one (C3 BC) was, as a hand edit in the wrong encoding leaves it.
    const bad = await rewritePart(await buildMds2Workbook({ answers }), 'xl/sharedStrings.xml', (b) =>
      replaceBytes(b, Buffer.from('ü'), Buffer.from('ü', 'latin1')),
    );
    const err = await importMds2(vdb, cliActor, { data: bad, fileName: 'zh.xlsx' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).code).toBe('invalid_input');
    expect((err as VigilError).message).toMatch(
      /^zh\.xlsx: xl\/sharedStrings\.xml is not valid UTF-8 \(byte 0xFC at offset \d+\), .*sheet 'MDS2' cell C10;/,
    );
    expect((err as VigilError).issues[0]).toMatchObject({
      file: 'zh.xlsx',
      field: 'xl/sharedStrings.xml',
      offset: expect.any(Number),
    });
    expect(await formCount()).toBe(before);
    expect(await listAudit(vdb, { action: 'mds2.import' })).toHaveLength(audits);

    // The same answers, unaltered: imported, the real U+FFFD kept as the form has it.
    const good = await importFile('zh-good.xlsx', answers);
    expect(good.forms[0]).toMatchObject({ created: true });
    const stored = await vdb.db
      .selectFrom('mds2_answers')
      .select('value')
      .where('form_id', '=', good.forms[0]!.id)
      .where('question_id', '=', 'DOC-5')
      .executeTakeFirstOrThrow();
    expect(stored.value).toBe('Spacelabs Medical, Zürich service desk \uFFFD');
  });

  it('asks for --model when DOC-3 names models of two manufacturers and DOC-1 names neither', async () => {
    await vdb.db
      .insertInto('manufacturers')
      .values({
        id: 'm-other',
        name: 'Other Maker',
        name_key: 'other maker',
        created_at: '2026-01-01T00:00:00.000Z',
        updated_at: '2026-01-01T00:00:00.000Z',
      })
      .execute();
    const model = await vdb.db
      .selectFrom('device_models')
      .selectAll()
      .where('id', '=', modelId)
      .executeTakeFirstOrThrow();
    await vdb.db
      .insertInto('device_models')
      .values({ ...model, id: 'dm-other', manufacturer_id: 'm-other' })
      .execute();
    await expect(
      importFile('twin.xlsx', sampleAnswers({ 'DOC-1': ['Unknown Corp'], 'DOC-4': ['TWIN'] })),
    ).rejects.toThrow(
      /matches models of 2 manufacturers and DOC-1 names none of the inventory; give the model with --model/,
    );
  });

  it('a form for a model not in the inventory asks for --model; with it, the form is filed there', async () => {
    const answers = sampleAnswers({ 'DOC-3': ['Unknown Model 7'], 'DOC-4': ['MDS2-U7'] });
    await expect(importFile('u7.xlsx', answers)).rejects.toThrow(
      /No model of the inventory matches DOC-3 'Unknown Model 7'.*--model/,
    );
    const path = join(dir, 'u7.xlsx');
    const r = await importMds2(vdb, cliActor, { data: await readFile(path), fileName: path, model: modelId });
    expect(r.forms[0]).toMatchObject({ modelId, created: true });
  });
});
