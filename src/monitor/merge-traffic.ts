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
}

export async function moveDeviceTraffic(
  tx: DbHandle,
  fromId: string,
  toId: string,
  now: string,
): Promise<MergeTrafficCounts> {
  const comms = await repointCommunications(tx, fromId, toId);
  await repointReceiverEntries(tx, fromId, toId);
  const entries = await moveBaseline(tx, fromId, toId, now);
  return {
    communicationsMoved: comms.moved,
    communicationsDropped: comms.dropped,
    baselineEntriesMoved: entries.moved,
    baselineEntriesDropped: entries.dropped,
  };
}

/** A person's entry (allow or deny, with a reason) stands over one learning made. */
const outranks = (a: BaselineEntryRow, b: BaselineEntryRow) =>
  a.origin === 'manual' && b.origin === 'learned';

/**
 * Senders' baselines name an HL7 receiver the inventory knows by its device id (`device:<id>`): the
 * duplicate's id would make the record an unknown receiver to them. Where a baseline names both, one
 * entry stays (a person's over a learned one, else the record's).
 */
async function repointReceiverEntries(tx: DbHandle, fromId: string, toId: string): Promise<void> {
  const to = `device:${toId}`;
  for (const e of await entriesWithValue(tx, 'hl7-receiver', `device:${fromId}`)) {
    const o = await findEntry(tx, e.baseline_id, 'hl7-receiver', to);
    if (o && !outranks(e, o)) {
      await deleteEntry(tx, e.id);
      continue;
    }
    if (o) await deleteEntry(tx, o.id);
    await updateEntry(tx, e.id, { value: to });
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
