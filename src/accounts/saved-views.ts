/**
 * @module Saved views: a named filter set of one dashboard page (the query part of its URL), kept on
 * the server per account. A view may be shared: everyone who may read devices then sees it too. Anyone
 * with devices:read keeps their own; removing someone else's shared view needs users:write and reach
 * over every site (a shared view is every site's). Every change is audited; a view holds filters only,
 * never data.
 */
import { z } from 'zod';
import { appendAudit } from '../audit/audit-log.js';
import { forbidden, notFound } from '../errors.js';
import { parseInput } from '../inventory/device-input.js';
import { newId, nowIso } from '../store/ids.js';
import * as store from '../store/saved-view-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { type Actor, assertAllSites, assertCan, can } from './actor.js';

/** The dashboard pages that keep saved views. */
export const SAVED_VIEW_PAGES = [
  'inventory',
  'queue',
  'tasks',
  'alerts',
  'vulnerabilities',
  'audit',
] as const;
export type SavedViewPage = (typeof SAVED_VIEW_PAGES)[number];

export interface SavedView {
  id: string;
  owner: string;
  page: SavedViewPage;
  name: string;
  /** The URL query without the leading '?', e.g. `criticality=life-sustaining&sort=model`. */
  query: string;
  shared: boolean;
  createdAt: string;
  /** Whether the caller may remove it (their own, or users:write and not limited to sites). */
  removable: boolean;
}

export const SavedViewInputSchema = z.strictObject({
  page: z.enum(SAVED_VIEW_PAGES),
  name: z
    .string()
    .trim()
    .min(1, 'name is empty')
    .max(100)
    .refine((s) => !/[\p{Cc}]/u.test(s), 'no control characters'),
  query: z
    .string()
    .max(2000)
    .transform((q) => (q.startsWith('?') ? q.slice(1) : q))
    .refine((q) => !/[#\s]/.test(q), 'a URL query string: no spaces or #')
    // Stored as the browser's own serialisation, so equal filters are equal text.
    .transform((q) => new URLSearchParams(q).toString()),
  shared: z.boolean().default(false),
});
export type SavedViewInput = z.input<typeof SavedViewInputSchema>;

function toView(r: store.SavedViewRow, actor: Actor): SavedView {
  return {
    id: r.id,
    owner: r.owner,
    page: r.page as SavedViewPage,
    name: r.name,
    query: r.query,
    shared: r.shared === 1,
    createdAt: r.created_at,
    removable: r.owner === actor.name || mayRemoveOthers(actor),
  };
}

/**
 * Someone else's shared view is seen by every site's readers: a token limited to sites would otherwise
 * take it away from all of them.
 */
const mayRemoveOthers = (actor: Actor) => can(actor, 'users:write') && !actor.siteIds;

/** The caller's views and everyone's shared ones (of one page, or all), by page and name. */
export async function listSavedViews(h: DbHandle, actor: Actor, page?: string): Promise<SavedView[]> {
  assertCan(actor, 'devices:read');
  const p = page === undefined ? undefined : parseInput(z.enum(SAVED_VIEW_PAGES), page, 'page');
  return (await store.listSavedViewRows(h, actor.name, p)).map((r) => toView(r, actor));
}

/**
 * Saves a view under the caller's name. A view of the same page and name is replaced (its query and
 * sharing change, its id stays): `created` says which happened.
 */
export async function saveView(
  h: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<{ view: SavedView; created: boolean }> {
  assertCan(actor, 'devices:read');
  const v = parseInput(SavedViewInputSchema, input, 'saved view');
  return transaction(h, async (tx) => {
    const existing = await store.findSavedViewByName(tx, actor.name, v.page, v.name);
    const shared = v.shared ? 1 : 0;
    let row: store.SavedViewRow;
    if (existing) {
      row = { ...existing, query: v.query, shared };
      await store.updateSavedViewRow(tx, existing.id, { query: v.query, shared });
    } else {
      row = {
        id: newId(),
        owner: actor.name,
        page: v.page,
        name: v.name,
        query: v.query,
        shared,
        created_at: nowIso(),
      };
      await store.insertSavedViewRow(tx, row);
    }
    await appendAudit(tx, {
      actor,
      action: existing ? 'saved-view.update' : 'saved-view.create',
      target: { type: 'saved-view', id: row.id },
      summary: {
        page: row.page,
        name: row.name,
        ...(existing
          ? {
              before: { query: existing.query, shared: existing.shared === 1 },
              after: { query: row.query, shared: row.shared === 1 },
            }
          : { query: row.query, shared: row.shared === 1 }),
      },
    });
    return { view: toView(row, actor), created: !existing };
  });
}

/**
 * Removes one of the caller's views, or (with users:write, not limited to sites) someone else's shared
 * one.
 */
export async function removeSavedView(h: DbHandle, actor: Actor, id: string): Promise<SavedView> {
  assertCan(actor, 'devices:read');
  return transaction(h, async (tx) => {
    const row = await store.findSavedViewRow(tx, id);
    // Someone else's private view does not exist for the caller.
    if (!row || (row.owner !== actor.name && row.shared !== 1)) throw notFound(`Saved view ${id}`);
    if (row.owner !== actor.name) assertAllSites(actor, `${row.owner}'s shared view`);
    if (row.owner !== actor.name && !can(actor, 'users:write'))
      throw forbidden(`Removing ${row.owner}'s shared view needs the permission users:write`);
    await store.deleteSavedViewRow(tx, id);
    await appendAudit(tx, {
      actor,
      action: 'saved-view.delete',
      target: { type: 'saved-view', id },
      summary: { page: row.page, name: row.name, owner: row.owner, shared: row.shared === 1 },
    });
    return toView(row, actor);
  });
}
