/**
 * @module What a device merge does to monitoring: the duplicate's stored communications and its
 * communication baseline become the record's. Left on the duplicate, the record's peers, the network map
 * and the baseline rules would miss that traffic, and an approved baseline of the duplicate would never
 * be read again. Runs inside the merge's transaction.
 */
import {
  type BaselineEntryRow,
  deleteBaseline,
  deleteEntry,
  entriesOf,
  entriesWithValue,
  findBaseline,
  findEntry,
  repointCommunications,
  updateBaseline,
  updateEntry,
  volumeEntriesMentioning,
} from '../store/communication-store.js';
import { getDevices } from '../store/device-store.js';
import type { DbHandle } from '../store/transaction.js';

export interface MergeTrafficCounts {
  /** Communications with the duplicate at one end, now the record's. */
  communicationsMoved: number;
  /** Conversations between the two records, deleted: they are the device's own. */
  communicationsDropped: number;
  /** Baseline entries of the duplicate the record's baseline took (all of them when it had none). */
  baselineEntriesMoved: number;
  /** Learned entries of a duplicate's baseline still learning, not added to the record's approved one. */
  baselineEntriesDropped: number;
  /**
   * Entries of the two devices' baselines naming one of the two as a peer or HL7 receiver, and learned
   * volume figures to one of them (`outPerDay` keys): after the merge they would be the device's own.
   */
  baselineSelfEntriesDropped: number;
}

export async function moveDeviceTraffic(
  tx: DbHandle,
  fromId: string,
  toId: string,
  now: string,
): Promise<MergeTrafficCounts> {
  const comms = await repointCommunications(tx, fromId, toId);
  // Before anything is renamed: afterwards an entry naming the duplicate and one naming the record would
  // look alike, and the record's own baseline would hold itself as a peer.
  const self = await dropOwnPeerEntries(tx, fromId, toId);
  await repointEntries(tx, 'hl7-receiver', `device:${fromId}`, `device:${toId}`);
  for (const dir of ['out', 'in'])
    await repointEntries(tx, 'peer', `${dir}:device:${fromId}`, `${dir}:device:${toId}`);
  await repointVolumeKeys(tx, fromId, toId);
  const entries = await moveBaseline(tx, fromId, toId, now);
  return {
    communicationsMoved: comms.moved,
    communicationsDropped: comms.dropped,
    baselineEntriesMoved: entries.moved,
    baselineEntriesDropped: entries.dropped,
    baselineSelfEntriesDropped: self,
  };
}

/**
 * The two devices' own baselines may name each other: as a peer (`out:device:<id>`, `in:device:<id>`, when
 * the other had no class), as an HL7 receiver (`device:<id>`) and in the learned volume (`outPerDay` key
 * `device:<id>|<service>`), because they talked. Merged, that is one device talking to itself: the
 * conversations are deleted (`repointCommunications`), learning skips a device's own traffic and the rules
 * never judge a device as its own peer, so such an entry allows or denies nothing. Renamed, it would read
 * as "the device may talk to itself". Hand-made ones go too, for the same reason: an allow or deny of a
 * device as its own peer can never apply. Returns the entries and volume figures dropped.
 */
async function dropOwnPeerEntries(tx: DbHandle, fromId: string, toId: string): Promise<number> {
  const baselines = [await findBaseline(tx, fromId), await findBaseline(tx, toId)].filter(
    (b): b is NonNullable<typeof b> => b !== undefined,
  );
  if (!baselines.length) return 0;
  const named = new Set(
    [fromId, toId].flatMap((id) => [
      `peer|out:device:${id}`,
      `peer|in:device:${id}`,
      `hl7-receiver|device:${id}`,
    ]),
  );
  const volumePrefixes = [fromId, toId].map((id) => `device:${id}|`);
  let dropped = 0;
  for (const entries of (
    await entriesOf(
      tx,
      baselines.map((b) => b.id),
    )
  ).values()) {
    for (const e of entries) {
      if (named.has(`${e.kind}|${e.value}`)) {
        await deleteEntry(tx, e.id);
        dropped++;
        continue;
      }
      if (e.kind !== 'volume') continue;
      const details = JSON.parse(e.details) as { outPerDay?: Record<string, unknown> };
      const perDay = details.outPerDay;
      if (!perDay || typeof perDay !== 'object') continue;
      const own = Object.keys(perDay).filter((k) => volumePrefixes.some((p) => k.startsWith(p)));
      if (!own.length) continue;
      for (const k of own) delete perDay[k];
      dropped += own.length;
      await updateEntry(tx, e.id, { details: JSON.stringify(details) });
    }
  }
  return dropped;
}

