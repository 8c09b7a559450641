/**
 * @module What later sources (passive capture, active scanners) call when they see a device: the
 * identity rules decide whether it is a known device, a new one, or a conflict. A new device is
 * `staged` for a person to confirm, merge or ignore; an IP or hostname alone only suggests candidates.
 * Observed values are facts of their source: they fill fields nobody has declared, and where they
 * differ from a declared value they are shown as conflicts, never written over it. A firmware or
 * software version nobody declared follows the latest sighting (a pump seen on new firmware after its
 * update); what a device is (manufacturer, model, class) keeps the value first observed, since a later
 * sighting with less evidence (a DHCP request without the DICOM traffic) would otherwise turn a CT
 * scanner into a PC. The OS and its version follow confidence instead: a value at least as sure as the
 * one shown replaces it, whichever import came first (a version only with the device's OS, and never a
 * finer version by a coarser one of equal confidence).
 */
import { type Actor, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { invalidInput } from '../errors.js';
import {
  deleteFacts,
  type FactRow,
  factRowsOf,
  getDevice,
  getDevices,
  touchIdentifiers,
  updateDevice as updateDeviceRow,
  upsertFacts,
} from '../store/device-store.js';
import { newId, nowIso } from '../store/ids.js';
import { type IdentityKeyLock, lockIdentityKeys } from '../store/locks.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import {
  type DeviceAttributes,
  FACT_FIELDS,
  type FactField,
  factText,
  isDeclaredSource,
  parseCriticality,
  parseDeviceClass,
} from './device.js';
import { isNoop, planDeviceChanges } from './device-changes.js';
import { currentOf, writeDeviceChanges } from './device-writer.js';
import { type CandidateKeys, candidateKeys, hasStrongKey, nameKey, resolveIdentity } from './identity.js';
import { loadIdentityIndex } from './identity-lookup.js';

export interface Observation {
  /** An observing source: `capture`, `scanner` … (not `cmms` or `manual`, which declare). */
  source: string;
  /** Where: capture file and packet, scan id … */
  sourceRef: string | null;
  /** When it was seen (ISO-8601); the last time, when the source saw it over a span. */
  seenAt: string;
  /** When the source first saw it, if over a span (a capture's first packet); defaults to `seenAt`. */
  firstSeenAt?: string;
  macs?: string[];
  ips?: string[];
  hostnames?: string[];
  /** Other values seen, by field (firmwareVersion, os, manufacturer, serialNumber …). */
  facts?: Partial<Record<FactField, string>>;
  /** How sure the source is of each of `facts` (0–1), by field; a value without one has none. */
  confidence?: Partial<Record<FactField, number>>;
  /**
   * What to do with a host seen only by IP or hostname (routed traffic, a scan of another subnet).
   * `hint` (default): store nothing, report candidates. `stage`: stage a record on the IP, and recognise
   * it again by that IP as long as it is the only record with it and has no strong key of its own.
   */
  weakOnly?: 'hint' | 'stage';
  /**
   * A device this source run itself staged from an address-only sighting of one of these addresses (the
   * live sensor: a server first seen only receiving). A sighting with a MAC that names no device is that
   * device, which then gets the MAC, as one import of the same traffic gives one host; only while it
   * still has no strong key and is the only record holding the address. A record from another run (an
   * address handed out again by DHCP since) is never taken this way.
   */
  sameHostAs?: string;
}

const firstSeenOf = (obs: Observation): string =>
  obs.firstSeenAt && obs.firstSeenAt < obs.seenAt ? obs.firstSeenAt : obs.seenAt;

export type ObservationResult =
  | { outcome: 'staged'; deviceId: string; suggestions: string[] }
  | { outcome: 'updated' | 'seen'; deviceId: string }
  | { outcome: 'conflict'; deviceIds: string[]; reason: string };

