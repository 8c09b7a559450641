/**
 * @module The notification kinds a stored notification can have, and the check of a `kind` filter
 * against them, shared by `vigil notifications list --kind` and `GET /api/v1/notifications?kind=`.
 * The set is closed: every kind comes from a built-in trigger, the training reminders or the digest.
 */
import { invalidInput } from '../../errors.js';
import { TRIGGERS } from './triggers/index.js';

/** Every kind a stored notification can have: each trigger's, the training reminders and the digest. */
export const NOTIFICATION_KINDS: readonly string[] = [
  ...TRIGGERS.map((t) => t.name),
  'training-reminder',
  'digest',
];

/**
 * `a`, `a,b` or several of them, trimmed. A misspelt kind is refused with the list: filtering on it
 * would only answer an empty list, which reads as "nothing to worry about".
 */
export function notificationKindsOf(given: readonly string[]): string[] {
  const kinds = given.flatMap((k) => k.split(',')).map((k) => k.trim());
  const unknown = kinds.filter((k) => !NOTIFICATION_KINDS.includes(k));
  if (unknown.length)
    throw invalidInput(
      `Unknown notification kind ${unknown.map((k) => `"${k}"`).join(', ')}: one of ${NOTIFICATION_KINDS.join(', ')}`,
      unknown.map((k) => ({
        field: 'kind',
        reason: `"${k}" is not one of ${NOTIFICATION_KINDS.join(', ')}`,
      })),
    );
  return kinds;
}
