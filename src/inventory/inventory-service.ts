/**
 * @module The device inventory's operations for every surface (CLI, API, importers): list, stream,
 * show, add, update, retire, confirm, ignore, merge, and recording what a sensor observed. Each
 * mutation checks the actor's permission and sites, runs in one transaction and writes one audit entry
 * with a before/after summary of the fields it changed (device data only, never patient data).
 */
import { type Actor, assertCan, can } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { conflict, forbidden, invalidInput, notFound, VigilError } from '../errors.js';
import { rematchDevices } from '../matching/rematch.js';
import type { EventBus } from '../monitor/event-bus.js';
import {
  countDevices,
  countDevicesBy,
  type DeviceFilter,
  deleteIdentifiers,
  factRowsOf,
  findDeviceIdsByRef,
  findMergedIdsByKey,
  getDevice,
  InvalidCursorError,
  listIdentifierRows,
  lockInventory,
  queryDevices,
  repointMerged,
  type StoredDevice,
  toFact,
  updateDevice as updateDeviceRow,
  updateFact,
  updateIdentifier,
} from '../store/device-store.js';
import { protocolsOf, servicesOf } from '../store/discovery-store.js';
import { type HintRow, hintsOf, type SuggestionRow, suggestionsOf } from '../store/fingerprint-store.js';
import { newId, nowIso } from '../store/ids.js';
import { findSite } from '../store/site-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import {
  type Device,
  type DeviceAttributes,
  type DeviceDetail,
  type DeviceHint,
  type DeviceState,
  type DeviceSuggestion,
  type DeviceVulnerability,
  FACT_FIELDS,
  type FactField,
  findConflicts,
} from './device.js';
import { type DeviceChangePlan, isNoop, planDeviceChanges } from './device-changes.js';
import { DeviceAttributesSchema, type DeviceQuery, DeviceQuerySchema, parseInput } from './device-input.js';
import { deviceLabels, labelIn } from './device-label.js';
import { currentOf, writeDeviceChanges } from './device-writer.js';
import {
  candidateKeys,
  compatibleManufacturers,
  hasStrongKey,
  identifierKey,
  nameKey,
  normaliseHostname,
  normaliseIp,
  normaliseMac,
  resolveIdentity,
} from './identity.js';
import { loadIdentityIndex } from './identity-lookup.js';
import { moveMergeEvidence } from './merge-evidence.js';

export const MAX_PAGE_SIZE = 500;

/** What sources saw a device do on the network (services, protocols and their details), per device id. */
export type NetworkProfiles = Map<string, Pick<Device, 'services' | 'protocols' | 'dicom' | 'hl7'>>;

const NO_PROFILE = { services: [], protocols: [], dicom: null, hl7: null };

/** Two queries for any number of devices: their services and their protocols. */
export async function networkProfiles(h: DbHandle, ids: readonly string[]): Promise<NetworkProfiles> {
  const out: NetworkProfiles = new Map();
  if (ids.length === 0) return out;
  const profile = (id: string) => {
    const p = out.get(id) ?? { services: [], protocols: [], dicom: null, hl7: null };
    out.set(id, p);
    return p;
  };
  for (const s of await servicesOf(h, ids)) {
    profile(s.device_id).services.push({
      port: s.port,
      transport: s.transport,
      protocol: s.protocol,
      product: s.product,
      version: s.version,
      encrypted: s.encrypted === null ? null : s.encrypted === 1,
    });
  }
  for (const r of await protocolsOf(h, ids)) {
    const p = profile(r.device_id);
    p.protocols.push(r.protocol);
    const d = JSON.parse(r.details) as Record<string, unknown>;
    const list = (k: string) => (Array.isArray(d[k]) ? (d[k] as string[]) : []);
    const text = (k: string) => (typeof d[k] === 'string' ? (d[k] as string) : null);
    if (r.protocol === 'dicom') {
      p.dicom = {
        aeTitles: list('aeTitles'),
        implementationClassUid: text('implementationClassUid'),
        implementationVersionName: text('implementationVersionName'),
        sopClasses: list('sopClasses'),
      };
    } else if (r.protocol === 'hl7') {
      p.hl7 = {
        sendingApplications: list('sendingApplications'),
        sendingFacilities: list('sendingFacilities'),
        messageTypes: list('messageTypes'),
        versions: list('versions'),
        receivingApplications: list('receivingApplications'),
        receivingFacilities: list('receivingFacilities'),
      };
    }
  }
  return out;
}

