/**
 * @module Advisory writes not yet matched survive a crash. Each advisory file is stored in its own
 * transaction and the matcher runs once at the end, for what changed: an import killed in between left
 * its advisories stored and never matched, and a re-run, finding them unchanged, matched nothing (a
 * review: 49 advisories stored, 13 matches instead of 73). A marker in `settings` (the time the first
 * unmatched write began) is set before any advisory is written and cleared only after a match run that
 * covers it; a run that finds a marker older than itself matches every device instead of only its changes.
 */
import type { Actor } from '../accounts/actor.js';
import { type MatchRunReport, runMatch } from '../matching/matcher.js';
import type { VigilDatabase } from '../store/database.js';
import { nowIso } from '../store/ids.js';
import type { DbHandle } from '../store/transaction.js';

const KEY = 'advisories.match-pending-since';

/** Above this many changed vulnerabilities a full re-match is cheaper than a scoped one. */
const FULL_MATCH_THRESHOLD = 20_000;

/** One run of advisory writes: `since` is the marker it found or set, `start` its own. */
export interface AdvisoryWrites {
  start: string;
  since: string;
}

/** Sets the marker unless one is there (left by an interrupted or a concurrent run); returns both times. */
export async function beginAdvisoryWrites(h: DbHandle): Promise<AdvisoryWrites> {
  const start = nowIso();
  await h.db
    .insertInto('settings')
    .values({ key: KEY, value: start, updated_at: start })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  const row = await h.db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return { start, since: row?.value ?? start };
}

/** A match run that began at `start` covers every write committed before it: the marker goes. */
export async function matchCovered(h: DbHandle, start: string): Promise<void> {
  await h.db.deleteFrom('settings').where('key', '=', KEY).where('value', '<=', start).execute();
}

/** The marker, if advisory writes are waiting for a match (status, tests). */
export async function matchPendingSince(h: DbHandle): Promise<string | undefined> {
  const row = await h.db.selectFrom('settings').select('value').where('key', '=', KEY).executeTakeFirst();
  return row?.value;
}

/**
 * Re-matches what a run of advisory writes changed: scoped to those vulnerabilities, or every device when
 * most changed or when an earlier run left writes unmatched; then clears the marker it covered.
 */
export async function matchAdvisoryWrites(
  vdb: VigilDatabase,
  actor: Actor,
  writes: AdvisoryWrites,
  vulnKeys: Iterable<string>,
): Promise<MatchRunReport | null> {
  const keys = [...new Set(vulnKeys)];
  const earlier = writes.since < writes.start;
  let report: MatchRunReport | null = null;
  if (earlier || keys.length > FULL_MATCH_THRESHOLD) report = await runMatch(vdb, actor, {});
  else if (keys.length) report = await runMatch(vdb, actor, { vulnKeys: keys });
  // The marker is never later than this run's start: a run from then covers it, whoever set it.
  await matchCovered(vdb, writes.start);
  return report;
}
