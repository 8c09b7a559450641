/**
 * @module The dashboard's only way to the server: the typed client over the public /api/v1
 * (src/client/api-client.ts, built from the server's route types), the session's CSRF token on every
 * state-changing request, and API problems turned into one error type the pages can show.
 */
import type { ClientResponse } from 'hono/client';
import { type ApiClient, createApiClient } from '../../src/client/api-client.js';

/** An API problem (RFC 9457 + code), or a network failure with status 0. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: { field?: string; line?: number; reason: string }[] = [],
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;
let client: ApiClient = createApiClient(window.location.origin);
let onUnauthorized: () => void = () => {};

/** The typed client; re-created when the session's CSRF token changes. */
export function api(): ApiClient {
  return client;
}

export function setCsrfToken(token: string | null): void {
  if (token === csrfToken) return;
  csrfToken = token;
  client = createApiClient(window.location.origin, token ? { csrfToken: token } : {});
}

/** Called when any request answers 401: the session ended (idle timeout, logout elsewhere). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Success<R> =
  R extends ClientResponse<infer T, infer S, infer _F> ? (S extends 200 | 201 ? T : never) : never;

/** Awaits a typed request and returns its success body, or throws an ApiError with the problem's detail. */
export async function ok<R extends ClientResponse<unknown, number, string>>(
  request: Promise<R>,
): Promise<Success<R>> {
  let res: R;
  try {
    res = await request;
  } catch (e) {
    throw new ApiError(0, 'network', `The server did not answer (${(e as Error).message})`);
  }
  if (res.status === 401) onUnauthorized();
  if (!res.ok) {
    let problem: { code?: string; detail?: string; title?: string; issues?: ApiError['issues'] } = {};
    try {
      problem = (await res.json()) as typeof problem;
    } catch {
      // Not JSON (a proxy's error page): fall back to the status line.
    }
    throw new ApiError(
      res.status,
      problem.code ?? 'http',
      problem.detail ?? problem.title ?? `HTTP ${res.status}`,
      problem.issues ?? [],
    );
  }
  if (res.status === 204) return null as Success<R>;
  return (await res.json()) as Success<R>;
}

/** The URL of a GET endpoint, for downloads the browser saves itself (CSV export). */
export function downloadUrl(url: URL): string {
  return url.pathname + url.search;
}