/** Observed text → the attribute value a device column holds (vocabulary fields must parse). */
function attributesOf(facts: Partial<Record<FactField, string>>): DeviceAttributes {
  const attrs: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(facts) as [FactField, string][]) {
    if (field === 'lifecycleStatus' || !value) continue;
    if (field === 'deviceClass') {
      const r = parseDeviceClass(value);
      if (r.ok) attrs[field] = r.value;
    } else if (field === 'criticality') {
      const r = parseCriticality(value);
      if (r.ok) attrs[field] = r.value;
    } else if (field === 'ephi') {
      attrs[field] = value === 'true';
    } else attrs[field] = value;
  }
  return attrs as DeviceAttributes;
}

/** ISO-8601 UTC strings compare in time order. */
const earlier = (a: string, b: string) => (a < b ? a : b);

/**
 * Fields whose current value follows the latest sighting when nobody has declared them, each with the
 * fields that say what it is the version of: a sighting that names another product than the device's is
 * no newer version of it. Not the OS version: captures and scanners name it at different grains (DHCP's
 * "10/11", a User-Agent's "10", nmap's kernel generation "4.X"), so it would change with every source;
 * it follows confidence (`BY_CONFIDENCE`).
 */
const FOLLOWS_LATEST = new Map<FactField, FactField[]>([
  ['firmwareVersion', ['manufacturer', 'model']],
  ['softwareVersion', ['manufacturer', 'model']],
]);

/**
 * Fields whose device value an observed value replaces when it is at least as sure as the one the value
 * rests on (or that one has no confidence): sources guess the OS with very different certainty (nmap OS
 * detection at 98 % or an SSH banner, against a DHCP vendor class or a TTL), and the order of imports
 * should not decide which guess the device shows. `os` comes first: whether it is replaced decides
 * which OS a version may pair with.
 */
const BY_CONFIDENCE: readonly FactField[] = ['os', 'osVersion'];

/** How many parts a version names ("10.0.19045": 3, "10": 1, "Debian 12": 2): its grain. */
const versionParts = (v: string) => v.split(/[\s._-]+/).filter(Boolean).length;

/**
 * Whether the sighting's OS version may replace the device's at all: it must come with the device's OS
 * (or with the OS this sighting makes the device's, whose version it then always is), since a version of
 * another OS family would pair with the wrong one; sources name versions at different grains (DHCP's
 * "10", a build's "10.0.19045"), so for the same OS a coarser version replaces a finer one only when it
 * is surer.
 */
function osVersionPairs(
  d: { [F in FactField]?: unknown },
  obs: Observation,
  replacingOs: boolean,
  value: string,
  confidence: number,
  current: number | null,
): boolean {
  const os = obs.facts?.os;
  if (os === undefined || d['os'] == null) return false;
  // The device's version belongs to the OS being replaced: it never stays with the new one.
  if (replacingOs) return true;
  if (!sameObserved('os', os, String(d['os']))) return false;
  const surer = current !== null && confidence > current;
  return surer || versionParts(value) >= versionParts(String(d['osVersion']));
}

/**
 * What a fact stored without a confidence (before 0029, or from a source that gives none) counts as: sure
 * enough that a DHCP or banner guess (0.75–0.8) does not replace an OS an earlier nmap scan detected, while
 * a scan at 90 % or more still does. Without it, every guess after the upgrade would replace every OS.
 */
const UNRECORDED_CONFIDENCE = 0.9;

/**
 * The confidence of what the device's value of `field` rests on: the highest of the observed facts that
 * hold that value (one stored without a confidence counts as `UNRECORDED_CONFIDENCE`); null when no
 * observed fact holds it.
 */
function currentConfidence(
  field: FactField,
  d: { [F in FactField]?: unknown },
  known: readonly FactRow[],
): number | null {
  let best: number | null = null;
  for (const k of known) {
    if (k.field !== field || isDeclaredSource(k.source)) continue;
    if (!sameObserved(field, k.value, String(d[field] ?? ''))) continue;
    const c = k.confidence ?? UNRECORDED_CONFIDENCE;
    if (best === null || c > best) best = c;
  }
  return best;
}