async function withProfiles(h: DbHandle, stored: readonly StoredDevice[]): Promise<Device[]> {
  const profiles = await networkProfiles(
    h,
    stored.map((d) => d.id),
  );
  return stored.map((d) => toDevice(d, profiles.get(d.id)));
}

/** The Device JSON contract, in contract order, from a stored device (drops internal ids and keys). */
export function toDevice(
  d: StoredDevice,
  profile: Pick<Device, 'services' | 'protocols' | 'dicom' | 'hl7'> = NO_PROFILE,
): Device {
  return {
    id: d.id,
    assetTag: d.assetTag,
    serialNumber: d.serialNumber,
    udi: d.udi,
    manufacturer: d.manufacturer,
    model: d.model,
    modelNumber: d.modelNumber,
    deviceClass: d.deviceClass,
    macs: d.macs,
    ips: d.ips,
    hostnames: d.hostnames,
    firmwareVersion: d.firmwareVersion,
    softwareVersion: d.softwareVersion,
    os: d.os,
    osVersion: d.osVersion,
    osEndOfSupport: d.osEndOfSupport,
    criticality: d.criticality,
    ephi: d.ephi,
    site: d.site,
    building: d.building,
    floor: d.floor,
    room: d.room,
    department: d.department,
    owner: d.owner,
    state: d.state,
    lifecycleStatus: d.lifecycleStatus,
    firstSeen: d.firstSeen,
    lastSeen: d.lastSeen,
    createdAt: d.createdAt,
    updatedAt: d.updatedAt,
    services: profile.services,
    protocols: profile.protocols,
    dicom: profile.dicom,
    hl7: profile.hl7,
  };
}

function filterOf(actor: Actor, q: DeviceQuery): DeviceFilter {
  return {
    scopeSiteIds: actor.siteIds,
    site: q.site,
    deviceClass: q.deviceClass,
    manufacturerKey: q.manufacturer !== undefined ? (nameKey(q.manufacturer) ?? '') : undefined,
    modelKey: q.model !== undefined ? (nameKey(q.model) ?? '') : undefined,
    criticality: q.criticality,
    ephi: q.ephi ?? undefined,
    seenSince: q.seenSince,
    states: q.state,
    q: q.q,
    osEndOfSupportBefore: q.osEndOfSupportBefore,
    vulnerable: q.vulnerable ?? undefined,
  };
}

export interface DeviceListPage {
  items: Device[];
  total: number;
  page: number;
  pageSize: number;
  /**
   * For the page's devices without a class or manufacturer: what fingerprinting suggests for them, by
   * device id (only devices with one), so a reviewer of staged devices sees it in the list.
   */
  suggested: Record<
    string,
    Partial<Record<'deviceClass' | 'manufacturer', { value: string; confidence: number }>>
  >;
}

/** One page (1-based) of devices matching the query, with the total count. */
export async function listDevices(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  paging: { page?: number; pageSize?: number } = {},
): Promise<DeviceListPage> {
  assertCan(actor, 'devices:read');
  const q = parseInput(DeviceQuerySchema, query ?? {}, 'device query');
  const page = Math.max(1, Math.trunc(paging.page ?? 1));
  const pageSize = Math.min(MAX_PAGE_SIZE, Math.max(1, Math.trunc(paging.pageSize ?? 50)));
  const filter = filterOf(actor, q);
  const [result, total] = await Promise.all([
    queryDevices(h, filter, { sort: q.sort, order: q.order, limit: pageSize, offset: (page - 1) * pageSize }),
    countDevices(h, filter),
  ]);
  const items = await withProfiles(h, result.items);
  return { items, total, page, pageSize, suggested: await suggestedIdentity(h, items) };
}

