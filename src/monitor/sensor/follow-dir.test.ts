import { copyFileSync, existsSync, mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { listAudit } from '../../audit/audit-log.js';
import type { CapturePacket } from '../../capture/capture-packet.js';
import type { CaptureIssue } from '../../capture/capture-stats.js';
import type { VigilDatabase } from '../../store/database.js';
import { type DirFile, FollowDirSource, FollowDirTracker } from './follow-dir.js';
import { DbFollowDirState, MemoryFollowDirState } from './follow-dir-state.js';
import type { PacketSink, Sleep } from './packet-source.js';

const fixtures = join(import.meta.dirname, 'fixtures');
const ROTATED = [
  'rotated_00000_20261128235520.pcap',
  'rotated_00001_20261128235527.pcap',
  'rotated_00002_20261128235527.pcap',
];

const file = (name: string, size: number, mtimeMs: number): DirFile => ({ name, size, mtimeMs });

describe('FollowDirTracker (fake clock)', () => {
  it('offers every file but the newest at once, oldest first, numbers compared as numbers', () => {
    const sut = new FollowDirTracker(60_000);
    const listing = [
      file('cap.pcap10', 100, 1000),
      file('cap.pcap2', 100, 1000),
      file('cap.pcap', 100, 900),
      file('cap.pcap11', 5, 2000),
      file('notes.txt', 1, 1),
      file('.partial.pcap', 1, 1),
    ];
    expect(sut.ready(listing, 0).map((f) => f.name)).toEqual(['cap.pcap', 'cap.pcap2', 'cap.pcap10']);
  });

  it('offers the newest file only once it has stayed unchanged for the settle time', () => {
    const sut = new FollowDirTracker(60_000);
    const growing = (size: number) => [file('a.pcapng', 10, 1), file('b.pcapng', size, 5)];
    expect(sut.ready(growing(100), 0).map((f) => f.name)).toEqual(['a.pcapng']);
    sut.markFed(file('a.pcapng', 10, 1));
    expect(sut.ready(growing(100), 59_999)).toEqual([]);
    // It grew: the settle time starts again.
    expect(sut.ready(growing(200), 60_000)).toEqual([]);
    expect(sut.ready(growing(200), 119_999)).toEqual([]);
    expect(sut.ready(growing(200), 120_000).map((f) => f.name)).toEqual(['b.pcapng']);
  });

  it('never offers a file twice, but offers a reused name again when it holds new packets', () => {
    const sut = new FollowDirTracker(1000);
    const a = file('ring0.pcap', 10, 1);
    const newer = file('ring1.pcap', 10, 2);
    expect(sut.ready([a, newer], 0)).toEqual([a]);
    sut.markFed(a);
    expect(sut.ready([a, newer], 10)).toEqual([]);
    sut.markDone([a]);
    expect(sut.ready([a, newer], 20)).toEqual([]);
    // The ring buffer wrapped: same name, new content, and it is no longer the newest.
    const rewritten = file('ring0.pcap', 12, 3);
    const newest = file('ring2.pcap', 1, 4);
    expect(sut.ready([newer, rewritten, newest], 30)).toEqual([newer, rewritten]);
  });

  it('remembers only done files that are still there as they were', () => {
    const a = file('a.pcap', 1, 1);
    const b = file('b.pcap', 1, 2);
    const sut = new FollowDirTracker(1000, [a, b]);
    expect(sut.doneStillPresent([b, file('a.pcap', 2, 9)])).toEqual([b]);
  });
});

class RecordingSink implements PacketSink {
  streams: string[] = [];
  packets = 0;
  issueList: CaptureIssue[] = [];
  waiting: (() => Promise<void>)[] = [];
  beginStream(name: string) {
    this.streams.push(name);
  }
  packet(_p: CapturePacket) {
    this.packets++;
  }
  issues(list: readonly CaptureIssue[]) {
    this.issueList.push(...list);
  }
  afterApplied(fn: () => Promise<void>) {
    this.waiting.push(fn);
  }
  /** What a successful flush does. */
  async flushed() {
    for (const fn of this.waiting.splice(0)) await fn();
  }
}

/** A fake clock: each poll advances it by the poll interval; the source is stopped after `polls` polls. */
function fakeTime(polls: number, onPoll?: () => Promise<void>) {
  const stop = new AbortController();
  let now = 1_000_000;
  let n = 0;
  const sleep: Sleep = async (ms) => {
    now += ms;
    await onPoll?.();
    if (++n >= polls) stop.abort();
  };
  return { stop, sleep, now: () => now };
}

function rotatedDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-follow-'));
  ROTATED.forEach((name, i) => {
    copyFileSync(join(fixtures, name), join(dir, name));
    const t = new Date(Date.UTC(2026, 10, 28, 23, 55, 20 + i));
    utimesSync(join(dir, name), t, t);
  });
  writeFileSync(join(dir, 'README.txt'), 'not a capture');
  return dir;
}

