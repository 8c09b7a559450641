/**
 * @module HTTP/1.x dissector: request and response heads from the two byte streams of a connection
 * (method, target, Host, User-Agent, Server, WWW-Authenticate), bodies skipped by Content-Length or
 * chunked framing so every message of a keep-alive connection is seen. Credentials: for
 * `Authorization: Basic` only the user name and the fact that a password was sent are reported — never
 * the password, the base64 token or the query string (whose values may hold secrets or patient data).
 * @see RFC 9112 §3 (request line), §4 (status line), §5 (fields), §6.3 (message body length), §7.1 (chunked)
 * @see RFC 7617 §2 (Basic), RFC 9110 §11.6.2 (Authorization), §15.2.2 (101 Switching Protocols)
 */
import { bareHtmlStart } from './bare-html.js';
import { base64Decode, indexAfterBlankLine, latin1, utf8 } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';
import type { CredentialCheck } from './credential-check.js';
import { malformed, needMore, ok, type ParseResult } from './parse-result.js';

export interface HttpBasicAuth {
  username: string;
  /** A non-empty password followed the user name. The password itself is never kept. */
  passwordSent: boolean;
  /** The {@link CredentialCheck} recognised user name and password as this default entry. */
  defaultCredential?: string;
}

export interface HttpRequestHead {
  method: string;
  /** The request-target without query string and without any `user:password@` (origin form for proxies too). */
  target: string;
  /** Names of the query parameters, values dropped. */
  queryKeys: string[];
  /** `HTTP/1.1`; `HTTP/0.9` for a bare `GET /path` line. */
  version: string;
  host?: string;
  userAgent?: string;
  /** Scheme of Authorization / Proxy-Authorization (`Basic`, `Digest`, `Bearer`, `NTLM` …). */
  authScheme?: string;
  /** Set for Basic credentials, which travel in clear text. */
  basicAuth?: HttpBasicAuth;
  /** The path segment that suggests an administration or login interface (`admin`, `login`, `cgi-bin` …). */
  adminHint?: string;
  /** Header field names in order of appearance (a client fingerprint); values are not kept. */
  headerNames: string[];
  contentLength?: number;
  chunked: boolean;
}

export interface HttpResponseHead {
  version: string;
  status: number;
  reason: string;
  server?: string;
  /** WWW-Authenticate challenges (scheme and realm say which login the device asks for). */
  wwwAuthenticate: string[];
  contentType?: string;
  contentLength?: number;
  chunked: boolean;
  headerNames: string[];
}

export type HttpHead =
  | { kind: 'request'; request: HttpRequestHead }
  | { kind: 'response'; response: HttpResponseHead };

export type HttpEvent =
  | { type: 'request'; request: HttpRequestHead }
  | { type: 'response'; response: HttpResponseHead }
  /**
   * The first byte of the last response's body arrived, in the bytes just fed: what the body holds
   * travelled in this segment (the head may have come in an earlier one). Never for a response without a
   * body (HEAD, 204, 304, `Content-Length: 0`, an empty chunked body); the body itself is not read.
   */
  | { type: 'response-body' }
  /**
   * The server answered a request with an HTML document and no status line (HTTP/0.9 style, `bare-html.ts`):
   * the rest of its direction is that body, up to the end of the connection.
   */
  | { type: 'simple-response' }
  /** 101 Switching Protocols or a successful CONNECT: what follows is another protocol; parsing stops. */
  | { type: 'tunnel'; status: number }
  /** Not HTTP, or broken framing: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

/** Path segments (lower case, extension removed) that point at an administration or login interface. */
export const ADMIN_PATH_HINTS: ReadonlySet<string> = new Set([
  'admin',
  'administrator',
  'administration',
  'login',
  'logon',
  'signin',
  'auth',
  'cgi-bin',
  'config',
  'configuration',
  'setup',
  'settings',
  'manager',
  'management',
  'console',
  'maintenance',
  'webadmin',
  'phpmyadmin',
  'wp-admin',
  'wp-login',
  'goform',
  'hnap1',
  'service',
  'debug',
]);