/** `DeviceListPage.suggested` for any list of devices (`vigil devices list` prints it in its table). */
export async function suggestedIdentity(
  h: DbHandle,
  items: readonly Device[],
): Promise<DeviceListPage['suggested']> {
  const open = items.filter((d) => d.deviceClass === 'unknown' || d.manufacturer === null);
  const rows = open.length
    ? await suggestionsOf(
        h,
        open.map((d) => d.id),
      )
    : new Map<string, SuggestionRow[]>();
  const out: DeviceListPage['suggested'] = {};
  for (const d of open) {
    for (const x of openSuggestions(d, rows.get(d.id) ?? [])) {
      if (x.field !== 'deviceClass' && x.field !== 'manufacturer') continue;
      out[d.id] = { ...out[d.id], [x.field]: { value: x.value, confidence: x.confidence } };
    }
  }
  return out;
}

export interface DeviceSummary {
  total: number;
  ephi: number;
  /** With an affected or needs-review vulnerability match. */
  vulnerable: number;
  /** Operating system's end of support known and on or before today. */
  osEndOfSupportPassed: number;
  /** Per device class and per criticality (only values some device has; unset criticality left out). */
  byClass: Record<string, number>;
  byCriticality: Record<string, number>;
}

/** The overview's counts for the devices a query selects, in a few grouped queries. */
export async function summarizeDevices(h: DbHandle, actor: Actor, query: unknown): Promise<DeviceSummary> {
  assertCan(actor, 'devices:read');
  const filter = filterOf(actor, parseInput(DeviceQuerySchema, query ?? {}, 'device query'));
  const today = new Date().toISOString().slice(0, 10);
  const [total, ephi, vulnerable, osEndOfSupportPassed, byClass, byCriticality] = await Promise.all([
    countDevices(h, filter),
    countDevices(h, { ...filter, ephi: true }),
    countDevices(h, { ...filter, vulnerable: true }),
    countDevices(h, { ...filter, osEndOfSupportBefore: today }),
    countDevicesBy(h, filter, 'device_class'),
    countDevicesBy(h, filter, 'criticality'),
  ]);
  const record = (rows: { value: string | null; count: number }[]) =>
    Object.fromEntries(rows.filter((r) => r.value !== null).map((r) => [r.value!, r.count]));
  return {
    total,
    ephi,
    vulnerable,
    osEndOfSupportPassed,
    byClass: record(byClass),
    byCriticality: record(byCriticality),
  };
}

export async function countMatchingDevices(h: DbHandle, actor: Actor, query: unknown): Promise<number> {
  assertCan(actor, 'devices:read');
  return countDevices(h, filterOf(actor, parseInput(DeviceQuerySchema, query ?? {}, 'device query')));
}

/**
 * Every device matching the query, page by page with keyset paging (memory stays flat at any size).
 * Stops after `limit` devices when given.
 */
