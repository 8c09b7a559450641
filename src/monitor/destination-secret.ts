/**
 * @module A webhook destination's signing secret at rest: sealed with AES-256-GCM under the key outside
 * the database (secrets/secret-key.ts), bound to its destination's id. Values stored in plaintext before
 * sealing existed, or sealed under the previous key after a rotation, still open and are sealed again
 * under the current key when read (compare-and-set, audited), so no migration can lose one.
 */
import { appendAudit } from '../audit/audit-log.js';
import { VigilError } from '../errors.js';
import { isSealed, openSecret, SecretBoxError, sealedKeyId, sealSecret } from '../secrets/secret-box.js';
import { secretKeyring } from '../secrets/secret-key.js';
import { destinationSecret, replaceDestinationSecret } from '../store/alert-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';

const associated = (destinationId: string) => `alert_destinations.secret:${destinationId}`;

/** What `alert_destinations.secret` stores for a new secret. */
export function sealDestinationSecret(destinationId: string, secret: string): string {
  return sealSecret(secretKeyring().current().key, secret, associated(destinationId));
}

/** The destination's secret in clear, for its sender only; null when it has none. Never log it. */
export async function openDestinationSecret(
  h: DbHandle,
  destination: { id: string; name: string },
): Promise<string | null> {
  const stored = await destinationSecret(h, destination.id);
  if (stored === null) return null;
  const keyring = secretKeyring();
  let secret: string;
  if (!isSealed(stored)) secret = stored;
  else {
    try {
      secret = openSecret(keyring.openingKeys(), stored, associated(destination.id));
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      throw new VigilError(
        'configuration',
        `Cannot open the webhook secret of alert destination ${destination.name}: ${e.message} (${keyring.source}). ` +
          'Restore the key from its backup, give the old key as VIGIL_SECRET_KEY_PREVIOUS, or remove the destination and add it again with its secret.',
      );
    }
    if (sealedKeyId(stored) === keyring.current().id) return secret;
  }
  await reseal(h, destination, stored, secret, isSealed(stored) ? 'rotated' : 'plaintext');
  return secret;
}

async function reseal(
  h: DbHandle,
  destination: { id: string; name: string },
  stored: string,
  secret: string,
  was: 'plaintext' | 'rotated',
): Promise<void> {
  try {
    await transaction(h, async (tx) => {
      if (
        !(await replaceDestinationSecret(
          tx,
          destination.id,
          stored,
          sealDestinationSecret(destination.id, secret),
        ))
      )
        return;
      await appendAudit(tx, {
        actor: { kind: 'system', name: 'system:secrets' },
        action: 'alert-destination.seal-secret',
        target: { type: 'alert-destination', id: destination.id },
        summary: { name: destination.name, was, keyId: secretKeyring().current().id },
      });
    });
  } catch {
    // Sealing is retried on the next read: delivery does not fail because of it (a read-only data
    // directory, a nested transaction); the secret stays as it was, so nothing is lost.
  }
}
