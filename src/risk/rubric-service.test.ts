/**
 * The rubric questionnaire stored per model and used by the queue, compensating controls recorded on a
 * task lowering Exposure, SLAs from the configuration, paging and grouping — on SQLite and PostgreSQL.
 *
 * Fixtures are real: the CVE 5 record of CVE-2024-40711 (Veeam Backup and Replication, CVSS 3.0 9.8,
 * `feeds/cve5/vulnrichment-records.jsonl`) and the EPSS sample. Two workstations of the same model sit in
 * a DMZ segment (exposure open from the network).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { ROLES } from '../accounts/permissions.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { listAudit } from '../audit/audit-log.js';
import { VigilError } from '../errors.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import { upsertCommunications } from '../store/communication-store.js';
import type { VigilDatabase } from '../store/database.js';
import { newId } from '../store/ids.js';
import { createTask } from '../tasks/tasks-service.js';
import { groupQueue, listQueuePage, type QueueItem, queueOptionsFrom } from './queue-service.js';
import { answerRubric, listModelRubrics, showRubric } from './rubric-service.js';

const FEEDS = join(import.meta.dirname, '../../test/fixtures/feeds');
const NOW = new Date('2025-09-01T00:00:00Z');
const CVE = 'CVE-2024-40711';

const clinicalEngineer: Actor = {
  kind: 'user',
  id: 'u-ce',
  name: 'ce.jones',
  role: 'clinical-engineer',
  permissions: new Set(ROLES['clinical-engineer'].permissions),
};

async function rejects(p: Promise<unknown>): Promise<VigilError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VigilError) return e;
    throw e;
  }
  throw new Error('expected a VigilError');
}

describe.each(DIALECTS)('rubric, controls and queue settings on %s', (dialect) => {
  let vdb: VigilDatabase;
  let ws1 = '';
  const item = async (tag: string, opts = {}) =>
    (await listQueuePage(vdb, cliActor, {}, { now: NOW, ...opts })).items.find(
      (i: QueueItem) => i.assetTag === tag && i.vulnerability === CVE,
    )!;

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'Main Campus' });
    await addSegment(vdb, cliActor, 'Main Campus', {
      name: 'Radiology DMZ',
      cidrs: ['10.20.0.0/24'],
      zone: 'dmz',
    });
    for (const [tag, ip] of [
      ['WS-1', '10.20.0.5'],
      ['WS-2', '10.20.0.6'],
    ] as const) {
      const d = await addDevice(vdb, cliActor, {
        assetTag: tag,
        manufacturer: 'Veeam',
        model: 'Backup and Recovery',
        softwareVersion: '12.1.2',
        deviceClass: 'medical-workstation',
        criticality: 'diagnostic',
        ephi: true,
        site: 'Main Campus',
        ips: [ip],
      });
      if (tag === 'WS-1') ws1 = d.id;
    }
    await importAdvisoryPaths(vdb, cliActor, [
      join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
      join(FEEDS, 'epss/epss_scores-sample.csv'),
    ]);
  });
  afterAll(async () => vdb?.close());

  it('stores answers per model, merges and clears them, audits before and after', async () => {
    const first = await answerRubric(vdb, cliActor, {
      device: 'WS-1',
      answers: { XAVN: 'no', XAVW: 'yes', XCP: 'high', XID: 'high' },
      notes: 'asked radiology PACS admin',
    });
    expect(first.answers).toEqual({ XAVN: 'no', XAVW: 'yes', XCP: 'high', XID: 'high' });
    expect(first.modelName).toBe('Veeam Backup and Recovery');
    expect(first.unanswered).toContain('XUI');
    const merged = await answerRubric(vdb, cliActor, {
      modelId: first.modelId,
      answers: { XUI: 'yes', XID: null },
    });
    expect(merged.answers).toEqual({ XAVN: 'no', XAVW: 'yes', XCP: 'high', XUI: 'yes' });
    expect(merged.notes).toBe('asked radiology PACS admin');
    const audit = await listAudit(vdb, { action: 'risk.rubric' });
    expect(audit).toHaveLength(2);
    expect(JSON.stringify(audit[0]!.summary)).toContain('XID');
    expect((await listModelRubrics(vdb, cliActor)).map((r) => r.modelId)).toEqual([first.modelId]);
  });

  it('refuses bad answers (all named), a role without risk:write, and a site-limited account', async () => {
    const bad = await rejects(
      answerRubric(vdb, cliActor, { device: 'WS-1', answers: { XAVN: 'maybe', ZZZ: 'yes' } }),
    );
    expect(bad.code).toBe('invalid_input');
    expect(JSON.stringify(bad.issues)).toContain('answers.XAVN');
    expect(JSON.stringify(bad.issues)).toContain('answers.ZZZ');
    expect(
      (await rejects(answerRubric(vdb, clinicalEngineer, { device: 'WS-1', answers: { XUI: 'no' } }))).code,
    ).toBe('forbidden');
    const limited: Actor = { ...cliActor, siteIds: ['x'] };
    expect((await rejects(answerRubric(vdb, limited, { device: 'WS-1', answers: { XUI: 'no' } }))).code).toBe(
      'forbidden',
    );
    // Reading is allowed with risk:read.
    expect((await showRubric(vdb, clinicalEngineer, { device: 'WS-1' })).rubric?.answers['XAVN']).toBe('no');
  });

  it("applies the model's answers to every device of the model, with the answers as justification", async () => {
    for (const tag of ['WS-1', 'WS-2']) {
      const i = await item(tag);
      expect(i.cvss.baseVector).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H');
      // XCP high → CR:H; XAVN no + XAVW yes → MAV:A; XUI yes → MUI:R. IR/AR stay from criticality (M).
      expect(i.cvss.vector).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:M/AR:M/MAV:A/MUI:R');
      const cvssLine = i.evidence.find((e) => e.point === 'cvss')!;
      expect(cvssLine.because).toContain('XAVW');
      expect(cvssLine.because).toContain('rubric for Veeam Backup and Recovery');
    }
    const shown = await showRubric(
      vdb,
      cliActor,
      { device: 'WS-2' },
      'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
    );
    expect(shown.vector?.environmental).toContain('MAV:A');
    expect(shown.vector?.justification.map((j) => j.metric)).toEqual(['CR', 'MAV', 'MUI']);
  });

  it('a compensating control recorded on a task makes the exposure small, naming the task', async () => {
    expect((await item('WS-1')).evidence.find((e) => e.point === 'exposure')!.value).toBe('open');
    await createTask(vdb, cliActor, {
      device: 'WS-1',
      vulnerability: CVE,
      title: 'Patch Veeam on WS-1',
      controls: [{ control: 'isolated', note: 'unplugged from the DMZ until patched' }],
    });
    const exp = (await item('WS-1')).evidence.find((e) => e.point === 'exposure')!;
    expect(exp.value).toBe('small');
    expect(exp.because).toContain('isolated (task "Patch Veeam on WS-1")');
    // The other device of the model is not isolated.
    expect((await item('WS-2')).evidence.find((e) => e.point === 'exposure')!.value).toBe('open');
  });

  it('an internet host seen connecting to the device makes its exposure open; outbound-only does not', async () => {
    await addSegment(vdb, cliActor, 'Main Campus', {
      name: 'Lab',
      cidrs: ['10.40.0.0/24'],
      zone: 'clinical',
    });
    const lab = await addDevice(vdb, cliActor, {
      assetTag: 'LAB-1',
      manufacturer: 'Veeam',
      model: 'Backup and Recovery',
      softwareVersion: '12.1.2',
      deviceClass: 'medical-workstation',
      criticality: 'diagnostic',
      site: 'Main Campus',
      ips: ['10.40.0.7'],
    });
    await listQueuePage(vdb, cliActor, {}, { now: NOW });
    expect((await item('LAB-1')).evidence.find((e) => e.point === 'exposure')!.value).toBe('controlled');
    // A conversation as a capture would store it; the public address is one seen in Zeek's RITA test data.
    const row = (
      client: string,
      server: string,
      clientDevice: string | null,
      serverDevice: string | null,
    ) => ({
      id: newId(),
      site_id: null,
      client_ip: client,
      server_ip: server,
      client_device_id: clientDevice,
      server_device_id: serverDevice,
      port: server === '10.40.0.7' ? 443 : 8443,
      transport: 'tcp',
      protocol: 'tls',
      protocol_key: 'tls',
      connections: 1,
      packets: 12,
      bytes: 4096,
      established: 1 as const,
      evidence: JSON.stringify({ source: 'capture', file: 'lab.pcap', summary: 'TLS' }),
      first_seen: '2025-08-30T10:00:00.000Z',
      last_seen: '2025-08-30T10:05:00.000Z',
    });
    await upsertCommunications(vdb, [row('10.40.0.7', '52.44.164.170', lab.id, null)]);
    const out = (await item('LAB-1')).evidence.find((e) => e.point === 'exposure')!;
    expect(out.value).toBe('controlled');
    expect(out.because).toContain('outbound only');
    await upsertCommunications(vdb, [row('52.44.164.170', '10.40.0.7', null, lab.id)]);
    const inbound = (await item('LAB-1')).evidence.find((e) => e.point === 'exposure')!;
    expect(inbound.value).toBe('open');
    expect(inbound.because).toContain('internet host 52.44.164.170 connected to it on 443/tcp');
  });

  it('takes SLAs and the EPSS threshold from the configuration, pages and groups', async () => {
    const dflt = await item('WS-2');
    const tight = await item(
      'WS-2',
      queueOptionsFrom({
        slaImmediateHours: 24,
        slaOutOfCycleDays: 3,
        slaScheduledDays: 30,
        epssThreshold: 0.1,
      }),
    );
    expect(dflt.decision).toBe(tight.decision);
    expect(new Date(tight.due!).getTime()).toBeLessThan(new Date(dflt.due!).getTime());
    const all = await listQueuePage(vdb, cliActor, {}, { now: NOW });
    const page = await listQueuePage(vdb, cliActor, { offset: 1, limit: 1 }, { now: NOW });
    expect(page.total).toBe(all.total);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.rank).toBe(2);
    const groups = groupQueue(all.items).filter((g) => g.vulnerabilities.includes(CVE));
    expect(groups).toHaveLength(1);
    expect(groups[0]!.devices).toBe(3);
    expect(groups[0]!.model).toBe('Backup and Recovery');
    expect(ws1).not.toBe('');
  });
});
