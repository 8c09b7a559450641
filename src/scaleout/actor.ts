/**
 * @module Who the central scale-out roles act as in the audit log: `system:ingest`. It applies what
 * sensors saw exactly as an import by the system would (the same permissions as the task scheduler's
 * system actor), and its entries name it.
 */
import type { Actor } from '../accounts/actor.js';
import { ALL_PERMISSIONS } from '../accounts/permissions.js';

export const INGEST_ACTOR: Actor = {
  kind: 'system',
  id: 'vigil-ingest',
  name: 'system:ingest',
  permissions: new Set(ALL_PERMISSIONS),
};

/** `system:match`: the match role re-matching the devices ingest queued (match-worker.ts). */
export const MATCH_ACTOR: Actor = {
  kind: 'system',
  id: 'vigil-match',
  name: 'system:match',
  permissions: new Set(ALL_PERMISSIONS),
};