/** The fields whose device value this sighting replaces by confidence (`BY_CONFIDENCE`). */
function outranked(
  d: { [F in FactField]?: unknown },
  known: readonly FactRow[],
  declared: ReadonlySet<string>,
  obs: Observation,
): Set<FactField> {
  const out = new Set<FactField>();
  for (const field of BY_CONFIDENCE) {
    const value = obs.facts?.[field];
    const confidence = obs.confidence?.[field];
    if (value === undefined || confidence === undefined || declared.has(field) || d[field] == null) continue;
    if (sameObserved(field, value, String(d[field]))) continue;
    // Its source saw another value more recently: this sighting's fact would not be stored, and the value
    // shown must keep the fact that explains it.
    const older = known.some(
      (k) => k.source === obs.source && k.field === field && k.value !== value && k.last_seen > obs.seenAt,
    );
    if (older) continue;
    const current = currentConfidence(field, d, known);
    if (field === 'osVersion' && !osVersionPairs(d, obs, out.has('os'), value, confidence, current)) continue;
    if (current === null || confidence >= current) out.add(field);
  }
  return out;
}

/** The same manufacturer or model as the catalogue sees it (case, punctuation, `Inc.` and the like aside). */
const sameName = (a: unknown, b: unknown) => nameKey(String(a ?? '')) === nameKey(String(b ?? ''));

/** Whether this sighting's value of `field` may replace the device's as a newer one. */
function followsLatest(
  field: FactField,
  d: { [F in FactField]?: unknown },
  facts: Partial<Record<FactField, string>>,
): boolean {
  const of = FOLLOWS_LATEST.get(field);
  if (!of) return false;
  return of.every((f) => facts[f] === undefined || d[f] == null || sameName(facts[f], d[f]));
}

/**
 * The fact rows a sighting of a known device writes, one per field, its source keeping one fact per field:
 * - the same value again widens the fact's first and last seen to include this sighting;
 * - a different value replaces the source's fact only when this sighting is not older than it (an old
 *   capture imported after a newer one does not turn the record back), and, for a field that does not
 *   follow the latest sighting, only when the source's fact is not the one the device's value rests on
 *   (unless this sighting's value replaces the device's, `replacing`): the value shown must always keep
 *   the fact that explains it.
 * A fact seen again with the same value keeps the higher of its confidences.
 */
function observedFactRows(
  d: { [F in FactField]?: unknown },
  known: readonly FactRow[],
  declared: ReadonlySet<string>,
  obs: Observation,
  facts: Partial<Record<FactField, string>>,
  candidates: FactRow[],
  replacing: ReadonlySet<FactField>,
): FactRow[] {
  const attrs = attributesOf(facts) as Record<string, unknown>;
  const out: FactRow[] = [];
  for (const row of candidates) {
    const field = row.field as FactField;
    const prev = known.find((k) => k.source === obs.source && k.field === field);
    if (!prev) {
      out.push(row);
      continue;
    }
    if (prev.value === row.value) {
      const newer = obs.seenAt >= prev.last_seen;
      out.push({
        ...row,
        source_ref: newer ? row.source_ref : prev.source_ref,
        first_seen: earlier(obs.seenAt, prev.first_seen),
        last_seen: newer ? obs.seenAt : prev.last_seen,
        confidence:
          prev.confidence === null || row.confidence === null
            ? (row.confidence ?? prev.confidence)
            : Math.max(prev.confidence, row.confidence),
      });
      continue;
    }
    if (obs.seenAt < prev.last_seen) continue;
    // Compared as the device holds it (an observed class text parses to the class it stands for).
    const prevValue = (attributesOf({ [field]: prev.value ?? '' }) as Record<string, unknown>)[field];
    const rests =
      !replacing.has(field) &&
      !followsLatest(field, d, facts) &&
      field in attrs &&
      String(d[field] ?? '') === String(prevValue ?? '') &&
      !declared.has(field);
    if (!rests) out.push(row);
  }
  return out;
}

/** The identity keys an observation is resolved on. */
export function observationKeys(
  obs: Pick<Observation, 'macs' | 'ips' | 'hostnames' | 'facts'>,
): CandidateKeys {
  const facts = obs.facts ?? {};
  return candidateKeys({
    macs: obs.macs,
    ips: obs.ips,
    hostnames: obs.hostnames,
    serialNumber: facts.serialNumber,
    manufacturer: facts.manufacturer,
    udi: facts.udi,
    assetTag: facts.assetTag,
  });
}

