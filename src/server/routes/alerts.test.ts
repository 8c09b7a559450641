/**
 * Alerts over the API on every dialect: list with filters and paging, show with history, state changes
 * (auditor refused), destinations (the secret never returned), dead letters of alerts and task events.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { importAdvisoryPaths } from '../../advisories/advisory-import.js';
import { addDevice } from '../../inventory/inventory-service.js';
import type { AlertCandidate } from '../../monitor/alert-candidate.js';
import { addDestination } from '../../monitor/alert-destinations-service.js';
import { raiseAlerts } from '../../monitor/alerts-service.js';
import { InProcessEventBus } from '../../monitor/event-bus.js';
import { TaskEventDispatcher } from '../../tasks/task-event-dispatcher.js';
import { createTask } from '../../tasks/tasks-service.js';

const SECRET = 'a-webhook-signing-secret-of-forty-characters';

const candidate = (subject: string, severity: AlertCandidate['severity'] = 'high'): AlertCandidate => ({
  rule: 'cleartext-phi',
  severity,
  title: `Patient data sent without encryption (${subject})`,
  deviceId: null,
  siteId: null,
  subject,
  evidence: [
    {
      time: '2026-03-02T10:00:00.000Z',
      connection: '10.30.0.21:40112 → 10.30.0.10:2575/tcp',
      file: '04-hl7-mllp.pcap',
      packet: 4,
      summary: 'HL7 ADT^A01 with PID in cleartext',
    },
  ],
});

describe.each(DIALECTS)('alerts API on %s', (dialect) => {
  let h: ApiHarness;
  let ids: string[];
  beforeAll(async () => {
    h = await apiHarness(dialect);
    const bus = new InProcessEventBus();
    const r = await raiseAlerts(
      h.ctx.vdb,
      [candidate('hl7:2575'), candidate('hl7:2576', 'medium'), candidate('hl7:2577')],
      {
        bus,
      },
    );
    ids = r.alertIds;
  });
  afterAll(async () => h?.close());

  it('lists alerts with filters, paging and a total', async () => {
    const all = await h.as('auditor').get('/api/v1/alerts');
    expect(all.status).toBe(200);
    const body = (await all.json()) as { items: { id: string; severity: string }[]; total: number };
    expect(body.total).toBe(3);
    expect(Object.keys(body.items[0]!).sort()).toEqual(
      [
        'count',
        'createdAt',
        'details',
        'deviceId',
        'deviceLabel',
        'evidence',
        'firstSeen',
        'id',
        'lastSeen',
        'rule',
        'severity',
        'siteId',
        'state',
        'stateAt',
        'stateBy',
        'stateReason',
        'subject',
        'suppressed',
        'title',
        'updatedAt',
      ].sort(),
    );
    const medium = (await (
      await h.as('auditor').get('/api/v1/alerts?severity=medium')
    ).json()) as typeof body;
    expect(medium.items.map((a) => a.severity)).toEqual(['medium']);
    const page = (await (
      await h.as('auditor').get('/api/v1/alerts?limit=1&offset=1')
    ).json()) as typeof body & {
      limit: number;
      offset: number;
    };
    expect(page).toMatchObject({ total: 3, limit: 1, offset: 1 });
    expect(page.items).toHaveLength(1);
    expect((await h.as('auditor').get('/api/v1/alerts?state=bogus')).status).toBe(400);
  });

  it('shows one alert with its history, changes its state, and refuses an auditor', async () => {
    const id = ids[0]!;
    const show = (await (await h.as('auditor').get(`/api/v1/alerts/${id}`)).json()) as {
      events: { action: string }[];
      deliveries: unknown[];
      evidence: { connection: string }[];
    };
    expect(show.events.map((e) => e.action)).toEqual(['created']);
    expect(show.deliveries).toEqual([]);
    expect(show.evidence[0]!.connection).toContain('2575/tcp');
    expect((await h.as('auditor').post(`/api/v1/alerts/${id}/state`, { state: 'acknowledged' })).status).toBe(
      403,
    );
    const ack = await h.as('clinical-engineer').post(`/api/v1/alerts/${id}/state`, {
      state: 'acknowledged',
      reason: 'ward informed',
    });
    expect(ack.status).toBe(200);
    expect(await ack.json()).toMatchObject({ state: 'acknowledged', stateReason: 'ward informed' });
    const bad = await h.as('clinical-engineer').post(`/api/v1/alerts/${id}/state`, { state: 'new' });
    expect(bad.status).toBe(400);
    const noReason = await h
      .as('clinical-engineer')
      .post(`/api/v1/alerts/${id}/state`, { state: 'false-positive' });
    expect(noReason.status).toBe(400);
    // The API (and the dashboard showing its message) has no command-line flags to name.
    expect(await noReason.json()).toMatchObject({
      detail: 'Say why it is a false positive: a reason is required',
      issues: [{ field: 'reason', reason: 'required' }],
    });
    expect((await h.as('auditor').get('/api/v1/alerts/nope')).status).toBe(404);
  });

  it('adds, lists and removes destinations without ever returning the secret', async () => {
    const add = await h.as('security-officer').post('/api/v1/alert-destinations', {
      name: 'soc-hook',
      kind: 'webhook',
      url: 'https://hooks.example.org/vigil?token=abc123',
      secret: SECRET,
    });
    expect(add.status).toBe(201);
    const text = await add.text();
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('abc123');
    expect(JSON.parse(text)).toMatchObject({
      name: 'soc-hook',
      hasSecret: true,
      target: 'webhook https://hooks.example.org/vigil',
    });
    const syslog = await h.as('security-officer').post('/api/v1/alert-destinations', {
      name: 'siem',
      kind: 'syslog',
      transport: 'tcp',
      host: '127.0.0.1',
      port: 6514,
    });
    expect(syslog.status).toBe(201);
    expect(await syslog.json()).toMatchObject({ target: 'syslog+tcp://127.0.0.1:6514', hasSecret: false });
    const bad = await h
      .as('security-officer')
      .post('/api/v1/alert-destinations', { name: 'x', kind: 'pager' });
    expect(bad.status).toBe(400);
    const list = await h.as('auditor').get('/api/v1/alert-destinations');
    const listText = await list.text();
    expect(listText).not.toContain(SECRET);
    expect((JSON.parse(listText) as { items: { name: string }[] }).items.map((d) => d.name)).toEqual([
      'siem',
      'soc-hook',
    ]);
    expect((await h.as('auditor').request('DELETE', '/api/v1/alert-destinations/siem')).status).toBe(403);
    expect((await h.as('security-officer').request('DELETE', '/api/v1/alert-destinations/siem')).status).toBe(
      200,
    );
    expect((await h.as('security-officer').request('DELETE', '/api/v1/alert-destinations/siem')).status).toBe(
      404,
    );
  });

  it('names the device of an alert by its label: the asset tag, or make and model with its address', async () => {
    const pump = await addDevice(h.ctx.vdb, cliActor, { assetTag: 'PUMP-7', ips: ['10.30.0.7'] });
    const ct = await addDevice(h.ctx.vdb, cliActor, {
      manufacturer: 'GE Medical Systems',
      model: 'RHAPSODE',
      macs: ['44:4b:5d:c7:21:01'],
      ips: ['10.20.0.21'],
    });
    const { alertIds } = await raiseAlerts(
      h.ctx.vdb,
      [
        { ...candidate('hl7:2590'), deviceId: pump.id },
        { ...candidate('hl7:2590'), deviceId: ct.id },
      ],
      { bus: new InProcessEventBus() },
    );
    type Item = { id: string; deviceId: string | null; deviceLabel: string | null; subject: string };
    const list = (await (await h.as('auditor').get('/api/v1/alerts')).json()) as { items: Item[] };
    expect(
      Object.fromEntries(
        list.items.filter((a) => a.subject === 'hl7:2590').map((a) => [a.deviceId, a.deviceLabel]),
      ),
    ).toEqual({ [pump.id]: 'PUMP-7', [ct.id]: 'GE Medical Systems RHAPSODE (10.20.0.21)' });
    expect(list.items.filter((a) => a.deviceId === null).every((a) => a.deviceLabel === null)).toBe(true);
    const ctAlert = list.items.find((a) => a.deviceId === ct.id)!;
    expect(alertIds).toContain(ctAlert.id);
    const show = (await (await h.as('auditor').get(`/api/v1/alerts/${ctAlert.id}`)).json()) as Item;
    expect(show.deviceLabel).toBe('GE Medical Systems RHAPSODE (10.20.0.21)');
    const ack = await h
      .as('clinical-engineer')
      .post(`/api/v1/alerts/${ctAlert.id}/state`, { state: 'acknowledged' });
    expect(((await ack.json()) as Item).deviceLabel).toBe('GE Medical Systems RHAPSODE (10.20.0.21)');
    // The label's address (or the asset tag) typed back as deviceId selects the device's alerts.
    for (const ref of ['10.20.0.21', '44-4B-5D-C7-21-01', ct.id]) {
      const byRef = (await (await h.as('auditor').get(`/api/v1/alerts?deviceId=${ref}`)).json()) as {
        items: Item[];
      };
      expect(byRef.items.map((a) => a.deviceId)).toEqual([ct.id]);
    }
    const unknown = await h.as('auditor').get('/api/v1/alerts?deviceId=10.99.99.99');
    expect(unknown.status).toBe(404);
  });

  it('lists dead letters and answers 404 for an unknown one', async () => {
    const dead = await h.as('auditor').get('/api/v1/alert-dead-letters');
    expect(dead.status).toBe(200);
    expect(await dead.json()).toEqual({ items: [] });
    expect((await h.as('security-officer').post('/api/v1/alert-dead-letters/nope/retry')).status).toBe(404);
  });

  it('lists dead task events and retries one, with alerts:write', async () => {
    // A CMMS that is not there: a loopback port nothing listens on any more.
    const gone = createServer();
    await new Promise<void>((r) => gone.listen(0, '127.0.0.1', r));
    const { port } = gone.address() as AddressInfo;
    await new Promise((r) => gone.close(r));
    const vdb = h.ctx.vdb;
    const url = `http://127.0.0.1:${port}/cmms`;
    await addDestination(vdb, cliActor, {
      name: 'cmms',
      kind: 'webhook',
      url,
      secret: SECRET,
      events: ['tasks'],
    });
    // A real advisory (CISA ICSMA-21-308-01, Philips Tasy EMR) and a device it matches.
    await importAdvisoryPaths(vdb, cliActor, [
      join(import.meta.dirname, '../../../test/fixtures/advisories/csaf/icsma-21-308-01.json'),
    ]);
    await addDevice(vdb, cliActor, {
      assetTag: 'TASY-9',
      manufacturer: 'Philips',
      model: 'Tasy EMR HTML5',
      softwareVersion: '3.06.1803',
    });
    const task = await createTask(vdb, cliActor, { device: 'TASY-9', vulnerability: 'CVE-2021-39375' });
    const dispatcher = new TaskEventDispatcher(vdb, {
      queue: { maxAttempts: 1, clock: { now: () => Date.now(), sleep: async () => {} } },
    });
    await dispatcher.start();
    await dispatcher.drain();
    await dispatcher.stop();

    const list = await h.as('auditor').get('/api/v1/task-dead-letters?limit=10');
    expect(list.status).toBe(200);
    const { items } = (await list.json()) as { items: Record<string, unknown>[] };
    expect(items).toEqual([
      {
        id: expect.any(String),
        eventId: expect.any(String),
        type: 'vigil.task.created',
        subjectId: task.id,
        destinationId: expect.any(String),
        destination: 'cmms',
        attempts: 1,
        lastError: expect.stringMatching(/^failed: /),
        occurredAt: expect.any(String),
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      },
    ]);
    expect((await h.as('auditor').get('/api/v1/task-dead-letters?limit=0')).status).toBe(400);
    const retry = `/api/v1/task-dead-letters/${items[0]!['id']}/retry`;
    expect((await h.as('auditor').post(retry)).status).toBe(403);
    const r = await h.as('security-officer').post(retry);
    expect(r.status).toBe(200);
    expect(await r.json()).toMatchObject({ ok: false, destination: 'cmms', state: 'dead', attempts: 2 });
    expect((await h.as('security-officer').post('/api/v1/task-dead-letters/nope/retry')).status).toBe(404);
  });
});
