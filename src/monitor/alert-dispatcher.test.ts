/**
 * Delivery wiring on every dialect, against a real HTTP receiver on loopback that checks each webhook's
 * HMAC signature: destinations are added (the secret never comes back), raised alerts are delivered and
 * recorded, a receiver that fails ends in the dead-letter record without blocking the raiser, and a dead
 * letter is retried once the receiver works again. The queue's clock is replaced so retries do not wait.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { webhookReceiver } from '../../test/webhook-receiver.js';
import { listAudit } from '../audit/audit-log.js';
import type { VigilDatabase } from '../store/database.js';
import type { AlertCandidate } from './alert-candidate.js';
import {
  addDestination,
  listDeadLetters,
  listDestinations,
  removeDestination,
  retryDeadLetter,
  testDestination,
} from './alert-destinations-service.js';
import { AlertDispatcher } from './alert-dispatcher.js';
import { getAlert, raiseAlerts } from './alerts-service.js';
import { createSender, type Destination } from './delivery/destination.js';
import { InProcessEventBus } from './event-bus.js';

const SECRET = 'a-webhook-signing-secret-of-forty-characters';

interface AlertMessage {
  type: string;
  deliveryId: string;
  alert: { id: string; rule: string; subject: string };
}

/** The SIEM's receiver; its URL's query stands for the token a SIEM puts there. */
async function receiver() {
  const rx = await webhookReceiver<AlertMessage>(SECRET);
  return Object.assign(rx, { url: `${rx.origin}/vigil?token=query-secret` });
}

const noWait = { now: () => Date.now(), sleep: async () => {} };

