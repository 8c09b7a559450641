/**
 * A webhook URL's query (`?token=…`) at rest, on every dialect: added over the API, the stored row (read
 * raw) holds the URL without it and the query sealed under the key outside the database; listings, the
 * audit log and a backup never carry the token; a real loopback HTTP receiver still gets the whole URL,
 * token included, with a valid signature. After a key rotation the query is sealed again, and a sealed
 * query copied onto another destination does not open there.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../test/api-harness.js';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { type WebhookReceiver, webhookReceiver } from '../../test/webhook-receiver.js';
import { listAudit } from '../audit/audit-log.js';
import { createBackup } from '../backup/backups.js';
import { isSealed, keyIdOf, sealedKeyId } from '../secrets/secret-box.js';
import { fixedKeyring, secretKeyring, useSecretKeyring } from '../secrets/secret-key.js';
import { openDatabase, type VigilDatabase } from '../store/database.js';
import { migrateToLatest } from '../store/migrate.js';
import { addDestination, testDestination } from './alert-destinations-service.js';

const SECRET = 'sealed-webhook-secret-for-the-siem-0123456789';
const TOKEN = 'tok-5f0c9a1e7b2d4c3a8e6f';
const keyA = randomBytes(32);
const keyB = randomBytes(32);

let rx: WebhookReceiver<unknown>;
/** The receiver's URL without a query. */
let base: string;
const received = () => rx.hits.map(({ path, verified }) => ({ path, verified }));
const initial = secretKeyring();

beforeAll(async () => {
  rx = await webhookReceiver(SECRET);
  base = `${rx.origin}/hook`;
});
afterAll(async () => {
  await rx.close();
  useSecretKeyring(initial);
});

const rawRow = (vdb: VigilDatabase, name: string) =>
  vdb.db.selectFrom('alert_destinations').selectAll().where('name', '=', name).executeTakeFirstOrThrow();

describe.each(DIALECTS)("a webhook URL's query sealed at rest (%s)", (dialect) => {
  let h: ApiHarness | undefined;
  let vdb: VigilDatabase | undefined;
  afterEach(async () => {
    await h?.close();
    await vdb?.close();
    h = undefined;
    vdb = undefined;
    rx.hits.length = 0;
  });

  it('stores the query sealed, lists and audits the URL without it, and delivers to the whole URL', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    h = await apiHarness(dialect);
    const add = await h.as('security-officer').post('/api/v1/alert-destinations', {
      name: 'soc-hook',
      kind: 'webhook',
      url: `${base}?token=${TOKEN}&tenant=icu`,
      secret: SECRET,
    });
    expect(add.status).toBe(201);
    expect(await add.text()).not.toContain(TOKEN);

    const row = await rawRow(h.ctx.vdb, 'soc-hook');
    expect(JSON.stringify(row)).not.toContain(TOKEN);
    expect(JSON.parse(row.config)).toMatchObject({ url: base });
    expect(isSealed(row.url_query!)).toBe(true);
    expect(sealedKeyId(row.url_query!)).toBe(keyIdOf(keyA));

    const list = await (await h.as('auditor').get('/api/v1/alert-destinations')).text();
    expect(list).not.toContain(TOKEN);
    expect(JSON.parse(list)).toMatchObject({ items: [{ name: 'soc-hook', config: { url: base } }] });

    const test = await h.as('security-officer').post('/api/v1/alert-destinations/soc-hook/test');
    expect(await test.json()).toMatchObject({ ok: true, destination: 'soc-hook' });
    expect(received()).toEqual([{ path: `/hook?token=${TOKEN}&tenant=icu`, verified: true }]);

    const audit = await listAudit(h.ctx.vdb);
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(['alert-destination.add', 'alert-destination.test']),
    );
    expect(JSON.stringify(audit)).not.toContain(TOKEN);
  });

  it('seals the query again after a key rotation, audited, and refuses it copied onto another destination', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'old key'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, {
      name: 'one',
      kind: 'webhook',
      url: `${base}?token=${TOKEN}`,
      secret: SECRET,
    });
    await addDestination(vdb, cliActor, { name: 'two', kind: 'webhook', url: `${base}?x=1`, secret: SECRET });

    useSecretKeyring(fixedKeyring(keyB, 'new key', keyA));
    expect((await testDestination(vdb, cliActor, 'one')).ok).toBe(true);
    expect(received()).toEqual([{ path: `/hook?token=${TOKEN}`, verified: true }]);
    expect(sealedKeyId((await rawRow(vdb, 'one')).url_query!)).toBe(keyIdOf(keyB));
    const seal = (await listAudit(vdb)).filter((a) => a.action === 'alert-destination.seal-url-query');
    expect(seal).toHaveLength(1);
    expect(seal[0]!.summary).toMatchObject({ name: 'one', was: 'rotated', keyId: keyIdOf(keyB) });

    const one = (await rawRow(vdb, 'one')).url_query;
    await vdb.db
      .updateTable('alert_destinations')
      .set({ url_query: one })
      .where('name', '=', 'two')
      .execute();
    const r = await testDestination(vdb, cliActor, 'two');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(
      /^Cannot open the webhook URL's query of alert destination two: .*belongs elsewhere/,
    );
    expect(r.error).not.toContain(TOKEN);
    expect(rx.hits).toHaveLength(1);
  });
});

// A backup of SQLite is the database file itself, so its bytes show whatever a row holds in clear (a
// PostgreSQL backup is a compressed pg_dump of the same rows, checked raw above).
describe('a backup of a database with a webhook URL token', () => {
  it('does not hold the token in clear', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    const db = await openDatabase(
      `sqlite:${join(mkdtempSync(join(tmpdir(), 'vigil-url-query-')), 'vigil.db')}`,
    );
    try {
      await migrateToLatest(db);
      await addDestination(db, cliActor, {
        name: 'soc-hook',
        kind: 'webhook',
        url: `${base}?token=${TOKEN}`,
        secret: SECRET,
      });
      const b = await createBackup(db, {
        dir: mkdtempSync(join(tmpdir(), 'vigil-url-query-backup-')),
        trigger: 'manual',
        actor: cliActor,
      });
      expect(readFileSync(b.file).toString('latin1')).not.toContain(TOKEN);
      expect(b.manifest.sealedKeyIds).toEqual([keyIdOf(keyA)]);
    } finally {
      await db.close();
    }
  });
});
