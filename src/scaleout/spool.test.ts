/**
 * The sensor's disk spool: records survive a restart in order, drain stops at the first failure and
 * resumes there, a full spool drops low-value records (oldest first) before anything else and counts
 * them, appends during a drain stay behind it, and the epoch grows at every start.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { DiskSpool, type SpoolRecord } from './spool.js';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'vigil-spool-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const rec = (n: number, low = false, pad = 0): SpoolRecord => ({
  subject: `vigil.obs.north.${low ? 'flows' : 'hosts'}`,
  msgId: `s:1:${n}`,
  low,
  data: JSON.stringify({ n, pad: 'x'.repeat(pad) }),
});

async function drainAll(s: DiskSpool): Promise<number[]> {
  const out: number[] = [];
  await s.drain(async (r) => void out.push((JSON.parse(r.data) as { n: number }).n));
  return out;
}

describe('DiskSpool', () => {
  it('keeps records across a restart, in order, and empties on drain', async () => {
    const dir = tmp();
    const a = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 300 });
    for (let i = 0; i < 20; i++) a.append(rec(i, i % 3 === 0));
    expect(a.status().segments).toBeGreaterThan(1);
    const b = new DiskSpool({ dir, maxBytes: 1_000_000, segmentBytes: 300 });
    expect(b.epoch).toBe(a.epoch + 1);
    expect(b.status().records).toBe(20);
    expect(await drainAll(b)).toEqual([...Array(20).keys()]);
    expect(b.empty).toBe(true);
    expect(new DiskSpool({ dir, maxBytes: 1_000_000 }).status().records).toBe(0);
  });

  it('stops at the first failed publish and resumes from that record', async () => {
    const s = new DiskSpool({ dir: tmp(), maxBytes: 1_000_000, segmentBytes: 200 });
    for (let i = 0; i < 10; i++) s.append(rec(i));
    const got: number[] = [];
    await expect(
      s.drain(async (r) => {
        const n = (JSON.parse(r.data) as { n: number }).n;
        if (n === 6) throw new Error('link down');
        got.push(n);
      }),
    ).rejects.toThrow('link down');
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.status().records).toBe(4);
    expect(await drainAll(s)).toEqual([6, 7, 8, 9]);
  });

  it('when full, drops the oldest low-value records first and counts them', async () => {
    const s = new DiskSpool({ dir: tmp(), maxBytes: 3000, segmentBytes: 600 });
    for (let i = 0; i < 10; i++) s.append(rec(i, i % 2 === 1, 150));
    for (let i = 10; i < 14; i++) s.append(rec(i, false, 150));
    const st = s.status();
    expect(st.bytes).toBeLessThanOrEqual(3000);
    expect(st.dropped.low).toBeGreaterThan(0);
    expect(st.dropped.high).toBe(0);
    const left = await drainAll(s);
    // Every high-value record is still there, in order; only odd (low) ones went.
    expect(left.filter((n) => n % 2 === 0 || n >= 10)).toEqual([0, 2, 4, 6, 8, 10, 11, 12, 13]);
    expect(left).toEqual([...left].sort((a, b) => a - b));
  });

  it('drops high-value records only when no low-value ones are left', () => {
    const s = new DiskSpool({ dir: tmp(), maxBytes: 2000, segmentBytes: 500 });
    for (let i = 0; i < 30; i++) s.append(rec(i, false, 100));
    expect(s.status().dropped.high).toBeGreaterThan(0);
    expect(s.status().bytes).toBeLessThanOrEqual(2000);
  });

  it('records appended during a drain come after it', async () => {
    const s = new DiskSpool({ dir: tmp(), maxBytes: 1_000_000, segmentBytes: 100_000 });
    for (let i = 0; i < 5; i++) s.append(rec(i));
    const got: number[] = [];
    let next = 100;
    await s.drain(async (r) => {
      got.push((JSON.parse(r.data) as { n: number }).n);
      if (next < 103) s.append(rec(next++));
    });
    expect(got).toEqual([0, 1, 2, 3, 4, 100, 101, 102]);
    expect(s.empty).toBe(true);
  });

  it('skips a torn last line left by a crash mid-write', async () => {
    const dir = tmp();
    const s = new DiskSpool({ dir, maxBytes: 1_000_000 });
    s.append(rec(1));
    writeFileSync(join(dir, 'seg-000000000001.jsonl'), `${JSON.stringify(rec(1))}\n{"subject":"vig`, {
      flag: 'w',
    });
    expect(await drainAll(new DiskSpool({ dir, maxBytes: 1_000_000 }))).toEqual([1]);
  });

  it('never exceeds its bound and never reorders what it keeps (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 400 })), { maxLength: 60 }),
        async (ops) => {
          const s = new DiskSpool({ dir: tmp(), maxBytes: 4000, segmentBytes: 700 });
          for (const [i, [low, pad]] of ops.entries()) s.append(rec(i, low, pad));
          expect(s.status().bytes).toBeLessThanOrEqual(4000);
          const left = await drainAll(s);
          expect(left).toEqual([...left].sort((a, b) => a - b));
          const dropped = s.status().dropped;
          expect(left.length + dropped.low + dropped.high).toBe(ops.length);
        },
      ),
      { numRuns: 40 },
    );
  });
});