const MAX_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;
const TCHAR = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Parses one request or response head at the start of `bytes`; `consumed` covers the head only. */
export function parseHttpHead(
  bytes: Uint8Array,
  expect: 'request' | 'response',
  check?: CredentialCheck,
): ParseResult<HttpHead> {
  try {
    return parseHead(bytes, expect, check);
  } catch (e) {
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

function parseHead(
  bytes: Uint8Array,
  expect: 'request' | 'response',
  check?: CredentialCheck,
): ParseResult<HttpHead> {
  const startErr = implausibleStart(bytes, expect);
  if (startErr) return malformed(0, startErr);
  // HTTP/0.9 request: a single line without a version
  if (expect === 'request') {
    const lf = bytes.indexOf(0x0a);
    // Only a line of exactly two words can be one; counted on the bytes, so a normal request line is
    // not decoded and split twice.
    if (lf >= 0 && wordCount(bytes, lf > 0 && bytes[lf - 1] === 0x0d ? lf - 1 : lf) === 2) {
      const line = latin1(bytes, 0, lf).replace(/\r$/, '');
      const parts = line.split(' ').filter((p) => p !== '');
      if (parts.length === 2 && parts[0] === 'GET') {
        return ok({ kind: 'request', request: requestHead('GET', parts[1]!, 'HTTP/0.9', []) }, lf + 1);
      }
    }
  }
  const end = indexAfterBlankLine(bytes, 0, Math.min(bytes.length, MAX_HEAD));
  if (end < 0) {
    if (bytes.length >= MAX_HEAD) return malformed(MAX_HEAD, 'header section larger than 64 KiB');
    return needMore();
  }
  const lines = latin1(bytes, 0, end).split(/\r?\n/);
  const first = lines[0] ?? '';
  const fields: [string, string][] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    if (line === '') break;
    if ((line[0] === ' ' || line[0] === '\t') && fields.length > 0) {
      // obsolete line folding (RFC 9112 §5.2): continue the previous value
      const last = fields[fields.length - 1]!;
      last[1] = `${last[1]} ${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    fields.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  if (expect === 'request') {
    const m = /^([^ ]+) +([^ ]+) +(HTTP\/\d\.\d)$/.exec(first);
    if (!m || !TCHAR.test(m[1]!)) return malformed(0, 'not an HTTP request line');
    return ok({ kind: 'request', request: requestHead(m[1]!, m[2]!, m[3]!, fields, check) }, end);
  }
  const m = /^(HTTP\/\d\.\d) +(\d{3})(?: (.*))?$/.exec(first);
  if (!m) return malformed(0, 'not an HTTP status line');
  return ok({ kind: 'response', response: responseHead(m[1]!, Number(m[2]), m[3] ?? '', fields) }, end);
}

/** Words (runs of bytes other than space) in bytes[0, end), counting no further than 3. */
function wordCount(bytes: Uint8Array, end: number): number {
  let words = 0;
  let inWord = false;
  for (let i = 0; i < end && words < 3; i++) {
    const space = bytes[i] === 0x20;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}

function implausibleStart(bytes: Uint8Array, expect: 'request' | 'response'): string | undefined {
  const n = Math.min(bytes.length, 24);
  if (expect === 'response') {
    const want = 'HTTP/';
    for (let i = 0; i < Math.min(n, want.length); i++) {
      if (bytes[i] !== want.charCodeAt(i)) return 'not an HTTP status line';
    }
    return undefined;
  }
  for (let i = 0; i < n; i++) {
    const b = bytes[i]!;
    if (b === 0x20) return i === 0 ? 'not an HTTP request line' : undefined;
    if (b < 0x21 || b > 0x7e) return 'not an HTTP request line';
  }
  return n === 24 ? 'not an HTTP request line' : undefined;
}

function header(fields: [string, string][], name: string): string | undefined {
  for (const [k, v] of fields) if (k.toLowerCase() === name) return v;
  return undefined;
}

function framing(fields: [string, string][]): { contentLength?: number; chunked: boolean } {
  const te = header(fields, 'transfer-encoding');
  const chunked = te !== undefined && /(^|,)\s*chunked\s*$/i.test(te);
  const cl = header(fields, 'content-length');
  const out: { contentLength?: number; chunked: boolean } = { chunked };
  if (cl !== undefined && /^\d{1,15}$/.test(cl.trim())) out.contentLength = Number(cl.trim());
  return out;
}

function requestHead(
  method: string,
  rawTarget: string,
  version: string,
  fields: [string, string][],
  check?: CredentialCheck,
) {
  let target = rawTarget;
  // absolute form (proxy requests): keep only the path, which also drops any user:password@
  const abs = /^[a-zA-Z][a-zA-Z0-9+.-]*:\/\/[^/?#]*(.*)$/.exec(target);
  if (abs) target = abs[1] || '/';
  const q = target.search(/[?#]/);
  const query = q >= 0 && target[q] === '?' ? target.slice(q + 1).split('#')[0]! : '';
  if (q >= 0) target = target.slice(0, q);
  const head: HttpRequestHead = {
    method,
    target,
    queryKeys: query === '' ? [] : [...new Set(query.split('&').map((kv) => safeDecode(kv.split('=')[0]!)))],
    version,
    headerNames: fields.map(([k]) => k),
    ...framing(fields),
  };
  const host = header(fields, 'host');
  if (host !== undefined) head.host = host;
  const ua = header(fields, 'user-agent');
  if (ua !== undefined) head.userAgent = ua;
  const auth = header(fields, 'authorization') ?? header(fields, 'proxy-authorization');
  if (auth !== undefined) {
    const [scheme = '', ...rest] = auth.split(/\s+/).filter((x) => x !== '');
    head.authScheme = scheme;
    if (scheme.toLowerCase() === 'basic') head.basicAuth = basicCredentials(rest.join(''), check);
  }
  const hint = adminHint(target);
  if (hint) head.adminHint = hint;
  return head;
}

/** @see RFC 7617 §2: user-id and password joined by the first colon; the user-id has none. */
function basicCredentials(token: string, check?: CredentialCheck): HttpBasicAuth {
  const bytes = base64Decode(token);
  if (!bytes) return { username: '', passwordSent: false };
  const colon = bytes.indexOf(0x3a);
  if (colon < 0) return { username: utf8(bytes), passwordSent: false };
  const auth: HttpBasicAuth = { username: utf8(bytes, 0, colon), passwordSent: colon + 1 < bytes.length };
  const match = auth.passwordSent ? check?.(auth.username, bytes.subarray(colon + 1)) : undefined;
  if (match !== undefined) auth.defaultCredential = match;
  bytes.fill(0);
  return auth;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** The first path segment naming an admin/login interface, lower case, e.g. `login` for `/Login.cgi`. */
export function adminHint(path: string): string | undefined {
  for (const seg of path.toLowerCase().split('/')) {
    if (seg === '') continue;
    const base = seg.replace(/\.[a-z0-9]{1,5}$/, '');
    if (ADMIN_PATH_HINTS.has(base)) return base;
  }
  return undefined;
}

function responseHead(version: string, status: number, reason: string, fields: [string, string][]) {
  const head: HttpResponseHead = {
    version,
    status,
    reason,
    wwwAuthenticate: fields
      .filter(([k]) => k.toLowerCase() === 'www-authenticate')
      .map(([, v]) => v.slice(0, 256)),
    headerNames: fields.map(([k]) => k),
    ...framing(fields),
  };
  const server = header(fields, 'server');
  if (server !== undefined) head.server = server;
  const ct = header(fields, 'content-type');
  if (ct !== undefined) head.contentType = ct;
  return head;
}

// ---------------------------------------------------------------------------------------------------

type BodyState =
  | { mode: 'head' }
  | { mode: 'length'; remaining: number }
  | { mode: 'chunk-size' }
  | { mode: 'chunk-data'; remaining: number }
  | { mode: 'trailers' }
  /** A response body delimited by the end of the connection: nothing more to parse in this direction. */
  | { mode: 'to-close' }
  | { mode: 'stopped' };

class HttpDirection {
  readonly queue = new ByteQueue(MAX_HEAD + 16);
  state: BodyState = { mode: 'head' };
  /** Bytes of this direction consumed so far (for error offsets). */
  offset = 0;
  /** A response head announced a body whose first byte has not arrived yet. */
  bodyAwaited = false;
  constructor(readonly direction: Direction) {}
}

/** Follows one TCP connection. Feed each direction's bytes in capture order; never throws. */
export class HttpStreamDissector {
  private readonly dirs = { client: new HttpDirection('client'), server: new HttpDirection('server') };
  /** Methods of requests whose responses have not been seen (a HEAD response has no body). */
  private readonly pendingMethods: string[] = [];
  /** An HTTP/0.9 request was seen: the server's answer can only be a body (RFC 1945 §4.1). */
  private simpleRequest = false;

  constructor(private readonly options: { checkCredential?: CredentialCheck } = {}) {}

  /** True once both directions stopped (tunnel, error or end of parseable data). */
  get done(): boolean {
    return this.dirs.client.state.mode === 'stopped' && this.dirs.server.state.mode === 'stopped';
  }

  feed(direction: Direction, bytes: Uint8Array): HttpEvent[] {
    const d = this.dirs[direction];
    const events: HttpEvent[] = [];
    if (d.state.mode === 'stopped') return events;
    try {
      this.process(d, bytes, events);
    } catch (e) {
      this.stop(d, events, `unexpected: ${String(e)}`);
    }
    d.queue.release();
    return events;
  }

  private stop(d: HttpDirection, events: HttpEvent[], reason?: string): void {
    if (reason !== undefined)
      events.push({ type: 'error', direction: d.direction, offset: d.offset, reason });
    d.state = { mode: 'stopped' };
    d.queue.clear();
  }

  /** Body bytes arrived: the first of a response's is reported. */
  private bodyBytes(d: HttpDirection, events: HttpEvent[]): void {
    if (!d.bodyAwaited) return;
    d.bodyAwaited = false;
    events.push({ type: 'response-body' });
  }

  private process(d: HttpDirection, bytes: Uint8Array, events: HttpEvent[]): void {
    let input = bytes;
    for (;;) {
      const st = d.state;
      if (st.mode === 'stopped') return;
      if (st.mode === 'to-close') {
        if (d.queue.length > 0 || input.length > 0) {
          this.bodyBytes(d, events);
          this.stop(d, []);
        }
        return;
      }
      // body bytes are skipped straight from the input, never buffered
      if ((st.mode === 'length' || st.mode === 'chunk-data') && d.queue.length === 0 && input.length > 0) {
        const n = Math.min(st.remaining, input.length);
        this.bodyBytes(d, events);
        st.remaining -= n;
        d.offset += n;
        input = input.subarray(n);
        if (st.remaining === 0) d.state = st.mode === 'length' ? { mode: 'head' } : { mode: 'chunk-size' };
        continue;
      }
      if (input.length > 0) input = input.subarray(d.queue.pushSome(input));
      if (d.queue.length === 0) return;
      if (!this.step(d, events)) {
        if (input.length === 0 || d.state.mode === 'stopped') return;
        if (d.queue.room === 0) {
          this.stop(d, events, 'message head larger than the buffer cap');
          return;
        }
      }
    }
  }

  /** Parses what the queue holds in the current state; false when more bytes are needed. */
  private step(d: HttpDirection, events: HttpEvent[]): boolean {
    const st = d.state;
    const view = d.queue.view();
    switch (st.mode) {
      case 'head': {
        // The server's first bytes, after a request: a page without a status line is still HTTP's answer.
        if (d.direction === 'server' && d.offset === 0 && this.pendingMethods.length > 0) {
          const start = bareHtmlStart(view);
          if (start === 'need-more') return false;
          if (start === 'html') {
            events.push({ type: 'simple-response' });
            this.pendingMethods.shift();
            this.stop(d, []);
            return false;
          }
          if (this.simpleRequest) {
            this.stop(d, []);
            return false;
          }
        }
        if (view[0] === 0x0d || view[0] === 0x0a) {
          // stray CRLF between messages (RFC 9112 §2.2)
          d.queue.consume(1);
          d.offset += 1;
          return true;
        }
        const r = parseHead(
          view,
          d.direction === 'client' ? 'request' : 'response',
          this.options.checkCredential,
        );
        if (r.kind === 'need-more') return false;
        if (r.kind === 'error') {
          d.offset += r.offset;
          this.stop(d, events, r.reason);
          return false;
        }
        d.queue.consume(r.consumed);
        d.offset += r.consumed;
        this.onHead(d, r.value, events);
        return true;
      }
      case 'length':
      case 'chunk-data': {
        const n = Math.min(st.remaining, view.length);
        if (n > 0) this.bodyBytes(d, events);
        d.queue.consume(n);
        d.offset += n;
        st.remaining -= n;
        if (st.remaining === 0) d.state = st.mode === 'length' ? { mode: 'head' } : { mode: 'chunk-size' };
        return view.length > 0;
      }
      case 'chunk-size':
      case 'trailers': {
        const lf = view.indexOf(0x0a);
        if (lf < 0) {
          if (view.length > MAX_CHUNK_LINE) this.stop(d, events, 'chunk line too long');
          return false;
        }
        const line = latin1(view, 0, lf).replace(/\r$/, '');
        d.queue.consume(lf + 1);
        d.offset += lf + 1;
        if (st.mode === 'trailers') {
          if (line === '') d.state = { mode: 'head' };
          return true;
        }
        if (line === '') return true; // CRLF closing the previous chunk
        const m = /^([0-9a-fA-F]{1,12})\s*(;.*)?$/.exec(line);
        if (!m) {
          this.stop(d, events, 'bad chunk size');
          return false;
        }
        const size = Number.parseInt(m[1]!, 16);
        d.state = size === 0 ? { mode: 'trailers' } : { mode: 'chunk-data', remaining: size };
        return true;
      }
      default:
        return false;
    }
  }

  private onHead(d: HttpDirection, head: HttpHead, events: HttpEvent[]): void {
    if (head.kind === 'request') {
      const req = head.request;
      events.push({ type: 'request', request: req });
      this.pendingMethods.push(req.method);
      if (req.version === 'HTTP/0.9') {
        // Nothing follows the request; the server's answer is a bare body, read only for HTML markup.
        this.simpleRequest = true;
        this.stop(d, []);
        return;
      }
      d.state = req.chunked
        ? { mode: 'chunk-size' }
        : req.contentLength
          ? { mode: 'length', remaining: req.contentLength }
          : { mode: 'head' };
      return;
    }
    const res = head.response;
    events.push({ type: 'response', response: res });
    if (res.status >= 100 && res.status < 200 && res.status !== 101) return; // interim: the real one follows
    const method = this.pendingMethods.shift() ?? 'GET';
    if (res.status === 101 || (method === 'CONNECT' && res.status >= 200 && res.status < 300)) {
      events.push({ type: 'tunnel', status: res.status });
      this.stop(this.dirs.client, []);
      this.stop(d, []);
      return;
    }
    if (method === 'HEAD' || res.status === 204 || res.status === 304) {
      d.state = { mode: 'head' };
    } else if (res.chunked) {
      d.state = { mode: 'chunk-size' };
    } else if (res.contentLength !== undefined) {
      d.state = res.contentLength > 0 ? { mode: 'length', remaining: res.contentLength } : { mode: 'head' };
    } else {
      // body delimited by the end of the connection: only its first byte is awaited, then parsing stops
      d.state = { mode: 'to-close' };
    }
    // (An interim 1xx returned above: its final response says whether a body follows.)
    d.bodyAwaited = d.state.mode !== 'head';
  }
}
