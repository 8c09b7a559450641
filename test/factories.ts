/** Test factories for domain objects. */
import type { Actor } from '../src/accounts/actor.js';
import { ALL_PERMISSIONS } from '../src/accounts/permissions.js';

export const TEST_PASSWORD = 'correct horse battery staple 42';

/** The local operator, as the CLI acts. */
export const cliActor: Actor = {
  kind: 'cli',
  id: 'test',
  name: 'cli:test',
  permissions: new Set(ALL_PERMISSIONS),
};
