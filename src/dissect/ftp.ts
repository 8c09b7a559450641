/**
 * @module FTP control-connection dissector: the server greeting (product and version where the 220
 * text names them), commands and the replies that answer them, the USER name, that a password was sent
 * (never the password: PASS and ACCT arguments are dropped on arrival), the login result, the SYST reply,
 * and an AUTH TLS/SSL upgrade after which both directions are TLS and parsing stops. The endpoint of each
 * data connection (PASV/EPSV replies, PORT/EPRT commands), so a caller can find the file transfers.
 * @see RFC 959 §4.1 (commands), §4.2 (replies, multi-line form), §5.4 (sequencing); RFC 4217 §4 (AUTH TLS)
 * @see RFC 959 §4.1.2 (PORT, PASV), §4.2.1 (227 reply); RFC 2428 §2 (EPRT), §3 (EPSV, 229 reply)
 */
import { latin1 } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';
import type { CredentialCheck } from './credential-check.js';
import { findPatientData, PAYLOAD_SCAN_LIMIT, type PayloadPhi } from './payload-phi.js';

export type FtpEvent =
  /** The 220 greeting (all lines of a multi-line one). */
  | { type: 'banner'; text: string; product?: string; version?: string }
  /** A client command; the argument is left out for PASS and ACCT. */
  | { type: 'command'; verb: string; argument?: string }
  /** A server reply; `command` is the verb it answers (none for the greeting). */
  | { type: 'reply'; code: number; text: string; command?: string }
  | { type: 'user'; username: string; anonymous: boolean }
  /**
   * PASS was sent (the password itself is never kept). `defaultCredential`: the {@link CredentialCheck}
   * recognised the login as this default entry.
   */
  | {
      type: 'credentials';
      username?: string;
      anonymous: boolean;
      credentialsSent: true;
      defaultCredential?: string;
    }
  | { type: 'login'; success: boolean; username?: string }
  /** The SYST reply text (`UNIX Type: L8`). */
  | { type: 'system'; text: string }
  /**
   * Where the next data connection goes: the server listens (`passive`, from a 227/229 reply) or the
   * client does (`active`, from PORT/EPRT). `ip` is absent for EPSV (the control connection's server).
   */
  | {
      type: 'data-channel';
      mode: 'passive' | 'active';
      command: 'PASV' | 'EPSV' | 'PORT' | 'EPRT';
      ip?: string;
      port: number;
    }
  /** AUTH TLS/SSL answered (`mechanism` is its argument): with 234 the connection becomes TLS and parsing stops. */
  | { type: 'tls-upgrade'; mechanism: string; accepted: boolean }
  /** Not FTP, or a line far too long: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

/** Greeting patterns → product; the first capture group, when present, is the version. */
export const FTP_SERVER_PRODUCTS: readonly (readonly [RegExp, string])[] = [
  [/\bvsFTPd (\d[\w.]*)/i, 'vsFTPd'],
  [/\bProFTPD (\d[\w.]*)/i, 'ProFTPD'],
  [/\bPure-FTPd\b/i, 'Pure-FTPd'],
  [/\bFileZilla Server(?: version)? v?(\d[\w.]*)/i, 'FileZilla Server'],
  [/\bServ-U FTP Server v?(\d[\w.]*)/i, 'Serv-U'],
  [/\bMicrosoft FTP Service\b/i, 'Microsoft FTP Service'],
  [/\bwu-(\d[\w.()-]*)/i, 'wu-ftpd'],
  [/\bBFTPD (\d[\w.]*)/i, 'bftpd'],
  [/\b(?:GNU )?inetutils-ftpd (\d[\w.]*)/i, 'inetutils-ftpd'],
];

const MAX_LINE = 4096;
const MAX_REPLY_TEXT = 1024;
/** User names that mean an anonymous login (also read by the Zeek ftp.log reader). */
export const FTP_ANONYMOUS_USERS: ReadonlySet<string> = new Set(['anonymous', 'ftp']);
const SECRET_ARGUMENTS = new Set(['PASS', 'ACCT']);

