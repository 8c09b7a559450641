/**
 * The EventBus contract, run against every implementation: the in-process bus and the NATS JetStream
 * transport (issue 9; skipped with a message when no nats-server is reachable locally, never in CI):
 * delivery per topic, publishers that never wait for or fail because of subscribers, isolation between
 * subscribers, unsubscribe.
 */
import { connect, type NatsConnection } from 'nats';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import { JetStreamEventBus } from '../scaleout/jetstream-bus.js';
import { deleteStreams, ensureStreams } from '../scaleout/streams.js';
import type { Alert } from './alerts-service.js';
import { type EventBus, InProcessEventBus, processEventBus, type VigilEvents } from './event-bus.js';

interface Made {
  bus: EventBus;
  errors: string[];
  close?: () => Promise<void>;
}

const recordingLog = (errors: string[]) =>
  ({ error: (obj: unknown) => void errors.push(JSON.stringify(obj)) }) as never;

const IMPLEMENTATIONS: [string, () => Promise<Made>][] = [
  [
    'InProcessEventBus',
    async () => {
      const errors: string[] = [];
      return { bus: new InProcessEventBus({ log: recordingLog(errors) }), errors };
    },
  ],
];

let nc: NatsConnection | undefined;
const names = uniqueNames();
if (await natsAvailable()) {
  IMPLEMENTATIONS.push([
    'JetStreamEventBus',
    async () => {
      if (!nc) {
        nc = await connect({ servers: NATS_URL });
        await ensureStreams(await nc.jetstreamManager(), names);
      }
      const errors: string[] = [];
      const bus = new JetStreamEventBus(nc, {
        prefix: names.prefix,
        stream: names.eventStream,
        log: recordingLog(errors),
      });
      return { bus, errors, close: () => bus.close() };
    },
  ]);
}

afterAll(async () => {
  if (!nc) return;
  await deleteStreams(await nc.jetstreamManager(), names);
  await nc.close();
});

const made: Made[] = [];
afterEach(async () => {
  for (const m of made.splice(0)) await m.close?.();
});

const alert = (id: string): Alert => ({
  id,
  rule: 'cleartext-phi',
  severity: 'high',
  title: 'Patient data sent without encryption (hl7:2575)',
  deviceId: null,
  deviceLabel: null,
  siteId: null,
  subject: 'hl7:2575',
  state: 'new',
  count: 1,
  suppressed: 0,
  firstSeen: '2026-01-01T00:00:00.000Z',
  lastSeen: '2026-01-01T00:00:00.000Z',
  evidence: [],
  details: {},
  stateReason: null,
  stateBy: null,
  stateAt: null,
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
});

const raised = (id: string): VigilEvents['alert-raised'] => ({ alert: alert(id), reason: 'created' });

describe.each(IMPLEMENTATIONS)('EventBus contract: %s', (_name, makeBus) => {
  const make = async () => {
    const m = await makeBus();
    made.push(m);
    return m;
  };

  it('delivers each event to every subscriber of its topic, and only of its topic', async () => {
    const { bus } = await make();
    const a: string[] = [];
    const b: string[] = [];
    const other: string[] = [];
    bus.subscribe('alert-raised', (e) => void a.push(e.alert.id));
    bus.subscribe('alert-raised', (e) => void b.push(e.alert.id));
    bus.subscribe('alert-state-changed', (e) => void other.push(e.alert.id));
    bus.publish('alert-raised', raised('1'));
    bus.publish('alert-raised', raised('2'));
    await bus.idle();
    expect(a).toEqual(['1', '2']);
    expect(b).toEqual(['1', '2']);
    expect(other).toEqual([]);
  });

  it('returns from publish before any subscriber runs', async () => {
    const { bus } = await make();
    let ran = false;
    bus.subscribe('alert-raised', () => {
      ran = true;
    });
    bus.publish('alert-raised', raised('1'));
    expect(ran).toBe(false);
    await bus.idle();
    expect(ran).toBe(true);
  });

  it('keeps delivering to the others when a subscriber throws or rejects, and logs the failure', async () => {
    const { bus, errors } = await make();
    const got: string[] = [];
    bus.subscribe('alert-raised', () => {
      throw new Error('boom');
    });
    bus.subscribe('alert-raised', async () => {
      await Promise.resolve();
      throw new Error('async boom');
    });
    bus.subscribe('alert-raised', (e) => void got.push(e.alert.id));
    expect(() => bus.publish('alert-raised', raised('1'))).not.toThrow();
    bus.publish('alert-raised', raised('2'));
    await bus.idle();
    expect(got).toEqual(['1', '2']);
    expect(errors.filter((e) => e.includes('async boom'))).toHaveLength(2);
    expect(errors.filter((e) => e.includes('"boom"'))).toHaveLength(2);
  });

  it('does not hold the publisher or the other subscribers behind a slow subscriber', async () => {
    const { bus } = await make();
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const fast: string[] = [];
    let slowDone = 0;
    bus.subscribe('alert-raised', async () => {
      await gate;
      slowDone++;
    });
    bus.subscribe('alert-raised', (e) => void fast.push(e.alert.id));
    for (let i = 0; i < 50; i++) bus.publish('alert-raised', raised(String(i)));
    // The fast subscriber has everything while the slow one is still stuck.
    // (A transport that crosses the network needs a few milliseconds; the in-process bus a few turns.)
    for (let i = 0; i < 10 && fast.length < 50; i++) await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 400 && fast.length < 50; i++) await new Promise((r) => setTimeout(r, 5));
    expect(fast).toHaveLength(50);
    expect(slowDone).toBe(0);
    release();
    await bus.idle();
    expect(slowDone).toBe(50);
  });

  it('stops delivering after unsubscribe, and a publish without subscribers is a no-op', async () => {
    const { bus } = await make();
    const got: string[] = [];
    const sub = bus.subscribe('alert-raised', (e) => void got.push(e.alert.id));
    bus.publish('alert-raised', raised('1'));
    await bus.idle();
    bus.unsubscribe(sub);
    bus.unsubscribe(sub);
    bus.publish('alert-raised', raised('2'));
    bus.publish('source-run', {
      importId: 'x',
      kind: 'capture',
      file: 'a.pcap',
      report: {} as never,
      result: { hosts: [], findings: [] },
    });
    await bus.idle();
    expect(got).toEqual(['1']);
  });

  it('delivers an event to the subscribers of the moment it was published', async () => {
    const { bus } = await make();
    const got: string[] = [];
    bus.subscribe('alert-raised', () => {
      bus.subscribe('alert-raised', (e) => void got.push(`late:${e.alert.id}`));
    });
    bus.publish('alert-raised', raised('1'));
    await bus.idle();
    expect(got).toEqual([]);
  });
});

describe('processEventBus', () => {
  it('is one bus per process', () => {
    expect(processEventBus()).toBe(processEventBus());
  });
});
