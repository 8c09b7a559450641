/**
 * @module What an evidence collector returns: one item per evidence kind with its status, the
 * figures it was decided on, how old the newest underlying record is, the threshold that decided, and
 * the things it names as gaps (a site without an officer, an overdue update …). Collectors are small,
 * one file per kind, and read only through store modules or other areas' exported functions.
 */
import { deviceLabels, labelIn } from '../../inventory/device-label.js';
import type { QueueOptions } from '../../risk/queue-service.js';
import type { OpenFindingRef } from '../../store/compliance-store.js';
import type { DbHandle } from '../../store/transaction.js';
import type { EvidenceKind } from '../controls/control.js';

export const STATUSES = ['met', 'partial', 'not-met', 'no-evidence'] as const;
export type ComplianceStatus = (typeof STATUSES)[number];

export type Figure = number | string | boolean | null;

export interface EvidenceItem {
  kind: EvidenceKind;
  title: string;
  status: ComplianceStatus;
  /** What decided the status, with the threshold: "last scan 212 days ago > 183". */
  reason: string;
  figures: Record<string, Figure>;
  /** The newest record this evidence rests on (ISO-8601), null when there is none. */
  asOf: string | null;
  /** Whole days between `asOf` and the report time. */
  ageDays: number | null;
  /** What the evidence names as gaps, for people to act on. */
  gaps: string[];
}

export interface EvidenceContext {
  h: DbHandle;
  now: Date;
  /** Only devices and figures of these sites; undefined means every site. */
  siteIds: readonly string[] | undefined;
  /** The hospital's SLAs and risk settings, for the work queue's due dates (defaults otherwise). */
  queue?: QueueOptions;
}

export type EvidenceCollector = (ctx: EvidenceContext) => Promise<EvidenceItem>;

const DAY_MS = 86_400_000;

export function ageInDays(iso: string | null | undefined, now: Date): number | null {
  if (!iso) return null;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : Math.max(0, Math.floor((now.getTime() - t) / DAY_MS));
}

export function daysBefore(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString();
}

/** The newest of some ISO timestamps (nulls ignored). */
export function newest(...dates: (string | null | undefined)[]): string | null {
  let best: string | null = null;
  for (const d of dates) if (d && (!best || d > best)) best = d;
  return best;
}

export function evidence(
  ctx: EvidenceContext,
  item: Omit<EvidenceItem, 'ageDays' | 'gaps' | 'asOf'> & { asOf?: string | null; gaps?: string[] },
): EvidenceItem {
  const asOf = item.asOf ?? null;
  return { ...item, asOf, ageDays: ageInDays(asOf, ctx.now), gaps: item.gaps ?? [] };
}

/** Status by age: within `fresh` days met, within `stale` partial, beyond not met. */
export function byAge(age: number, fresh: number, stale = fresh): ComplianceStatus {
  return age <= fresh ? 'met' : age <= stale ? 'partial' : 'not-met';
}

/** Whether a site is inside the report's scope (every site when no scope is given). */
export const inScope = (ctx: EvidenceContext, siteId: string | null) =>
  !ctx.siteIds || (siteId !== null && ctx.siteIds.includes(siteId));

/**
 * Open findings as gaps, `<device>: <title>`, each device named as people know it (its asset tag, else
 * make and model with its address, see inventory/device-label.ts), the labels read once for all.
 */
export async function findingGaps(ctx: EvidenceContext, items: readonly OpenFindingRef[]): Promise<string[]> {
  const labels = await deviceLabels(
    ctx.h,
    items.map((f) => f.deviceId),
  );
  return items.map((f) => `${labelIn(labels, f.deviceId)}: ${f.title}`);
}

/** A rate 0..1 as a percentage with one decimal: `66.7%`. */
export const pct = (r: number) => `${Math.round(r * 1000) / 10}%`;