/** A person's entry (allow or deny, with a reason) stands over one learning made. */
const outranks = (a: BaselineEntryRow, b: BaselineEntryRow) =>
  a.origin === 'manual' && b.origin === 'learned';

/**
 * Other devices' baselines name the duplicate by its device id: as an HL7 receiver (`device:<id>`) and,
 * while it has no class, as a peer (`out:device:<id>`, `in:device:<id>`, src/monitor/baseline/peer-role.ts).
 * Left alone, the record would be an unknown receiver and a new peer to them. Where a baseline names both,
 * one entry stays (a person's over a learned one, else the record's).
 */
async function repointEntries(tx: DbHandle, kind: string, from: string, to: string): Promise<void> {
  for (const e of await entriesWithValue(tx, kind, from)) {
    const o = await findEntry(tx, e.baseline_id, kind, to);
    if (o && !outranks(e, o)) {
      await deleteEntry(tx, e.id);
      continue;
    }
    if (o) await deleteEntry(tx, o.id);
    await updateEntry(tx, e.id, { value: to });
  }
}

/**
 * The learned daily volume to the duplicate (`outPerDay` key `device:<id>|<service>`) becomes volume to
 * the record; where a baseline had both, the two add up: they were the same device's traffic.
 */
async function repointVolumeKeys(tx: DbHandle, fromId: string, toId: string): Promise<void> {
  const from = `device:${fromId}|`;
  for (const e of await volumeEntriesMentioning(tx, from)) {
    const details = JSON.parse(e.details) as { outPerDay?: Record<string, unknown> };
    const perDay = details.outPerDay;
    if (!perDay || typeof perDay !== 'object') continue;
    const keys = Object.keys(perDay).filter((k) => k.startsWith(from));
    if (!keys.length) continue;
    for (const k of keys) {
      const to = `device:${toId}|${k.slice(from.length)}`;
      perDay[to] = Number(perDay[to] ?? 0) + Number(perDay[k] ?? 0);
      delete perDay[k];
    }
    details.outPerDay = Object.fromEntries(Object.entries(perDay).sort(([a], [b]) => a.localeCompare(b)));
    await updateEntry(tx, e.id, { details: JSON.stringify(details) });
  }
}

/**
 * One baseline per device. The duplicate's becomes the record's when the record has none, approval
 * included (a person approved it for this device's traffic), and takes the record's site. Otherwise the two fold into the record's,
 * which keeps its state, approval and window: an entry both have stays the record's unless only the
 * duplicate's was made by a person; the duplicate's other entries are added, except learned ones of a
 * baseline still learning when the record's is approved (active): approval is per baseline, and adding
 * them would approve traffic nobody looked at. `baseline learn` learns them from the moved
 * communications; approval covers them as it covers any re-learning.
 */
async function moveBaseline(
  tx: DbHandle,
  fromId: string,
  toId: string,
  now: string,
): Promise<{ moved: number; dropped: number }> {
  const theirs = await findBaseline(tx, fromId);
  if (!theirs) return { moved: 0, dropped: 0 };
  const ours = await findBaseline(tx, toId);
  const all = await entriesOf(tx, ours ? [theirs.id, ours.id] : [theirs.id]);
  const theirEntries = all.get(theirs.id) ?? [];
  if (!ours) {
    // The site scopes who may see the baseline (a site-limited account): the record's, not the duplicate's.
    const [record] = await getDevices(tx, [toId]);
    await updateBaseline(tx, theirs.id, {
      device_id: toId,
      subject_key: toId,
      site_id: record?.siteId ?? null,
      updated_at: now,
    });
    return { moved: theirEntries.length, dropped: 0 };
  }
  const mine = new Map((all.get(ours.id) ?? []).map((e) => [`${e.kind}|${e.value}`, e]));
  const unapproved = ours.state === 'active' && theirs.state !== 'active';
  let moved = 0;
  let dropped = 0;
  for (const e of theirEntries) {
    const o = mine.get(`${e.kind}|${e.value}`);
    if (o) {
      if (!outranks(e, o)) continue;
      await deleteEntry(tx, o.id);
    } else if (unapproved && e.origin === 'learned' && e.effect === 'allow') {
      dropped++;
      continue;
    }
    await updateEntry(tx, e.id, { baseline_id: ours.id });
    moved++;
  }
  const lastSeen = [ours.last_seen, theirs.last_seen]
    .filter((t): t is string => t !== null)
    .sort()
    .at(-1);
  await updateBaseline(tx, ours.id, { last_seen: lastSeen ?? null, updated_at: now });
  await deleteBaseline(tx, theirs.id);
  return { moved, dropped };
}
