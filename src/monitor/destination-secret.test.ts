/**
 * Webhook secrets at rest, on every dialect: the stored value is sealed (not the secret, not containing
 * it), a real loopback receiver still verifies the HMAC signature of what Vigil sends, a wrong key gives a
 * clear error naming both key ids and never the secret, plaintext secrets stored before sealing keep
 * working and are sealed on first read, and a key rotation with VIGIL_SECRET_KEY_PREVIOUS re-seals.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { type WebhookReceiver, webhookReceiver } from '../../test/webhook-receiver.js';
import { listAudit } from '../audit/audit-log.js';
import { isSealed, keyIdOf, sealedKeyId } from '../secrets/secret-box.js';
import { fixedKeyring, secretKeyring, useSecretKeyring } from '../secrets/secret-key.js';
import { getDestinationRow } from '../store/alert-store.js';
import type { VigilDatabase } from '../store/database.js';
import { addDestination, testDestination } from './alert-destinations-service.js';
import { loadDestination } from './alert-dispatcher.js';

const SECRET = 'sealed-webhook-secret-for-the-siem-0123456789';
const keyA = randomBytes(32);
const keyB = randomBytes(32);

let rx: WebhookReceiver<unknown>;
let url: string;
/** Whether each request received verified with the secret. */
const verified = () => rx.hits.map((h) => h.verified);
const initial = secretKeyring();

beforeAll(async () => {
  rx = await webhookReceiver(SECRET);
  url = `${rx.origin}/hook`;
});
afterAll(async () => {
  await rx.close();
  useSecretKeyring(initial);
});

const storedSecret = async (vdb: VigilDatabase, name: string) =>
  (
    await vdb.db
      .selectFrom('alert_destinations')
      .select('secret')
      .where('name', '=', name)
      .executeTakeFirstOrThrow()
  ).secret;

describe.each(DIALECTS)('webhook secrets sealed at rest (%s)', (dialect) => {
  let vdb: VigilDatabase | undefined;
  afterEach(async () => {
    await vdb?.close();
    vdb = undefined;
    rx.hits.length = 0;
  });

  it('stores a sealed value and still signs deliveries with the secret', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, { name: 'siem', kind: 'webhook', url, secret: SECRET });
    const stored = (await storedSecret(vdb, 'siem'))!;
    expect(stored).not.toBe(SECRET);
    expect(stored).not.toContain(SECRET);
    expect(isSealed(stored)).toBe(true);
    expect(sealedKeyId(stored)).toBe(keyIdOf(keyA));

    const r = await testDestination(vdb, cliActor, 'siem');
    expect(r).toEqual({ ok: true, destination: 'siem', event: 'alert' });
    expect(verified()).toEqual([true]);
    // Neither the audit log nor the stored row in any other column carries the secret.
    expect(JSON.stringify(await listAudit(vdb))).not.toContain(SECRET);
  });

  it('fails clearly with a wrong key, naming both key ids and never the secret', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, { name: 'siem', kind: 'webhook', url, secret: SECRET });
    useSecretKeyring(fixedKeyring(keyB, 'test key B'));
    const row = (await getDestinationRow(vdb, 'siem'))!;
    const err = await loadDestination(vdb, row).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'configuration' });
    const message = (err as Error).message;
    expect(message).toContain('Cannot open the webhook secret of alert destination siem');
    expect(message).toContain(`sealed with key ${keyIdOf(keyA)}, but the configured key is ${keyIdOf(keyB)}`);
    expect(message).toContain('test key B');
    expect(message).not.toContain(SECRET);

    const r = await testDestination(vdb, cliActor, 'siem');
    expect(r.ok).toBe(false);
    expect(r.error).toContain(keyIdOf(keyA));
    expect(verified()).toEqual([]);
    // The stored value is untouched: the right key opens it again.
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    expect((await testDestination(vdb, cliActor, 'siem')).ok).toBe(true);
  });

  it('keeps a plaintext secret stored before sealing working, and seals it on first read', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, { name: 'legacy', kind: 'webhook', url, secret: SECRET });
    // What a database written by an earlier Vigil holds.
    await vdb.db
      .updateTable('alert_destinations')
      .set({ secret: SECRET })
      .where('name', '=', 'legacy')
      .execute();

    expect((await testDestination(vdb, cliActor, 'legacy')).ok).toBe(true);
    expect(verified()).toEqual([true]);
    const stored = (await storedSecret(vdb, 'legacy'))!;
    expect(isSealed(stored)).toBe(true);
    expect(sealedKeyId(stored)).toBe(keyIdOf(keyA));
    const seal = (await listAudit(vdb)).filter((a) => a.action === 'alert-destination.seal-secret');
    expect(seal).toHaveLength(1);
    expect(seal[0]!.summary).toMatchObject({ name: 'legacy', was: 'plaintext' });

    expect((await testDestination(vdb, cliActor, 'legacy')).ok).toBe(true);
    expect(verified()).toEqual([true, true]);
  });

  it('re-seals under the new key after a rotation with the previous key given', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'old key'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, { name: 'siem', kind: 'webhook', url, secret: SECRET });
    useSecretKeyring(fixedKeyring(keyB, 'new key', keyA));
    expect((await testDestination(vdb, cliActor, 'siem')).ok).toBe(true);
    expect(verified()).toEqual([true]);
    expect(sealedKeyId((await storedSecret(vdb, 'siem'))!)).toBe(keyIdOf(keyB));
    // The old key alone no longer opens it.
    useSecretKeyring(fixedKeyring(keyA, 'old key'));
    expect((await testDestination(vdb, cliActor, 'siem')).ok).toBe(false);
  });

  it('does not open a sealed secret copied onto another destination', async () => {
    useSecretKeyring(fixedKeyring(keyA, 'test key A'));
    vdb = await freshDatabase(dialect);
    await addDestination(vdb, cliActor, { name: 'one', kind: 'webhook', url, secret: SECRET });
    await addDestination(vdb, cliActor, { name: 'two', kind: 'webhook', url, secret: `${SECRET}-2` });
    const one = await storedSecret(vdb, 'one');
    await vdb.db.updateTable('alert_destinations').set({ secret: one }).where('name', '=', 'two').execute();
    const r = await testDestination(vdb, cliActor, 'two');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/altered or belongs elsewhere/);
  });
});