describe.each(DIALECTS)('alert delivery on %s', (dialect) => {
  let vdb: VigilDatabase;
  let rx: Awaited<ReturnType<typeof receiver>>;
  const candidate = (subject: string): AlertCandidate => ({
    rule: 'cleartext-phi',
    severity: 'high',
    title: `Patient data sent without encryption (${subject})`,
    deviceId: null,
    siteId: null,
    subject,
    evidence: [{ time: '2026-03-02T10:00:00.000Z', summary: 'HL7 ORU^R01 with PID in cleartext' }],
  });

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    rx = await receiver();
  });
  afterAll(async () => {
    await rx?.close();
    await vdb?.close();
  });

  it('adds destinations without ever returning the secret, refuses bad ones, and audits', async () => {
    const d = await addDestination(vdb, cliActor, {
      name: 'siem-hook',
      kind: 'webhook',
      url: rx.url,
      secret: SECRET,
    });
    expect(d).toMatchObject({ name: 'siem-hook', kind: 'webhook', hasSecret: true, enabled: true });
    expect(JSON.stringify(d)).not.toContain(SECRET);
    expect(JSON.stringify(d)).not.toContain('query-secret');
    expect(d.target).toContain('127.0.0.1');
    const list = await listDestinations(vdb, cliActor);
    expect(JSON.stringify(list)).not.toContain(SECRET);
    await expect(
      addDestination(vdb, cliActor, { name: 'siem-hook', kind: 'webhook', url: rx.url, secret: SECRET }),
    ).rejects.toMatchObject({ code: 'conflict' });
    const bad = addDestination(vdb, cliActor, {
      name: 'x',
      kind: 'webhook',
      url: 'http://10.0.0.1/h',
      secret: 'short',
    });
    await expect(bad).rejects.toMatchObject({ code: 'invalid_input' });
    await bad.catch((e: { issues: { field?: string; reason: string }[] }) => {
      expect(e.issues.map((i) => i.field).sort()).toEqual(['secret', 'url']);
      expect(JSON.stringify(e.issues)).not.toContain('short');
    });
    await expect(addDestination(vdb, cliActor, { name: 'has space', kind: 'syslog' })).rejects.toMatchObject({
      code: 'invalid_input',
    });
    const audit = JSON.stringify(await listAudit(vdb, { action: 'alert-destination' }));
    expect(audit).toContain('siem-hook');
    expect(audit).not.toContain(SECRET);
  });

  it('keeps destinations to accounts not limited to sites, and dead letters to their sites', async () => {
    const limited = { ...cliActor, kind: 'user' as const, name: 'north-only', siteIds: ['site-north'] };
    await expect(
      addDestination(vdb, limited, { name: 'north-hook', kind: 'webhook', url: rx.url, secret: SECRET }),
    ).rejects.toMatchObject({ code: 'forbidden' });
    await expect(removeDestination(vdb, limited, 'siem-hook')).rejects.toMatchObject({ code: 'forbidden' });
    expect(await listDeadLetters(vdb, limited)).toEqual([]);
  });

  it('sends a signed test alert', async () => {
    const r = await testDestination(vdb, cliActor, 'siem-hook');
    expect(r).toEqual({ ok: true, destination: 'siem-hook', event: 'alert' });
    expect(rx.accepted().at(-1)).toMatchObject({ path: '/vigil?token=query-secret', verified: true });
    expect(rx.accepted().at(-1)!.body.alert.rule).toBe('test');
  });

  it('delivers raised alerts to every enabled destination and records the delivery', async () => {
    const bus = new InProcessEventBus();
    const dispatcher = new AlertDispatcher(vdb, { bus, queue: { clock: noWait } });
    await dispatcher.start();
    expect(dispatcher.destinations()).toEqual(['siem-hook']);
    const before = rx.accepted().length;
    const { alertIds } = await raiseAlerts(vdb, [candidate('hl7:2575')], { bus });
    await dispatcher.drain();
    const got = rx.accepted().slice(before);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({
      verified: true,
      body: { type: 'vigil.alert', alert: { id: alertIds[0] } },
    });
    const shown = await getAlert(vdb, cliActor, alertIds[0]!);
    expect(shown.deliveries).toMatchObject([
      { destination: 'siem-hook', kind: 'webhook', state: 'delivered', attempts: 1 },
    ]);
    // A repeat is counted, not delivered again.
    await raiseAlerts(vdb, [candidate('hl7:2575')], { bus });
    await dispatcher.drain();
    expect(rx.accepted().length).toBe(before + 1);
    await dispatcher.stop();
  });

  it('gives a destination for task events only no alerts, not even a dead letter when it is unusable', async () => {
    const tasksOnly = await addDestination(vdb, cliActor, {
      name: 'cmms-hook',
      kind: 'webhook',
      url: rx.url.replace('/vigil', '/cmms'),
      secret: SECRET,
      events: ['tasks'],
    });
    expect(tasksOnly.events).toEqual(['tasks']);
    expect((await listDestinations(vdb, cliActor)).map((d) => [d.name, d.events])).toEqual([
      ['cmms-hook', ['tasks']],
      ['siem-hook', ['alerts']],
    ]);
    // The second time, setting up cmms-hook would fail: an alerts destination would get a dead letter.
    const broken = (d: Destination) => {
      if (d.name === 'cmms-hook') throw new Error('not usable');
      return createSender(d);
    };
    for (const senderFor of [undefined, broken]) {
      const bus = new InProcessEventBus();
      const dispatcher = new AlertDispatcher(vdb, {
        bus,
        queue: { clock: noWait },
        ...(senderFor ? { senderFor } : {}),
      });
      await dispatcher.start();
      const before = rx.accepted().length;
      const { alertIds } = await raiseAlerts(vdb, [candidate(`hl7:${senderFor ? 2576 : 2577}`)], { bus });
      await dispatcher.drain();
      expect(
        rx
          .accepted()
          .slice(before)
          .filter((g) => g.path.startsWith('/cmms')),
      ).toEqual([]);
      expect(
        (await getAlert(vdb, cliActor, alertIds[0]!)).deliveries.map((d) => d.destination),
      ).not.toContain('cmms-hook');
      await dispatcher.stop();
    }
    await removeDestination(vdb, cliActor, 'cmms-hook');
  });

  it('dead-letters what a failing receiver never takes, without blocking the raiser, and retries it', async () => {
    rx.status.code = 503;
    const bus = new InProcessEventBus();
    const dispatcher = new AlertDispatcher(vdb, { bus, queue: { clock: noWait, maxAttempts: 3 } });
    await dispatcher.start();
    const { alertIds, created } = await raiseAlerts(vdb, [candidate('hl7:6661')], { bus });
    expect(created).toBe(1);
    await dispatcher.drain();
    const shown = await getAlert(vdb, cliActor, alertIds[0]!);
    expect(shown.deliveries[0]).toMatchObject({ state: 'dead', attempts: 3 });
    expect(shown.deliveries[0]!.lastError).toMatch(/^failed: .*503/);
    const dead = await listDeadLetters(vdb, cliActor);
    expect(dead).toHaveLength(1);
    expect(dead[0]).toMatchObject({ alertId: alertIds[0], destination: 'siem-hook', rule: 'cleartext-phi' });
    expect(JSON.stringify(dead)).not.toContain('query-secret');

    const still = await retryDeadLetter(vdb, cliActor, dead[0]!.id);
    expect(still).toMatchObject({ ok: false, state: 'dead', attempts: 4 });
    rx.status.code = 200;
    const before = rx.accepted().length;
    const ok = await retryDeadLetter(vdb, cliActor, dead[0]!.id);
    expect(ok).toMatchObject({ ok: true, state: 'delivered', attempts: 5 });
    expect(rx.accepted().slice(before)).toMatchObject([
      { verified: true, body: { alert: { id: alertIds[0] } } },
    ]);
    expect(await listDeadLetters(vdb, cliActor)).toEqual([]);
    await expect(retryDeadLetter(vdb, cliActor, dead[0]!.id)).rejects.toMatchObject({
      code: 'invalid_input',
    });
    await dispatcher.stop();
  });

  it('queues again at start what a stopped process left pending', async () => {
    rx.status.code = 200;
    const bus = new InProcessEventBus();
    // A dispatcher whose queue is closed at once leaves nothing pending: close dead-letters it, so make a
    // pending row the way a crash would, by raising while a dispatcher records but never sends.
    const stuck = new AlertDispatcher(vdb, {
      bus,
      senderFor: () => ({
        destination: 'siem-hook',
        send: () => new Promise(() => {}),
        close: async () => {},
      }),
    });
    await stuck.start();
    const { alertIds } = await raiseAlerts(vdb, [candidate('hl7:7777')], { bus });
    await bus.idle();
    expect((await getAlert(vdb, cliActor, alertIds[0]!)).deliveries[0]!.state).toBe('pending');
    const before = rx.accepted().length;
    const fresh = new AlertDispatcher(vdb, { bus: new InProcessEventBus(), queue: { clock: noWait } });
    await fresh.start();
    await fresh.drain();
    expect(
      rx
        .accepted()
        .slice(before)
        .map((g) => g.body.alert.id),
    ).toEqual([alertIds[0]]);
    expect((await getAlert(vdb, cliActor, alertIds[0]!)).deliveries[0]!.state).toBe('delivered');
    await fresh.stop();
  });

  it('records a dead letter for a destination it cannot set up, instead of only logging at start', async () => {
    rx.status.code = 200;
    const bus = new InProcessEventBus();
    const dispatcher = new AlertDispatcher(vdb, {
      bus,
      // What loadDestination or createSender throws for a secret sealed under another key or a missing CA.
      senderFor: () => {
        throw new Error(
          'Cannot open the webhook secret of alert destination siem-hook: sealed with key aaaa',
        );
      },
    });
    await dispatcher.start();
    expect(dispatcher.destinations()).toEqual([]);
    const { alertIds } = await raiseAlerts(vdb, [candidate('hl7:8888')], { bus });
    await dispatcher.drain();
    const dead = (await listDeadLetters(vdb, cliActor)).filter((d) => d.alertId === alertIds[0]);
    expect(dead).toMatchObject([
      { destination: 'siem-hook', attempts: 0, lastError: expect.stringMatching(/^not usable: Cannot open/) },
    ]);
    await dispatcher.stop();
    // Once the destination works again, the dead letter is retried like any other.
    expect(await retryDeadLetter(vdb, cliActor, dead[0]!.id)).toMatchObject({ ok: true, state: 'delivered' });
  });

  it('a running dispatcher delivers to a destination added after it started, and stops for one removed', async () => {
    rx.status.code = 200;
    const bus = new InProcessEventBus();
    const dispatcher = new AlertDispatcher(vdb, { bus, queue: { clock: noWait } });
    await dispatcher.start();
    expect(dispatcher.destinations()).toEqual(['siem-hook']);
    // Added while `vigil serve` runs (the dashboard, the API, the CLI from another process).
    await addDestination(vdb, cliActor, {
      name: 'soar-hook',
      kind: 'webhook',
      url: rx.url.replace('/vigil', '/soar'),
      secret: SECRET,
    });
    const before = rx.accepted().length;
    const { alertIds } = await raiseAlerts(vdb, [candidate('hl7:2590')], { bus });
    await dispatcher.drain();
    expect(dispatcher.destinations().sort()).toEqual(['siem-hook', 'soar-hook']);
    expect(
      rx
        .accepted()
        .slice(before)
        .map((g) => g.path.split('?')[0])
        .sort(),
    ).toEqual(['/soar', '/vigil']);
    expect((await getAlert(vdb, cliActor, alertIds[0]!)).deliveries.map((d) => d.state)).toEqual([
      'delivered',
      'delivered',
    ]);

    await removeDestination(vdb, cliActor, 'soar-hook');
    const after = rx.accepted().length;
    await raiseAlerts(vdb, [candidate('hl7:2591')], { bus });
    await dispatcher.drain();
    expect(dispatcher.destinations()).toEqual(['siem-hook']);
    expect(
      rx
        .accepted()
        .slice(after)
        .map((g) => g.path.split('?')[0]),
    ).toEqual(['/vigil']);
    await dispatcher.stop();
  });

  it('removes a destination', async () => {
    await removeDestination(vdb, cliActor, 'siem-hook');
    expect(await listDestinations(vdb, cliActor)).toEqual([]);
    await expect(removeDestination(vdb, cliActor, 'siem-hook')).rejects.toMatchObject({ code: 'not_found' });
  });
});
