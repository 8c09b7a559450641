/**
 * @module Where `vigil sensor --follow-dir` remembers which files it has stored: a settings row per
 * directory in the Vigil database, so the memory travels with the data it describes (a fresh database
 * re-reads the directory; a restart against the same one does not). Each change is audited.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { getSetting, putSetting } from '../../store/account-store.js';
import { nowIso } from '../../store/ids.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import type { DoneFile, FollowDirState } from './follow-dir.js';

const StateSchema = z.object({
  version: z.literal(1),
  done: z.array(z.object({ name: z.string(), size: z.number(), mtimeMs: z.number() })),
});

export const followDirStateKey = (dir: string) => `sensor.follow-dir:${resolve(dir)}`;

export class DbFollowDirState implements FollowDirState {
  private readonly key: string;

  constructor(
    private readonly h: DbHandle,
    private readonly actor: Actor,
    dir: string,
  ) {
    this.key = followDirStateKey(dir);
  }

  async load(): Promise<DoneFile[]> {
    assertCan(this.actor, 'devices:import');
    const raw = await getSetting(this.h, this.key);
    if (raw === undefined) return [];
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {}
    const r = StateSchema.safeParse(parsed);
    // A state we cannot read is not trusted to skip anything: every file is read again (and said so).
    if (!r.success) {
      process.emitWarning(`sensor: ignoring unreadable follow-dir state ${this.key}`);
      return [];
    }
    return r.data.done;
  }

  async save(all: DoneFile[], added: DoneFile[]): Promise<void> {
    assertCan(this.actor, 'devices:import');
    const now = nowIso();
    await transaction(this.h, async (tx) => {
      await putSetting(tx, this.key, JSON.stringify({ version: 1, done: all }), now);
      await appendAudit(tx, {
        actor: this.actor,
        action: 'sensor.files-done',
        target: { type: 'setting', id: this.key },
        summary: { files: added.map((f) => f.name), remembered: all.length },
      });
    });
  }
}

/** For tests and throwaway runs. */
export class MemoryFollowDirState implements FollowDirState {
  saves = 0;
  constructor(public done: DoneFile[] = []) {}
  async load(): Promise<DoneFile[]> {
    return [...this.done];
  }
  async save(all: DoneFile[]): Promise<void> {
    this.saves++;
    this.done = [...all];
  }
}
