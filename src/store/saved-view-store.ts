/**
 * @module SQL for saved views (0016-saved-views): rows in and out, the same on SQLite and PostgreSQL.
 * Who may see or remove which view is decided in `accounts/saved-views.ts`.
 */
import type { SavedViewTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type SavedViewRow = SavedViewTable;

/** The owner's views and everyone's shared ones, for one page or all, by name. */
export async function listSavedViewRows(h: DbHandle, owner: string, page?: string): Promise<SavedViewRow[]> {
  let q = h.db
    .selectFrom('saved_views')
    .selectAll()
    .where((eb) => eb.or([eb('owner', '=', owner), eb('shared', '=', 1)]));
  if (page) q = q.where('page', '=', page);
  return q.orderBy('page').orderBy('name').orderBy('owner').execute();
}

export async function findSavedViewRow(h: DbHandle, id: string): Promise<SavedViewRow | undefined> {
  return h.db.selectFrom('saved_views').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function findSavedViewByName(
  h: DbHandle,
  owner: string,
  page: string,
  name: string,
): Promise<SavedViewRow | undefined> {
  return h.db
    .selectFrom('saved_views')
    .selectAll()
    .where('owner', '=', owner)
    .where('page', '=', page)
    .where('name', '=', name)
    .executeTakeFirst();
}

export async function insertSavedViewRow(h: DbHandle, row: SavedViewRow): Promise<void> {
  await h.db.insertInto('saved_views').values(row).execute();
}

export async function updateSavedViewRow(
  h: DbHandle,
  id: string,
  patch: Pick<SavedViewRow, 'query' | 'shared'>,
): Promise<void> {
  await h.db.updateTable('saved_views').set(patch).where('id', '=', id).execute();
}

export async function deleteSavedViewRow(h: DbHandle, id: string): Promise<void> {
  await h.db.deleteFrom('saved_views').where('id', '=', id).execute();
}
