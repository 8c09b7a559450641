/**
 * @module First run. Vigil never exposes an unauthenticated system: on an empty database `vigil serve`
 * creates a one-time setup token (printed on the console, stored hashed, valid for 24 h) that the web app
 * or `POST /api/v1/setup` exchanges for the first admin account. `vigil users add NAME --role admin`
 * is the other way in.
 */
import { conflict, VigilError } from '../errors.js';
import * as store from '../store/account-store.js';
import { nowIso } from '../store/ids.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { hashSecret, newSecret, safeEqual } from './secrets.js';
import { createUserUnchecked, type User } from './users.js';

const SETTING = 'setup_token';
const LIFETIME_MS = 24 * 3_600_000;

export async function needsSetup(h: DbHandle): Promise<boolean> {
  return (await store.countUsers(h)) === 0;
}

/** Creates (replacing any earlier one) a setup token; returns the secret to show once. */
export async function issueSetupToken(h: DbHandle): Promise<string> {
  const token = newSecret('setup_');
  const record = JSON.stringify({
    hash: hashSecret(token),
    expiresAt: new Date(Date.now() + LIFETIME_MS).toISOString(),
  });
  await store.putSetting(h, SETTING, record, nowIso());
  return token;
}

export async function completeSetup(
  h: DbHandle,
  input: { setupToken: string; username: string; password: string; ip?: string | undefined },
): Promise<User> {
  if (!(await needsSetup(h))) throw conflict('Vigil is already set up; log in instead');
  const record = await store.getSetting(h, SETTING);
  const parsed = record ? (JSON.parse(record) as { hash: string; expiresAt: string }) : undefined;
  if (!parsed || parsed.expiresAt <= nowIso() || !safeEqual(parsed.hash, hashSecret(input.setupToken))) {
    throw new VigilError(
      'authentication_required',
      'The setup token is wrong or has expired; restart `vigil serve` for a new one',
    );
  }
  const actor = {
    kind: 'system' as const,
    id: 'setup',
    name: `setup:${input.username}`,
    permissions: new Set<never>(),
    ...(input.ip ? { ip: input.ip } : {}),
  };
  const user = await createUserUnchecked(h, actor, {
    username: input.username,
    password: input.password,
    role: 'admin',
  });
  await transaction(h, (tx) => store.deleteSetting(tx, SETTING));
  return user;
}
