import { describe, expect, it } from 'vitest';
import { cliActor } from '../../../test/factories.js';
import type { Actor } from '../../accounts/actor.js';
import type { FindingObservation, SourceResult } from '../../discovery/host-observation.js';
import type { DbHandle } from '../../store/transaction.js';
import { SliceStore, type SliceTarget } from './slice-store.js';

// No database: an actor without `devices:import` makes every store fail before the database is touched.
const noImport: Actor = { ...cliActor, permissions: new Set() };
const h = {} as DbHandle;
const at = '2026-01-01T00:00:10Z';
const target: SliceTarget = {
  source: { kind: 'capture', file: 'eth0' },
  run: { kind: 'live', file: 'eth0' },
};

const finding = (time: string): FindingObservation => ({
  type: 'insecure-protocol',
  host: { ip: '10.0.0.5' },
  subject: 'telnet:23',
  evidence: { source: 'live', file: 'eth0', time, summary: 's' },
  details: {},
});
const slice = (...findings: FindingObservation[]): SourceResult => ({ hosts: [], findings, flows: [] });

describe('SliceStore', () => {
  it('stores nothing for an empty slice, and counts it only when done', async () => {
    const store = new SliceStore({ h, actor: noImport });
    const { outcome, report } = await store.store(slice(), at, false, target);
    expect(outcome).toBe('empty');
    expect(report).toMatchObject({ at, stored: false, hosts: 0, flows: 0, importId: null });
    expect([store.flushes, store.lastFlush]).toEqual([0, null]);
    expect(store.done(report)).toBe(report);
    expect([store.flushes, store.failedFlushes, store.lastFlush]).toEqual([1, 0, report]);
  });

  it('keeps a slice that could not be stored and merges it into the next; only a final flush throws', async () => {
    const warnings: string[] = [];
    const store = new SliceStore({ h, actor: noImport, onWarning: (m) => warnings.push(m) });
    let failed = 0;
    const first = await store.store(slice(finding('2026-01-01T00:00:01Z')), at, false, {
      ...target,
      failed: () => failed++,
    });
    expect(first.outcome).toBe('failed');
    expect(first.report).toMatchObject({ stored: false, error: expect.stringContaining('devices:import') });
    expect(store.lastFlush).toBe(first.report);
    expect([failed, store.failedFlushes, store.flushes, store.retrying]).toEqual([1, 1, 0, true]);
    expect(warnings).toEqual([expect.stringMatching(/^flush failed, will retry: /)]);

    const merged = store.slice(slice(finding('2026-01-01T00:00:05Z')));
    expect(merged.findings).toMatchObject([
      { occurrences: 2, lastEvidence: { time: '2026-01-01T00:00:05Z' } },
    ]);
    await expect(store.store(merged, at, true, target)).rejects.toThrow(/devices:import/);
    expect([store.failedFlushes, store.retrying]).toEqual([2, true]);

    store.handedOver();
    expect(store.retrying).toBe(false);
    expect(store.slice(slice(finding('2026-01-01T00:00:07Z'))).findings).toEqual([
      finding('2026-01-01T00:00:07Z'),
    ]);
  });
});
