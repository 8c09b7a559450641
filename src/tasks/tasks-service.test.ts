/**
 * The update process end to end on a real CISA advisory, ICSMA-21-308-01: Philips "Tasy EMR HTML5"
 * `<= 3.06.1803`, CVE-2021-39375 and CVE-2021-39376, both known_affected with a vendor_fix. Devices at
 * 3.06.1803 and 3.06.1700 are affected; 3.06.1804 is not. Time-dependent steps take an explicit `now`.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { addVexStatement } from '../advisories/sbom-vex-service.js';
import { listAudit } from '../audit/audit-log.js';
import { applySourceResult } from '../discovery/apply-source-result.js';
import type { Evidence } from '../discovery/host-observation.js';
import { setFindingState } from '../findings/findings-service.js';
import { importCmmsCsv } from '../inventory/cmms-import.js';
import { addDevice, retireDevice, updateDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { transaction } from '../store/transaction.js';
import {
  acceptRisk,
  expireAcceptances,
  listRiskAcceptances,
  revokeAcceptance,
} from './acceptance-service.js';
import { createCampaign, getCampaignView, resolveModel } from './campaigns-service.js';
import {
  compensatingControls,
  createTask,
  getTask,
  listTasks,
  moveTask,
  updateTask,
} from './tasks-service.js';
import { verifyTasks, verifyTasksForDevices } from './verification.js';

const ADVISORY = join(import.meta.dirname, '../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const CVE = 'CVE-2021-39375';
const CVE2 = 'CVE-2021-39376';
const T0 = new Date('2026-03-01T08:00:00Z');
const DAY = 86_400_000;
const at = (days: number) => new Date(T0.getTime() + days * DAY);
const httpEvidence = (file: string, time: string): Evidence => ({
  source: 'capture',
  file,
  connection: '10.40.0.9:51200 → 10.40.0.42:80/tcp',
  packet: 4,
  time,
  summary: 'HTTP Server: Tasy/3.06',
});
const tasy = (tag: string, version: string, site = 'Main Campus', department = 'Radiology') => ({
  assetTag: tag,
  manufacturer: 'Philips',
  model: 'Tasy EMR HTML5',
  softwareVersion: version,
  site,
  department,
});

describe.each(DIALECTS)('remediation tasks on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    for (const [tag, version, site, dept] of [
      ['TASY-1', '3.06.1803', 'Main Campus', 'Radiology'],
      ['TASY-2', '3.06.1700', 'Main Campus', 'Radiology'],
      ['TASY-3', '3.06.1700', 'Main Campus', 'Cardiology'],
      ['TASY-4', '3.06.1700', 'North Clinic', 'ICU'],
      ['TASY-5', '3.06.1803', 'North Clinic', 'ICU'],
      ['TASY-6', '3.06.1803', 'Main Campus', 'Radiology'],
      ['TASY-7', '3.06.1803', 'Main Campus', 'Radiology'],
    ] as const)
      ids[tag] = (await addDevice(vdb, cliActor, tasy(tag, version, site, dept))).id;
    const r = await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
    expect(r.files.map((f) => f.status)).toEqual(['imported']);
  });
  afterAll(async () => vdb?.close());

  it('walks the lifecycle open → awaiting-manufacturer → scheduled → applied, audited, with history', async () => {
    const t = await createTask(
      vdb,
      cliActor,
      { device: 'TASY-1', vulnerability: CVE.toLowerCase(), due: at(14).toISOString() },
      T0,
    );
    expect(t).toMatchObject({
      kind: 'vulnerability',
      deviceId: ids['TASY-1'],
      // A CMMS device is named by its asset tag.
      deviceLabel: 'TASY-1',
      title: `${CVE} on TASY-1`,
      assetTag: 'TASY-1',
      site: 'Main Campus',
      department: 'Radiology',
      vulnerability: CVE,
      state: 'open',
      due: at(14).toISOString(),
      slaSeconds: 14 * 86_400,
      overdue: false,
      nextStates: ['awaiting-manufacturer', 'scheduled', 'applied', 'closed'],
    });
    expect(t.fix).toMatch(/^vendor_fix: /);
    await expect(createTask(vdb, cliActor, { device: 'TASY-1', vulnerability: CVE }, T0)).rejects.toThrow(
      /already has task/,
    );

    await moveTask(
      vdb,
      cliActor,
      t.id,
      { state: 'awaiting-manufacturer', reason: 'fix not validated for clinical use' },
      at(1),
    );
    await expect(
      moveTask(vdb, cliActor, t.id, { state: 'scheduled', assignee: 'biomed-1' }, at(2)),
    ).rejects.toThrow('needs windowStart, windowEnd');
    const s = await moveTask(
      vdb,
      cliActor,
      t.id,
      {
        state: 'scheduled',
        assignee: 'biomed-1',
        departmentContacted: 'Radiology (charge nurse)',
        windowStart: at(5).toISOString(),
        windowEnd: new Date(at(5).getTime() + 4 * 3_600_000).toISOString(),
      },
      at(2),
    );
    expect(s).toMatchObject({
      state: 'scheduled',
      assignee: 'biomed-1',
      departmentContacted: 'Radiology (charge nurse)',
      maintenanceWindow: { start: at(5).toISOString() },
    });
    const a = await moveTask(vdb, cliActor, t.id, { state: 'applied' }, at(5));
    expect(a.applied).toEqual({ by: 'cli:test', at: at(5).toISOString() });
    // Overdue is computed against now: applied but not verified after the due date.
    expect((await listTasks(vdb, cliActor, { overdue: true }, at(15))).map((x) => x.id)).toContain(t.id);
    expect((await listTasks(vdb, cliActor, { overdue: true }, at(13))).map((x) => x.id)).not.toContain(t.id);

    const d = await getTask(vdb, cliActor, t.id, at(5));
    expect(d.events.map((e) => `${e.action} ${e.from ?? '-'} → ${e.to}`)).toEqual([
      'create - → open',
      'move open → awaiting-manufacturer',
      'move awaiting-manufacturer → scheduled',
      'move scheduled → applied',
    ]);
    const audit = (await listAudit(vdb, { limit: 500 })).filter((e) => e.targetId === t.id);
    expect(audit.map((e) => e.action)).toEqual(expect.arrayContaining(['tasks.create', 'tasks.move']));
    expect(audit.filter((e) => e.action === 'tasks.move')).toHaveLength(3);
  });

  it('refuses invalid transitions with a clear error', async () => {
    const t = await createTask(vdb, cliActor, { device: 'TASY-2', vulnerability: CVE2 }, T0);
    await expect(
      moveTask(vdb, cliActor, t.id, { state: 'verified', reason: 'trust me' }, T0),
    ).rejects.toThrow('cannot move from open to verified');
    await expect(moveTask(vdb, cliActor, t.id, { state: 'risk-accepted' }, T0)).rejects.toThrow(
      'vigil tasks accept',
    );
    await expect(moveTask(vdb, cliActor, t.id, { state: 'closed' }, T0)).rejects.toThrow('needs reason');
    const c = await moveTask(
      vdb,
      cliActor,
      t.id,
      { state: 'closed', reason: 'device leaves service next week' },
      T0,
    );
    expect(c).toMatchObject({
      state: 'closed',
      closeReason: 'device leaves service next week',
      nextStates: ['open'],
    });
    await expect(moveTask(vdb, cliActor, t.id, { state: 'applied' }, T0)).rejects.toThrow(
      'from closed it can move to open',
    );
    const o = await moveTask(vdb, cliActor, t.id, { state: 'open', reason: 'retirement postponed' }, T0);
    expect(o).toMatchObject({ state: 'open', closeReason: null });
    // Scheduling needs an assignee: the task's own when it has one, so it is not asked for twice.
    const win = {
      windowStart: at(3).toISOString(),
      windowEnd: new Date(at(3).getTime() + 3_600_000).toISOString(),
    };
    await expect(moveTask(vdb, cliActor, t.id, { state: 'scheduled', ...win }, T0)).rejects.toThrow(
      'needs assignee',
    );
    await updateTask(vdb, cliActor, t.id, { assignee: 'biomed-2' }, T0);
    expect(await moveTask(vdb, cliActor, t.id, { state: 'scheduled', ...win }, T0)).toMatchObject({
      state: 'scheduled',
      assignee: 'biomed-2',
      maintenanceWindow: { start: win.windowStart, end: win.windowEnd },
    });
    await moveTask(vdb, cliActor, t.id, { state: 'open', reason: 'window cancelled' }, T0);
    await expect(
      createTask(vdb, cliActor, { device: 'TASY-2', vulnerability: 'CVE-1999-0001' }, T0),
    ).rejects.toThrow(/not found/);
  });

  it('verifies a task by a later CMMS import: the match disappears and the evidence says why', async () => {
    const t = await createTask(vdb, cliActor, { device: 'TASY-6', vulnerability: CVE }, T0);
    await moveTask(
      vdb,
      cliActor,
      t.id,
      { state: 'applied', appliedBy: 'vendor FSE', appliedAt: at(1).toISOString() },
      at(1),
    );
    // Nothing changed yet: verification leaves it applied.
    expect((await verifyTasksForDevices(vdb, [ids['TASY-6']!], at(1))).verified).toEqual([]);
    const csv = [
      'Asset Tag,Manufacturer,Model,Software Version,Site,Department',
      'TASY-6,Philips,Tasy EMR HTML5,3.06.1804,Main Campus,Radiology',
    ].join('\n');
    const r = await importCmmsCsv(vdb, cliActor, { file: 'cmms-2026-03.csv', input: csv });
    expect(r.updated).toBe(1);
    // The import re-matched the device, and the match run verified the task in the same transaction.
    const v = await getTask(vdb, cliActor, t.id, at(2));
    expect(v).toMatchObject({ state: 'verified', verification: { reason: 'match-gone' } });
    expect(String(v.verification?.['summary'])).toMatch(
      /match of CVE-2021-39375 gone after cmms import of cmms-2026-03.csv:2 at .*, software now 3.06.1804/,
    );
    expect(v.events.at(-1)).toMatchObject({
      action: 'verify',
      actor: 'vigil',
      from: 'applied',
      to: 'verified',
    });
    // Running verification again finds nothing more to do.
    expect((await verifyTasks(vdb, at(2))).verified.find((x) => x.taskId === t.id)).toBeUndefined();
    const audit = (await listAudit(vdb, { limit: 500 })).filter((e) => e.targetId === t.id);
    expect(audit.map((e) => e.action)).toContain('tasks.verify');
    const closed = await moveTask(vdb, cliActor, t.id, { state: 'closed' }, at(3));
    expect(closed.state).toBe('closed');
  });

  it('verifies an open task when the device is updated by hand (a device edit re-matches)', async () => {
    const t = await createTask(vdb, cliActor, { device: 'TASY-7', vulnerability: CVE2 }, T0);
    // The edit re-matches the device; the match run verifies the task inside its own transaction.
    await updateDevice(vdb, cliActor, 'TASY-7', { softwareVersion: '3.06.1900' });
    const v = await getTask(vdb, cliActor, t.id, at(1));
    expect(v.state).toBe('verified');
    expect(v.events.at(-1)).toMatchObject({ from: 'open', to: 'verified' });
    expect(String(v.verification?.['summary'])).toContain('software now 3.06.1900');
    // Called directly inside a caller's transaction it is a no-op now.
    const r = await transaction(vdb, (tx) => verifyTasksForDevices(tx, [ids['TASY-7']!], at(1)));
    expect(r.verified).toEqual([]);
  });

  it('verifies a task from a capture alone: a later capture shows the fixed version', async () => {
    // A device nobody declared: only captures ever saw it, the first on the affected version.
    const seenOn = (version: string, when: string, file: string) =>
      applySourceResult(
        vdb,
        cliActor,
        {
          hosts: [
            {
              macs: ['00:60:35:0a:11:42'],
              ips: ['10.40.0.42'],
              hostnames: [],
              firstSeen: when,
              lastSeen: when,
              services: [],
              protocols: ['http'],
              identity: {
                manufacturer: { value: 'Philips', confidence: 0.9, evidence: httpEvidence(file, when) },
                model: { value: 'Tasy EMR HTML5', confidence: 0.9, evidence: httpEvidence(file, when) },
                softwareVersion: { value: version, confidence: 0.9, evidence: httpEvidence(file, when) },
              },
              hints: [],
            },
          ],
          findings: [],
        },
        { kind: 'capture', file },
      );
    await seenOn('3.06.1803', '2026-03-01T09:00:00.000Z', 'ward4-0301.pcap');
    const t = await createTask(vdb, cliActor, { device: '00:60:35:0a:11:42', vulnerability: CVE }, T0);
    expect(t.state).toBe('open');
    // No asset tag: the task names the device by make and model and the address it was seen at.
    expect(t).toMatchObject({
      assetTag: null,
      deviceLabel: 'Philips Tasy EMR HTML5 (10.40.0.42)',
      title: `${CVE} on Philips Tasy EMR HTML5 (10.40.0.42)`,
    });
    expect((await listTasks(vdb, cliActor, { deviceId: t.deviceId }, T0)).map((x) => x.deviceLabel)).toEqual([
      'Philips Tasy EMR HTML5 (10.40.0.42)',
    ]);
    // A campaign names each device's task the same way.
    const recall = await createCampaign(
      vdb,
      cliActor,
      { model: 'Tasy EMR HTML5', action: 'recall', devices: [t.deviceId, ids['TASY-6']!] },
      T0,
    );
    expect(
      (await listTasks(vdb, cliActor, { campaignId: recall.id }, T0)).map((x) => x.title).sort(),
    ).toEqual([
      'Recall Philips Tasy EMR HTML5: Philips Tasy EMR HTML5 (10.40.0.42)',
      'Recall Philips Tasy EMR HTML5: TASY-6',
    ]);
    await seenOn('3.06.1804', '2026-03-09T09:00:00.000Z', 'ward4-0309.pcap');
    const v = await getTask(vdb, cliActor, t.id, at(9));
    expect(v.state).toBe('verified');
    expect(v.deviceLabel).toBe('Philips Tasy EMR HTML5 (10.40.0.42)');
    expect(String(v.verification?.['summary'])).toMatch(
      /capture.*ward4-0309\.pcap.*software now 3\.06\.1804/,
    );
  });

  it('accepts a risk and re-opens the task with its SLA restarted when the acceptance expires', async () => {
    const t = await createTask(
      vdb,
      cliActor,
      { device: 'TASY-5', vulnerability: CVE, due: at(14).toISOString() },
      T0,
    );
    const engineer: Actor = {
      kind: 'user',
      id: 'u1',
      name: 'engineer',
      permissions: permissionsOf('clinical-engineer'),
    };
    await expect(
      acceptRisk(
        vdb,
        engineer,
        {
          scope: 'device',
          vulnerability: CVE,
          device: 'TASY-5',
          decision: 'reduce',
          reason: 'x',
          expires: at(30).toISOString(),
        },
        T0,
      ),
    ).rejects.toThrow('risk:accept');
    await expect(
      acceptRisk(
        vdb,
        cliActor,
        {
          scope: 'device',
          vulnerability: CVE,
          device: 'TASY-5',
          decision: 'reduce',
          reason: 'x',
          expires: at(400).toISOString(),
        },
        T0,
      ),
    ).rejects.toThrow('at most 366 days');
    await expect(
      acceptRisk(
        vdb,
        cliActor,
        {
          scope: 'device',
          vulnerability: CVE,
          device: 'TASY-5',
          decision: 'reduce',
          reason: 'x',
          expires: at(-1).toISOString(),
        },
        T0,
      ),
    ).rejects.toThrow('in the future');
    const a = await acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'device',
        vulnerability: CVE,
        device: 'TASY-5',
        decision: 'reduce',
        reason: 'segmented until the vendor validates 3.06.1804',
        expires: at(30).toISOString(),
        controls: [{ control: 'segmented', note: 'VLAN 40, no internet' }],
      },
      at(2),
    );
    expect(a).toMatchObject({
      scope: 'device',
      deviceId: ids['TASY-5'],
      deviceLabel: 'TASY-5',
      decision: 'reduce',
      approver: 'cli:test',
      state: 'active',
      tasks: 1,
      tasksAccepted: [t.id],
    });
    const accepted = await getTask(vdb, cliActor, t.id, at(2));
    expect(accepted).toMatchObject({ state: 'risk-accepted', acceptanceId: a.id, overdue: false });
    expect(accepted.controls).toEqual([
      expect.objectContaining({ control: 'segmented', note: 'VLAN 40, no internet', acceptanceId: a.id }),
    ]);
    expect(
      (await compensatingControls(vdb, [ids['TASY-5']!])).get(ids['TASY-5']!)?.map((c) => c.control),
    ).toEqual(['segmented']);
    // Not overdue while accepted, even past its due date.
    expect((await listTasks(vdb, cliActor, { overdue: true }, at(20))).map((x) => x.id)).not.toContain(t.id);

    expect((await expireAcceptances(vdb, at(29))).expired).toEqual([]);
    const exp = await expireAcceptances(vdb, at(31));
    expect(exp.expired).toEqual([
      {
        acceptanceId: a.id,
        vulnerability: CVE,
        reopened: [{ taskId: t.id, due: at(31 + 14).toISOString() }],
      },
    ]);
    const reopened = await getTask(vdb, cliActor, t.id, at(31));
    expect(reopened).toMatchObject({
      state: 'open',
      acceptanceId: null,
      due: at(45).toISOString(),
      overdue: false,
    });
    expect(reopened.events.at(-1)).toMatchObject({
      action: 'expire',
      from: 'risk-accepted',
      to: 'open',
      details: { slaRestarted: true },
    });
    expect((await listRiskAcceptances(vdb, cliActor, { state: ['expired'] })).map((x) => x.id)).toEqual([
      a.id,
    ]);
    // A misspelt state is refused, not answered with an empty list.
    await expect(listRiskAcceptances(vdb, cliActor, { state: ['expried'] })).rejects.toThrow(
      /Invalid acceptance query/,
    );
    const audit = (await listAudit(vdb, { limit: 1000 })).map((e) => e.action);
    expect(audit).toEqual(
      expect.arrayContaining([
        'tasks.risk-accept',
        'tasks.accept',
        'tasks.expire',
        'tasks.risk-acceptance-expire',
      ]),
    );
  });

  it('covers a model-wide acceptance, new tasks in scope start accepted, revocation re-opens', async () => {
    const a = await acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'model',
        model: 'Tasy EMR HTML5',
        manufacturer: 'Philips',
        version: '3.06.1700',
        vulnerability: CVE,
        decision: 'transfer',
        reason: 'hosted by the vendor under contract',
        expires: at(90).toISOString(),
      },
      T0,
    );
    const t3 = await createTask(vdb, cliActor, { device: 'TASY-3', vulnerability: CVE }, T0);
    expect(t3).toMatchObject({ state: 'risk-accepted', acceptanceId: a.id });
    const t1 = await createTask(vdb, cliActor, { device: 'TASY-5', vulnerability: CVE2 }, T0);
    expect(t1.state).toBe('open');
    const site: Actor = { ...cliActor, siteIds: ['none'] };
    await expect(
      acceptRisk(
        vdb,
        site,
        {
          scope: 'fleet',
          vulnerability: CVE,
          decision: 'accept',
          reason: 'x',
          expires: at(10).toISOString(),
        },
        T0,
      ),
    ).rejects.toThrow('not limited to sites');
    const r = await revokeAcceptance(vdb, cliActor, a.id, 'contract ended', at(1));
    expect(r.state).toBe('revoked');
    expect((await getTask(vdb, cliActor, t3.id, at(1))).state).toBe('open');
  });

  it('runs a campaign over a model and version with progress per site and department', async () => {
    const c = await createCampaign(
      vdb,
      cliActor,
      {
        model: 'Tasy EMR HTML5',
        version: '3.06.1700',
        vulnerability: CVE2,
        fix: 'Update to 3.06.1804',
        due: at(60).toISOString(),
      },
      T0,
    );
    // TASY-2 (had an open task: adopted), TASY-3 and TASY-4 (new).
    expect(c).toMatchObject({
      tasksCreated: 2,
      tasksAdopted: 1,
      version: '3.06.1700',
      vulnerability: CVE2,
      manufacturer: 'Philips',
    });
    expect(c.progress).toMatchObject({ total: 3, done: 0, byState: { open: 3 } });
    expect(c.progress.bySite.map((r) => `${r.site}/${r.department}: ${r.total}`)).toEqual([
      'Main Campus/Cardiology: 1',
      'Main Campus/Radiology: 1',
      'North Clinic/ICU: 1',
    ]);
    await updateDevice(vdb, cliActor, 'TASY-4', { softwareVersion: '3.06.1804' });
    await verifyTasksForDevices(vdb, [ids['TASY-4']!], at(3));
    // A hand edit is named as one, not as an import.
    const [tasy4] = await listTasks(vdb, cliActor, { campaignId: c.id, deviceId: ids['TASY-4'] }, at(3));
    expect(String(tasy4?.verification?.['summary'])).toMatch(
      /^match of CVE-\S+ gone after manual edit by cli:\S+ at .*, software now 3\.06\.1804$/,
    );
    const v = await getCampaignView(vdb, cliActor, c.id);
    expect(v.progress).toMatchObject({ total: 3, done: 1, percentDone: 33.3 });
    expect(v.progress.bySite.find((r) => r.site === 'North Clinic')?.byState).toEqual({ verified: 1 });
    // A site-limited reader sees its own site's progress only.
    const [northId] = (
      await vdb.db.selectFrom('sites').select('id').where('name', '=', 'North Clinic').execute()
    ).map((s) => s.id);
    const north: Actor = { ...cliActor, siteIds: [northId!] };
    expect((await getCampaignView(vdb, north, c.id)).progress.total).toBe(1);
    await expect(createCampaign(vdb, north, { model: 'Tasy EMR HTML5' }, T0)).rejects.toThrow(
      'not limited to sites',
    );
  });

  it('finds a model by a manufacturer spelling the name table knows, and says whose model it is', async () => {
    // The CMMS says "Philips"; a person may type the advisory's "Philips Healthcare".
    const m = await resolveModel(vdb, 'Tasy EMR HTML5', 'Philips Healthcare');
    expect(m).toMatchObject({ name: 'Tasy EMR HTML5', manufacturer: 'Philips' });
    await expect(resolveModel(vdb, 'Tasy EMR HTML5', 'GE Healthcare')).rejects.toMatchObject({
      code: 'not_found',
      message: 'Device model "Tasy EMR HTML5" of GE Healthcare not found (the model is known for: Philips)',
    });
  });

  it('limits site-scoped actors to their sites', async () => {
    const [northId] = (
      await vdb.db.selectFrom('sites').select('id').where('name', '=', 'North Clinic').execute()
    ).map((s) => s.id);
    const north: Actor = { ...cliActor, siteIds: [northId!] };
    const seen = await listTasks(vdb, north, {}, T0);
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen.map((t) => t.site))).toEqual(new Set(['North Clinic']));
    const [main] = await listTasks(vdb, cliActor, { deviceId: ids['TASY-1'] }, T0);
    await expect(getTask(vdb, north, main!.id)).rejects.toThrow('not found');
    await expect(moveTask(vdb, north, main!.id, { state: 'closed', reason: 'x' })).rejects.toThrow(
      'not found',
    );
    await expect(createTask(vdb, north, { device: 'TASY-2', vulnerability: CVE }, T0)).rejects.toThrow(
      'not found',
    );
  });

  it('verifies finding tasks: resolved, or not seen again by a later capture after the fix', async () => {
    const finding = (id: string, subject: string) => ({
      id,
      type: 'insecure-protocol',
      severity: 'high',
      device_id: ids['TASY-1']!,
      subject,
      dedup_key: `insecure-protocol ${ids['TASY-1']} ${subject}`,
      title: `Telnet (${subject}) open on TASY-1`,
      state: 'open',
      evidence: JSON.stringify({ source: 'capture', file: 'ward3.pcap', summary: 'telnet' }),
      last_evidence: JSON.stringify({ source: 'capture', file: 'ward3.pcap', summary: 'telnet' }),
      details: '{}',
      occurrences: 1,
      first_seen: T0.toISOString(),
      last_seen: T0.toISOString(),
      created_at: T0.toISOString(),
      updated_at: T0.toISOString(),
    });
    await vdb.db
      .insertInto('findings')
      .values([finding('f-1', 'tcp/23'), finding('f-2', 'tcp/2323')])
      .execute();
    const a = await createTask(vdb, cliActor, { finding: 'f-1' }, T0);
    const b = await createTask(
      vdb,
      cliActor,
      { finding: 'f-2', controls: [{ control: 'service-disabled' }] },
      T0,
    );
    expect(a).toMatchObject({
      kind: 'finding',
      findingId: 'f-1',
      title: 'Telnet (tcp/23) open on TASY-1',
      state: 'open',
    });
    await moveTask(vdb, cliActor, b.id, { state: 'applied', appliedAt: at(1).toISOString() }, at(1));
    await setFindingState(vdb, cliActor, 'f-1', 'resolved');
    // A later capture sees the device (last_seen after the fix) but not the finding on tcp/2323.
    await vdb.db
      .updateTable('devices')
      .set({ last_seen: at(2).toISOString() })
      .where('id', '=', ids['TASY-1']!)
      .execute();
    const r = await verifyTasksForDevices(vdb, [ids['TASY-1']!], at(3));
    expect(r.verified.map((v) => [v.taskId, v.evidence.reason]).sort()).toEqual(
      [
        [a.id, 'finding-resolved'],
        [b.id, 'finding-not-seen'],
      ].sort(),
    );
  });

  it('records compensating controls per task, audited', async () => {
    const [t] = await listTasks(vdb, cliActor, { deviceId: ids['TASY-1'] }, T0);
    const u = await updateTask(
      vdb,
      cliActor,
      t!.id,
      {
        controls: [{ control: 'monitored', note: 'IDS rule 4711' }, { control: 'service-disabled' }],
        assignee: 'biomed-2',
      },
      T0,
    );
    expect(u.controls.map((c) => c.control)).toEqual(['monitored', 'service-disabled']);
    expect(u.assignee).toBe('biomed-2');
    await expect(updateTask(vdb, cliActor, t!.id, { controls: [{ control: 'prayer' }] })).rejects.toThrow(
      'Invalid task update',
    );
    const ev = (await getTask(vdb, cliActor, t!.id)).events.at(-1);
    expect(ev).toMatchObject({
      action: 'controls',
      details: { after: { controls: ['monitored', 'service-disabled'], assignee: 'biomed-2' } },
    });
  });
});

// Its own database: these tests respell a manufacturer and retire devices, which the model and campaign
// tests above must not see.
describe.each(DIALECTS)('verification needs evidence of a fix on %s', (dialect) => {
  let vdb: VigilDatabase;

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importAdvisoryPaths(vdb, cliActor, [ADVISORY]);
  });
  afterAll(async () => vdb?.close());

  it('does not verify a task whose match vanished because the manufacturer was respelled', async () => {
    const id = (await addDevice(vdb, cliActor, tasy('TASY-8', '3.06.1803'))).id;
    const t = await createTask(vdb, cliActor, { device: 'TASY-8', vulnerability: CVE }, T0);
    // The match goes (the advisory names Philips), but the device still runs the affected version.
    await updateDevice(vdb, cliActor, 'TASY-8', { manufacturer: 'Acme Medical' });
    const v = await getTask(vdb, cliActor, t.id, at(1));
    expect(v.state).toBe('open');
    expect(v.verification).toBeNull();
    expect(v.events.at(-1)).toMatchObject({
      action: 'match-lapsed',
      from: 'open',
      to: 'open',
      details: { reason: 'match-gone', deviceVersion: { software: '3.06.1803' } },
    });
    // Reported, but recorded once: a second run adds no event.
    const r = await verifyTasksForDevices(vdb, [id], at(2));
    expect(r.verified).toEqual([]);
    expect(r.lapsed).toMatchObject([{ taskId: t.id, reason: 'match-gone' }]);
    expect(
      (await getTask(vdb, cliActor, t.id, at(2))).events.filter((e) => e.action === 'match-lapsed'),
    ).toHaveLength(1);
    // A real fix afterwards still verifies it.
    await updateDevice(vdb, cliActor, 'TASY-8', { softwareVersion: '3.06.1804' });
    expect((await getTask(vdb, cliActor, t.id, at(3))).state).toBe('verified');
  });

  it('does not verify a task on a hospital VEX not-affected statement or a retired device', async () => {
    const id9 = (await addDevice(vdb, cliActor, tasy('TASY-9', '3.06.1803'))).id;
    const id10 = (await addDevice(vdb, cliActor, tasy('TASY-10', '3.06.1803'))).id;
    const vexed = await createTask(vdb, cliActor, { device: 'TASY-9', vulnerability: CVE2 }, T0);
    const retired = await createTask(vdb, cliActor, { device: 'TASY-10', vulnerability: CVE2 }, T0);
    await addVexStatement(vdb, cliActor, {
      vulnerability: CVE2,
      status: 'not-affected',
      justification: 'inline_mitigations_already_exist',
      device: id9,
    });
    const v = await getTask(vdb, cliActor, vexed.id, at(1));
    expect(v.state).toBe('open');
    expect(v.events.at(-1)).toMatchObject({
      action: 'match-lapsed',
      details: { reason: 'match-not-affected' },
    });
    await retireDevice(vdb, cliActor, 'TASY-10', 'sold');
    const r = await verifyTasksForDevices(vdb, [id10], at(1));
    expect(r.verified).toEqual([]);
    expect(r.lapsed).toMatchObject([{ taskId: retired.id, reason: 'device-retired' }]);
    expect((await getTask(vdb, cliActor, retired.id, at(1))).state).toBe('open');
  });
});
