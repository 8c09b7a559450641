/**
 * @module A webhook destination's credentials at rest: its signing secret, and its URL's query (which may
 * carry a token, `?token=…`), each sealed with AES-256-GCM under the key outside the database
 * (secrets/secret-key.ts), bound to its destination's id and column. Values stored in plaintext before
 * sealing existed, or sealed under the previous key after a rotation, still open and are sealed again
 * under the current key when read (compare-and-set, audited), so no migration can lose one.
 */
import { appendAudit } from '../audit/audit-log.js';
import { VigilError } from '../errors.js';
import { isSealed, openSecret, SecretBoxError, sealedKeyId, sealSecret } from '../secrets/secret-box.js';
import { secretKeyring } from '../secrets/secret-key.js';
import {
  destinationSecret,
  destinationUrlQuery,
  replaceDestinationSecret,
  replaceDestinationUrlQuery,
} from '../store/alert-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';

/** One sealed column of `alert_destinations`. */
interface SealedColumn {
  /** The associated data: a value opens only in its own row and column. */
  associated(destinationId: string): string;
  read(h: DbHandle, id: string): Promise<string | null>;
  replace(h: DbHandle, id: string, expected: string, value: string): Promise<boolean>;
  /** For messages: "the webhook secret". */
  what: string;
  auditAction: string;
}

const SECRET: SealedColumn = {
  associated: (id) => `alert_destinations.secret:${id}`,
  read: destinationSecret,
  replace: replaceDestinationSecret,
  what: 'the webhook secret',
  auditAction: 'alert-destination.seal-secret',
};

const URL_QUERY: SealedColumn = {
  associated: (id) => `alert_destinations.url_query:${id}`,
  read: destinationUrlQuery,
  replace: replaceDestinationUrlQuery,
  what: "the webhook URL's query",
  auditAction: 'alert-destination.seal-url-query',
};

const seal = (column: SealedColumn, destinationId: string, value: string) =>
  sealSecret(secretKeyring().current().key, value, column.associated(destinationId));

/** What `alert_destinations.secret` stores for a new secret. */
export function sealDestinationSecret(destinationId: string, secret: string): string {
  return seal(SECRET, destinationId, secret);
}

/** What `alert_destinations.url_query` stores for a URL's query (`?token=…`, from splitUrlQuery). */
export function sealDestinationUrlQuery(destinationId: string, query: string): string {
  return seal(URL_QUERY, destinationId, query);
}

/** The destination's secret in clear, for its sender only; null when it has none. Never log it. */
export function openDestinationSecret(
  h: DbHandle,
  destination: { id: string; name: string },
): Promise<string | null> {
  return openSealed(h, destination, SECRET);
}

/**
 * The webhook's whole URL, for its sender only: `storedUrl` (config.url, without query) with its sealed
 * query opened and put back. Never log it; safeUrl() is what may be shown.
 */
export async function openDestinationUrl(
  h: DbHandle,
  destination: { id: string; name: string },
  storedUrl: string,
): Promise<string> {
  const query = await openSealed(h, destination, URL_QUERY);
  return query === null ? storedUrl : storedUrl + query;
}

async function openSealed(
  h: DbHandle,
  destination: { id: string; name: string },
  column: SealedColumn,
): Promise<string | null> {
  const stored = await column.read(h, destination.id);
  if (stored === null) return null;
  const keyring = secretKeyring();
  let value: string;
  if (!isSealed(stored)) value = stored;
  else {
    try {
      value = openSecret(keyring.openingKeys(), stored, column.associated(destination.id));
    } catch (e) {
      if (!(e instanceof SecretBoxError)) throw e;
      throw new VigilError(
        'configuration',
        `Cannot open ${column.what} of alert destination ${destination.name}: ${e.message} (${keyring.source}). ` +
          `Restore the key from its backup, give the old key as VIGIL_SECRET_KEY_PREVIOUS, or remove the destination and add it again with its ${column === SECRET ? 'secret' : 'URL'}.`,
      );
    }
    if (sealedKeyId(stored) === keyring.current().id) return value;
  }
  await reseal(h, destination, column, stored, value, isSealed(stored) ? 'rotated' : 'plaintext');
  return value;
}

async function reseal(
  h: DbHandle,
  destination: { id: string; name: string },
  column: SealedColumn,
  stored: string,
  value: string,
  was: 'plaintext' | 'rotated',
): Promise<void> {
  try {
    await transaction(h, async (tx) => {
      if (!(await column.replace(tx, destination.id, stored, seal(column, destination.id, value)))) return;
      await appendAudit(tx, {
        actor: { kind: 'system', name: 'system:secrets' },
        action: column.auditAction,
        target: { type: 'alert-destination', id: destination.id },
        summary: { name: destination.name, was, keyId: secretKeyring().current().id },
      });
    });
  } catch {
    // Sealing is retried on the next read: delivery does not fail because of it (a read-only data
    // directory, a nested transaction); the value stays as it was, so nothing is lost.
  }
}
