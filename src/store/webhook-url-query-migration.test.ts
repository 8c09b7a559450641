/**
 * 0030-webhook-url-query on every dialect, over a database at 0029 holding destinations the way earlier
 * Vigil stored them (the webhook URL with its `?token=…` in `config`, the secret in plaintext as before
 * sealing existed): the token leaves `config` and is sealed in `url_query`, other destinations are
 * untouched, running the sealing again changes nothing, and the webhook still receives the whole URL.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Kysely, Migrator } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { testDestination } from '../monitor/alert-destinations-service.js';
import { isSealed, keyIdOf, sealedKeyId } from '../secrets/secret-box.js';
import { fixedKeyring, secretKeyring, useSecretKeyring } from '../secrets/secret-key.js';
import type { VigilDatabase } from './database.js';
import { MIGRATIONS, migrateToLatest } from './migrate.js';
import { sealStoredUrlQueries } from './migrations/0030-webhook-url-query.js';

const SECRET = 'a-webhook-secret-stored-before-sealing-0123';
const TOKEN = 'tok-migrated-8c1e4f2a9b7d';
const key = randomBytes(32);

let server: Server;
let base: string;
const received: string[] = [];
const initial = secretKeyring();

beforeAll(async () => {
  server = createServer((req, res) => {
    received.push(req.url ?? '');
    req.resume().on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  useSecretKeyring(fixedKeyring(key, 'test key'));
});
afterAll(() => {
  server.close();
  useSecretKeyring(initial);
});

/** The database as the migrations before 0030 left it. */
async function at0029(dialect: (typeof DIALECTS)[number]): Promise<VigilDatabase> {
  const vdb = await freshDatabase(dialect, { migrate: false });
  const r = await new Migrator({
    db: vdb.db,
    provider: { getMigrations: async () => MIGRATIONS },
    migrationTableName: 'vigil_migrations',
    migrationLockTableName: 'vigil_migrations_lock',
    ...(vdb.schema ? { migrationTableSchema: vdb.schema } : {}),
  }).migrateTo('0029-fact-confidence');
  if (r.error) throw r.error;
  return vdb;
}

const OLD_ROWS = () => [
  {
    id: 'dest-token',
    name: 'soc-hook',
    kind: 'webhook',
    config: JSON.stringify({ kind: 'webhook', url: `${base}?token=${TOKEN}`, events: ['alerts'] }),
    secret: SECRET,
  },
  {
    id: 'dest-plain',
    name: 'plain-hook',
    kind: 'webhook',
    config: JSON.stringify({ kind: 'webhook', url: base, events: ['alerts'] }),
    secret: SECRET,
  },
  {
    id: 'dest-siem',
    name: 'siem',
    kind: 'syslog',
    config: JSON.stringify({ kind: 'syslog', transport: 'udp', host: '127.0.0.1', port: 514 }),
    secret: null,
  },
];

describe.each(DIALECTS)('migration 0030-webhook-url-query on %s', (dialect) => {
  let vdb: VigilDatabase | undefined;
  afterEach(async () => {
    await vdb?.close();
    vdb = undefined;
    received.length = 0;
  });

  it('seals the query of stored webhook URLs, once, and delivery still reaches the whole URL', async () => {
    vdb = await at0029(dialect);
    const db = vdb.db as unknown as Kysely<{
      alert_destinations: Record<string, unknown>;
    }>;
    for (const row of OLD_ROWS())
      await db
        .insertInto('alert_destinations')
        .values({ ...row, enabled: 1, created_by: 'cli:test', created_at: '2026-11-01T00:00:00.000Z' })
        .execute();

    expect((await migrateToLatest(vdb)).applied).toEqual(['0030-webhook-url-query']);

    const rows = await vdb.db
      .selectFrom('alert_destinations')
      .select(['id', 'config', 'url_query'])
      .orderBy('id')
      .execute();
    const byId = Object.fromEntries(rows.map((r) => [r.id, r]));
    const hook = byId['dest-token']!;
    expect(JSON.stringify(hook)).not.toContain(TOKEN);
    expect(JSON.parse(hook.config)).toEqual({ kind: 'webhook', url: base, events: ['alerts'] });
    expect(isSealed(hook.url_query!)).toBe(true);
    expect(sealedKeyId(hook.url_query!)).toBe(keyIdOf(key));
    // Without a query, and not a webhook: as they were.
    const [, plain, siem] = OLD_ROWS();
    expect(byId['dest-plain']).toEqual({ id: 'dest-plain', config: plain!.config, url_query: null });
    expect(byId['dest-siem']).toEqual({ id: 'dest-siem', config: siem!.config, url_query: null });

    // Running it again, over rows already sealed, changes nothing.
    expect(await sealStoredUrlQueries(vdb.db as unknown as Kysely<unknown>)).toBe(0);
    expect(
      await vdb.db
        .selectFrom('alert_destinations')
        .select(['id', 'config', 'url_query'])
        .orderBy('id')
        .execute(),
    ).toEqual(rows);

    expect(await testDestination(vdb, cliActor, 'soc-hook')).toMatchObject({ ok: true });
    expect(await testDestination(vdb, cliActor, 'plain-hook')).toMatchObject({ ok: true });
    expect(received).toEqual([`/hook?token=${TOKEN}`, '/hook']);
  });
});