export async function* streamDevices(
  h: DbHandle,
  actor: Actor,
  query: unknown,
  opts: { limit?: number | undefined; batchSize?: number } = {},
): AsyncGenerator<Device> {
  assertCan(actor, 'devices:read');
  const q = parseInput(DeviceQuerySchema, query ?? {}, 'device query');
  const filter = filterOf(actor, q);
  const batch = opts.batchSize ?? 1000;
  let remaining = opts.limit ?? Number.POSITIVE_INFINITY;
  let after: string | undefined;
  while (remaining > 0) {
    let page: Awaited<ReturnType<typeof queryDevices>>;
    try {
      page = await queryDevices(h, filter, {
        sort: q.sort,
        order: q.order,
        limit: Math.min(batch, remaining),
        after,
      });
    } catch (e) {
      if (e instanceof InvalidCursorError) throw invalidInput('Invalid cursor');
      throw e;
    }
    for (const d of await withProfiles(h, page.items)) yield d;
    remaining -= page.items.length;
    if (!page.nextCursor) return;
    after = page.nextCursor;
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function inScope(actor: Actor, d: StoredDevice): boolean {
  return !actor.siteIds || (d.siteId !== null && actor.siteIds.includes(d.siteId));
}

/**
 * The device a user means by an id, asset tag, serial number, UDI or MAC address, or else by an IP
 * address or host name it was seen with: passively discovered devices have none of the first until
 * someone enters them, and their labels in findings and alerts are that address or name. Devices outside
 * the actor's sites do not exist for it. A reference that fits several devices (an address that moved
 * between devices, a shared name) is a conflict listing them.
 */
export async function resolveDevice(h: DbHandle, actor: Actor, ref: string): Promise<StoredDevice> {
  const trimmed = ref.trim();
  const ids = await findDeviceIdsByRef(
    h,
    UUID.test(trimmed)
      ? { id: trimmed.toLowerCase() }
      : { key: identifierKey(trimmed), mac: normaliseMac(trimmed) },
  );
  if (ids.length === 0 && UUID.test(trimmed))
    ids.push(...(await findDeviceIdsByRef(h, { key: identifierKey(trimmed) })));
  // Weaker than the keys above, so only when none of them named a device.
  if (ids.length === 0 && !UUID.test(trimmed)) {
    const ip = normaliseIp(trimmed);
    ids.push(...(await findDeviceIdsByRef(h, ip ? { ip } : { hostname: normaliseHostname(trimmed) })));
  }
  const devices = (await Promise.all(ids.map((id) => getDevice(h, id)))).filter((d): d is StoredDevice =>
    Boolean(d && inScope(actor, d)),
  );
  if (devices.length === 0) throw await notFoundOrMerged(h, actor, trimmed, ref);
  if (devices.length > 1) {
    throw conflict(
      `"${ref}" matches ${devices.length} devices (${devices.map((d) => d.id).join(', ')}); use the id`,
    );
  }
  return devices[0]!;
}

/**
 * The error for a reference that names no live device. A merged duplicate keeps its own asset tag,
 * serial or UDI (the record it went into may have another), so the tag on the unit's sticker would
 * otherwise be "not found" with no hint that the unit is recorded, under another record.
 */
async function notFoundOrMerged(h: DbHandle, actor: Actor, trimmed: string, ref: string): Promise<Error> {
  const key = UUID.test(trimmed) ? null : identifierKey(trimmed);
  const merged = key
    ? (await Promise.all((await findMergedIdsByKey(h, key)).map((id) => getDevice(h, id)))).filter(
        (d): d is StoredDevice => Boolean(d && inScope(actor, d) && d.mergedInto),
      )
    : [];
  const into = [...new Set(merged.map((d) => d.mergedInto))];
  if (into.length === 0) return notFound(`Device "${ref}"`);
  return new VigilError(
    'not_found',
    `Device "${ref}" was merged into ${into.join(', ')} (a duplicate); use that device`,
  );
}

/** Device detail: the contract, plus every fact and identifier with its source, plus conflicts. */
export async function showDevice(h: DbHandle, actor: Actor, ref: string): Promise<DeviceDetail> {
  assertCan(actor, 'devices:read');
  const detail = await detailOf(h, await resolveDevice(h, actor, ref));
  return {
    ...detail,
    vulnerabilities: can(actor, 'vulns:read') ? await deviceVulnerabilities(h, detail.id) : null,
  };
}

const STATUS_ORDER = ['affected', 'needs-review', 'under-investigation', 'fixed', 'not-affected'];

async function deviceVulnerabilities(h: DbHandle, deviceId: string): Promise<DeviceVulnerability[]> {
  const rows = await h.db
    .selectFrom('vulnerability_matches as v')
    .innerJoin('match_answers as a', 'a.fingerprint', 'v.fingerprint')
    .select([
      'v.vuln_key',
      'a.cve',
      'a.advisory_ids',
      'v.status',
      'a.confidence',
      'a.fix_available',
      'a.explanation',
      'a.details',
    ])
    .where('v.device_id', '=', deviceId)
    .execute();
  return rows
    .map((r) => ({
      vulnerability: r.vuln_key,
      cve: r.cve,
      advisoryIds: JSON.parse(r.advisory_ids) as string[],
      status: r.status,
      confidence: r.confidence,
      fixAvailable: r.fix_available === 1,
      explanation: r.explanation,
      vex: (JSON.parse(r.details) as { vex?: DeviceVulnerability['vex'] }).vex ?? null,
    }))
    .sort(
      (a, b) =>
        STATUS_ORDER.indexOf(a.status) - STATUS_ORDER.indexOf(b.status) ||
        a.vulnerability.localeCompare(b.vulnerability),
    );
}

async function detailOf(h: DbHandle, d: StoredDevice): Promise<DeviceDetail> {
  const facts = (await factRowsOf(h, [d.id])).map(toFact);
  const [withProfile] = await withProfiles(h, [d]);
  return {
    ...withProfile!,
    mergedInto: d.mergedInto,
    identifiers: d.identifiers,
    facts,
    conflicts: findConflicts(facts),
    suggestions: openSuggestions(withProfile!, (await suggestionsOf(h, [d.id])).get(d.id) ?? []),
    hints: ((await hintsOf(h, [d.id])).get(d.id) ?? []).map(toHint),
  };
}

function toHint(r: HintRow): DeviceHint {
  return {
    kind: r.kind,
    value: r.value,
    source: r.source,
    sourceRef: r.source_ref,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    evidence: evidenceOf(r.evidence),
  };
}

/** The stored evidence JSON of a hint or suggestion, in the API's shape. */
function evidenceOf(json: string): DeviceHint['evidence'] {
  const e = JSON.parse(json) as Partial<
    Record<'summary' | 'connection' | 'time', string> & { packet: number }
  >;
  return {
    summary: e.summary ?? '',
    connection: e.connection ?? null,
    packet: e.packet ?? null,
    time: e.time ?? null,
  };
}

/**
 * Each device's suggestions for the fields it has no value for, and its hints (`vigil analyze --json`
 * adds them to the Device JSON as `devices show --json` has them).
 */
export async function deviceFingerprints(
  h: DbHandle,
  devices: readonly Device[],
): Promise<Map<string, Pick<DeviceDetail, 'suggestions' | 'hints'>>> {
  const ids = devices.map((d) => d.id);
  const [suggested, hints] = await Promise.all([suggestionsOf(h, ids), hintsOf(h, ids)]);
  return new Map(
    devices.map((d) => [
      d.id,
      {
        suggestions: openSuggestions(d, suggested.get(d.id) ?? []),
        hints: (hints.get(d.id) ?? []).map(toHint),
      },
    ]),
  );
}

/** A suggestion is moot once the field has a value, declared or observed; `unknown` is no class. */
function openSuggestions(d: Device, rows: readonly SuggestionRow[]): DeviceSuggestion[] {
  const has = (field: string) => {
    const v = (d as unknown as Record<string, unknown>)[field];
    return v !== null && v !== undefined && v !== '' && !(field === 'deviceClass' && v === 'unknown');
  };
  return rows
    .filter((r) => !has(r.field))
    .map((r) => ({
      field: r.field,
      value: r.value,
      confidence: r.confidence,
      source: r.source,
      sourceRef: r.source_ref,
      evidence: evidenceOf(r.evidence),
    }))
    .sort((a, b) => b.confidence - a.confidence || (a.field < b.field ? -1 : 1));
}

async function reload(h: DbHandle, id: string): Promise<DeviceDetail> {
  const d = await getDevice(h, id);
  if (!d) throw notFound(`Device ${id}`);
  return detailOf(h, d);
}

/** A site-limited actor may only place devices in its own sites (and not outside any site). */
async function checkSiteScope(
  h: DbHandle,
  actor: Actor,
  plan: DeviceChangePlan,
  current: StoredDevice | null,
): Promise<void> {
  if (!actor.siteIds) return;
  const target = plan.site !== undefined ? plan.site : (current?.site ?? null);
  if (target === null) throw forbidden('Your access is limited to sites: give the device one of your sites');
  if (plan.site === undefined) return;
  const site = await findSite(h, target);
  if (!site || !actor.siteIds.includes(site.id))
    throw forbidden(`Your access does not include the site "${target}"`);
}

/** Strong keys this device would newly hold must not belong to another device. */
async function checkKeysFree(h: DbHandle, self: StoredDevice, attrs: DeviceAttributes): Promise<void> {
  const keys = candidateKeys({
    assetTag: attrs.assetTag !== undefined ? attrs.assetTag : null,
    udi: attrs.udi !== undefined ? attrs.udi : null,
    serialNumber: attrs.serialNumber !== undefined ? attrs.serialNumber : null,
    manufacturer: attrs.manufacturer !== undefined ? attrs.manufacturer : self.manufacturer,
    macs: (attrs.macs ?? []).filter((m) => !self.macs.includes(m)),
  });
  if (attrs.serialNumber === undefined && attrs.manufacturer !== undefined)
    keys.serialKey = self.known.serialKey;
  const index = await loadIdentityIndex(h, [keys]);
  const clashes: string[] = [];
  const others = (list: readonly { id: string }[]) => list.filter((d) => d.id !== self.id).map((d) => d.id);
  if (keys.assetTagKey)
    for (const id of others(index.byAssetTag(keys.assetTagKey))) clashes.push(`asset tag belongs to ${id}`);
  if (keys.udiKey) for (const id of others(index.byUdi(keys.udiKey))) clashes.push(`UDI belongs to ${id}`);
  if (keys.serialKey) {
    const same = index
      .bySerial(keys.serialKey)
      .filter((d) => compatibleManufacturers(d.manufacturerKey, keys.manufacturerKey));
    for (const id of others(same)) clashes.push(`serial number belongs to ${id}`);
  }
  for (const mac of keys.macs)
    for (const id of others(index.byMac(mac))) clashes.push(`MAC ${mac} belongs to ${id}`);
  if (clashes.length) throw conflict(`Another device already has this identity: ${clashes.join('; ')}`);
}

function summary(plan: DeviceChangePlan): {
  before: Record<string, unknown>;
  after: Record<string, unknown>;
} {
  const before: Record<string, unknown> = {};
  const after: Record<string, unknown> = {};
  for (const [field, c] of Object.entries(plan.changes)) {
    before[field] = c.before;
    after[field] = c.after;
  }
  if (plan.state) after['state'] = plan.state;
  return { before, after };
}

/** Adds a device a person declares. Refused if its strong keys already identify a device. */
export async function addDevice(h: DbHandle, actor: Actor, input: unknown): Promise<DeviceDetail> {
  assertCan(actor, 'devices:write');
  const attrs = parseInput(DeviceAttributesSchema, input, 'device') as DeviceAttributes;
  const keys = candidateKeys(attrs);
  if (!hasStrongKey(keys)) {
    throw invalidInput('A device needs an asset tag, serial number, UDI or MAC address', [
      { field: 'assetTag', reason: 'give at least one of assetTag, serialNumber, udi, macs' },
    ]);
  }
  const id = await transaction(h, async (tx) => {
    await lockInventory(tx);
    const resolution = resolveIdentity(keys, await loadIdentityIndex(tx, [keys]));
    if (resolution.kind === 'match') {
      throw conflict(
        `This device is already recorded as ${resolution.deviceId} (same ${resolution.matchedBy.join(', ')}); update it instead`,
      );
    }
    if (resolution.kind === 'conflict') throw conflict(`Cannot add the device: ${resolution.reason}`);
    const plan = planDeviceChanges(null, attrs, { baseline: 'values', identifiers: 'replace' });
    await checkSiteScope(tx, actor, plan, null);
    const deviceId = newId();
    const now = nowIso();
    await writeDeviceChanges(tx, [{ deviceId, current: null, plan, sourceRef: actor.name }], {
      source: 'manual',
      now,
      newDeviceState: 'active',
    });
    await appendAudit(tx, {
      actor,
      action: 'device.create',
      target: { type: 'device', id: deviceId },
      summary: summary(plan),
    });
    return deviceId;
  });
  await rematchDevices(h, actor, [id]);
  return reload(h, id);
}

/** Changes what a person declares about a device; `null` clears a value, lists replace identifiers. */
export async function updateDevice(
  h: DbHandle,
  actor: Actor,
  ref: string,
  input: unknown,
): Promise<DeviceDetail> {
  assertCan(actor, 'devices:write');
  const attrs = parseInput(DeviceAttributesSchema, input, 'device update') as DeviceAttributes;
  const id = await transaction(h, async (tx) => {
    await lockInventory(tx);
    const d = await resolveDevice(tx, actor, ref);
    if (d.state === 'merged')
      throw conflict(`Device ${d.id} was merged into ${d.mergedInto}; update that one`);
    const plan = planDeviceChanges(currentOf(d), attrs, { baseline: 'values', identifiers: 'replace' });
    if (isNoop(plan)) return d.id;
    await checkKeysFree(tx, d, attrs);
    await checkSiteScope(tx, actor, plan, d);
    const remaining = candidateKeys({
      assetTag: plan.columns.asset_tag !== undefined ? plan.columns.asset_tag : d.assetTag,
      serialNumber: plan.columns.serial_number !== undefined ? plan.columns.serial_number : d.serialNumber,
      udi: plan.columns.udi !== undefined ? plan.columns.udi : d.udi,
      macs: attrs.macs ?? d.macs,
    });
    if (!hasStrongKey(remaining))
      throw invalidInput('A device must keep an asset tag, serial number, UDI or MAC address');
    await writeDeviceChanges(tx, [{ deviceId: d.id, current: d, plan, sourceRef: actor.name }], {
      source: 'manual',
      now: nowIso(),
      newDeviceState: 'active',
    });
    await appendAudit(tx, {
      actor,
      action: 'device.update',
      target: { type: 'device', id: d.id },
      summary: summary(plan),
    });
    return d.id;
  });
  await rematchDevices(h, actor, [id]);
  return reload(h, id);
}

const TRANSITIONS: Record<'retire' | 'confirm' | 'ignore', { to: DeviceState; from: DeviceState[] }> = {
  retire: { to: 'retired', from: ['staged', 'active', 'ignored'] },
  confirm: { to: 'active', from: ['staged', 'ignored', 'retired'] },
  ignore: { to: 'ignored', from: ['staged', 'active', 'retired'] },
};

async function transition(
  h: DbHandle,
  actor: Actor,
  ref: string,
  op: keyof typeof TRANSITIONS,
  reason?: string,
): Promise<DeviceDetail> {
  assertCan(actor, 'devices:write');
  const r = reason?.trim() ? reason.trim().slice(0, 500) : undefined;
  const id = await transaction(h, async (tx) => {
    await lockInventory(tx);
    const d = await resolveDevice(tx, actor, ref);
    const t = TRANSITIONS[op];
    if (d.state === t.to) return d.id;
    if (!t.from.includes(d.state))
      throw conflict(
        `Cannot ${op} device ${d.id}: it is ${d.state}${d.mergedInto ? ` into ${d.mergedInto}` : ''}`,
      );
    await updateDeviceRow(tx, d.id, { state: t.to, updated_at: nowIso() });
    await appendAudit(tx, {
      actor,
      action: `device.${op}`,
      target: { type: 'device', id: d.id },
      summary: { before: { state: d.state }, after: { state: t.to }, ...(r ? { reason: r } : {}) },
    });
    return d.id;
  });
  await rematchDevices(h, actor, [id]);
  return reload(h, id);
}

export const retireDevice = (h: DbHandle, actor: Actor, ref: string, reason?: string) =>
  transition(h, actor, ref, 'retire', reason);
export const confirmDevice = (h: DbHandle, actor: Actor, ref: string) => transition(h, actor, ref, 'confirm');
export const ignoreDevice = (h: DbHandle, actor: Actor, ref: string, reason?: string) =>
  transition(h, actor, ref, 'ignore', reason);

/**
 * Folds a duplicate record into another: the target gains the duplicate's identifiers and facts, any
 * value it does not know yet, and its findings (with their tasks), alerts, services, protocols, hints,
 * suggestions, risk acceptances, VEX statements, SSVC overrides and recall-match decisions; the duplicate becomes `merged` (kept, pointing at the target, so references to it still
 * resolve and the audit trail stays readable).
 */
export async function mergeDevices(
  h: DbHandle,
  actor: Actor,
  sourceRef: string,
  intoRef: string,
  /** The bus alerts the merge resolves are published on, after the commit (the process's unless given). */
  opts: { bus?: EventBus } = {},
): Promise<DeviceDetail> {
  assertCan(actor, 'devices:write');
  let mergedId = '';
  const id = await transaction(h, async (tx) => {
    await lockInventory(tx);
    const source = await resolveDevice(tx, actor, sourceRef);
    mergedId = source.id;
    const into = await resolveDevice(tx, actor, intoRef);
    if (source.id === into.id) throw invalidInput('A device cannot be merged into itself');
    for (const d of [source, into])
      if (d.state === 'merged') throw conflict(`Device ${d.id} is already merged into ${d.mergedInto}`);
    const now = nowIso();
    // Task titles name a device by its label (`CVE-… on OLD-7`): read both before anything moves.
    const before = await deviceLabels(tx, [source.id, into.id]);
    const labelsBefore = [labelIn(before, source.id), labelIn(before, into.id)];

    // The duplicate gives up its unique keys first, so the target can take them.
    await updateDeviceRow(tx, source.id, {
      asset_tag_key: null,
      udi_key: null,
      serial_key: null,
      state: 'merged',
      merged_into: into.id,
      updated_at: now,
    });
    await repointMerged(tx, source.id, into.id);

    const filled: Record<string, unknown> = {};
    const attrs: DeviceAttributes = {};
    for (const f of FACT_FIELDS) {
      if (into[f] === null && source[f] !== null && f !== 'lifecycleStatus') {
        (attrs as Record<FactField, unknown>)[f] = source[f];
        filled[f] = source[f];
      }
    }
    if (into.deviceClass === 'unknown' && source.deviceClass !== 'unknown') {
      attrs.deviceClass = source.deviceClass;
      filled['deviceClass'] = source.deviceClass;
    }
    const plan = planDeviceChanges(currentOf(into), attrs, { baseline: 'values', identifiers: 'add' });
    plan.facts.clear(); // the duplicate's own facts move over below, with their sources
    await writeDeviceChanges(tx, [{ deviceId: into.id, current: into, plan, sourceRef: null }], {
      source: 'manual',
      now,
      newDeviceState: 'active',
    });

    // Identifiers move; one the target already has keeps the wider first/last-seen window.
    const targetIdents = new Map(
      (await listIdentifierRows(tx, into.id)).map((i) => [`${i.kind} ${i.value}`, i]),
    );
    const drop: string[] = [];
    let moved = 0;
    for (const i of await listIdentifierRows(tx, source.id)) {
      const existing = targetIdents.get(`${i.kind} ${i.value}`);
      if (existing) {
        await updateIdentifier(tx, existing.id, {
          first_seen: [existing.first_seen, i.first_seen].sort()[0]!,
          last_seen: [existing.last_seen, i.last_seen].sort()[1]!,
        });
        drop.push(i.id);
      } else {
        await updateIdentifier(tx, i.id, { device_id: into.id });
        moved++;
      }
    }
    await deleteIdentifiers(tx, drop);

    // Facts move unless the target has its own from the same source; those stay on the duplicate.
    const targetFacts = new Set((await factRowsOf(tx, [into.id])).map((f) => `${f.field} ${f.source}`));
    for (const f of await factRowsOf(tx, [source.id])) {
      if (!targetFacts.has(`${f.field} ${f.source}`)) await updateFact(tx, f.id, { device_id: into.id });
    }
    // Findings, tasks, alerts, services, protocols, hints, suggestions, communications, the baseline and
    // people's decisions on the duplicate follow (merge-evidence.ts, merge-decisions.ts),
    // after the target has taken the duplicate's criticality and ePHI, so its new findings are scored for it.
    const evidence = await moveMergeEvidence(tx, actor, source.id, into.id, now, labelsBefore, opts);
    const seen: Partial<Parameters<typeof updateDeviceRow>[2]> = {};
    if (source.firstSeen && (!into.firstSeen || source.firstSeen < into.firstSeen))
      seen.first_seen = source.firstSeen;
    if (source.lastSeen && (!into.lastSeen || source.lastSeen > into.lastSeen))
      seen.last_seen = source.lastSeen;
    await updateDeviceRow(tx, into.id, { ...seen, updated_at: now });

    await appendAudit(tx, {
      actor,
      action: 'device.merge',
      target: { type: 'device', id: into.id },
      summary: {
        source: source.id,
        into: into.id,
        filled,
        identifiersMoved: moved,
        ...evidence,
        before: { sourceState: source.state },
        after: { sourceState: 'merged' },
      },
    });
    return into.id;
  });
  await rematchDevices(h, actor, [id, mergedId]);
  return reload(h, id);
}
