/**
 * @module A webhook URL's query (`https://siem/hook?token=…`) may carry a credential: it moves out of
 * `alert_destinations.config` into `url_query`, sealed like the webhook secret under the key outside the
 * database (monitor/destination-secret.ts), so a database copy or backup does not hold it in clear.
 * Existing rows are sealed here; listings already showed the URL without its query. Forward-only.
 */
import type { Kysely } from 'kysely';
import { splitUrlQuery } from '../../monitor/delivery/webhook.js';
import { sealDestinationUrlQuery } from '../../monitor/destination-secret.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('alert_destinations').addColumn('url_query', 'text').execute();
  await sealStoredUrlQueries(db);
}

/**
 * Seals the query of every webhook whose stored URL still has one. Idempotent: a sealed row's URL has no
 * query left, and a row that already has a sealed query is never touched, so running it again (or over
 * rows written by this version) changes nothing. A URL that does not parse is left as it is: the
 * dispatcher reports that destination as not usable, as it did before.
 */
export async function sealStoredUrlQueries(db: Kysely<unknown>): Promise<number> {
  const d = db as unknown as Kysely<{
    alert_destinations: { id: string; kind: string; config: string; url_query: string | null };
  }>;
  const rows = await d
    .selectFrom('alert_destinations')
    .select(['id', 'config'])
    .where('kind', '=', 'webhook')
    .where('url_query', 'is', null)
    .execute();
  let sealed = 0;
  for (const row of rows) {
    let config: Record<string, unknown>;
    let split: { url: string; query: string | null };
    try {
      config = JSON.parse(row.config) as Record<string, unknown>;
      if (typeof config['url'] !== 'string') continue;
      split = splitUrlQuery(config['url']);
    } catch {
      continue;
    }
    if (split.query === null) continue;
    const result = await d
      .updateTable('alert_destinations')
      .set({
        config: JSON.stringify({ ...config, url: split.url }),
        url_query: sealDestinationUrlQuery(row.id, split.query),
      })
      .where('id', '=', row.id)
      .where('config', '=', row.config)
      .where('url_query', 'is', null)
      .executeTakeFirst();
    sealed += Number(result.numUpdatedRows);
  }
  return sealed;
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
