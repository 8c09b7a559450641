/**
 * @module The network seam of the CSAF sync client: one GET with conditional-request validators, a size cap,
 * a timeout, http(s) only and a bounded number of redirects. Never throws; failures come back as values so one
 * bad document cannot abort a provider sync. Tests inject their own `Fetcher`.
 * @see CSAF 2.0 §7.1.20 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7120-requirement-20-provider-metadatajson
 */

export interface FetchRequest {
  url: string;
  /** Validators from an earlier response; when given, a 304 comes back as `not-modified`. */
  etag?: string | null;
  lastModified?: string | null;
  /** Overrides the fetcher's default size cap for this request. */
  maxBytes?: number;
}

export type FetchResult =
  | { status: 'ok'; url: string; body: Uint8Array; etag: string | null; lastModified: string | null }
  | { status: 'not-modified'; url: string }
  | { status: 'not-found'; url: string }
  | { status: 'error'; url: string; reason: string };

export interface Fetcher {
  get(request: FetchRequest): Promise<FetchResult>;
}

export interface HttpFetcherOptions {
  /** Per-request timeout covering headers and body. Default 30 s. */
  timeoutMs?: number;
  /** Default 32 MiB — the largest real CSAF documents are a few MiB. */
  maxBytes?: number;
  /** Default 5. */
  maxRedirects?: number;
  userAgent?: string;
  /** Underlying fetch; defaults to the global one (Node 20). */
  fetchImpl?: typeof fetch;
}

export const DEFAULT_MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

export function isHttpUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}

export function createHttpFetcher(options: HttpFetcherOptions = {}): Fetcher {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const defaultMax = options.maxBytes ?? DEFAULT_MAX_DOCUMENT_BYTES;
  const maxRedirects = options.maxRedirects ?? 5;
  const userAgent = options.userAgent ?? 'vigil-csaf-sync';
  const fetchImpl = options.fetchImpl ?? fetch;

  return {
    async get(request) {
      const maxBytes = request.maxBytes ?? defaultMax;
      const signal = AbortSignal.timeout(timeoutMs);
      let url = request.url;
      try {
        for (let hop = 0; ; hop++) {
          if (!isHttpUrl(url))
            return { status: 'error', url: request.url, reason: `not an http(s) URL: ${url}` };
          const headers: Record<string, string> = { 'user-agent': userAgent, accept: '*/*' };
          if (request.etag) headers['if-none-match'] = request.etag;
          if (request.lastModified) headers['if-modified-since'] = request.lastModified;
          // Redirects are followed by hand so each hop is checked for scheme and counted.
          const init: RequestInit = { headers, redirect: 'manual', signal };
          // A kept-alive connection that the server closed as it was reused fails with a reset before any
          // response arrives (seen against a local provider under load): a GET is safe to send once more.
          const res = await fetchImpl(url, init).catch((err: unknown) => {
            if (signal.aborted || !connectionReset(err)) throw err;
            return fetchImpl(url, init);
          });
          if (res.status >= 300 && res.status < 400 && res.status !== 304) {
            await res.body?.cancel();
            const location = res.headers.get('location');
            if (!location)
              return { status: 'error', url: request.url, reason: `HTTP ${res.status} without Location` };
            if (hop >= maxRedirects)
              return { status: 'error', url: request.url, reason: 'too many redirects' };
            url = new URL(location, url).href;
            continue;
          }
          if (res.status === 304) {
            await res.body?.cancel();
            return { status: 'not-modified', url: request.url };
          }
          if (res.status === 404 || res.status === 410) {
            await res.body?.cancel();
            return { status: 'not-found', url: request.url };
          }
          if (res.status !== 200) {
            await res.body?.cancel();
            return { status: 'error', url: request.url, reason: `HTTP ${res.status}` };
          }
          const declared = Number(res.headers.get('content-length') ?? Number.NaN);
          if (Number.isFinite(declared) && declared > maxBytes) {
            await res.body?.cancel();
            return {
              status: 'error',
              url: request.url,
              reason: `too large: ${declared} bytes > ${maxBytes}`,
            };
          }
          const body = await readCapped(res, maxBytes);
          if (body === null) {
            return { status: 'error', url: request.url, reason: `too large: more than ${maxBytes} bytes` };
          }
          return {
            status: 'ok',
            url: request.url,
            body,
            etag: res.headers.get('etag'),
            lastModified: res.headers.get('last-modified'),
          };
        }
      } catch (err) {
        const reason = signal.aborted ? `timeout after ${timeoutMs} ms` : errorText(err);
        return { status: 'error', url: request.url, reason };
      }
    },
  };
}

/** Reads the body but stops (and returns null) once it exceeds the cap — Content-Length may be absent or lie. */
async function readCapped(res: Response, maxBytes: number): Promise<Uint8Array | null> {
  if (!res.body) return new Uint8Array(0);
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

function connectionReset(err: unknown): boolean {
  const code = (err as { cause?: { code?: unknown } } | null)?.cause?.code;
  return code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET';
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}
