/**
 * What people decided about a duplicate, handed to the record by a merge: risk acceptances, VEX
 * statements, SSVC overrides and recall-match decisions. Real fixtures: the CSAF advisory ICSMA-21-308-01
 * (Philips Tasy EMR HTML5 <= 3.06.1803, CVE-2021-39375 and CVE-2021-39376) and the openFDA recall
 * samples (test/fixtures/recalls: RotoProne Z-0520-06, Plum A+3 Z-0439-05). SQLite and PostgreSQL.
 */
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { addVexStatement, listVex } from '../advisories/sbom-vex-service.js';
import { listAudit } from '../audit/audit-log.js';
import { importRecallFiles } from '../recalls/recall-import.js';
import { decideRecallMatch, listRecallMatches, runRecallMatch } from '../recalls/recall-service.js';
import { addOverride, listRiskOverrides } from '../risk/overrides-service.js';
import type { VigilDatabase } from '../store/database.js';
import { acceptRisk, getRiskAcceptance } from '../tasks/acceptance-service.js';
import { createTask, getTask, moveTask } from '../tasks/tasks-service.js';
import { addDevice, mergeDevices } from './inventory-service.js';

const ADVISORY = join(import.meta.dirname, '../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const CVE = 'CVE-2021-39375';
const CVE2 = 'CVE-2021-39376';
const RECALLS = join(import.meta.dirname, '../../test/fixtures/recalls/device-recall-sample.json');
const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();

const mergeAudit = async (vdb: VigilDatabase, source: string) =>
  (await listAudit(vdb, { action: 'device.merge' })).find(
    (a) => (a.summary as { source: string }).source === source,
  )!.summary;

describe.each(DIALECTS)("a merge and people's decisions on the duplicate on %s", (dialect) => {
  let vdb: VigilDatabase;
  beforeEach(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterEach(async () => {
    await vdb.close();
  });

  /** The same Tasy server, in the CMMS under its new tag and, from an older import, its old one. */
  const tasyPair = async () => {
    const tasy = (assetTag: string) => ({
      assetTag,
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
    });
    const record = await addDevice(vdb, cliActor, tasy('TASY-1'));
    const duplicate = await addDevice(vdb, cliActor, tasy('OLD-7'));
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
    return { record, duplicate };
  };

  it("moves the duplicate's risk acceptances to the record; of two on one CVE the later-expiring stands", async () => {
    const { record, duplicate } = await tasyPair();
    const recordTask = await createTask(
      vdb,
      cliActor,
      { device: 'TASY-1', vulnerability: CVE },
      new Date(Date.now() - 60_000),
    );
    await createTask(vdb, cliActor, { device: 'OLD-7', vulnerability: CVE });
    // The record's task on the other CVE, which only the duplicate's acceptance covers.
    const recordCve2 = await createTask(vdb, cliActor, { device: 'TASY-1', vulnerability: CVE2 });
    const accept = (device: string, vulnerability: string, days: number, control: string) =>
      acceptRisk(vdb, cliActor, {
        scope: 'device',
        device,
        vulnerability,
        decision: 'accept',
        reason: 'the EMR is only reachable from the clinical VLAN',
        expires: inDays(days),
        controls: [{ control }],
      });
    const recordOwn = await accept('TASY-1', CVE, 100, 'monitored');
    const dupLater = await accept('OLD-7', CVE, 200, 'segmented');
    const dupOnly = await accept('OLD-7', CVE2, 50, 'isolated');
    expect(recordOwn.tasksAccepted).toEqual([recordTask.id]);

    await mergeDevices(vdb, cliActor, duplicate.id, record.id);

    // Both of the duplicate's acceptances are the record's, named by its label.
    expect(await getRiskAcceptance(vdb, cliActor, dupLater.id)).toMatchObject({
      deviceId: record.id,
      deviceLabel: 'TASY-1',
      state: 'active',
    });
    expect(await getRiskAcceptance(vdb, cliActor, dupOnly.id)).toMatchObject({
      deviceId: record.id,
      deviceLabel: 'TASY-1',
      state: 'active',
    });
    // The record's own, expiring sooner, gave way; its task stays accepted, under the one kept.
    expect(await getRiskAcceptance(vdb, cliActor, recordOwn.id)).toMatchObject({
      deviceId: record.id,
      state: 'revoked',
    });
    const kept = await getTask(vdb, cliActor, recordTask.id);
    expect(kept).toMatchObject({ state: 'risk-accepted', acceptanceId: dupLater.id });
    expect(kept.controls.map((c) => c.control)).toEqual(['segmented']);
    expect(kept.events.at(-1)).toMatchObject({
      action: 'update',
      details: { before: { acceptanceId: recordOwn.id }, after: { acceptanceId: dupLater.id } },
    });
    const [revoked] = await listAudit(vdb, { action: 'tasks.risk-acceptance-revoke' });
    expect(revoked).toMatchObject({
      targetId: recordOwn.id,
      summary: { supersededBy: dupLater.id, tasksReopened: 0, tasksMoved: 1 },
    });

    // That acceptance covers the record now: its open task is accepted, as `tasks accept` would have done,
    // and a task made on the record later starts accepted.
    const covered = await getTask(vdb, cliActor, recordCve2.id);
    expect(covered).toMatchObject({ state: 'risk-accepted', acceptanceId: dupOnly.id });
    expect(covered.controls.map((c) => c.control)).toEqual(['isolated']);
    await moveTask(vdb, cliActor, recordCve2.id, { state: 'closed', reason: 'filed twice' });
    expect(await createTask(vdb, cliActor, { device: 'TASY-1', vulnerability: CVE2 })).toMatchObject({
      state: 'risk-accepted',
      acceptanceId: dupOnly.id,
    });
    expect(await mergeAudit(vdb, duplicate.id)).toMatchObject({
      acceptancesMoved: 2,
      acceptancesSuperseded: 1,
    });
  });

  it("moves the duplicate's VEX statements and SSVC overrides; the record's own override of a point stands", async () => {
    const { record, duplicate } = await tasyPair();
    await addVexStatement(vdb, cliActor, {
      vulnerability: CVE,
      status: 'not-affected',
      justification: 'vulnerable_code_not_in_execute_path',
      statement: 'the HTML5 module is not installed on this server',
      device: duplicate.id,
    });
    const override = (device: string, point: string, value: string) =>
      addOverride(vdb, cliActor, {
        scope: 'device',
        device,
        point,
        value,
        reason: `set for ${device}`,
        expiresAt: inDays(30),
      });
    const exploited = await override(duplicate.id, 'E', 'active');
    const dupAutomatable = await override(duplicate.id, 'A', 'yes');
    const recordAutomatable = await override(record.id, 'A', 'no');

    await mergeDevices(vdb, cliActor, duplicate.id, record.id);

    // The statement speaks for the record now: its match reads not affected.
    const [vex] = await listVex(vdb, cliActor, CVE);
    expect(vex).toMatchObject({ device_id: record.id, product: 'device TASY-1' });
    const match = await vdb.db
      .selectFrom('vulnerability_matches')
      .select('status')
      .where('device_id', '=', record.id)
      .where('vuln_key', '=', CVE)
      .executeTakeFirstOrThrow();
    expect(match.status).toBe('not-affected');
    // The duplicate's own matches went with the re-match that follows the merge.
    const left = await vdb.db
      .selectFrom('vulnerability_matches')
      .select('id')
      .where('device_id', '=', duplicate.id)
      .execute();
    expect(left).toEqual([]);

    const inForce = await listRiskOverrides(vdb, cliActor);
    expect(inForce.map((o) => [o.id, o.deviceId, o.point, o.value]).sort()).toEqual(
      [
        [exploited.id, record.id, 'E', 'active'],
        [recordAutomatable.id, record.id, 'A', 'no'],
      ].sort(),
    );
    const all = await listRiskOverrides(vdb, cliActor, { all: true });
    expect(all.find((o) => o.id === dupAutomatable.id)).toMatchObject({ deviceId: record.id });
    expect(all.find((o) => o.id === dupAutomatable.id)!.revokedAt).not.toBeNull();
    const [revoke] = await listAudit(vdb, { action: 'risk.override-revoke' });
    expect(revoke!.summary).toMatchObject({
      override: dupAutomatable.id,
      keptOverride: recordAutomatable.id,
    });
    expect(await mergeAudit(vdb, duplicate.id)).toMatchObject({
      vexStatementsMoved: 1,
      riskOverridesMoved: 2,
      riskOverridesRevoked: 1,
    });
  });

  it('carries a recall-match decision made on the duplicate over to the record', async () => {
    await importRecallFiles(vdb, cliActor, { files: [RECALLS] });
    const bed = (assetTag: string, serialNumber?: string) =>
      addDevice(vdb, cliActor, {
        assetTag,
        ...(serialNumber ? { serialNumber } : {}),
        manufacturer: 'Kinetic Concepts, Inc',
        model: 'RotoProne',
        modelNumber: '209500',
      });
    // The bed's record has its serial (inside Z-0520-06's range); an older record of it has none.
    const record = await bed('BED-1', 'RRFK00050');
    const duplicate = await bed('BED-OLD');
    // A Plum A+3 pump known to the CMMS only by tag, and as a duplicate with its make and model.
    const pump = await addDevice(vdb, cliActor, { assetTag: 'PLUM-1' });
    const pumpDuplicate = await addDevice(vdb, cliActor, {
      assetTag: 'PLUM-OLD',
      manufacturer: 'Hospira',
      model: 'Plum A+3',
      modelNumber: '12618-04',
    });
    const at = new Date('2026-03-01T08:00:00Z');
    await runRecallMatch(vdb, cliActor, {}, at);
    const matches = await listRecallMatches(vdb, cliActor, {});
    const of = (id: string) => matches.find((m) => m.deviceId === id)!;
    expect(of(record.id)).toMatchObject({ recallNumber: 'Z-0520-06', state: 'matched' });
    expect(of(duplicate.id)).toMatchObject({ recallNumber: 'Z-0520-06', state: 'candidate' });
    expect(of(pump.id)).toBeUndefined();
    await decideRecallMatch(
      vdb,
      cliActor,
      of(duplicate.id).id,
      { decision: 'confirm', reason: 'serial plate read' },
      at,
    );
    await decideRecallMatch(
      vdb,
      cliActor,
      of(pumpDuplicate.id).id,
      { decision: 'confirm', reason: 'LIST 12618-04 on label' },
      at,
    );

    await mergeDevices(vdb, cliActor, duplicate.id, record.id);
    await mergeDevices(vdb, cliActor, pumpDuplicate.id, pump.id);

    const after = await listRecallMatches(vdb, cliActor, {});
    expect(after.map((m) => m.deviceId).sort()).toEqual([record.id, pump.id].sort());
    expect(after.find((m) => m.deviceId === record.id)).toMatchObject({
      recallNumber: 'Z-0520-06',
      state: 'confirmed',
      decisionReason: 'serial plate read',
    });
    expect(after.find((m) => m.deviceId === pump.id)).toMatchObject({
      recallNumber: 'Z-0439-05',
      state: 'confirmed',
      decisionReason: 'LIST 12618-04 on label',
    });
    // The next run keeps both decisions on the records.
    expect((await runRecallMatch(vdb, cliActor, {}, at)).byState).toEqual({ confirmed: 2 });
    expect(await mergeAudit(vdb, duplicate.id)).toMatchObject({ recallMatchesFolded: 1 });
    expect(await mergeAudit(vdb, pumpDuplicate.id)).toMatchObject({ recallMatchesMoved: 1 });
  });
});