/** Product and version named in a greeting, from {@link FTP_SERVER_PRODUCTS} or a generic `name-ftpd 1.2`. */
export function ftpProduct(text: string): { product?: string; version?: string } {
  for (const [re, product] of FTP_SERVER_PRODUCTS) {
    const m = re.exec(text);
    if (m) return m[1] ? { product, version: m[1] } : { product };
  }
  const g = /\b([A-Za-z][\w.-]*ftpd)[ /_-]v?(\d[\w.]*)/i.exec(text);
  return g ? { product: g[1]!, version: g[2]! } : {};
}

class FtpDirection {
  readonly queue = new ByteQueue(MAX_LINE + 2);
  offset = 0;
  stopped = false;
  constructor(readonly direction: Direction) {}
}

export interface FtpOptions {
  checkCredential?: CredentialCheck;
}

/** `h1,h2,h3,h4,p1,p2` of PORT and of the 227 reply (RFC 959 §4.1.2). */
const HOST_PORT = /(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3}),(\d{1,3})/;
/** `(|||6446|)` of the 229 reply, any delimiter (RFC 2428 §3). */
const EPSV_REPLY = /\(([\x21-\x7e])\1\1(\d{1,5})\1\)/;
/** `|1|132.235.1.2|6275|` of EPRT (RFC 2428 §2). */
const EPRT_ARG = /^([\x21-\x7e])([12])\1([0-9A-Fa-f.:]+)\1(\d{1,5})\1$/;

function hostPort(text: string): { ip: string; port: number } | undefined {
  const m = HOST_PORT.exec(text);
  if (!m) return undefined;
  const n = m.slice(1).map(Number);
  if (n.some((x) => x > 255)) return undefined;
  const port = n[4]! * 256 + n[5]!;
  return port > 0 ? { ip: n.slice(0, 4).join('.'), port } : undefined;
}

/** Follows one FTP control connection. Feed each direction's bytes in capture order; never throws. */
export class FtpStreamDissector {
  private readonly dirs = { client: new FtpDirection('client'), server: new FtpDirection('server') };
  /** Commands still waiting for their final reply. */
  private readonly pending: string[] = [];
  private greeted = false;
  private username: string | undefined;
  private authMechanism = '';
  /** The multi-line reply being read: its code and lines so far. */
  private reply: { code: number; lines: string[] } | undefined;

  constructor(private readonly options: FtpOptions = {}) {}

  get done(): boolean {
    return this.dirs.client.stopped && this.dirs.server.stopped;
  }

  feed(direction: Direction, bytes: Uint8Array): FtpEvent[] {
    const d = this.dirs[direction];
    const events: FtpEvent[] = [];
    if (d.stopped) return events;
    try {
      let input = bytes;
      while (!d.stopped) {
        input = input.subarray(d.queue.pushSome(input));
        const before = d.queue.length;
        this.lines(d, events);
        if (input.length === 0 || d.stopped) break;
        if (d.queue.length === before && d.queue.room === 0) this.fail(d, events, 'line longer than 4 KiB');
      }
    } catch (e) {
      this.fail(d, events, `unexpected: ${String(e)}`);
    }
    d.queue.release();
    return events;
  }

  private fail(d: FtpDirection, events: FtpEvent[], reason: string): void {
    events.push({ type: 'error', direction: d.direction, offset: d.offset, reason });
    this.stop(d);
  }

  private stop(d: FtpDirection): void {
    d.stopped = true;
    d.queue.clear();
  }

  private lines(d: FtpDirection, events: FtpEvent[]): void {
    while (!d.stopped) {
      const buf = d.queue.view();
      const lf = buf.indexOf(0x0a);
      if (lf < 0) {
        if (buf.length > MAX_LINE) this.fail(d, events, 'line longer than 4 KiB');
        else if (!this.plausiblePrefix(d, buf))
          this.fail(d, events, `not an FTP ${d.direction === 'client' ? 'command' : 'reply'}`);
        return;
      }
      const line = latin1(buf, 0, lf).replace(/\r$/, '');
      const ok = d.direction === 'client' ? this.command(line, events) : this.replyLine(line, events);
      if (!ok) {
        this.fail(d, events, `not an FTP ${d.direction === 'client' ? 'command' : 'reply'}`);
        return;
      }
      d.queue.consume(lf + 1);
      d.offset += lf + 1;
    }
  }

