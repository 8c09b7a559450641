/**
 * @module The typed API client shared by the web app, the CLI's remote mode and integrations. Its types
 * come from the server's route definitions (`ApiType`), so a renamed field breaks the build instead of a
 * page. Only types are imported from the server: no server code ends up in a client bundle.
 */
import { hc } from 'hono/client';
import type { ApiType } from '../server/app.js';

export interface ApiClientOptions {
  /** `Authorization: Bearer vgl_…` for machines; browsers use the session cookie instead. */
  token?: string;
  /** CSRF token from login, sent on state-changing requests made with a session cookie. */
  csrfToken?: string;
  fetch?: typeof fetch;
}

export function createApiClient(baseUrl: string, opts: ApiClientOptions = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers['authorization'] = `Bearer ${opts.token}`;
  if (opts.csrfToken) headers['x-csrf-token'] = opts.csrfToken;
  return hc<ApiType>(`${baseUrl.replace(/\/$/, '')}/api/v1`, {
    headers,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
}

export type ApiClient = ReturnType<typeof createApiClient>;
