/**
 * The alerts service on every dialect: de-duplication, re-opening, false positives that only count,
 * the rate limit's summary alert, capped evidence, audit entries, bus events, listing with filters,
 * paging and site scoping, and the state machine people drive.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import type { Actor } from '../accounts/actor.js';
import { permissionsOf } from '../accounts/permissions.js';
import { listAudit } from '../audit/audit-log.js';
import { addDevice, resolveDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import type { AlertCandidate, AlertEvidence } from './alert-candidate.js';
import {
  type AlertState,
  capEvidence,
  changeAlertState,
  EVIDENCE_HEAD,
  EVIDENCE_TAIL,
  getAlert,
  listAlerts,
  RATE_LIMITED_SUBJECT,
  raiseAlerts,
} from './alerts-service.js';
import { InProcessEventBus, type VigilEvents } from './event-bus.js';

const ev = (time: string, summary = 'HL7 ADT^A01 with PID in cleartext'): AlertEvidence => ({
  time,
  connection: '10.30.0.21:40112 → 10.30.0.10:2575/tcp',
  file: '04-hl7-mllp.pcap',
  packet: 4,
  summary,
});

describe('capEvidence', () => {
  it('keeps the first and the latest sightings whatever arrives', () => {
    const item = fc.record({ time: fc.string(), summary: fc.string() }) as fc.Arbitrary<AlertEvidence>;
    fc.assert(
      fc.property(fc.array(fc.array(item, { maxLength: 30 }), { maxLength: 10 }), (batches) => {
        let kept: AlertEvidence[] = [];
        const all: AlertEvidence[] = [];
        for (const b of batches) {
          kept = capEvidence(kept, b);
          all.push(...b);
        }
        const cap = EVIDENCE_HEAD + EVIDENCE_TAIL;
        expect(kept.length).toBe(Math.min(all.length, cap));
        if (all.length <= cap) expect(kept).toEqual(all);
        else {
          expect(kept.slice(0, EVIDENCE_HEAD)).toEqual(all.slice(0, EVIDENCE_HEAD));
          expect(kept.slice(-EVIDENCE_TAIL)).toEqual(all.slice(-EVIDENCE_TAIL));
        }
      }),
    );
  });
});

describe.each(DIALECTS)('alerts service on %s', (dialect) => {
  let vdb: VigilDatabase;
  let deviceA: string;
  let siteA: string;
  let deviceB: string;
  const bus = new InProcessEventBus();
  const published: VigilEvents['alert-raised'][] = [];
  const changed: VigilEvents['alert-state-changed'][] = [];
  bus.subscribe('alert-raised', (e) => void published.push(e));
  bus.subscribe('alert-state-changed', (e) => void changed.push(e));
  const t0 = new Date('2026-03-02T10:00:00.000Z');
  const at = (minutes: number) => new Date(t0.getTime() + minutes * 60_000);

  const phi = (
    deviceId: string,
    siteId: string | null,
    subject = 'hl7:2575',
    time = at(0),
  ): AlertCandidate => ({
    rule: 'cleartext-phi',
    severity: 'high',
    title: `Patient data sent without encryption (${subject})`,
    deviceId,
    siteId,
    subject,
    evidence: [ev(time.toISOString())],
    details: { findingType: 'cleartext-phi' },
  });

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    const a = await addDevice(vdb, cliActor, {
      assetTag: 'INF-1',
      site: 'North Campus',
      ips: ['10.30.0.21'],
    });
    const b = await addDevice(vdb, cliActor, {
      assetTag: 'MON-2',
      site: 'South Campus',
      ips: ['10.30.0.22'],
    });
    deviceA = a.id;
    deviceB = b.id;
    siteA = (await resolveDevice(vdb, cliActor, a.id)).siteId!;
  });
  afterAll(async () => vdb?.close());

  it('creates one alert per rule, device and subject, and counts repeats on it', async () => {
    const first = await raiseAlerts(vdb, [phi(deviceA, siteA)], { now: at(0), bus });
    expect(first).toMatchObject({ created: 1, updated: 0, suppressed: 0 });
    const again = await raiseAlerts(
      vdb,
      [phi(deviceA, siteA, 'hl7:2575', at(5)), phi(deviceA, siteA, 'hl7:2575', at(6))],
      {
        now: at(6),
        bus,
      },
    );
    expect(again).toMatchObject({ created: 0, updated: 2, suppressed: 0 });
    expect(again.alertIds).toEqual(first.alertIds);
    const a = await getAlert(vdb, cliActor, first.alertIds[0]!);
    expect(a).toMatchObject({
      state: 'new',
      count: 3,
      deviceId: deviceA,
      deviceLabel: 'INF-1',
      siteId: siteA,
      rule: 'cleartext-phi',
    });
    expect(a.firstSeen).toBe(at(0).toISOString());
    expect(a.lastSeen).toBe(at(6).toISOString());
    expect(a.evidence).toHaveLength(3);
    expect(a.events.map((e) => e.action)).toEqual(['created', 'reoccurred']);
    await bus.idle();
    // Only the creation is published: repeats do not notify anyone again.
    expect(published.filter((p) => p.alert.id === a.id).map((p) => p.reason)).toEqual(['created']);
    const audit = await listAudit(vdb, { action: 'alert.raise' });
    expect(JSON.stringify(audit)).toContain(a.id);
  });

  it('re-opens a resolved alert when it happens again, and keeps a false positive closed', async () => {
    const { alertIds } = await raiseAlerts(vdb, [phi(deviceA, siteA, 'hl7:6661')], { now: at(10), bus });
    const id = alertIds[0]!;
    await changeAlertState(
      vdb,
      cliActor,
      id,
      { state: 'resolved', reason: 'interface moved to TLS' },
      { bus },
    );
    const r = await raiseAlerts(vdb, [phi(deviceA, siteA, 'hl7:6661', at(20))], { now: at(20), bus });
    expect(r).toMatchObject({ created: 0, updated: 1 });
    const reopened = await getAlert(vdb, cliActor, id);
    expect(reopened.state).toBe('new');
    expect(reopened.events.map((e) => `${e.action}:${e.fromState ?? '-'}→${e.toState}`)).toEqual([
      'created:-→new',
      'state:new→resolved',
      'reopened:resolved→new',
    ]);
    await bus.idle();
    expect(published.filter((p) => p.alert.id === id).map((p) => p.reason)).toEqual(['created', 'reopened']);

    await changeAlertState(
      vdb,
      cliActor,
      id,
      { state: 'false-positive', reason: 'test feed, no patients' },
      { bus },
    );
    await raiseAlerts(vdb, [phi(deviceA, siteA, 'hl7:6661', at(30))], { now: at(30), bus });
    const dismissed = await getAlert(vdb, cliActor, id);
    expect(dismissed).toMatchObject({
      state: 'false-positive',
      count: 3,
      stateReason: 'test feed, no patients',
    });
    // The dismissed alert's evidence is not grown by later sightings.
    expect(dismissed.evidence).toHaveLength(2);
    await bus.idle();
    expect(published.filter((p) => p.alert.id === id)).toHaveLength(2);
    expect(changed.filter((c) => c.alert.id === id).map((c) => `${c.from}→${c.to}`)).toEqual([
      'new→resolved',
      'new→false-positive',
    ]);
  });

  it('beyond the rate limit counts candidates as suppressed on one summary alert per rule and device', async () => {
    const many = Array.from({ length: 7 }, (_, i) => ({
      ...phi(deviceB, null, `port-scan-target:${i}`),
      rule: 'port-scan',
      severity: 'medium' as const,
    }));
    const r = await raiseAlerts(vdb, many, { now: at(40), bus, rateLimit: 3 });
    // Three alerts, then the summary is created and counts the other four.
    expect(r).toMatchObject({ created: 4, updated: 0, suppressed: 4 });
    const page = await listAlerts(vdb, cliActor, { rule: 'port-scan', deviceId: deviceB });
    expect(page.total).toBe(4);
    const summary = page.items.find((a) => a.subject === RATE_LIMITED_SUBJECT)!;
    expect(summary).toMatchObject({ suppressed: 4, count: 4, state: 'new' });
    expect(summary.details['latestSubject']).toBe('port-scan-target:6');
    // A repeat of an existing alert is not limited; a new subject an hour later is allowed again.
    const later = await raiseAlerts(
      vdb,
      [
        { ...many[0]!, evidence: [ev(at(45).toISOString())] },
        { ...phi(deviceB, null, 'port-scan-target:99'), rule: 'port-scan' },
      ],
      { now: at(45), bus, rateLimit: 3 },
    );
    expect(later).toMatchObject({ created: 0, updated: 1, suppressed: 1 });
    const nextHour = await raiseAlerts(
      vdb,
      [{ ...phi(deviceB, null, 'port-scan-target:100'), rule: 'port-scan' }],
      {
        now: at(101),
        bus,
        rateLimit: 3,
      },
    );
    expect(nextHour).toMatchObject({ created: 1, suppressed: 0 });
  });

  it('lists with filters, paging and a total, and hides other sites from a site-limited actor', async () => {
    const all = await listAlerts(vdb, cliActor, {});
    expect(all.total).toBeGreaterThanOrEqual(7);
    const page = await listAlerts(vdb, cliActor, { limit: 2, offset: 1 });
    expect(page.items).toHaveLength(2);
    expect(page.items[0]!.id).toBe(all.items[1]!.id);
    expect(page.total).toBe(all.total);
    const fp = await listAlerts(vdb, cliActor, { state: ['false-positive'] });
    expect(fp.items.map((a) => a.subject)).toEqual(['hl7:6661']);
    const high = await listAlerts(vdb, cliActor, { severity: 'high', rule: ['cleartext-phi'] });
    expect(high.items.every((a) => a.severity === 'high' && a.rule === 'cleartext-phi')).toBe(true);
    const since = await listAlerts(vdb, cliActor, { since: at(44).toISOString() });
    expect(since.items.every((a) => a.lastSeen >= at(44).toISOString())).toBe(true);

    const limited: Actor = {
      kind: 'user',
      id: 'u1',
      name: 'north-engineer',
      role: 'clinical-engineer',
      permissions: permissionsOf('clinical-engineer'),
      siteIds: [siteA],
    };
    const seen = await listAlerts(vdb, limited, {});
    expect(seen.items.length).toBeGreaterThan(0);
    expect(seen.items.every((a) => a.siteId === siteA)).toBe(true);
    const other = all.items.find((a) => a.siteId !== siteA)!;
    await expect(getAlert(vdb, limited, other.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(changeAlertState(vdb, limited, other.id, { state: 'acknowledged' })).rejects.toMatchObject({
      code: 'not_found',
    });
    await expect(listAlerts(vdb, limited, { state: ['bogus' as AlertState] })).rejects.toMatchObject({
      code: 'invalid_input',
      // The refusal says what would have been right, not only "Invalid input".
      issues: [{ field: 'state', reason: 'one of new, acknowledged, resolved, false-positive' }],
    });
    await expect(listAlerts(vdb, limited, { severity: 'severe' as never })).rejects.toMatchObject({
      issues: [{ field: 'severity', reason: 'one of info, low, medium, high, critical' }],
    });
  });

  it('allows only the documented state changes, needs a reason for a false positive, and audits them', async () => {
    const { alertIds } = await raiseAlerts(vdb, [phi(deviceA, siteA, 'hl7:7777')], { now: at(50), bus });
    const id = alertIds[0]!;
    await expect(changeAlertState(vdb, cliActor, id, { state: 'false-positive' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await expect(changeAlertState(vdb, cliActor, id, { state: 'new' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const ack = await changeAlertState(vdb, cliActor, id, { state: 'acknowledged', reason: 'on it' });
    expect(ack).toMatchObject({ state: 'acknowledged', stateBy: 'cli:test', stateReason: 'on it' });
    await expect(changeAlertState(vdb, cliActor, id, { state: 'new' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await changeAlertState(vdb, cliActor, id, { state: 'resolved' });
    const reopened = await changeAlertState(vdb, cliActor, id, {
      state: 'new',
      reason: 'still seen on the ward',
    });
    expect(reopened.state).toBe('new');
    const auditor: Actor = {
      kind: 'user',
      id: 'u2',
      name: 'auditor',
      role: 'auditor',
      permissions: permissionsOf('auditor'),
    };
    await expect(changeAlertState(vdb, auditor, id, { state: 'acknowledged' })).rejects.toMatchObject({
      code: 'forbidden',
    });
    await expect(getAlert(vdb, cliActor, 'no-such-alert')).rejects.toMatchObject({ code: 'not_found' });
    const audit = JSON.stringify(await listAudit(vdb, { action: 'alert.state' }));
    expect(audit).toContain('still seen on the ward');
  });

  it('names the device by its label (asset tag, else make and model with its address) wherever it returns an alert', async () => {
    const ct = await addDevice(vdb, cliActor, {
      manufacturer: 'GE Medical Systems',
      model: 'RHAPSODE',
      macs: ['44:4b:5d:c7:21:01'],
      ips: ['10.20.0.21'],
    });
    const label = 'GE Medical Systems RHAPSODE (10.20.0.21)';
    const siteWide: AlertCandidate = { ...phi(deviceA, siteA, 'policy:site'), deviceId: null };
    const r = await raiseAlerts(
      vdb,
      [phi(ct.id, null, 'hl7:2580'), phi(deviceB, null, 'hl7:2580'), siteWide],
      { now: at(70), bus },
    );
    expect(r.created).toBe(3);
    await bus.idle();
    const raised = published.filter((p) => r.alertIds.includes(p.alert.id)).map((p) => p.alert);
    expect(raised.map((a) => a.deviceLabel).sort()).toEqual([label, 'MON-2', null].sort());

    const page = await listAlerts(vdb, cliActor, { deviceId: ct.id });
    expect(page.items.map((a) => [a.subject, a.deviceLabel])).toEqual([['hl7:2580', label]]);
    const id = page.items[0]!.id;
    expect((await getAlert(vdb, cliActor, id)).deviceLabel).toBe(label);
    const ack = await changeAlertState(vdb, cliActor, id, { state: 'acknowledged' }, { bus });
    expect(ack.deviceLabel).toBe(label);
    await bus.idle();
    expect(changed.find((c) => c.alert.id === id)?.alert.deviceLabel).toBe(label);
    const site = (await listAlerts(vdb, cliActor, { siteId: siteA })).items.find(
      (a) => a.subject === 'policy:site',
    );
    expect(site).toMatchObject({ deviceId: null, deviceLabel: null });
  });

  it('refuses a malformed candidate before storing anything from the batch', async () => {
    const before = (await listAlerts(vdb, cliActor, {})).total;
    await expect(
      raiseAlerts(vdb, [phi(deviceA, siteA, 'hl7:9999'), { ...phi(deviceA, siteA), rule: 'Not A Rule' }], {
        now: at(60),
        bus,
      }),
    ).rejects.toMatchObject({ code: 'invalid_input' });
    expect((await listAlerts(vdb, cliActor, {})).total).toBe(before);
  });
});