  /** Fails early on binary input instead of waiting for a line end that never comes. */
  private plausiblePrefix(d: FtpDirection, buf: Uint8Array): boolean {
    const n = Math.min(buf.length, 4);
    for (let i = 0; i < n; i++) {
      const b = buf[i]!;
      if (d.direction === 'server' && !this.reply && (b < 0x30 || b > 0x39)) return i >= 3;
      if (d.direction === 'client' && !((b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a))) return i >= 3;
    }
    return true;
  }

  private command(line: string, events: FtpEvent[]): boolean {
    const m = /^([A-Za-z]{3,4})(?: (.*))?$/.exec(line.trimEnd());
    if (!m) return line.trim() === ''; // tolerate a stray empty line
    const verb = m[1]!.toUpperCase();
    const arg = m[2];
    this.pending.push(verb);
    const ev: Extract<FtpEvent, { type: 'command' }> = { type: 'command', verb };
    if (arg !== undefined && !SECRET_ARGUMENTS.has(verb)) ev.argument = arg;
    events.push(ev);
    if (verb === 'AUTH') this.authMechanism = (arg ?? '').trim().toUpperCase();
    if (verb === 'USER' && arg !== undefined) {
      this.username = arg.trim();
      events.push({ type: 'user', username: this.username, anonymous: this.isAnonymous() });
    } else if (verb === 'PASS') {
      const cred: Extract<FtpEvent, { type: 'credentials' }> = {
        type: 'credentials',
        anonymous: this.isAnonymous(),
        credentialsSent: true,
      };
      if (this.username !== undefined) cred.username = this.username;
      const check = this.options.checkCredential;
      if (check && arg !== undefined && !this.isAnonymous()) {
        const match = check(this.username, new TextEncoder().encode(arg));
        if (match !== undefined) cred.defaultCredential = match;
      }
      events.push(cred);
    } else if (verb === 'PORT' && arg !== undefined) {
      const hp = hostPort(arg);
      if (hp) events.push({ type: 'data-channel', mode: 'active', command: 'PORT', ...hp });
    } else if (verb === 'EPRT' && arg !== undefined) {
      const m = EPRT_ARG.exec(arg.trim());
      const port = Number(m?.[4]);
      if (m && port > 0 && port < 65536)
        events.push({ type: 'data-channel', mode: 'active', command: 'EPRT', ip: m[3]!.toLowerCase(), port });
    }
    return true;
  }

  private isAnonymous(): boolean {
    return this.username !== undefined && FTP_ANONYMOUS_USERS.has(this.username.toLowerCase());
  }

  private replyLine(line: string, events: FtpEvent[]): boolean {
    if (this.reply) {
      // multi-line: ends with a line that starts with the same code and a space
      this.reply.lines.push(line);
      if (line.startsWith(`${this.reply.code} `) || line === String(this.reply.code))
        this.finishReply(events);
      return true;
    }
    const m = /^(\d{3})([ -]|$)/.exec(line);
    if (!m) return line.trim() === '';
    this.reply = { code: Number(m[1]), lines: [line] };
    if (m[2] !== '-') this.finishReply(events);
    return true;
  }