/**
 * The advisory locks (store/locks.ts `lockIdentityKeys`) on every key resolution may look up, create a
 * device on or add to one: the strong keys exclusively; the weak ones (IPs, hostnames) exclusively only
 * for a sighting without strong keys (it can be staged on, or recognised by, its IP), shared otherwise
 * (they then only suggest candidates). The serial alone, not with its manufacturer: an unknown
 * manufacturer matches any.
 */
export function identityLockKeys(keys: CandidateKeys): IdentityKeyLock[] {
  const weakExclusive = !hasStrongKey(keys);
  return [
    ...(keys.assetTagKey ? [`tag:${keys.assetTagKey}`] : []),
    ...(keys.udiKey ? [`udi:${keys.udiKey}`] : []),
    ...(keys.serialKey ? [`serial:${keys.serialKey}`] : []),
    ...keys.macs.map((m) => `mac:${m}`),
  ]
    .map((key) => ({ key, exclusive: true }))
    .concat(
      [...keys.ips.map((i) => `ip:${i}`), ...keys.hostnames.map((n) => `host:${n}`)].map((key) => ({
        key,
        exclusive: weakExclusive,
      })),
    );
}

/**
 * The identity rules' verdict on a sighting's keys, the known device it is, if any, and whether a sighting
 * that only shares a name with address-only records is another host to stage (`anotherHost`).
 */
async function resolveSighting(
  tx: DbHandle,
  keys: CandidateKeys,
  obs: Pick<Observation, 'weakOnly' | 'sameHostAs'>,
): Promise<{
  r: ReturnType<typeof resolveIdentity>;
  matchedId: string | undefined;
  anotherHost?: true;
  sameHost?: true;
}> {
  const r = resolveIdentity(keys, await loadIdentityIndex(tx, [keys]));
  if (r.kind === 'match') return { r, matchedId: r.deviceId };
  const weakRecord = (d: Awaited<ReturnType<typeof getDevices>>[number]) =>
    !d.known.assetTagKey && !d.known.udiKey && !d.known.serialKey && d.macs.length === 0;
  if (r.kind === 'weak' && obs.sameHostAs && hasStrongKey(keys) && r.deviceIds.includes(obs.sameHostAs)) {
    // Its strong keys name no device (else `match` or `conflict`); its address names the record the same
    // run staged for it. Not when another record holds the address too: that is for a person to settle.
    const candidates = await getDevices(tx, r.deviceIds);
    const sharing = candidates.filter((d) => d.ips.some((ip) => keys.ips.includes(ip)));
    const record = sharing[0];
    if (sharing.length === 1 && record?.id === obs.sameHostAs && weakRecord(record))
      return { r, matchedId: record.id, sameHost: true };
  }
  if (r.kind === 'weak' && obs.weakOnly === 'stage' && !hasStrongKey(keys)) {
    // Records that themselves only ever had IPs, met again by the same kind of source: the one holding
    // the sighting's address is the same host seen again. A name alone is not: a round-robin name (an NTP
    // pool, a load-balanced PACS or interface engine) names many hosts, so a new address is another host.
    const candidates = await getDevices(tx, r.deviceIds);
    if (candidates.length === r.deviceIds.length && candidates.every(weakRecord)) {
      const sharing = candidates.filter((d) => d.ips.some((ip) => keys.ips.includes(ip)));
      if (sharing.length === 1) return { r, matchedId: sharing[0]!.id };
      // A sighting with no address at all contradicts nothing: its name's only record is it.
      if (keys.ips.length === 0 && candidates.length === 1) return { r, matchedId: candidates[0]!.id };
      if (sharing.length === 0 && keys.ips.length > 0) return { r, matchedId: undefined, anotherHost: true };
    }
  }
  return { r, matchedId: undefined };
}

/**
 * The known device `observeDeviceIn` would take this sighting for, without changing anything: a source
 * that weighs a sighting against the device's history (a DICOM sender's earlier objects) looks first.
 * The caller holds the sighting's identity locks.
 */
