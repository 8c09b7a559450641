/**
 * The work queue end to end on real fixtures (the worked example of docs/risk.md):
 *
 * - PM-1: an Abbott Assurity MRI pacemaker (life-sustaining, ePHI), matched by ICSMA-17-241-01. The
 *   advisory scopes its range by manufacture date (`< august 28`), so the match needs review; the test
 *   confirms CVE-2017-12712 with `decideCandidate` as clinical engineering would. No IP: exposure unknown.
 *   (ICSMA-17-241-01 names the pacemakers themselves; no fixture advisory names an Abbott programmer.)
 * - IMG-1: an imaging workstation (diagnostic, ePHI) in the radiology DMZ segment whose software,
 *   Veeam Backup and Recovery 12.1.2, matches CVE-2024-40711 through the real CVE 5 record
 *   (`feeds/cve5/vulnrichment-records.jsonl`, CVSS 3.0 9.8) with the real EPSS score 0.91212. The KEV
 *   fixture slice does not contain CVE-2024-40711, so the catalog imported here is the real slice plus the
 *   real catalog entry for CVE-2024-40711 (added 2024-10-17, due 2024-11-07, ransomware "Known"), copied
 *   verbatim from CISA's catalog (shared data `02-kev/known_exploited_vulnerabilities.json`).
 * - BADGE-1: a badge printer station (non-clinical, no ePHI) running Adminer 4.8.1, matched by VA-24-201-01:
 *   CVE-2023-45197 (CVSS 3.1 9.0 critical, CISA SSVC note E:N/A:Y/T:T) and two medium CVEs.
 *
 * Expected results were worked out from the SSVC deployer table by hand (docs/risk.md, worked example).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import type { Actor } from '../accounts/actor.js';
import { importAdvisoryPaths, importBytes } from '../advisories/advisory-import.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import { decideCandidate } from '../matching/vulns-service.js';
import type { VigilDatabase } from '../store/database.js';
import { acceptRisk, revokeAcceptance } from '../tasks/acceptance-service.js';
import { addOverride, listRiskOverrides, revokeOverride } from './overrides-service.js';
import { listQueue, listQueuePage, type QueueItem, queueItemOf } from './queue-service.js';

const FIX = join(import.meta.dirname, '../../test/fixtures');
const CSAF = join(FIX, 'advisories/csaf');
const FEEDS = join(FIX, 'feeds');

/** Verbatim from CISA's KEV catalog (catalogVersion 2025.08.25). */
const KEV_40711 = {
  cveID: 'CVE-2024-40711',
  vendorProject: 'Veeam',
  product: 'Backup & Replication',
  vulnerabilityName: 'Veeam Backup and Replication Deserialization Vulnerability',
  dateAdded: '2024-10-17',
  shortDescription:
    'Veeam Backup and Replication contains a deserialization vulnerability allowing an unauthenticated user to perform remote code execution.',
  requiredAction:
    'Apply mitigations per vendor instructions or discontinue use of the product if mitigations are unavailable.',
  dueDate: '2024-11-07',
  knownRansomwareCampaignUse: 'Known',
  notes: 'https://www.veeam.com/kb4649 ; https://nvd.nist.gov/vuln/detail/CVE-2024-40711',
  cwes: ['CWE-502'],
};

const NOW = new Date('2025-09-01T00:00:00Z');

function line(i: QueueItem): string {
  return `${i.assetTag} ${i.vulnerability ?? i.findingId} ${i.decision}`;
}

