/**
 * The policy service on SQLite and PostgreSQL, from real traffic: the shared captures imported through
 * the real capture path (which stores their communications), a draft proposed from those stored
 * communications, approved (audited, superseding), simulated (blocks nothing of the traffic it came
 * from, blocks an injected connection), exported, and policy violations raised as alerts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { importCaptureFile } from '../../test/import-capture.js';
import type { Actor } from '../accounts/actor.js';
import { listAudit } from '../audit/audit-log.js';
import { importSource } from '../cli/commands/import.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import { changeAlertState, listAlerts } from '../monitor/alerts-service.js';
import { listCommunications } from '../store/communication-store.js';
import type { VigilDatabase } from '../store/database.js';
import { fromCommunication, type PolicyFlow } from './policy-flow.js';
import {
  approvedPolicyRules,
  approvePolicy,
  checkPolicyViolations,
  exportPolicyText,
  proposeDraft,
  saveDraftPolicy,
  showPolicy,
  simulatePolicy,
} from './policy-service.js';
import { llmnrTraceFlows, mdnsTraceFlows, SGH_SEGMENTS, seedSgh } from './policy-test-fixtures.js';

const CAPTURES = [
  'dicom-ct-store.pcap',
  '04-hl7-mllp.pcap',
  '06-http-tls.pcapng',
  '07-telnet-ftp-ssh-mqtt.pcap',
];
const capture = (name: string) => new URL(`../../test/fixtures/captures/${name}`, import.meta.url).pathname;
const scanCapture = new URL('../../test/fixtures/monitor/08-nmap-scan.pcap', import.meta.url).pathname;

const reader: Actor = { ...cliActor, name: 'auditor', permissions: new Set(['policy:read']) };

describe.each(DIALECTS)('policy service on %s', (dialect) => {
  let vdb: VigilDatabase;
  let stored: PolicyFlow[];
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await seedSgh(vdb, cliActor);
    for (const file of CAPTURES) await importCaptureFile(vdb, capture(file));
    stored = (await listCommunications(vdb)).map(fromCommunication);
  });
  afterAll(async () => vdb?.close());

  it('proposes from the stored communications; the proposal blocks none of them', async () => {
    expect(stored.length).toBeGreaterThan(10);
    await expect(simulatePolicy(vdb, cliActor)).rejects.toThrow(/approved policy/);
    const draft = await proposeDraft(vdb, cliActor, { name: 'sgh' });
    expect(draft).toMatchObject({ state: 'draft', version: 1, siteId: null, flows: stored.length });
    expect(draft.diff.added.length).toBe(draft.ruleCount);
    const sim = await simulatePolicy(vdb, cliActor, { policy: draft.policy });
    expect(sim.flows).toBe(stored.length);
    expect(sim.blocked).toBe(0);
    // Only people with policy:write may propose or approve.
    await expect(proposeDraft(vdb, reader)).rejects.toThrow(/policy:write/);
    await expect(approvePolicy(vdb, reader, draft.id)).rejects.toThrow(/policy:write/);
  });

  it('approves a draft (audited), supersedes the previous one, and refuses to approve twice', async () => {
    const first = await proposeDraft(vdb, cliActor, { name: 'first' });
    // The capture's Telnet, FTP and scanner flows are flagged: approving the draft whole is refused until
    // a person says they have seen them, and the audit entry names them.
    const flagged = first.policy.rules.filter((r) => r.review).map((r) => r.id);
    expect(flagged.length).toBeGreaterThan(0);
    await expect(approvePolicy(vdb, cliActor, first.id)).rejects.toMatchObject({
      code: 'conflict',
      message: expect.stringMatching(/flagged for review \(r\d+ \d+\/tcp.*--accept-review/),
    });
    expect((await showPolicy(vdb, reader)).approved).toBeNull();
    const a1 = await approvePolicy(vdb, cliActor, first.id, { acceptReview: true });
    expect(a1).toMatchObject({ state: 'approved', approvedBy: 'cli:test' });
    expect((await listAudit(vdb, { action: 'policy.approve' }))[0]?.summary).toMatchObject({
      reviewAccepted: flagged,
    });
    const second = await proposeDraft(vdb, cliActor, { name: 'second' });
    // Same traffic, same policy: nothing added or removed against the approved one.
    expect(second.diff).toMatchObject({ added: [], removed: [] });
    await approvePolicy(vdb, cliActor, second.id, { acceptReview: true });
    await expect(approvePolicy(vdb, cliActor, second.id, { acceptReview: true })).rejects.toThrow(
      /only a draft/,
    );
    const overview = await showPolicy(vdb, reader);
    expect(overview.approved?.id).toBe(second.id);
    expect(overview.versions.find((v) => v.id === first.id)?.state).toBe('superseded');
    const audit = await listAudit(vdb, { action: 'policy.approve' });
    expect(audit.map((e) => e.targetId)).toEqual([second.id, first.id]);
    expect(audit[0]!.summary).toMatchObject({ supersedes: first.id });
  });

  it('simulates the approved policy: blocks nothing of the baseline, blocks an injected connection', async () => {
    const base = await simulatePolicy(vdb, reader);
    expect(base.blocked).toBe(0);
    const injected: PolicyFlow = {
      client: '10.20.0.60',
      server: '10.20.0.10',
      port: 22,
      transport: 'tcp',
      protocol: 'ssh',
      connections: 1,
      firstSeen: '2026-11-29T01:00:00.000Z',
      lastSeen: '2026-11-29T01:00:00.000Z',
    };
    const r = await simulatePolicy(vdb, reader, {}, { flows: [...stored, injected] });
    expect(r.blocked).toBe(1);
    expect(r.decisions.find((d) => d.decision === 'blocked')).toMatchObject({
      client: '10.20.0.60',
      server: '10.20.0.10',
      port: 22,
      ruleId: null,
      clientZone: 'clinical',
    });
    // Named as every list names them, not by a bare address.
    expect(r.blockedByDevice).toMatchObject([
      { clientLabel: '10.20.0.60', serverLabel: 'pacs (10.20.0.10)', service: '22/tcp' },
    ]);
  });

  it('exports the approved policy in every format', async () => {
    const nft = await exportPolicyText(vdb, reader, { format: 'nftables' });
    expect(nft).toContain('table inet vigil {');
    expect(nft).toMatch(/tcp dport 104 accept/);
    const json = JSON.parse(await exportPolicyText(vdb, reader, { format: 'json' })) as { rules: unknown[] };
    expect(json.rules.length).toBeGreaterThan(0);
    expect(await exportPolicyText(vdb, reader, { format: 'cisco-ios' })).toContain(
      'ip access-list extended VIGIL-POLICY',
    );
  });

  it('raises policy-violation alerts for flows outside the approved policy, once per conversation', async () => {
    const injected: PolicyFlow = {
      client: '10.20.0.60',
      server: '203.0.113.7',
      port: 4444,
      transport: 'tcp',
      protocol: null,
      connections: 3,
      firstSeen: '2026-11-29T01:00:00.000Z',
      lastSeen: '2026-11-29T01:05:00.000Z',
      evidence: { file: 'sensor-eth1', time: '2026-11-29T01:05:00.000Z' },
    };
    const r = await checkPolicyViolations(vdb, cliActor, {}, { flows: [...stored, injected] });
    expect(r).toMatchObject({ violations: 1, created: 1 });
    const again = await checkPolicyViolations(vdb, cliActor, {}, { flows: [injected] });
    expect(again).toMatchObject({ violations: 1, created: 0 });
    const alert = await vdb.db
      .selectFrom('alerts')
      .selectAll()
      .where('rule', '=', 'policy-violation')
      .execute();
    expect(alert).toHaveLength(1);
    expect(alert[0]).toMatchObject({ severity: 'high', subject: '10.20.0.60→203.0.113.7:4444/tcp' });
    // The rule for a source run's rule list, bound to the approved policy.
    const rules = await approvedPolicyRules(vdb);
    expect(rules.map((r) => r.id)).toEqual(['policy-violation']);
  });

  it('saves a hand-written policy as a draft and refuses a bad one with every problem named', async () => {
    const saved = await saveDraftPolicy(vdb, cliActor, {
      name: 'hand-written',
      rules: [
        {
          id: 'pacs-in',
          from: { zone: 'clinical', deviceClass: 'imaging-ct' },
          to: { zone: 'clinical', deviceClass: 'pacs' },
          port: 104,
          transport: 'tcp',
          reason: 'CT sends images to PACS',
        },
      ],
    });
    expect(saved).toMatchObject({ state: 'draft', origin: 'file', ruleCount: 1 });
    const bad = saveDraftPolicy(vdb, cliActor, {
      rules: [
        { id: 'x', from: { zone: 'a' }, to: { zone: 'b' }, port: 70000, transport: 'tcp', reason: '' },
        {
          id: 'x',
          from: { zone: 'a' },
          to: { zone: 'b', hosts: ['10.0.0.300'] },
          port: 1,
          transport: 'icmp',
          reason: 'r',
        },
      ],
    });
    await expect(bad).rejects.toMatchObject({
      code: 'invalid_input',
      issues: expect.arrayContaining([
        expect.objectContaining({ field: 'rules.0.port' }),
        expect.objectContaining({ field: 'rules.0.reason' }),
        expect.objectContaining({ field: 'rules.1.to.hosts.0' }),
      ]),
    });
  });
});

describe.each(DIALECTS)('a proposal after a real nmap scan on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterAll(async () => vdb?.close());

  it('pins and flags the scanner until its port-scan alerts are marked false positives', async () => {
    vdb = await freshDatabase(dialect);
    await seedSgh(vdb, cliActor);
    // Imported as `vigil import` does it: stored, then the detection rules raise the port-scan alerts.
    await importSource(vdb, cliActor, scanCapture, { progress: false });
    const scans = await listAlerts(vdb, cliActor, { rule: ['port-scan'] });
    expect(scans.total).toBe(4);
    const fromScanner = (r: Awaited<ReturnType<typeof proposeDraft>>) =>
      r.policy.rules.filter((x) => x.from.hosts?.includes('10.20.0.99'));

    const first = await proposeDraft(vdb, cliActor, { name: 'after-scan' });
    // Only the 12 ports that answered (nmap: open); the 36 refused probes are left out.
    expect(first.refused).toBe(36);
    expect(fromScanner(first).map((r) => `${r.to.deviceClass ?? r.to.hosts}:${r.port}`).length).toBe(12);
    for (const r of fromScanner(first)) {
      expect(r.from.hosts, r.id).toEqual(['10.20.0.99']);
      expect(r.reason, r.id).toMatch(/the client scanned the network \(port-scan alert\)/);
    }

    // The hospital's own scanner: its alerts are false positives, and the flag goes.
    for (const a of scans.items)
      await changeAlertState(vdb, cliActor, a.id, {
        state: 'false-positive',
        reason: 'our Nessus appliance',
      });
    const second = await proposeDraft(vdb, cliActor, { name: 'after-scan' });
    // Still its own address: a staged device of unknown class is never widened to every unclassified one.
    expect(fromScanner(second).length).toBe(12);
    for (const r of fromScanner(second)) expect(r.reason, r.id).not.toMatch(/scanned the network/);
  });
});

describe.each(DIALECTS)('link-local, mDNS and LLMNR flows in a proposal on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterAll(async () => vdb?.close());

  it('are left out and counted in the answer and the audit entry', async () => {
    vdb = await freshDatabase(dialect);
    await seedSgh(vdb, cliActor);
    // The capture's unicast mDNS answers are stored; the trace's multicast and fe80:: packets come as a
    // Zeek conn.log would give them, and the LLMNR queries of a Zeek dns.log.
    await importCaptureFile(vdb, capture('01-dhcp-dns-mdns.pcap'));
    const flows = [
      ...(await listCommunications(vdb)).map(fromCommunication),
      ...mdnsTraceFlows(),
      ...llmnrTraceFlows(),
    ];
    const r = await proposeDraft(vdb, cliActor, { name: 'discovery' }, { flows });
    expect(r).toMatchObject({ flows: flows.length, refused: 0, linkLocal: 3, mdns: 21, llmnr: 16 });
    expect(
      r.policy.rules.filter((x) => x.port === 5353 || x.port === 5355 || x.transport === 'icmp'),
    ).toEqual([]);
    expect((await listAudit(vdb, { action: 'policy.propose' }))[0]?.summary).toMatchObject({
      flows: flows.length,
      refused: 0,
      linkLocal: 3,
      mdns: 21,
      llmnr: 16,
    });
  });
});

describe.each(DIALECTS)('a site policy of devices passive discovery found on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterAll(async () => vdb?.close());

  it('takes in the devices and traffic of its segments that no one has placed at a site', async () => {
    vdb = await freshDatabase(dialect);
    // Two sites with their segments and no devices: what `vigil sites segment add` leaves before the
    // first capture. The captures then stage the CT, the PACS and the HL7 hosts at no site.
    await createSite(vdb, cliActor, { name: 'SGH' });
    await addSegment(vdb, cliActor, 'SGH', SGH_SEGMENTS[0]!);
    await createSite(vdb, cliActor, { name: 'Lab' });
    await addSegment(vdb, cliActor, 'Lab', SGH_SEGMENTS[1]!);
    for (const file of ['dicom-ct-store.pcap', '04-hl7-mllp.pcap'])
      await importCaptureFile(vdb, capture(file));
    const comms = await listCommunications(vdb);
    expect(comms.every((c) => c.siteId === null)).toBe(true);
    const stored = comms.map(fromCommunication);

    const sgh = await proposeDraft(vdb, cliActor, { site: 'SGH', name: 'sgh' });
    const dicom = stored.filter((f) => f.port === 104);
    expect(dicom.length).toBeGreaterThan(0);
    expect(sgh.flows).toBe(dicom.length); // the CT's DICOM, not the Lab's HL7
    const rule = sgh.policy.rules.find((r) => r.port === 104);
    expect(rule).toMatchObject({ from: { zone: 'clinical' }, to: { zone: 'clinical', deviceClass: 'pacs' } });
    await approvePolicy(vdb, cliActor, sgh.id);

    // The exported ruleset lets the CT reach the PACS, rather than skipping the rule for want of a PACS.
    const nft = await exportPolicyText(vdb, cliActor, { format: 'nftables', site: 'SGH' });
    expect(nft).not.toMatch(/skipped/);
    expect(nft).toMatch(/ip saddr 10\.20\.0\.21 ip daddr 10\.20\.0\.10 tcp dport 104 accept/);
    const sim = await simulatePolicy(vdb, cliActor, { site: 'SGH' });
    expect(sim).toMatchObject({ flows: dicom.length, blocked: 0 });

    const lab = await proposeDraft(vdb, cliActor, { site: 'Lab', name: 'lab' });
    expect(lab.flows).toBe(stored.length - dicom.length);
    expect(lab.policy.rules.map((r) => r.port)).toEqual([2575]);

    // Both sites' policies approved, and no policy for every site: a capture imported as `vigil import`
    // does is judged by each site's policy where it touches that site, and only there.
    await approvePolicy(vdb, cliActor, lab.id);
    expect(await approvedPolicyRules(vdb)).toHaveLength(2);
    await importSource(vdb, cliActor, capture('04-hl7-mllp.pcap'), { progress: false });
    expect((await listAlerts(vdb, cliActor, { rule: ['policy-violation'] })).total).toBe(0);
    // Telnet, SSH and FTP between two hosts of SGH's clinical segment: SGH's policy allows none of it.
    await importSource(vdb, cliActor, capture('07-telnet-ftp-ssh-mqtt.pcap'), { progress: false });
    const violations = (await listAlerts(vdb, cliActor, { rule: ['policy-violation'] })).items;
    expect(violations.map((a) => a.subject).sort()).toEqual(
      expect.arrayContaining([
        '10.20.0.50→10.20.0.40:21/tcp',
        '10.20.0.50→10.20.0.40:22/tcp',
        '10.20.0.50→10.20.0.40:23/tcp',
      ]),
    );
    // Each raised by SGH's policy; the Lab's, which knows none of these hosts, raised nothing.
    for (const a of violations)
      expect(a.details, a.subject).toMatchObject({ policyId: sgh.id, clientZone: 'clinical' });
  });
});
