/**
 * An API under test: a fresh migrated database (SQLite or PostgreSQL), the real app, one account per
 * role, logged in through the real login route. `h.as(role).get(path)` sends a request with that
 * account's session cookie and CSRF token; `h.anonymous` sends none.
 */
import { LoginThrottle } from '../src/accounts/login-throttle.js';
import { ROLE_NAMES, type Role } from '../src/accounts/permissions.js';
import { createUser } from '../src/accounts/users.js';
import { loadConfig } from '../src/config/config.js';
import type { AppContext } from '../src/context.js';
import { createLogger } from '../src/log.js';
import { createApp } from '../src/server/app.js';
import { freshDatabase, type TestDialect } from './dialects.js';

import { cliActor, TEST_PASSWORD } from './factories.js';

export { cliActor, TEST_PASSWORD };

export interface Client {
  request(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Response>;
  get(path: string): Promise<Response>;
  post(path: string, body?: unknown): Promise<Response>;
  patch(path: string, body?: unknown): Promise<Response>;
}

export interface ApiHarness {
  app: ReturnType<typeof createApp>;
  ctx: AppContext;
  as(role: Role): Client;
  anonymous: Client;
  /** A client that authenticates with a bearer token. */
  withToken(token: string): Client;
  /** Log in as any user; returns a client holding that session. */
  login(username: string, password: string): Promise<Client>;
  close(): Promise<void>;
}

export async function apiHarness(
  dialect: TestDialect,
  configOverrides: Record<string, unknown> = {},
  /** The per-address login throttle; by default one too large to answer 429 in any test. */
  opts: { throttle?: LoginThrottle } = {},
): Promise<ApiHarness> {
  const vdb = await freshDatabase(dialect);
  const config = loadConfig({
    env: {},
    flags: { db: 'sqlite::memory:', logLevel: 'silent', ...configOverrides },
  });
  const ctx: AppContext = { config, vdb, log: createLogger('silent') };
  const app = createApp(ctx, { throttle: opts.throttle ?? new LoginThrottle(10_000) });

  const client = (cookie?: string, csrf?: string, bearer?: string): Client => {
    const request = async (
      method: string,
      path: string,
      body?: unknown,
      headers: Record<string, string> = {},
    ) => {
      const h: Record<string, string> = { ...headers };
      if (cookie) h['cookie'] = cookie;
      if (csrf) h['x-csrf-token'] = csrf;
      if (bearer) h['authorization'] = `Bearer ${bearer}`;
      let payload: string | Uint8Array | undefined;
      if (body !== undefined) {
        // Bytes as they are: a body that is not UTF-8, as a Windows-1252 client sends it.
        if (typeof body === 'string' || body instanceof Uint8Array) payload = body;
        else {
          payload = JSON.stringify(body);
          h['content-type'] ??= 'application/json';
        }
      }
      return app.request(path, { method, headers: h, ...(payload !== undefined ? { body: payload } : {}) });
    };
    return {
      request,
      get: (p) => request('GET', p),
      post: (p, b) => request('POST', p, b ?? {}),
      patch: (p, b) => request('PATCH', p, b ?? {}),
    };
  };

  const login = async (username: string, password: string): Promise<Client> => {
    const res = await client().post('/api/v1/auth/login', { username, password });
    if (res.status !== 200) throw new Error(`login ${username} failed: ${res.status} ${await res.text()}`);
    const cookie = res.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await res.json()) as { csrfToken: string };
    return client(cookie, csrfToken);
  };

  const sessions = new Map<Role, Client>();
  for (const role of ROLE_NAMES) {
    await createUser(vdb, cliActor, { username: `test-${role}`, role, password: TEST_PASSWORD });
    sessions.set(role, await login(`test-${role}`, TEST_PASSWORD));
  }

  return {
    app,
    ctx,
    as: (role) => sessions.get(role)!,
    anonymous: client(),
    withToken: (token) => client(undefined, undefined, token),
    login,
    close: () => vdb.close(),
  };
}