describe.each(DIALECTS)('work queue on %s', (dialect) => {
  let vdb: VigilDatabase;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'Main Campus' });
    await addSegment(vdb, cliActor, 'Main Campus', {
      name: 'Radiology DMZ',
      cidrs: ['10.20.0.0/24'],
      zone: 'dmz',
    });
    await addSegment(vdb, cliActor, 'Main Campus', {
      name: 'Facilities',
      cidrs: ['10.30.0.0/24'],
      zone: 'facilities',
    });
    ids['PM-1'] = (
      await addDevice(vdb, cliActor, {
        assetTag: 'PM-1',
        manufacturer: 'Abbott',
        model: 'Assurity MRI',
        firmwareVersion: '1.0',
        deviceClass: 'other-medical',
        criticality: 'life-sustaining',
        ephi: true,
        site: 'Main Campus',
      })
    ).id;
    ids['IMG-1'] = (
      await addDevice(vdb, cliActor, {
        assetTag: 'IMG-1',
        manufacturer: 'Veeam',
        model: 'Backup and Recovery',
        softwareVersion: '12.1.2',
        deviceClass: 'medical-workstation',
        criticality: 'diagnostic',
        ephi: true,
        site: 'Main Campus',
        ips: ['10.20.0.5'],
      })
    ).id;
    ids['BADGE-1'] = (
      await addDevice(vdb, cliActor, {
        assetTag: 'BADGE-1',
        manufacturer: 'Adminer',
        model: 'Adminer',
        softwareVersion: '4.8.1',
        deviceClass: 'iot',
        criticality: 'non-clinical',
        ephi: false,
        site: 'Main Campus',
        ips: ['10.30.0.9'],
      })
    ).id;
    await importAdvisoryPaths(vdb, cliActor, [
      join(CSAF, 'icsma-17-241-01.json'),
      join(CSAF, 'va-24-201-01.json'),
      join(FEEDS, 'cve5/vulnrichment-records.jsonl'),
      join(FEEDS, 'epss/epss_scores-sample.csv'),
    ]);
    const kev = JSON.parse(readFileSync(join(FEEDS, 'kev/kev-slice.json'), 'utf8')) as {
      vulnerabilities: unknown[];
    };
    kev.vulnerabilities.push(KEV_40711);
    await importBytes(vdb, new TextEncoder().encode(JSON.stringify(kev)), 'kev-plus-40711.json', 'kev', null);
    await decideCandidate(vdb, cliActor, ids['PM-1']!, 'CVE-2017-12712', {
      decision: 'confirmed',
      reason: 'serial numbers manufactured before 2017-08-28 per Abbott letter',
    });
  });
  afterAll(async () => vdb?.close());

  it('ranks the worked example and explains each decision', async () => {
    const q = await listQueue(vdb, cliActor, {}, { now: NOW });
    const top = (tag: string, cve: string) => q.find((i) => i.assetTag === tag && i.vulnerability === cve)!;
    const img = top('IMG-1', 'CVE-2024-40711');
    const pm = top('PM-1', 'CVE-2017-12712');
    const badge = top('BADGE-1', 'CVE-2023-45197');
    // The issue's worked example: the pacemaker first, the exposed KEV-listed workstation second, the badge
    // printer last. The SSVC table alone says Scheduled for the pacemaker; the patient-safety floor raises
    // it to Out-of-Cycle; the workstation's table decision (Scheduled) is raised to Out-of-Cycle by KEV's
    // ransomware flag; within one decision patient harm ranks before known exploitation. The two
    // Abbott CVEs still waiting for a person's confirmation come after the confirmed items.
    expect(q.slice(0, 4).map(line)).toEqual([
      'PM-1 CVE-2017-12712 out-of-cycle',
      'IMG-1 CVE-2024-40711 out-of-cycle',
      'PM-1 CVE-2017-12714 out-of-cycle',
      'PM-1 CVE-2017-12716 out-of-cycle',
    ]);
    expect(pm.rank).toBeLessThan(img.rank);
    expect(img.rank).toBeLessThan(badge.rank);
    expect(badge.decision).toBe('scheduled');
    expect(pm.evidence.find((e) => e.point === 'decision')?.because).toContain(
      'the table says scheduled, raised to out-of-cycle by the patient-safety floor',
    );

    const why = (i: QueueItem) => Object.fromEntries(i.evidence.map((e) => [e.point, e.value]));
    expect(why(img)).toMatchObject({
      exploitation: 'active',
      exposure: 'open',
      // CISA's ADP assessment in the CVE record (Automatable: no) wins over the vector's reading.
      automatable: 'no',
      safetyImpact: 'M',
      missionImpact: 'MSC',
      humanImpact: 'L',
    });
    expect(img.evidence[0]?.because).toContain('known ransomware campaign use');
    // Deployer table: active, open, not automatable, human impact low → Scheduled; KEV's ransomware flag
    // escalates one level.
    expect(img.evidence.find((e) => e.point === 'decision')?.because).toContain(
      'the table says scheduled, raised to out-of-cycle by known ransomware campaign use (KEV)',
    );
    expect(img.evidence.find((e) => e.point === 'automatable')?.source).toBe('cisa-adp');
    expect(img.due).toBe('2024-11-07T23:59:59.000Z');
    expect(img.dueBecause).toBe('KEV due date 2024-11-07');
    expect(img.overdue).toBe(true);
    expect(img.cvss.base).toBe(9.8);
    expect(img.cvss.vector).toBe('CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:M/AR:M');

    expect(why(pm)).toMatchObject({
      exploitation: 'none',
      exposure: 'controlled',
      automatable: 'no',
      safetyImpact: 'C',
      humanImpact: 'VH',
    });
    expect(pm.evidence.find((e) => e.point === 'exposure')?.because).toContain('exposure unknown');
    expect(pm.status).toBe('affected');
    expect(pm.cvss.vector).toBe('CVSS:3.0/AV:A/AC:H/PR:N/UI:N/S:U/C:H/I:H/A:H/CR:H/IR:H/AR:H');
    expect(pm.group.key).toBe('Abbott | Assurity MRI | 1.0 | ICSMA-17-241-01');
    // The two other Abbott CVEs are still candidates: queued, and said to need review.
    const review = top('PM-1', 'CVE-2017-12714');
    expect(review.status).toBe('needs-review');
    expect(review.evidence[0]?.point).toBe('match');

    expect(why(badge)).toMatchObject({
      exploitation: 'none',
      exposure: 'controlled',
      automatable: 'yes',
      safetyImpact: 'N',
      humanImpact: 'L',
    });
    expect(badge.evidence.find((e) => e.point === 'automatable')?.source).toBe('csaf-ssvc');
    expect(badge.cvss.base).toBe(9);
    expect(pm.score).toBeGreaterThan(badge.score);
  });

  it('applies an override, shows it, audits it, and filters overdue and limit', async () => {
    await expect(
      addOverride(vdb, cliActor, {
        scope: 'device',
        device: 'BADGE-1',
        point: 'EXP',
        value: 'open',
        reason: '',
        expiresAt: '2099-01-01',
      }),
    ).rejects.toThrow(/Invalid risk override/);
    // A reason that was given but is too short must not be called missing.
    await expect(
      addOverride(vdb, cliActor, {
        scope: 'device',
        device: 'BADGE-1',
        point: 'EXP',
        value: 'open',
        reason: 'ok',
        expiresAt: '2099-01-01',
      }),
    ).rejects.toMatchObject({
      issues: [{ field: 'reason', reason: 'a reason of at least 3 characters is required' }],
    });
    const o = await addOverride(vdb, cliActor, {
      scope: 'device',
      device: 'BADGE-1',
      point: 'EXP',
      value: 'open',
      reason: 'badge station is published to the visitor kiosk network',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    expect((await listRiskOverrides(vdb, cliActor)).map((x) => x.id)).toEqual([o.id]);
    const q = await listQueue(vdb, cliActor, {}, { now: NOW });
    const badge = q.find((i) => i.assetTag === 'BADGE-1' && i.vulnerability === 'CVE-2023-45197')!;
    // N, O, Y, L → Scheduled still; the override is shown.
    expect(badge.overrides).toEqual([o.id]);
    expect(badge.evidence.find((e) => e.point === 'exposure')).toMatchObject({
      value: 'open',
      source: 'override',
    });
    const audit = await vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'risk.override')
      .execute();
    expect(audit).toHaveLength(1);
    // Revoked: the evidence speaks again, the override is listed only with --all, the revocation audited.
    await expect(revokeOverride(vdb, cliActor, o.id, '  ')).rejects.toThrow(/Invalid revocation/);
    const revoked = await revokeOverride(vdb, cliActor, o.id, 'kiosk network removed');
    expect(revoked.revokedAt).not.toBeNull();
    await expect(revokeOverride(vdb, cliActor, o.id, 'again')).rejects.toThrow(/was revoked on/);
    const after = (await listQueue(vdb, cliActor, {}, { now: NOW })).find(
      (i) => i.assetTag === 'BADGE-1' && i.vulnerability === 'CVE-2023-45197',
    )!;
    expect(after.overrides).toEqual([]);
    expect(after.evidence.find((e) => e.point === 'exposure')?.value).toBe('controlled');
    expect(await listRiskOverrides(vdb, cliActor)).toEqual([]);
    expect(await listRiskOverrides(vdb, cliActor, { all: true })).toMatchObject([
      { id: o.id, revokedAt: revoked.revokedAt },
    ]);
    const revokes = await vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'risk.override-revoke')
      .execute();
    expect(revokes).toHaveLength(1);
    const overdue = await listQueue(vdb, cliActor, { overdue: true }, { now: NOW });
    expect(overdue.map(line)).toEqual(['IMG-1 CVE-2024-40711 out-of-cycle']);
    expect(await listQueue(vdb, cliActor, { limit: 2 }, { now: NOW })).toHaveLength(2);
  });

  it('names each device as people know it: the asset tag, else make and model with its address', async () => {
    // A CT nobody declared: only a capture saw it, sending a DICOM study in the clear (an open finding).
    await importCaptureFile(vdb, join(FIX, 'captures/dicom-ct-store.pcap'));
    const q = await listQueue(vdb, cliActor, {}, { now: NOW });
    expect(new Set(q.filter((i) => i.deviceId === ids['IMG-1']).map((i) => i.deviceLabel))).toEqual(
      new Set(['IMG-1']),
    );
    expect(q.find((i) => i.title === 'Patient data sent without encryption (dicom:104)')).toMatchObject({
      kind: 'finding',
      assetTag: null,
      deviceLabel: 'GE Medical Systems RHAPSODE (10.20.0.21)',
    });
  });

  it('ranks each unit of one model by its own context and overrides, as its built item says', async () => {
    // Three more units of BADGE-1's model and version: the same matches, decided per unit. Ranking decides
    // each combination of context once (rankOf); the built items work it out in full for each unit.
    const unit = async (assetTag: string, more: Record<string, unknown>) =>
      (
        await addDevice(vdb, cliActor, {
          assetTag,
          manufacturer: 'Adminer',
          model: 'Adminer',
          softwareVersion: '4.8.1',
          deviceClass: 'iot',
          criticality: 'non-clinical',
          ephi: false,
          site: 'Main Campus',
          ...more,
        })
      ).id;
    await unit('BADGE-2', { ips: ['10.30.0.10'] });
    await unit('BADGE-3', { ips: ['10.30.0.11'], criticality: 'life-sustaining', ephi: true });
    await unit('BADGE-4', { ips: ['10.30.0.12'] });
    await addOverride(vdb, cliActor, {
      scope: 'device',
      device: 'BADGE-4',
      point: 'HI',
      value: 'VH',
      reason: 'the station also drives the infusion pump library server',
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    });
    const q = await listQueue(vdb, cliActor, {}, { now: NOW });
    const of = (tag: string) => q.find((i) => i.assetTag === tag && i.vulnerability === 'CVE-2023-45197')!;
    expect(of('BADGE-2')).toMatchObject({ decision: of('BADGE-1').decision, score: of('BADGE-1').score });
    expect(of('BADGE-3').score).not.toBe(of('BADGE-1').score);
    expect(of('BADGE-4')).toMatchObject({ decision: 'out-of-cycle' });
    expect(of('BADGE-4').overrides).toHaveLength(1);
    // The order is the built items' own: score down, then due date up.
    for (let i = 1; i < q.length; i++) {
      const [a, b] = [q[i - 1]!, q[i]!];
      expect(a.score > b.score || (a.score === b.score && (a.due ?? '9999') <= (b.due ?? '9999'))).toBe(true);
    }
  });

  it('an item under a risk acceptance in force is never overdue, ranks after the rest, and can be left out', async () => {
    const before = await listQueue(vdb, cliActor, {}, { now: NOW });
    const img = before.find((i) => i.assetTag === 'IMG-1' && i.vulnerability === 'CVE-2024-40711')!;
    expect(img).toMatchObject({ overdue: true, acceptance: null });
    const a = await acceptRisk(vdb, cliActor, {
      scope: 'device',
      device: 'IMG-1',
      vulnerability: 'CVE-2024-40711',
      decision: 'reduce',
      reason:
        'Veeam console reachable only from the backup VLAN until the vendor upgrade in the January window',
      expires: new Date(Date.now() + 60 * 86_400_000).toISOString(),
      controls: [{ control: 'segmented' }],
    });
    const q = await listQueue(vdb, cliActor, {}, { now: NOW });
    const accepted = q.find((i) => i.assetTag === 'IMG-1' && i.vulnerability === 'CVE-2024-40711')!;
    expect(accepted).toMatchObject({
      overdue: false,
      // What it would be without the acceptance stays readable, and a task made from it keeps that SLA.
      decision: img.decision,
      due: img.due,
      acceptance: { id: a.id, scope: 'device', decision: 'reduce', approver: cliActor.name },
    });
    expect(accepted.dueBecause).toMatch(/^risk accepted \(reduce\) until \d{4}-\d{2}-\d{2}, not overdue/);
    expect(accepted.evidence[0]).toMatchObject({
      point: 'acceptance',
      value: 'reduce',
      source: 'acceptance',
    });
    expect(q.at(-1)).toEqual(accepted);
    // Its other units and the other vulnerabilities are not covered.
    expect(q.filter((i) => i.acceptance)).toHaveLength(1);
    expect(await listQueue(vdb, cliActor, { overdue: true }, { now: NOW })).toEqual([]);
    expect((await listQueue(vdb, cliActor, { accepted: false }, { now: NOW })).map(line)).toEqual(
      q.slice(0, -1).map(line),
    );
    expect((await listQueue(vdb, cliActor, { accepted: true }, { now: NOW })).map(line)).toEqual([line(img)]);
    // Revoked: the item is owed work again, and overdue.
    await revokeAcceptance(vdb, cliActor, a.id, 'upgrade window moved; treat as open');
    const after = await listQueue(vdb, cliActor, { overdue: true }, { now: NOW });
    expect(after.map(line)).toEqual(['IMG-1 CVE-2024-40711 out-of-cycle']);
    expect(after[0]?.acceptance).toBeNull();
  });

  it('a page is that slice of the whole queue, built the same, with ranks in the whole queue', async () => {
    const whole = await listQueue(vdb, cliActor, {}, { now: NOW });
    expect(whole.length).toBeGreaterThan(3);
    expect(whole.map((i) => i.rank)).toEqual(whole.map((_, i) => i + 1));
    for (const [offset, limit] of [
      [0, 2],
      [1, 2],
      [whole.length - 1, 5],
    ] as const) {
      const page = await listQueuePage(vdb, cliActor, { offset, limit }, { now: NOW });
      expect(page.total).toBe(whole.length);
      expect(page.items).toEqual(whole.slice(offset, offset + limit));
    }
    const device = whole.at(-1)!.deviceId;
    const own = await listQueuePage(vdb, cliActor, { deviceId: device }, { now: NOW });
    expect(own.items).toEqual(whole.filter((i) => i.deviceId === device));
  });

  it('shows an actor limited to sites only the items of their sites, findings included, ranked among them', async () => {
    await createSite(vdb, cliActor, { name: 'North Clinic' });
    ids['BADGE-N'] = (
      await addDevice(vdb, cliActor, {
        assetTag: 'BADGE-N',
        manufacturer: 'Adminer',
        model: 'Adminer',
        softwareVersion: '4.8.1',
        deviceClass: 'iot',
        site: 'North Clinic',
        ips: ['10.40.0.9'],
      })
    ).id;
    // The CT only a capture saw (an open finding, no site yet) is placed at the clinic too.
    const ct = (await listQueue(vdb, cliActor, {}, { now: NOW })).find((i) => i.kind === 'finding')!.deviceId;
    const north = (
      await vdb.db.selectFrom('sites').select('id').where('name', '=', 'North Clinic').execute()
    )[0]!;
    await vdb.db.updateTable('devices').set({ site_id: north.id }).where('id', '=', ct).execute();
    const whole = await listQueue(vdb, cliActor, {}, { now: NOW });
    const siteOf = new Map(
      (await vdb.db.selectFrom('devices').select(['id', 'site_id']).execute()).map((d) => [d.id, d.site_id]),
    );
    const sites = await vdb.db.selectFrom('sites').select(['id', 'name']).execute();
    const siteId = (name: string) => sites.find((s) => s.name === name)!.id;
    for (const name of ['North Clinic', 'Main Campus']) {
      const limited: Actor = { ...cliActor, siteIds: [siteId(name)] };
      const mine = whole.filter((i) => siteOf.get(i.deviceId) === siteId(name));
      expect(mine.length).toBeGreaterThan(0);
      const q = await listQueue(vdb, limited, {}, { now: NOW });
      expect(q.map(({ rank, ...i }) => i)).toEqual(mine.map(({ rank, ...i }) => i));
      expect(q.map((i) => i.rank)).toEqual(q.map((_, i) => i + 1));
      const other = whole.find((i) => siteOf.get(i.deviceId) !== siteId(name))!;
      expect(
        await queueItemOf(
          vdb,
          limited,
          {
            deviceId: other.deviceId,
            ...(other.vulnerability
              ? { vulnerability: other.vulnerability }
              : { findingId: other.findingId! }),
          },
          { now: NOW },
        ),
      ).toBeUndefined();
    }
    expect(whole.some((i) => i.kind === 'finding' && siteOf.get(i.deviceId) === siteId('North Clinic'))).toBe(
      true,
    );
    expect(await listQueue(vdb, { ...cliActor, siteIds: [] }, {}, { now: NOW })).toEqual([]);
  });
});
