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

/**
 * POSTs a file as the request body with upload progress (fetch reports none, so XMLHttpRequest), to a
 * URL of the typed client (`api().….$url()`), with the session's CSRF token like every change. Resolves
 * the JSON answer; rejects with the API's problem as an ApiError, like `ok()`.
 */
export function uploadFile<T>(
  url: URL,
  file: Blob,
  onProgress: (sent: number, total: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url.pathname + url.search);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
    xhr.responseType = 'text';
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onerror = () => reject(new ApiError(0, 'network', 'The upload did not reach the server'));
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'The upload was cancelled'));
    xhr.onload = () => {
      if (xhr.status === 401) onUnauthorized();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(xhr.responseText) as Record<string, unknown>;
      } catch {
        // Not JSON (a proxy's error page): fall back to the status line.
      }
      if (xhr.status >= 200 && xhr.status < 300) return resolve(body as T);
      const p = body as { code?: string; detail?: string; title?: string; issues?: ApiError['issues'] };
      reject(
        new ApiError(
          xhr.status,
          p.code ?? 'http',
          p.detail ?? p.title ?? `HTTP ${xhr.status}`,
          p.issues ?? [],
        ),
      );
    };
    xhr.send(file);
  });
}