describe('FollowDirSource', () => {
  it('reads completed files in order, marks them done only after the flush, and deletes them if asked', async () => {
    const dir = rotatedDir();
    const state = new MemoryFollowDirState();
    const sink = new RecordingSink();
    const t = fakeTime(4);
    const sut = new FollowDirSource({
      dir,
      state,
      settleMs: 5000,
      pollMs: 2000,
      deleteProcessed: true,
      ...t,
    });
    await sut.run(sink, t.stop.signal);
    // The first poll reads the two older files; the newest has settled (5 s unchanged) at the fourth.
    expect(sink.streams).toEqual(ROTATED);
    expect(sink.packets).toBe(143);
    expect(sink.issueList).toEqual([]);
    expect(state.saves).toBe(0);
    expect(readdirSync(dir).sort()).toEqual(['README.txt', ...ROTATED]);
    await sink.flushed();
    // Remembered before deleted: a crash in between leaves a file that is done, not one read twice.
    expect(state.done.map((f) => f.name)).toEqual(ROTATED);
    expect(state.saves).toBe(2);
    expect(readdirSync(dir)).toEqual(['README.txt']);
    expect(sut.status()).toMatchObject({ filesRead: 3, filesDone: 3 });
  });

  it('after a restart, reads only what the state does not list as done', async () => {
    const dir = rotatedDir();
    const state = new MemoryFollowDirState();
    const first = new RecordingSink();
    const t1 = fakeTime(1);
    await new FollowDirSource({ dir, state, settleMs: 60_000, ...t1 }).run(first, t1.stop.signal);
    expect(first.streams).toEqual(ROTATED.slice(0, 2));
    await first.flushed();
    expect(state.done.map((f) => f.name)).toEqual(ROTATED.slice(0, 2));

    // Restarted; meanwhile the writer finished the newest file long ago (60 s settle passes on our clock).
    const second = new RecordingSink();
    const t2 = fakeTime(40);
    await new FollowDirSource({ dir, state, settleMs: 60_000, ...t2 }).run(second, t2.stop.signal);
    expect(second.streams).toEqual([ROTATED[2]]);
    await second.flushed();
    expect(state.done.map((f) => f.name)).toEqual(ROTATED);
    expect(existsSync(join(dir, ROTATED[0]!))).toBe(true);
  });

  it('a file fed but never stored (crash before the flush) is read again after a restart', async () => {
    const dir = rotatedDir();
    const state = new MemoryFollowDirState();
    const t1 = fakeTime(1);
    await new FollowDirSource({ dir, state, settleMs: 60_000, ...t1 }).run(
      new RecordingSink(),
      t1.stop.signal,
    );
    const again = new RecordingSink();
    const t2 = fakeTime(1);
    await new FollowDirSource({ dir, state, settleMs: 60_000, ...t2 }).run(again, t2.stop.signal);
    expect(again.streams).toEqual(ROTATED.slice(0, 2));
  });

  it('refuses a directory that does not exist', async () => {
    const sut = new FollowDirSource({ dir: '/nonexistent/vigil', state: new MemoryFollowDirState() });
    await expect(sut.run(new RecordingSink(), new AbortController().signal)).rejects.toThrow(
      /Not a directory: \/nonexistent\/vigil/,
    );
  });
});

describe.each(DIALECTS)('DbFollowDirState on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('keeps the done list in the database, per directory, and audits each change', async () => {
    vdb = await freshDatabase(dialect);
    const sut = new DbFollowDirState(vdb, cliActor, '/var/capture/ring');
    expect(await sut.load()).toEqual([]);
    const a = file('a.pcap', 10, 1000);
    const b = file('b.pcap', 20, 2000);
    await sut.save([a], [a]);
    await sut.save([a, b], [b]);
    expect(await new DbFollowDirState(vdb, cliActor, '/var/capture/ring/').load()).toEqual([a, b]);
    expect(await new DbFollowDirState(vdb, cliActor, '/var/capture/other').load()).toEqual([]);
    const audit = await listAudit(vdb, { action: 'sensor.files-done' });
    expect(audit.map((e) => e.summary)).toEqual(
      expect.arrayContaining([
        { files: ['a.pcap'], remembered: 1 },
        { files: ['b.pcap'], remembered: 2 },
      ]),
    );
  });

  it('refuses an actor without devices:import', async () => {
    vdb = await freshDatabase(dialect);
    const sut = new DbFollowDirState(vdb, { ...cliActor, permissions: new Set() }, '/x');
    await expect(sut.load()).rejects.toThrow(/permission/);
  });
});