  private finishReply(events: FtpEvent[]): void {
    const { code, lines } = this.reply!;
    this.reply = undefined;
    const text = lines
      .map((l, i) => (i === 0 || i === lines.length - 1 ? l.replace(/^\d{3}[ -]?/, '') : l))
      .join('\n')
      .trim()
      .slice(0, MAX_REPLY_TEXT);
    const preliminary = code < 200;
    const command = !this.greeted ? undefined : preliminary ? this.pending[0] : this.pending.shift();
    const ev: Extract<FtpEvent, { type: 'reply' }> = { type: 'reply', code, text };
    if (command !== undefined) ev.command = command;
    events.push(ev);
    if (!this.greeted) {
      if (code === 220) {
        this.greeted = true;
        events.push({ type: 'banner', text, ...ftpProduct(text) });
      } else if (code >= 400) this.greeted = true; // 421 etc.: the server refused the session
      return;
    }
    if (command === 'SYST' && code === 215) events.push({ type: 'system', text });
    if (code === 227) {
      const hp = hostPort(text);
      if (hp) events.push({ type: 'data-channel', mode: 'passive', command: 'PASV', ...hp });
    } else if (code === 229) {
      const port = Number(EPSV_REPLY.exec(text)?.[2]);
      if (port > 0 && port < 65536)
        events.push({ type: 'data-channel', mode: 'passive', command: 'EPSV', port });
    }
    if ((command === 'PASS' || command === 'USER') && (code === 230 || code === 530)) {
      const login: Extract<FtpEvent, { type: 'login' }> = { type: 'login', success: code === 230 };
      if (this.username !== undefined) login.username = this.username;
      events.push(login);
    }
    if (command === 'AUTH') {
      events.push({ type: 'tls-upgrade', mechanism: this.authMechanism, accepted: code === 234 });
      if (code === 234) {
        this.stop(this.dirs.client);
        this.stop(this.dirs.server);
      }
    }
  }
}

/** Patient data found in what one side sent over an FTP data connection (which segments or tags only). */
export interface FtpDataEvent {
  type: 'patient-data';
  direction: Direction;
  patientData: PayloadPhi;
  /**
   * The `packet` label given to `feed()` with the bytes that hold the first patient identifier, and its
   * `time`: the file is checked when the connection ends, many packets later. Only when the caller labels
   * its bytes.
   */
  packet?: number;
  time?: number;
}

/**
 * One FTP data connection (a file or a listing): the first {@link PAYLOAD_SCAN_LIMIT} bytes each side
 * sends are kept, checked once for HL7 or DICOM patient data, and dropped. Never throws.
 */
export class FtpDataDissector {
  private readonly sides = {
    client: FtpDataDissector.side(),
    server: FtpDataDissector.side(),
  };

  private static side() {
    return {
      chunks: [] as Uint8Array[],
      packets: [] as number[],
      times: [] as number[],
      length: 0,
      scanned: false,
    };
  }

  feed(direction: Direction, bytes: Uint8Array, packet = -1, time = 0): FtpDataEvent[] {
    const side = this.sides[direction];
    if (side.scanned || bytes.length === 0) return [];
    const take = Math.min(bytes.length, PAYLOAD_SCAN_LIMIT - side.length);
    side.chunks.push(bytes.slice(0, take));
    side.packets.push(packet);
    side.times.push(time);
    side.length += take;
    return side.length >= PAYLOAD_SCAN_LIMIT ? this.scan(direction) : [];
  }

  /** At the end of the connection: the sides not yet checked are checked now. */
  end(): FtpDataEvent[] {
    return [...this.scan('client'), ...this.scan('server')];
  }

  private scan(direction: Direction): FtpDataEvent[] {
    const side = this.sides[direction];
    if (side.scanned) return [];
    side.scanned = true;
    const bytes = new Uint8Array(side.length);
    let at = 0;
    // The chunk holding the identifier: the first whose end lies past its offset.
    const ends: number[] = [];
    for (const c of side.chunks) {
      bytes.set(c, at);
      at += c.length;
      ends.push(at);
    }
    side.chunks = [];
    const phi = bytes.length ? findPatientData(bytes) : undefined;
    if (!phi) return [];
    const event: FtpDataEvent = { type: 'patient-data', direction, patientData: phi };
    const i = ends.findIndex((end) => phi.offset < end);
    const packet = side.packets[i] ?? -1;
    if (packet >= 0) {
      event.packet = packet;
      event.time = side.times[i]!;
    }
    return [event];
  }
}
