/**
 * @module Recalls as people work them: list and show recalls (cyber or not), run the matcher over the
 * inventory (diff-and-write, decisions kept), list matches, confirm or reject a candidate, open one
 * recall campaign per affected model (through the campaigns service, once per recall and model), and
 * parse a UDI. Every mutation is audited.
 */
import { z } from 'zod';
import { type Actor, assertAllSites, assertCan } from '../accounts/actor.js';
import { appendAudit } from '../audit/audit-log.js';
import { notFound, VigilError } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { deviceLabels, labelIn } from '../inventory/device-label.js';
import { newId, nowIso } from '../store/ids.js';
import {
  deleteMatches,
  findRecall,
  type GudidRow,
  getMatchRow,
  gudidByDis,
  gudidByModelKeys,
  insertMatch,
  insertRecallCampaign,
  listMatchViews,
  listRecallRows,
  liveDevicesForMatching,
  matchesOfRecalls,
  productCodeRow,
  type RecallMatchRow,
  type RecallMatchView,
  type RecallRow,
  recallCampaign,
  recallCampaignsOf,
  recallPage,
  recallsByNumber,
  updateMatch,
} from '../store/recall-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { addCampaignDevices, createCampaign } from '../tasks/campaigns-service.js';
import { codeKey } from './code-info.js';
import {
  type DeviceForMatch,
  DeviceIndex,
  firmKeyOf,
  type GudidInfo,
  matchRecallToDevice,
  prepareRecall,
  type RecallMatchResult,
} from './match.js';
import type { FdaRecallRecord } from './openfda-recall.js';
import { type ParsedUdi, parseUdi } from './udi/parse.js';

export const MATCH_STATES = ['matched', 'candidate', 'confirmed', 'rejected'] as const;
export type RecallMatchState = (typeof MATCH_STATES)[number];
/** States that mean "this device is affected" (campaigns are opened for these). */
export const AFFECTED_STATES: readonly RecallMatchState[] = ['matched', 'confirmed'];

/** The Recall JSON contract (docs/recalls.md): the stored openFDA fields, plus Vigil's id and cyber flag. */
export interface Recall extends Omit<FdaRecallRecord, 'naturalKey'> {
  id: string;
  cyber: boolean;
  cyberTerms: string[];
  updatedAt: string;
}

