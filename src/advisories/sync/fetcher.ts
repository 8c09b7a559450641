/**
 * @module The network seam of the CSAF sync client: one GET with conditional-request validators, a size cap,
 * a timeout, http(s) only and a bounded number of redirects. Every hop, and the address each connection
 * actually reaches, must pass the feed host policy (no loopback, internal or metadata addresses unless the
 * admin allows them). Never throws; failures come back as values so one bad document cannot abort a
 * provider sync, and no failure quotes the response body. Tests inject their own `Fetcher`.
 * @see CSAF 2.0 §7.1.20 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7120-requirement-20-provider-metadatajson
 */

import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate, createInflateRaw } from 'node:zlib';
import { FeedHostPolicy, RefusedFeedAddress } from './feed-host-policy.js';

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
  /** Which hosts may be reached; default: public addresses over https only. */
  policy?: FeedHostPolicy;
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
  const policy = options.policy ?? new FeedHostPolicy();
  // Kept-alive connections: a provider sync fetches hundreds of documents from one host.
  const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };

  return {
    async get(request) {
      const maxBytes = request.maxBytes ?? defaultMax;
      const signal = AbortSignal.timeout(timeoutMs);
      let url = request.url;
      try {
        for (let hop = 0; ; hop++) {
          if (!isHttpUrl(url))
            return { status: 'error', url: request.url, reason: `not an http(s) URL: ${url}` };
          const target = new URL(url);
          // No lookup happens for an address literal, so it is judged here; names are judged as they resolve.
          const literal = FeedHostPolicy.literalAddress(target);
          const refused = literal === null ? null : policy.refusal(target, literal);
          if (refused) return { status: 'error', url: request.url, reason: `refused: ${refused}` };
          const headers: Record<string, string> = {
            'user-agent': userAgent,
            accept: '*/*',
            'accept-encoding': 'gzip, deflate',
          };
          if (request.etag) headers['if-none-match'] = request.etag;
          if (request.lastModified) headers['if-modified-since'] = request.lastModified;
          // Redirects are followed by hand so each hop is checked for scheme and counted.
          const send = () =>
            httpGet(target, { headers, signal, agents, lookup: policy.guardedLookup(target) });
          // A kept-alive connection that the server closed as it was reused fails with a reset before any
          // response arrives (seen against a local provider under load): a GET is safe to send once more.
          const res = await send().catch((err: unknown) => {
            if (signal.aborted || !connectionReset(err)) throw err;
            return send();
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
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

function errorText(err: unknown): string {
  if (err instanceof RefusedFeedAddress) return `refused: ${err.message}`;
  if (err instanceof Error) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return `${err.message}${cause}`;
  }
  return String(err);
}

interface HttpGetOptions {
  headers: Record<string, string>;
  signal: AbortSignal;
  agents: { http: HttpAgent; https: HttpsAgent };
  lookup: LookupFunction;
}

/**
 * One GET by node:http(s) rather than the global fetch: only these take a `lookup`, which is where the
 * address actually connected to is checked. The answer is a WHATWG Response, content-decoded as fetch does.
 */
function httpGet(url: URL, o: HttpGetOptions): Promise<Response> {
  return new Promise((resolve, reject) => {
    const https = url.protocol === 'https:';
    const req = (https ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: o.headers,
      signal: o.signal,
      agent: https ? o.agents.https : o.agents.http,
      lookup: o.lookup,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      try {
        resolve(toResponse(res));
      } catch (e) {
        res.destroy();
        reject(e);
      }
    });
    req.end();
  });
}

function toResponse(res: IncomingMessage): Response {
  const status = res.statusCode ?? 0;
  const headers = new Headers();
  for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) {
    try {
      headers.append(res.rawHeaders[i] as string, res.rawHeaders[i + 1] as string);
    } catch {
      // A header value fetch would refuse: dropped, as none Vigil reads can be malformed and still useful.
    }
  }
  if (status < 200 || status > 599) {
    res.destroy();
    throw new Error(`HTTP ${status}`);
  }
  if (status === 204 || status === 205 || status === 304) {
    res.resume();
    return new Response(null, { status, headers });
  }
  const coding = (res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    coding === 'gzip' || coding === 'x-gzip'
      ? createGunzip()
      : coding === 'br'
        ? createBrotliDecompress()
        : null;
  // Errors of the decoded stream reach the reader (and so the fetcher's catch), not an unhandled event.
  const body =
    coding === 'deflate'
      ? Readable.from(inflateDeflate(res))
      : decoder
        ? pipeline(res, decoder, () => {})
        : res;
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, { status, headers });
}

/**
 * `Content-Encoding: deflate` is the zlib format (RFC 9110 §8.4.1.2), but some servers send raw deflate
 * under that name, and browsers and fetch read both. The first byte tells them apart as undici does: a
 * zlib stream starts with a CMF byte whose low four bits are 8 (deflate); raw deflate starts with a block
 * header, which has them only for a stored block with non-zero padding bits, which encoders do not write.
 * The body is inflated as it is read (a compression bomb stops at the reader's cap, not in a buffer).
 */
async function* inflateDeflate(res: IncomingMessage): AsyncGenerator<Buffer> {
  const chunks = res[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await chunks.next();
  if (first.done) return;
  const inflate = ((first.value[0] ?? 0) & 0x0f) === 0x08 ? createInflate() : createInflateRaw();
  const compressed = (async function* () {
    yield first.value;
    for (let n = await chunks.next(); !n.done; n = await chunks.next()) yield n.value;
  })();
  // A damaged body or a lost connection fails `inflate`, and so the iteration below.
  pipeline(Readable.from(compressed), inflate, () => {});
  try {
    yield* inflate;
  } finally {
    inflate.destroy();
    res.destroy();
  }
}