export async function knownDeviceOf(
  tx: DbHandle,
  obs: Pick<Observation, 'macs' | 'ips' | 'hostnames' | 'facts' | 'weakOnly' | 'sameHostAs'>,
): Promise<string | undefined> {
  const keys = observationKeys(obs);
  if (!hasStrongKey(keys) && keys.ips.length === 0 && keys.hostnames.length === 0) return undefined;
  return (await resolveSighting(tx, keys, obs)).matchedId;
}

export async function observeDevice(h: DbHandle, actor: Actor, obs: Observation): Promise<ObservationResult> {
  return transaction(h, (tx) => observeDeviceIn(tx, actor, obs));
}

/**
 * The same inside the caller's transaction, so a source that sees many hosts (a capture, a scan) can
 * store all of them, their services and findings, or none.
 */
export async function observeDeviceIn(
  tx: DbHandle,
  actor: Actor,
  obs: Observation,
): Promise<ObservationResult> {
  assertCan(actor, 'devices:write');
  if (isDeclaredSource(obs.source))
    throw invalidInput(`"${obs.source}" declares; observations come from capture, scanner …`);
  const facts = obs.facts ?? {};
  const keys = observationKeys(obs);
  if (!hasStrongKey(keys) && keys.ips.length === 0 && keys.hostnames.length === 0) {
    throw invalidInput('An observation needs at least a MAC, IP, hostname, serial number or UDI');
  }
  const observed = { macs: keys.macs, ips: keys.ips, hostnames: keys.hostnames };
  // Only this sighting's keys (a caller that sees many hosts has locked all of theirs already).
  await lockIdentityKeys(tx, identityLockKeys(keys));
  const { r, matchedId, anotherHost, sameHost } = await resolveSighting(tx, keys, obs);
  if (r.kind === 'conflict') return { outcome: 'conflict', deviceIds: r.deviceIds, reason: r.reason };
  const now = nowIso();
  const factRows = (deviceId: string) =>
    FACT_FIELDS.filter((f) => facts[f] !== undefined).map((field) => ({
      id: newId(),
      device_id: deviceId,
      field,
      value: facts[field] ?? null,
      source: obs.source,
      source_ref: obs.sourceRef,
      first_seen: obs.seenAt,
      last_seen: obs.seenAt,
      confidence: obs.confidence?.[field] ?? null,
    }));

  if (!matchedId) {
    // Without a strong key there is nothing to stage a record on: the sighting is only a hint.
    if (!hasStrongKey(keys) && !(obs.weakOnly === 'stage' && (r.kind === 'new' || anotherHost)))
      return {
        outcome: 'conflict',
        deviceIds: r.kind === 'weak' ? r.deviceIds : [],
        reason: 'only weak keys (IP, hostname) were seen',
      };
    const deviceId = newId();
    const plan = planDeviceChanges(
      null,
      { ...attributesOf(facts), ...observed },
      { baseline: 'values', identifiers: 'add' },
    );
    plan.facts.clear();
    plan.state = undefined;
    await writeDeviceChanges(tx, [{ deviceId, current: null, plan, sourceRef: obs.sourceRef }], {
      source: obs.source,
      now,
      newDeviceState: 'staged',
      seenAt: obs.seenAt,
      firstSeenAt: firstSeenOf(obs),
    });
    await upsertFacts(tx, factRows(deviceId));
    const suggestions = r.kind === 'weak' ? r.deviceIds : [];
    await appendAudit(tx, {
      actor,
      action: 'device.stage',
      target: { type: 'device', id: deviceId },
      summary: {
        source: obs.source,
        after: { macs: keys.macs, ips: keys.ips, hostnames: keys.hostnames },
        suggestions,
      },
    });
    return { outcome: 'staged', deviceId, suggestions };
  }

  const d = (await getDevice(tx, matchedId))!;
  const known = await factRowsOf(tx, [d.id]);
  // Fields a person or the CMMS has declared: observations never decide them.
  const declared = new Set(known.filter((k) => isDeclaredSource(k.source)).map((k) => k.field));
  const replacing = outranked(d, known, declared, obs);
  const rows = observedFactRows(d, known, declared, obs, facts, factRows(d.id), replacing);
  // Observed values only fill what nobody has stated; a differing value stays a fact (a conflict).
  const gaps: DeviceAttributes = {};
  const attrs = attributesOf(facts);
  for (const [field, value] of Object.entries(attrs) as [FactField, unknown][]) {
    // A class of `unknown` is no statement; an observed class fills it like a null.
    if (d[field] === null || (field === 'deviceClass' && d.deviceClass === 'unknown'))
      (gaps as Record<string, unknown>)[field] = value;
    else if (
      followsLatest(field, d, facts) &&
      d[field] !== value &&
      !declared.has(field) &&
      // No other source saw a different value more recently (an old capture imported late).
      !known.some((k) => k.field === field && k.value !== value && k.last_seen > obs.seenAt)
    )
      (gaps as Record<string, unknown>)[field] = value;
    // At least as sure as what the device's value rests on.
    else if (replacing.has(field)) (gaps as Record<string, unknown>)[field] = value;
  }
  // A replaced OS takes its version along: without one from this sighting the device has none, rather
  // than the old OS's version under the new OS's name.
  if (
    replacing.has('os') &&
    attrs.osVersion === undefined &&
    d.osVersion != null &&
    !declared.has('osVersion')
  )
    gaps.osVersion = null;
  const plan = planDeviceChanges(
    currentOf(d),
    { ...gaps, ...observed },
    { baseline: 'values', identifiers: 'add' },
  );
  plan.facts.clear();
  plan.state = undefined;
  const previous = new Map(known.filter((k) => k.source === obs.source).map((k) => [k.field, k.value]));
  const changedFacts = rows.filter((r) => previous.get(r.field) !== r.value).map((r) => r.field);
  const seen = d.identifiers.filter((i) =>
    observed[`${i.kind}s` as 'macs' | 'ips' | 'hostnames'].includes(i.value),
  );
  await touchIdentifiers(tx, d.id, seen, firstSeenOf(obs), obs.seenAt);
  await upsertFacts(tx, rows, { times: 'both' });
  const times: { first_seen?: string; last_seen?: string } = {};
  if (!d.firstSeen || firstSeenOf(obs) < d.firstSeen) times.first_seen = firstSeenOf(obs);
  if (!d.lastSeen || obs.seenAt > d.lastSeen) times.last_seen = obs.seenAt;
  if (isNoop(plan) && changedFacts.length === 0) {
    // Seen again, nothing new: only the times move, and that is not worth an audit entry.
    if (Object.keys(times).length) await updateDeviceRow(tx, d.id, times);
    return { outcome: 'seen', deviceId: d.id };
  }
  await writeDeviceChanges(tx, [{ deviceId: d.id, current: d, plan, sourceRef: obs.sourceRef }], {
    source: obs.source,
    now,
    newDeviceState: 'staged',
    seenAt: obs.seenAt,
    firstSeenAt: firstSeenOf(obs),
  });
  await updateDeviceRow(tx, d.id, { ...times, updated_at: now });
  await appendAudit(tx, {
    actor,
    action: 'device.observe',
    target: { type: 'device', id: d.id },
    summary: {
      source: obs.source,
      before: Object.fromEntries(Object.entries(plan.changes).map(([k, v]) => [k, v.before])),
      after: Object.fromEntries(Object.entries(plan.changes).map(([k, v]) => [k, v.after])),
      facts: changedFacts,
      // Why a MAC was added to a record its address alone had found (see `Observation.sameHostAs`).
      ...(sameHost ? { sameHost: 'the address-only device this source run staged for its address' } : {}),
    },
  });
  return { outcome: 'updated', deviceId: d.id };
}