export interface RecallMatch {
  id: string;
  recallId: string;
  recallNumber: string;
  deviceId: string;
  assetTag: string | null;
  /** What a person calls the device (src/inventory/device-label.ts); for display, `deviceId` is the key. */
  deviceLabel: string;
  serialNumber: string | null;
  modelId: string | null;
  model: string | null;
  basis: string;
  confidence: string;
  state: RecallMatchState;
  cyber: boolean;
  explanation: string;
  evidence: Record<string, unknown>;
  decidedBy: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface RecallDetail extends Recall {
  /** The other source's record of the same recall number (enforcement ↔ recall). */
  related: { id: string; source: string; classification: string | null }[];
  productCodeInfo: {
    deviceName: string | null;
    deviceClass: string | null;
    medicalSpecialty: string | null;
    regulationNumber: string | null;
  } | null;
  matches: RecallMatch[];
  campaigns: { modelId: string; campaignId: string; createdAt: string }[];
}

const list = (s: string): string[] => {
  try {
    const v = JSON.parse(s) as unknown;
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
};

export function toRecall(r: RecallRow): Recall {
  return {
    id: r.id,
    source: r.source as Recall['source'],
    recallNumber: r.recall_number,
    eventNumber: r.event_number,
    productCode: r.product_code,
    kNumbers: list(r.k_numbers),
    pmaNumbers: list(r.pma_numbers),
    productDescription: r.product_description,
    codeInfo: r.code_info,
    recallingFirm: r.recalling_firm,
    reason: r.reason,
    rootCause: r.root_cause,
    action: r.action,
    classification: r.classification,
    status: r.status,
    initiated: r.initiated,
    posted: r.posted,
    terminated: r.terminated,
    productQuantity: r.product_quantity,
    deviceName: r.device_name,
    medicalSpecialty: r.medical_specialty,
    deviceClass: r.device_class,
    regulationNumber: r.regulation_number,
    cyber: Number(r.cyber) === 1,
    cyberTerms: list(r.cyber_terms),
    updatedAt: r.updated_at,
  };
}

function toMatch(m: RecallMatchView, labels: ReadonlyMap<string, string>): RecallMatch {
  let evidence: Record<string, unknown> = {};
  try {
    evidence = JSON.parse(m.evidence) as Record<string, unknown>;
  } catch {}
  return {
    id: m.id,
    recallId: m.recall_id,
    recallNumber: m.recall_number,
    deviceId: m.device_id,
    assetTag: m.asset_tag,
    deviceLabel: labelIn(labels, m.device_id),
    serialNumber: m.serial_number,
    modelId: m.model_id,
    model: m.model,
    basis: m.basis,
    confidence: m.confidence,
    state: m.state as RecallMatchState,
    cyber: Number(m.cyber) === 1,
    explanation: m.explanation,
    evidence,
    decidedBy: m.decided_by,
    decidedAt: m.decided_at,
    decisionReason: m.decision_reason,
    createdAt: m.created_at,
    updatedAt: m.updated_at,
  };
}

/** The matches with their devices' labels, read once for the whole list. */
async function toMatches(h: DbHandle, rows: readonly RecallMatchView[]): Promise<RecallMatch[]> {
  const labels = await deviceLabels(
    h,
    rows.map((m) => m.device_id),
  );
  return rows.map((m) => toMatch(m, labels));
}

const boolish = z
  .union([z.boolean(), z.enum(['true', 'false'])])
  .transform((v) => v === true || v === 'true');

export const RecallListSchema = z.strictObject({
  cyber: boolish.optional(),
  source: z.enum(['recall', 'enforcement']).optional(),
  productCode: z.string().trim().min(1).max(10).optional(),
  firm: z.string().trim().min(1).max(200).optional(),
  /** Only recalls that match a device (matched, candidate or confirmed). */
  matched: boolish.optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export async function listRecalls(
  h: DbHandle,
  actor: Actor,
  input: unknown = {},
): Promise<{ items: Recall[]; total: number; limit: number; offset: number }> {
  assertCan(actor, 'recalls:read');
  const q = parseInput(RecallListSchema, input, 'recall query');
  const { rows, total } = await listRecallRows(
    h,
    {
      ...(q.cyber !== undefined ? { cyber: q.cyber } : {}),
      ...(q.source ? { source: q.source } : {}),
      ...(q.productCode ? { productCode: q.productCode } : {}),
      ...(q.firm ? { firm: q.firm } : {}),
      ...(q.matched ? { matchStates: ['matched', 'candidate', 'confirmed'] } : {}),
    },
    { limit: q.limit, offset: q.offset },
  );
  return { items: rows.map(toRecall), total, limit: q.limit, offset: q.offset };
}

export async function getRecallDetail(h: DbHandle, actor: Actor, ref: string): Promise<RecallDetail> {
  assertCan(actor, 'recalls:read');
  const r = await findRecall(h, ref);
  if (!r) throw notFound(`Recall ${ref}`);
  const related = (await recallsByNumber(h, [r.recall_number])).filter((x) => x.id !== r.id);
  const pc = r.product_code ? await productCodeRow(h, r.product_code) : undefined;
  const base = toRecall(r);
  // Recall records carry no class; the enforcement report of the same number does.
  const classification = base.classification ?? related.find((x) => x.classification)?.classification ?? null;
  return {
    ...base,
    classification,
    related: related.map((x) => ({ id: x.id, source: x.source, classification: x.classification })),
    productCodeInfo: pc
      ? {
          deviceName: pc.device_name,
          deviceClass: pc.device_class,
          medicalSpecialty: pc.medical_specialty_description ?? pc.medical_specialty,
          regulationNumber: pc.regulation_number,
        }
      : null,
    matches: await toMatches(
      h,
      await listMatchViews(h, { recallId: r.id, ...(actor.siteIds ? { siteIds: actor.siteIds } : {}) }),
    ),
    campaigns: (await recallCampaignsOf(h, r.id)).map((c) => ({
      modelId: c.model_id,
      campaignId: c.campaign_id,
      createdAt: c.created_at,
    })),
  };
}

export const MatchListSchema = z.strictObject({
  state: z
    .preprocess(
      (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
      z.array(z.enum(MATCH_STATES)),
    )
    .optional(),
  recall: z.string().trim().min(1).max(64).optional(),
  deviceId: z.string().trim().min(1).max(64).optional(),
  cyber: boolish.optional(),
});

export async function listRecallMatches(
  h: DbHandle,
  actor: Actor,
  input: unknown = {},
): Promise<RecallMatch[]> {
  assertCan(actor, 'recalls:read');
  const q = parseInput(MatchListSchema, input, 'match query');
  let recallId: string | undefined;
  if (q.recall) {
    const r = await findRecall(h, q.recall);
    if (!r) throw notFound(`Recall ${q.recall}`);
    recallId = r.id;
  }
  const rows = await listMatchViews(h, {
    ...(q.state ? { states: q.state } : {}),
    ...(recallId ? { recallId } : {}),
    ...(q.deviceId ? { deviceId: q.deviceId } : {}),
    ...(q.cyber !== undefined ? { cyber: q.cyber } : {}),
    ...(actor.siteIds ? { siteIds: actor.siteIds } : {}),
  });
  return toMatches(h, rows);
}

// ---- matching ----

const toInfo = (g: GudidRow): GudidInfo => ({
  recordKey: g.record_key,
  primaryDi: g.primary_di,
  productCodes: list(g.product_codes),
  submissions: list(g.submissions),
  modelNumber: g.model_number,
  catalogNumber: g.catalog_number,
  companyName: g.company_name,
});

/** The inventory as the matcher sees it: UDIs parsed, GUDID records attached. */
async function devicesForMatch(h: DbHandle): Promise<DeviceForMatch[]> {
  const rows = await liveDevicesForMatching(h);
  const parsed = new Map<string, ParsedUdi>();
  for (const d of rows) {
    if (!d.udi) continue;
    try {
      parsed.set(d.id, parseUdi(d.udi));
    } catch {
      // An unparseable UDI simply gives no UDI basis; `vigil udi parse` says why.
    }
  }
  const byDi = new Map<string, GudidInfo>();
  for (const g of await gudidByDis(
    h,
    [...parsed.values()].map((p) => p.di).filter((x): x is string => !!x),
  ))
    byDi.set(g.matched_di, toInfo(g));
  const modelKeys = rows
    .map((d) => (d.model_number ? codeKey(d.model_number) : ''))
    .filter((k) => k.length >= 3);
  const byModelKey = new Map<string, GudidRow[]>();
  for (const g of await gudidByModelKeys(h, modelKeys))
    for (const k of [g.model_key, g.catalog_key]) if (k) byModelKey.set(k, [...(byModelKey.get(k) ?? []), g]);
  return rows.map((d) => {
    const u = parsed.get(d.id);
    const mfr = firmKeyOf(d.manufacturer);
    const modelGudid = d.model_number
      ? (byModelKey.get(codeKey(d.model_number)) ?? [])
          .filter((g) => !mfr || !g.company_name || firmKeyOf(g.company_name) === mfr)
          .map(toInfo)
      : [];
    return {
      id: d.id,
      label: d.asset_tag ?? d.serial_number ?? d.id,
      modelId: d.model_id,
      model: d.model,
      modelNumber: d.model_number,
      productCode: d.product_code,
      manufacturer: d.manufacturer,
      serial: d.serial_number,
      di: u?.di ?? null,
      lot: u?.lot ?? null,
      udiSerial: u?.serial ?? null,
      gudid: u?.di ? (byDi.get(u.di) ?? null) : null,
      modelGudid,
    };
  });
}

export const RecallMatchRunSchema = z.strictObject({
  /** Also open one recall campaign per affected model (needs tasks:write). */
  campaigns: z.boolean().default(false),
  due: z.string().trim().max(40).optional(),
});

export interface RecallMatchRunResult {
  recalls: number;
  devices: number;
  added: number;
  updated: number;
  removed: number;
  unchanged: number;
  byState: Partial<Record<RecallMatchState, number>>;
  campaigns: { recallNumber: string; modelId: string; campaignId: string; tasksCreated: number }[];
}

const PAGE = 500;

/**
 * `vigil recalls match`: every recall against the live inventory. New matches are added, changed ones
 * updated, vanished undecided ones removed; a person's decision (confirmed/rejected) is kept.
 */
export async function runRecallMatch(
  vdb: DbHandle,
  actor: Actor,
  input: unknown = {},
  now: Date = new Date(),
): Promise<RecallMatchRunResult> {
  assertCan(actor, 'recalls:write');
  assertAllSites(actor, 'Matching recalls (every device is compared)');
  const q = parseInput(RecallMatchRunSchema, input, 'recall match');
  if (q.campaigns) assertCan(actor, 'tasks:write');
  const devices = await devicesForMatch(vdb);
  const index = new DeviceIndex(devices);
  const out: RecallMatchRunResult = {
    recalls: 0,
    devices: devices.length,
    added: 0,
    updated: 0,
    removed: 0,
    unchanged: 0,
    byState: {},
    campaigns: [],
  };
  let after = '';
  for (;;) {
    const page = await recallPage(vdb, after, PAGE);
    if (!page.length) break;
    after = page[page.length - 1]!.id;
    // An enforcement report of a recall number that also has a recall record is the same recall: match once.
    const numbers = page.filter((r) => r.source === 'enforcement').map((r) => r.recall_number);
    const withRecall = new Set(
      (await recallsByNumber(vdb, numbers)).filter((r) => r.source === 'recall').map((r) => r.recall_number),
    );
    const found = new Map<string, RecallMatchResult[]>();
    for (const r of page) {
      out.recalls++;
      if (r.source === 'enforcement' && withRecall.has(r.recall_number)) continue;
      const p = prepareRecall({
        id: r.id,
        recallNumber: r.recall_number,
        productCode: r.product_code,
        kNumbers: list(r.k_numbers),
        pmaNumbers: list(r.pma_numbers),
        productDescription: r.product_description,
        codeInfo: r.code_info,
        recallingFirm: r.recalling_firm,
      });
      const hits: RecallMatchResult[] = [];
      for (const d of index.candidates(p)) {
        const m = matchRecallToDevice(p, d);
        if (m) hits.push(m);
      }
      if (hits.length) found.set(r.id, hits);
    }
    await transaction(vdb, async (tx) => {
      const existing = await matchesOfRecalls(
        tx,
        page.map((r) => r.id),
      );
      const byKey = new Map(existing.map((m) => [`${m.recall_id}\u0000${m.device_id}`, m]));
      const at = now.toISOString();
      const seen = new Set<string>();
      for (const [recallId, hits] of found) {
        for (const m of hits) {
          const key = `${recallId}\u0000${m.deviceId}`;
          seen.add(key);
          const old = byKey.get(key);
          const evidence = JSON.stringify(m.evidence);
          if (!old) {
            const row: RecallMatchRow = {
              id: newId(now.getTime()),
              recall_id: recallId,
              device_id: m.deviceId,
              model_id: m.modelId,
              basis: m.basis,
              confidence: m.confidence,
              state: m.state,
              explanation: m.explanation,
              evidence,
              decided_by: null,
              decided_at: null,
              decision_reason: null,
              created_at: at,
              updated_at: at,
            };
            await insertMatch(tx, row);
            out.added++;
            out.byState[m.state] = (out.byState[m.state] ?? 0) + 1;
            continue;
          }
          const decided = old.state === 'confirmed' || old.state === 'rejected';
          const state = decided ? old.state : m.state;
          out.byState[state as RecallMatchState] = (out.byState[state as RecallMatchState] ?? 0) + 1;
          if (
            old.basis === m.basis &&
            old.confidence === m.confidence &&
            old.state === state &&
            old.explanation === m.explanation &&
            old.evidence === evidence &&
            old.model_id === m.modelId
          ) {
            out.unchanged++;
            continue;
          }
          await updateMatch(tx, old.id, {
            basis: m.basis,
            confidence: m.confidence,
            state,
            explanation: m.explanation,
            evidence,
            model_id: m.modelId,
            updated_at: at,
          });
          out.updated++;
        }
      }
      // Undecided matches the inventory no longer supports go; decisions stay as the record of review.
      const gone = existing.filter(
        (m) =>
          !seen.has(`${m.recall_id}\u0000${m.device_id}`) &&
          m.state !== 'confirmed' &&
          m.state !== 'rejected',
      );
      if (gone.length)
        await deleteMatches(
          tx,
          gone.map((m) => m.id),
        );
      out.removed += gone.length;
    });
  }
  await transaction(vdb, (tx) =>
    appendAudit(tx, {
      actor,
      action: 'recalls.match',
      summary: {
        recalls: out.recalls,
        devices: out.devices,
        added: out.added,
        updated: out.updated,
        removed: out.removed,
        byState: out.byState,
      },
    }),
  );
  if (q.campaigns) out.campaigns = await openRecallCampaigns(vdb, actor, q.due, now);
  return out;
}

/**
 * One `recall` campaign per (recall, model) with an affected device, through the campaigns service, with
 * tasks for the affected devices only (a recall naming lots or serials leaves the others out); a
 * (recall, model) that has one is skipped. Campaign and its link are written in one transaction, so a
 * crash between them cannot leave a campaign that a re-run would open again.
 */
export async function openRecallCampaigns(
  vdb: DbHandle,
  actor: Actor,
  due?: string,
  now: Date = new Date(),
): Promise<RecallMatchRunResult['campaigns']> {
  assertCan(actor, 'recalls:write');
  assertCan(actor, 'tasks:write');
  const affected = await listMatchViews(vdb, { states: AFFECTED_STATES });
  const pairs = new Map<string, { m: RecallMatchView; devices: string[] }>();
  for (const m of affected) {
    if (!m.model_id) continue;
    const k = `${m.recall_id}\u0000${m.model_id}`;
    const p = pairs.get(k) ?? { m, devices: [] };
    p.devices.push(m.device_id);
    pairs.set(k, p);
  }
  const out: RecallMatchRunResult['campaigns'] = [];
  for (const { m, devices } of pairs.values()) {
    const opened = await recallCampaign(vdb, m.recall_id, m.model_id!);
    if (opened) {
      const added = await addConfirmedUnits(vdb, actor, opened.campaign_id, m, devices, now);
      if (added) out.push(added);
      continue;
    }
    const recall = await findRecall(vdb, m.recall_id);
    if (!recall) continue;
    let c: Awaited<ReturnType<typeof createCampaign>> | null;
    try {
      c = await transaction(vdb, async (tx) => {
        if (await recallCampaign(tx, m.recall_id, m.model_id!)) return null;
        const created = await createCampaign(
          tx,
          actor,
          {
            model: m.model_id!,
            action: 'recall',
            devices,
            title:
              `Recall ${recall.recall_number}${recall.recalling_firm ? ` (${recall.recalling_firm})` : ''}: ${m.model ?? 'model'}`.slice(
                0,
                500,
              ),
            ...(recall.action ? { fix: recall.action.slice(0, 4000) } : {}),
            ...(due ? { due } : {}),
          },
          now,
        );
        await insertRecallCampaign(tx, {
          id: newId(now.getTime()),
          recall_id: m.recall_id,
          model_id: m.model_id!,
          campaign_id: created.id,
          created_by: actor.name,
          created_at: nowIso(),
        });
        await appendAudit(tx, {
          actor,
          action: 'recalls.campaign',
          target: { type: 'recall', id: m.recall_id },
          summary: {
            recallNumber: recall.recall_number,
            modelId: m.model_id,
            campaignId: created.id,
            tasks: created.tasksCreated,
          },
        });
        return created;
      });
    } catch (e) {
      // The affected devices are no longer live (retired since the match): nothing to recall.
      if (e instanceof VigilError && e.code === 'invalid_input') continue;
      throw e;
    }
    if (!c) continue;
    out.push({
      recallNumber: recall.recall_number,
      modelId: m.model_id!,
      campaignId: c.id,
      tasksCreated: c.tasksCreated,
    });
  }
  return out;
}

/**
 * A (recall, model) whose campaign is open already: affected devices that joined since (a candidate a
 * person confirmed, a unit added to the inventory) get their task in that campaign, audited.
 */
async function addConfirmedUnits(
  vdb: DbHandle,
  actor: Actor,
  campaignId: string,
  m: RecallMatchView,
  devices: readonly string[],
  now: Date,
): Promise<RecallMatchRunResult['campaigns'][number] | null> {
  return transaction(vdb, async (tx) => {
    const added = await addCampaignDevices(tx, actor, campaignId, devices, now);
    if (!added) return null;
    await appendAudit(tx, {
      actor,
      action: 'recalls.campaign',
      target: { type: 'recall', id: m.recall_id },
      summary: { recallNumber: m.recall_number, modelId: m.model_id, campaignId, tasks: added, added: true },
    });
    return { recallNumber: m.recall_number, modelId: m.model_id!, campaignId, tasksCreated: added };
  });
}

export const MatchDecisionSchema = z.strictObject({
  decision: z.enum(['confirm', 'reject']),
  reason: z.string().trim().min(1).max(2000).optional(),
});

/** `vigil recalls confirm|reject MATCH`: a person's decision on a match, kept across match runs. */
export async function decideRecallMatch(
  vdb: DbHandle,
  actor: Actor,
  id: string,
  input: unknown,
  now: Date = new Date(),
): Promise<RecallMatch> {
  assertCan(actor, 'recalls:write');
  const q = parseInput(MatchDecisionSchema, input, 'match decision');
  return transaction(vdb, async (tx) => {
    const m = await getMatchRow(tx, id);
    if (!m) throw notFound(`Recall match ${id}`);
    const views = await listMatchViews(tx, { recallId: m.recall_id, deviceId: m.device_id });
    if (actor.siteIds && !views.some((v) => v.site_id && actor.siteIds!.includes(v.site_id)))
      throw notFound(`Recall match ${id}`);
    const state: RecallMatchState = q.decision === 'confirm' ? 'confirmed' : 'rejected';
    const at = now.toISOString();
    await updateMatch(tx, id, {
      state,
      decided_by: actor.name,
      decided_at: at,
      decision_reason: q.reason ?? null,
      updated_at: at,
    });
    await appendAudit(tx, {
      actor,
      action: `recalls.match-${q.decision}`,
      target: { type: 'recall-match', id },
      summary: {
        recallId: m.recall_id,
        deviceId: m.device_id,
        from: m.state,
        to: state,
        reason: q.reason ?? null,
      },
    });
    const [v] = await listMatchViews(tx, { recallId: m.recall_id, deviceId: m.device_id });
    const [match] = await toMatches(tx, [v!]);
    return match!;
  });
}

/** `vigil udi parse` / POST /udi/parse. */
export function parseUdiFor(actor: Actor, udi: unknown): ParsedUdi {
  assertCan(actor, 'recalls:read');
  const q = parseInput(z.strictObject({ udi: z.string().max(4096) }), { udi }, 'UDI');
  return parseUdi(q.udi);
}
