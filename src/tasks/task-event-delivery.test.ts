/**
 * Task events to a ticketing system, end to end on every dialect: real changes through the task services
 * (on the real CISA advisory ICSMA-21-308-01, Philips Tasy EMR HTML5 <= 3.06.1803), a real HTTP receiver
 * on loopback that checks every HMAC signature, and the dispatcher `vigil serve` runs. Each event is sent
 * once, after its change commits (a rolled-back change sends nothing), in order; a receiver that is down
 * is retried and ends in a dead letter without slowing the change, which is listed and resent with the
 * same event id once the receiver is back; an alerts-only destination gets none.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { type WebhookHit, webhookReceiver } from '../../test/webhook-receiver.js';
import { ALL_PERMISSIONS } from '../accounts/permissions.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';
import { listAudit } from '../audit/audit-log.js';
import { importCmmsCsv } from '../inventory/cmms-import.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addDestination, removeDestination, testDestination } from '../monitor/alert-destinations-service.js';
import type { VigilDatabase } from '../store/database.js';
import { listTaskDeliveries } from '../store/task-delivery-store.js';
import { transaction } from '../store/transaction.js';
import { acceptRisk, revokeAcceptance } from './acceptance-service.js';
import { createCampaign } from './campaigns-service.js';
import { listTaskDeadLetters, retryAllTaskDeadLetters, retryTaskDeadLetter } from './task-dead-letters.js';
import { TaskEventDispatcher } from './task-event-dispatcher.js';
import type { TaskEventMessage } from './task-event-message.js';
import { createTask, moveTask, updateTask } from './tasks-service.js';

const ADVISORY = join(import.meta.dirname, '../../test/fixtures/advisories/csaf/icsma-21-308-01.json');
const CVE = 'CVE-2021-39375';
const CVE2 = 'CVE-2021-39376';
const SECRET = 'a-cmms-webhook-signing-secret-of-44-characters';
const PUBLIC_URL = 'https://vigil.hospital.example';
const T0 = new Date('2026-03-01T08:00:00Z');
const at = (days: number) => new Date(T0.getTime() + days * 86_400_000);
const noWait = { now: () => Date.now(), sleep: async () => {} };

const receiver = () => webhookReceiver<TaskEventMessage>(SECRET);
const deliveryId = (h: WebhookHit<TaskEventMessage>) => h.headers['x-vigil-delivery'];

describe.each(DIALECTS)('task events to a ticketing system on %s', (dialect) => {
  let vdb: VigilDatabase;
  let rx: Awaited<ReturnType<typeof receiver>>;
  let dispatcher: TaskEventDispatcher;
  const cmms = () => rx.accepted().filter((h) => h.path === '/cmms');

  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    rx = await receiver();
    for (const [tag, version, dept] of [
      ['TASY-1', '3.06.1803', 'Radiology'],
      ['TASY-2', '3.06.1700', 'Cardiology'],
      ['TASY-3', '3.06.1700', 'ICU'],
    ] as const)
      await addDevice(vdb, cliActor, {
        assetTag: tag,
        serialNumber: `SN-${tag}`,
        manufacturer: 'Philips',
        model: 'Tasy EMR HTML5',
        softwareVersion: version,
        site: 'Main Campus',
        department: dept,
      });
    expect((await importAdvisoryPaths(vdb, cliActor, [ADVISORY])).files.map((f) => f.status)).toEqual([
      'imported',
    ]);
    const hook = { kind: 'webhook', secret: SECRET };
    await addDestination(vdb, cliActor, {
      ...hook,
      name: 'cmms',
      url: `${rx.origin}/cmms`,
      events: ['tasks'],
    });
    await addDestination(vdb, cliActor, { ...hook, name: 'soc', url: `${rx.origin}/soc` });
    dispatcher = new TaskEventDispatcher(vdb, {
      queue: { clock: noWait, maxAttempts: 3 },
      message: { publicUrl: PUBLIC_URL },
    });
    await dispatcher.start();
  });
  // A test that fails while the receiver is down must not fail the ones after it.
  afterEach(() => {
    rx.status.code = 200;
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await rx?.close();
    await vdb?.close();
  });

  it('sends a task created, scheduled, reassigned and verified by a later import, signed and in order', async () => {
    const before = cmms().length;
    const t = await createTask(
      vdb,
      cliActor,
      { device: 'TASY-1', vulnerability: CVE, due: at(14).toISOString() },
      T0,
    );
    // Drained after each change, as time passes between them: each message shows the task as it then is.
    await dispatcher.drain();
    await moveTask(
      vdb,
      cliActor,
      t.id,
      {
        state: 'scheduled',
        assignee: 'biomed-1',
        windowStart: at(3).toISOString(),
        windowEnd: at(3.2).toISOString(),
      },
      at(1),
    );
    await dispatcher.drain();
    await updateTask(vdb, cliActor, t.id, { assignee: 'biomed-2', due: at(21).toISOString() }, at(2));
    await dispatcher.drain();
    const csv = [
      'Asset Tag,Manufacturer,Model,Software Version,Site,Department',
      'TASY-1,Philips,Tasy EMR HTML5,3.06.1804,Main Campus,Radiology',
    ].join('\n');
    expect((await importCmmsCsv(vdb, cliActor, { file: 'cmms-2026-03.csv', input: csv })).updated).toBe(1);
    await dispatcher.drain();

    const got = cmms().slice(before);
    expect(got.every((h) => h.verified)).toBe(true);
    expect(got.map((h) => h.body.type)).toEqual([
      'vigil.task.created',
      'vigil.task.state-changed',
      // One edit of two fields: an event for each, in the order the edit lists them.
      'vigil.task.due-changed',
      'vigil.task.reassigned',
      'vigil.task.verified',
    ]);
    expect(new Set(got.map((h) => h.body.id)).size).toBe(got.length);
    const [created, scheduled, dueChanged, reassigned, verified] = got.map((h) => h.body);
    expect(created).toMatchObject({
      occurredAt: T0.toISOString(),
      task: {
        id: t.id,
        kind: 'vulnerability',
        title: `${CVE} on TASY-1`,
        dueAt: at(14).toISOString(),
        device: {
          label: 'TASY-1',
          assetTag: 'TASY-1',
          serialNumber: 'SN-TASY-1',
          site: 'Main Campus',
          department: 'Radiology',
        },
        vulnerability: { id: CVE, cve: CVE, advisories: ['ICSMA-21-308-01'] },
        finding: null,
        url: `${PUBLIC_URL}/tasks?task=${t.id}`,
      },
      change: { by: 'cli:test', from: null, to: 'open' },
    });
    expect(scheduled!.change).toMatchObject({ from: 'open', to: 'scheduled' });
    expect(scheduled!.task).toMatchObject({
      maintenanceWindow: { start: at(3).toISOString(), end: at(3.2).toISOString() },
    });
    expect(reassigned!.change).toMatchObject({
      before: { assignee: 'biomed-1' },
      after: { assignee: 'biomed-2' },
    });
    expect(dueChanged!.change).toMatchObject({
      before: { due: at(14).toISOString() },
      after: { due: at(21).toISOString() },
    });
    expect(verified).toMatchObject({
      task: { state: 'verified' },
      change: { by: 'vigil', from: 'scheduled', to: 'verified' },
    });
    expect(String(verified!.change!.verification?.['summary'])).toMatch(
      /match of CVE-2021-39375 gone after cmms import of cmms-2026-03.csv:2 .*software now 3.06.1804/,
    );
    // The alerts-only destination got none of it; no secret went anywhere.
    expect(rx.hits.filter((h) => h.path === '/soc')).toEqual([]);
    expect(JSON.stringify(got)).not.toContain(SECRET);
    const rows = await listTaskDeliveries(vdb, { subjectId: t.id });
    expect(rows.map((r) => [r.destination_name, r.state, Number(r.attempts)])).toEqual(
      got.map(() => ['cmms', 'delivered', 1]),
    );
  });

  it('sends nothing for a change that rolls back, and a committed one only after the commit', async () => {
    const before = rx.hits.length;
    await expect(
      transaction(vdb, async (tx) => {
        await createTask(tx, cliActor, { device: 'TASY-2', vulnerability: CVE }, T0);
        throw new Error('the caller failed after the task was written');
      }),
    ).rejects.toThrow('the caller failed');
    await dispatcher.drain();
    expect(rx.hits.length).toBe(before);

    let sentBeforeCommit = -1;
    const t = await transaction(vdb, async (tx) => {
      const made = await createTask(tx, cliActor, { device: 'TASY-2', vulnerability: CVE }, T0);
      // Give a dispatcher that wrongly sent from inside the transaction every chance to do so.
      for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
      sentBeforeCommit = rx.hits.length - before;
      return made;
    });
    await dispatcher.drain();
    expect(sentBeforeCommit).toBe(0);
    expect(
      cmms()
        .slice(-1)
        .map((h) => [h.body.type, h.body.task?.id]),
    ).toEqual([['vigil.task.created', t.id]]);
    expect(rx.hits.length).toBe(before + 1);
  });

  it('retries a receiver that is down, then dead-letters, without slowing or failing the change', async () => {
    rx.status.code = 503;
    const before = rx.hits.length;
    const t = await createTask(vdb, cliActor, { device: 'TASY-3', vulnerability: CVE }, T0);
    const moved = await moveTask(vdb, cliActor, t.id, { state: 'closed', reason: 'device leaves service' });
    expect(moved.state).toBe('closed');
    await dispatcher.drain();
    const tries = rx.hits.slice(before);
    // Two events, three attempts each, each attempt signed afresh with the same delivery id.
    expect(tries.map((h) => h.body.type)).toEqual([
      ...Array(3).fill('vigil.task.created'),
      ...Array(3).fill('vigil.task.closed'),
    ]);
    expect(tries.every((h) => h.verified)).toBe(true);
    expect(new Set(tries.map((h) => deliveryId(h))).size).toBe(2);
    const rows = await listTaskDeliveries(vdb, { subjectId: t.id });
    expect(rows.map((r) => [r.state, Number(r.attempts)])).toEqual([
      ['dead', 3],
      ['dead', 3],
    ]);
    expect(rows[0]!.last_error).toMatch(/^failed: webhook http:\/\/127.0.0.1:\d+\/cmms: HTTP 503$/);
    rx.status.code = 200;
  });

  it('lists dead task events and resends them with the same ids once the receiver is back, audited', async () => {
    // The two the previous test left dead: TASY-3's task created and closed while the CMMS answered 503.
    const dead = await listTaskDeadLetters(vdb, cliActor);
    expect(dead.map((d) => [d.type, d.destination, d.attempts])).toEqual([
      ['vigil.task.created', 'cmms', 3],
      ['vigil.task.closed', 'cmms', 3],
    ]);
    expect(dead[0]!.lastError).toMatch(/^failed: webhook http:\/\/127.0.0.1:\d+\/cmms: HTTP 503$/);
    const [created, closed] = dead as [(typeof dead)[0], (typeof dead)[0]];
    expect(await listTaskDeadLetters(vdb, cliActor, { offset: 1 })).toEqual([closed]);
    await expect(listTaskDeadLetters(vdb, cliActor, { limit: 0 })).rejects.toMatchObject({
      code: 'invalid_input',
    });

    // Who may: alerts:write to resend (like alert dead letters), tasks:read to see tasks, every site.
    const reader = { ...cliActor, permissions: new Set(ALL_PERMISSIONS.filter((p) => p !== 'alerts:write')) };
    expect(await listTaskDeadLetters(vdb, reader)).toHaveLength(2);
    await expect(retryTaskDeadLetter(vdb, reader, created.id)).rejects.toMatchObject({ code: 'forbidden' });
    const noTasks = { ...cliActor, permissions: new Set(ALL_PERMISSIONS.filter((p) => p !== 'tasks:read')) };
    await expect(listTaskDeadLetters(vdb, noTasks)).rejects.toMatchObject({ code: 'forbidden' });
    await expect(listTaskDeadLetters(vdb, { ...cliActor, siteIds: ['x'] })).rejects.toMatchObject({
      code: 'forbidden',
    });

    // Still down: one attempt, still dead with the new error; --all then stops at the first failure.
    rx.status.code = 503;
    const before = rx.hits.length;
    expect(await retryTaskDeadLetter(vdb, cliActor, created.id)).toEqual({
      ok: false,
      destination: 'cmms',
      state: 'dead',
      attempts: 4,
      error: expect.stringMatching(/HTTP 503$/),
    });
    expect(await retryAllTaskDeadLetters(vdb, cliActor)).toMatchObject({
      delivered: 0,
      failed: 1,
      skipped: 1,
    });

    rx.status.code = 200;
    const all = await retryAllTaskDeadLetters(vdb, cliActor, { message: { publicUrl: PUBLIC_URL } });
    expect(all).toMatchObject({ delivered: 2, failed: 0, skipped: 0 });
    const sent = rx.hits.slice(before);
    // The same event id (the receiver's idempotency key) and delivery id on every try, each signed.
    expect(sent.map((h) => [h.path, h.status, h.verified, h.body.type, h.body.id, deliveryId(h)])).toEqual([
      ['/cmms', 503, true, 'vigil.task.created', created.eventId, created.id],
      ['/cmms', 503, true, 'vigil.task.created', created.eventId, created.id],
      ['/cmms', 200, true, 'vigil.task.created', created.eventId, created.id],
      ['/cmms', 200, true, 'vigil.task.closed', closed.eventId, closed.id],
    ]);
    expect(sent[3]!.body.task).toMatchObject({ state: 'closed', device: { label: 'TASY-3' } });
    expect(sent[3]!.body.change).toMatchObject({ to: 'closed', reason: 'device leaves service' });

    expect(await listTaskDeadLetters(vdb, cliActor)).toEqual([]);
    const rows = await listTaskDeliveries(vdb, { subjectId: created.subjectId });
    expect(rows.map((r) => [r.state, Number(r.attempts), r.delivered_at !== null])).toEqual([
      ['delivered', 6, true],
      ['delivered', 4, true],
    ]);
    await expect(retryTaskDeadLetter(vdb, cliActor, created.id)).rejects.toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/is delivered, not dead/),
    });
    await expect(retryTaskDeadLetter(vdb, cliActor, 'no-such-delivery')).rejects.toMatchObject({
      code: 'not_found',
    });
    const audit = await listAudit(vdb, { action: 'task-delivery.retry' });
    expect(audit.map((a) => [a.outcome, a.targetId, a.summary['eventId']]).reverse()).toEqual([
      ['failure', created.id, created.eventId],
      ['failure', created.id, created.eventId],
      ['success', created.id, created.eventId],
      ['success', closed.id, closed.eventId],
    ]);
  });

  it('sends risk acceptances created and revoked, and campaigns created', async () => {
    const before = cmms().length;
    const a = await acceptRisk(
      vdb,
      cliActor,
      {
        scope: 'device',
        device: 'TASY-2',
        vulnerability: CVE2,
        decision: 'accept',
        reason: 'isolated VLAN until the vendor validates 3.06.1804',
        expires: at(90).toISOString(),
      },
      T0,
    );
    await revokeAcceptance(vdb, cliActor, a.id, 'vendor fix validated', at(1));
    const c = await createCampaign(vdb, cliActor, { model: 'Tasy EMR HTML5', vulnerability: CVE2 }, T0);
    await dispatcher.drain();
    const got = cmms()
      .slice(before)
      .map((h) => h.body);
    expect(got.map((m) => m.type)).toEqual([
      'vigil.risk-acceptance.created',
      'vigil.risk-acceptance.revoked',
      'vigil.campaign.created',
      ...Array(c.tasksCreated).fill('vigil.task.created'),
    ]);
    expect(got[0]!.riskAcceptance).toMatchObject({
      id: a.id,
      scope: 'device',
      vulnerability: CVE2,
      deviceLabel: 'TASY-2',
      decision: 'accept',
      expires: at(90).toISOString(),
    });
    expect(got[1]!.riskAcceptance).toMatchObject({ id: a.id, state: 'revoked' });
    expect(got[2]!.campaign).toMatchObject({ id: c.id, model: 'Tasy EMR HTML5', vulnerability: CVE2 });
    expect(got.slice(3).map((m) => [m.task?.campaignId, m.task?.device.label])).toEqual(
      got.slice(3).map(() => [c.id, expect.stringMatching(/^TASY-/)]),
    );
  });

  it('sends a sample task event when a destination is tested', async () => {
    const before = rx.hits.length;
    expect(await testDestination(vdb, cliActor, 'cmms')).toEqual({
      ok: true,
      destination: 'cmms',
      event: 'task',
    });
    expect(await testDestination(vdb, cliActor, 'soc', { event: 'task' })).toMatchObject({
      ok: true,
      event: 'task',
    });
    const got = rx.hits.slice(before);
    expect(got.map((h) => [h.path, h.verified, h.body.type])).toEqual([
      ['/cmms', true, 'vigil.task.created'],
      ['/soc', true, 'vigil.task.created'],
    ]);
    expect(got[0]!.body.task).toMatchObject({ device: { label: 'TEST-DEVICE' } });
  });
  it('sends to a destination added while it runs, and nothing more to one removed', async () => {
    // Added while `vigil serve` runs (the dashboard, the API, the CLI from another process).
    await addDestination(vdb, cliActor, {
      kind: 'webhook',
      secret: SECRET,
      name: 'ticketing',
      url: `${rx.origin}/ticketing`,
      events: ['tasks'],
    });
    await addDevice(vdb, cliActor, {
      assetTag: 'TASY-4',
      serialNumber: 'SN-TASY-4',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1700',
      site: 'Main Campus',
    });
    const before = rx.hits.length;
    const t = await createTask(vdb, cliActor, { device: 'TASY-4', vulnerability: CVE }, T0);
    await dispatcher.drain();
    expect(dispatcher.destinations().sort()).toEqual(['cmms', 'ticketing']);
    expect(
      rx.hits
        .slice(before)
        .map((h) => [h.path, h.body.type, h.body.task?.id])
        .sort(),
    ).toEqual([
      ['/cmms', 'vigil.task.created', t.id],
      ['/ticketing', 'vigil.task.created', t.id],
    ]);
    expect((await listTaskDeliveries(vdb, { subjectId: t.id })).map((r) => r.state)).toEqual([
      'delivered',
      'delivered',
    ]);

    await removeDestination(vdb, cliActor, 'ticketing');
    const after = rx.hits.length;
    await moveTask(vdb, cliActor, t.id, { state: 'closed', reason: 'replaced by the campaign' });
    await dispatcher.drain();
    expect(dispatcher.destinations()).toEqual(['cmms']);
    expect(rx.hits.slice(after).map((h) => [h.path, h.body.type])).toEqual([['/cmms', 'vigil.task.closed']]);
  });
});