export interface Withdrawal {
  deviceId: string;
  /** The observing source whose facts are withdrawn (`capture`). */
  source: string;
  sourceRef: string | null;
  /** By field, the values the source now knows were not the device's own. */
  values: Partial<Record<FactField, readonly string[]>>;
  /** Why, for the audit entry: `sends objects made by 2 different devices: a forwarder`. */
  reason: string;
}

/** Whether an observed text and a value name the same thing for this field, as the device holds it. */
function sameObserved(field: FactField, a: string | null, b: string): boolean {
  if (field === 'manufacturer' || field === 'model') return sameName(a, b);
  const parsed = (v: string | null) => (attributesOf({ [field]: v ?? '' }) as Record<string, unknown>)[field];
  return parsed(a) === parsed(b);
}

/**
 * Takes back what an observing source said about a device when it learns those values described other
 * equipment (a DICOM sender that forwards other devices' objects): its facts with those values go, and a
 * device value that rested on them falls back to another observed value of that field, else to unknown.
 * A class the device took from its model (docs/inventory.md) goes with the model. Declared values are
 * never touched. One `device.observe` audit entry when anything changed; returns whether it did.
 */
export async function withdrawObservedValues(tx: DbHandle, actor: Actor, w: Withdrawal): Promise<boolean> {
  assertCan(actor, 'devices:write');
  if (isDeclaredSource(w.source))
    throw invalidInput(`"${w.source}" declares; only observations are withdrawn`);
  const d = await getDevice(tx, w.deviceId);
  if (!d) return false;
  const known = await factRowsOf(tx, [d.id]);
  const declared = new Set(known.filter((k) => isDeclaredSource(k.source)).map((k) => k.field));
  const claimed = (field: FactField, value: string | null) =>
    (w.values[field] ?? []).some((v) => sameObserved(field, value, v));
  const gone = known.filter((k) => k.source === w.source && claimed(k.field as FactField, k.value));
  const left = known.filter((k) => !gone.includes(k));
  // Another observed value still on record, the latest seen, else none.
  const fallback = (field: FactField): unknown => {
    const other = left
      .filter((k) => k.field === field && k.value !== null && !isDeclaredSource(k.source))
      .sort((a, b) => (a.last_seen < b.last_seen ? 1 : -1))[0];
    if (!other) return field === 'deviceClass' ? 'unknown' : null;
    return (attributesOf({ [field]: other.value ?? '' }) as Record<string, unknown>)[field];
  };
  const changes: Record<string, unknown> = {};
  for (const field of Object.keys(w.values) as FactField[]) {
    const current = factText(d[field] as string | boolean | null);
    if (declared.has(field) || current === null || (field === 'deviceClass' && current === 'unknown'))
      continue;
    if (claimed(field, current)) changes[field] = fallback(field);
  }
  const catalogue = 'manufacturer' in changes || 'model' in changes;
  if (
    catalogue &&
    !('deviceClass' in changes) &&
    !declared.has('deviceClass') &&
    d.deviceClass !== 'unknown' &&
    !left.some((k) => k.field === 'deviceClass' && sameObserved('deviceClass', k.value, d.deviceClass))
  )
    changes['deviceClass'] = fallback('deviceClass');
  const plan = planDeviceChanges(currentOf(d), changes as DeviceAttributes, {
    baseline: 'values',
    identifiers: 'add',
  });
  // Not a declaration: the record's state stays, and the facts that remain are the observations'.
  plan.facts.clear();
  plan.state = undefined;
  if (gone.length === 0 && isNoop(plan)) return false;
  await deleteFacts(
    tx,
    gone.map((k) => k.id),
  );
  const now = nowIso();
  await writeDeviceChanges(tx, [{ deviceId: d.id, current: d, plan, sourceRef: w.sourceRef }], {
    source: w.source,
    now,
    newDeviceState: 'staged',
  });
  await updateDeviceRow(tx, d.id, { updated_at: now });
  await appendAudit(tx, {
    actor,
    action: 'device.observe',
    target: { type: 'device', id: d.id },
    summary: {
      source: w.source,
      reason: w.reason,
      before: Object.fromEntries(Object.entries(plan.changes).map(([k, v]) => [k, v.before])),
      after: Object.fromEntries(Object.entries(plan.changes).map(([k, v]) => [k, v.after])),
      withdrawn: gone.map((k) => ({ field: k.field, value: k.value, sourceRef: k.source_ref })),
    },
  });
  return true;
}
