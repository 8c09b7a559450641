/**
 * Learning baselines in tests: as the CLI operator, over the `days` before one minute after the newest
 * stored conversation, so a capture's old timestamps fall inside the window whatever today's date is.
 */
import { learnBaselinesFromTraffic } from '../src/monitor/baseline/baseline-service.js';
import { listCommunications } from '../src/store/communication-store.js';
import type { VigilDatabase } from '../src/store/database.js';
import { cliActor } from './factories.js';

/** One minute after the newest stored conversation was last seen. */
export async function afterLastTraffic(vdb: VigilDatabase): Promise<string> {
  const last = (await listCommunications(vdb))
    .map((c) => c.lastSeen)
    .sort()
    .at(-1)!;
  return new Date(Date.parse(last) + 60_000).toISOString();
}

export async function learnFromStoredTraffic(vdb: VigilDatabase, days: number) {
  return learnBaselinesFromTraffic(vdb, cliActor, { days, now: await afterLastTraffic(vdb) });
}
