/**
 * @module SSH dissector: the identification banner of each side (`SSH-2.0-OpenSSH_9.2p1 Debian-2`:
 * protocol version, software version, comments), the clear-text KEXINIT algorithm lists, and the
 * algorithms the two lists negotiate. Everything after KEXINIT is key exchange and then ciphertext;
 * each direction stops there.
 * @see RFC 4253 §4.2 (protocol version exchange), §6 (binary packet), §7.1 (KEXINIT, algorithm negotiation)
 */
import { ByteCursor, latin1, Truncated } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';

export interface SshBanner {
  /** The identification line without CR LF. */
  line: string;
  /** `2.0`, `1.99`, `1.5` … */
  protoVersion: string;
  /** `OpenSSH_9.2p1` */
  softwareVersion: string;
  /** What follows the first space: `Debian-2+deb12u10`. */
  comments?: string;
  /** Product and version split out of softwareVersion where the usual `name_version` form allows. */
  product?: string;
  productVersion?: string;
  /** Lines a server sent before its identification (RFC 4253 §4.2 allows them), at most 16. */
  preamble: string[];
}

export interface SshKexInit {
  kexAlgorithms: string[];
  serverHostKeyAlgorithms: string[];
  encryptionClientToServer: string[];
  encryptionServerToClient: string[];
  macClientToServer: string[];
  macServerToClient: string[];
  compressionClientToServer: string[];
  compressionServerToClient: string[];
  firstKexPacketFollows: boolean;
}

/** The first client algorithm the server also supports, per list (RFC 4253 §7.1). */
export interface SshNegotiated {
  kex?: string;
  hostKey?: string;
  encryptionClientToServer?: string;
  encryptionServerToClient?: string;
  macClientToServer?: string;
  macServerToClient?: string;
  compressionClientToServer?: string;
  compressionServerToClient?: string;
}

export type SshEvent =
  | { type: 'banner'; direction: Direction; banner: SshBanner }
  | { type: 'kexinit'; direction: Direction; kex: SshKexInit }
  /** Once both KEXINITs were seen. */
  | { type: 'negotiated'; algorithms: SshNegotiated }
  /** Not SSH, or broken: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

const MAX_LINE = 1024;
const MAX_PREAMBLE = 16;
const MAX_PACKET = 35000;

/** Parses an identification line (without CR LF). `undefined` when it is not one. */
export function parseSshBanner(line: string, preamble: string[] = []): SshBanner | undefined {
  const m = /^SSH-([^-\s]+)-([^\s]*)(?: (.*))?$/.exec(line);
  if (!m) return undefined;
  const banner: SshBanner = { line, protoVersion: m[1]!, softwareVersion: m[2]!, preamble };
  if (m[3] !== undefined && m[3] !== '') banner.comments = m[3];
  const pv = /^(.*?)[_-](?:Release[_-])?v?(\d[\w.+~-]*)$/i.exec(m[2]!);
  if (pv) {
    banner.product = pv[1]!;
    banner.productVersion = pv[2]!;
  }
  return banner;
}

class SshDirection {
  readonly queue = new ByteQueue(MAX_PACKET + 8);
  state: 'banner' | 'packets' | 'stopped' = 'banner';
  offset = 0;
  preamble: string[] = [];
  kex?: SshKexInit;
  constructor(readonly direction: Direction) {}
  get stopped(): boolean {
    return this.state === 'stopped';
  }
}

/** Follows one TCP connection. Feed each direction's bytes in capture order; never throws. */
export class SshStreamDissector {
  private readonly dirs = { client: new SshDirection('client'), server: new SshDirection('server') };
  private negotiatedSent = false;

  get done(): boolean {
    return this.dirs.client.state === 'stopped' && this.dirs.server.state === 'stopped';
  }

  feed(direction: Direction, bytes: Uint8Array): SshEvent[] {
    const d = this.dirs[direction];
    const events: SshEvent[] = [];
    if (d.state === 'stopped') return events;
    try {
      let input = bytes;
      while (!d.stopped) {
        input = input.subarray(d.queue.pushSome(input));
        const before = d.queue.length;
        this.drain(d, events);
        if (input.length === 0 || d.stopped) break;
        if (d.queue.length === before && d.queue.room === 0)
          this.fail(d, events, 'packet larger than the buffer cap');
      }
    } catch (e) {
      this.fail(d, events, `unexpected: ${String(e)}`);
    }
    d.queue.release();
    return events;
  }

  private fail(d: SshDirection, events: SshEvent[], reason: string): void {
    events.push({ type: 'error', direction: d.direction, offset: d.offset, reason });
    this.stop(d);
  }

  private stop(d: SshDirection): void {
    d.state = 'stopped';
    d.queue.clear();
  }

  private drain(d: SshDirection, events: SshEvent[]): void {
    while (d.state === 'banner') {
      const buf = d.queue.view();
      const lf = buf.indexOf(0x0a);
      if (lf < 0) {
        if (buf.length > MAX_LINE) this.fail(d, events, 'identification line too long');
        else if (buf.length >= 4 && !startsLikeText(buf)) this.fail(d, events, 'not an SSH identification');
        return;
      }
      const line = latin1(buf, 0, lf).replace(/\r$/, '');
      d.queue.consume(lf + 1);
      d.offset += lf + 1;
      const banner = line.startsWith('SSH-') ? parseSshBanner(line, d.preamble) : undefined;
      if (banner) {
        events.push({ type: 'banner', direction: d.direction, banner });
        // SSH 1.x has another packet format; 1.99 means "2.0, and 1.x for old clients"
        d.state =
          banner.protoVersion.startsWith('1.') && banner.protoVersion !== '1.99' ? 'stopped' : 'packets';
        if (d.state === 'stopped') this.stop(d);
      } else if (line.startsWith('SSH-') || d.preamble.length >= MAX_PREAMBLE || !isText(line)) {
        d.offset -= lf + 1;
        this.fail(d, events, 'not an SSH identification');
        return;
      } else {
        d.preamble.push(line);
      }
    }
    while (d.state === 'packets') {
      const buf = d.queue.view();
      if (buf.length < 5) return;
      const c = new ByteCursor(buf);
      const len = c.u32();
      const padding = c.u8();
      if (len > MAX_PACKET || len < padding + 1) {
        this.fail(d, events, 'bad binary packet length');
        return;
      }
      if (buf.length < 4 + len) return;
      const payload = buf.subarray(5, 4 + len - padding);
      if (payload[0] === 20) {
        let kex: SshKexInit;
        try {
          kex = kexInit(payload);
        } catch (e) {
          if (!(e instanceof Truncated)) throw e;
          this.fail(d, events, 'truncated KEXINIT');
          return;
        }
        d.kex = kex;
        events.push({ type: 'kexinit', direction: d.direction, kex });
        this.maybeNegotiated(events);
      }
      // after KEXINIT come the key exchange and ciphertext: nothing more to learn here
      d.offset += 4 + len;
      this.stop(d);
    }
  }

  private maybeNegotiated(events: SshEvent[]): void {
    const c = this.dirs.client.kex;
    const s = this.dirs.server.kex;
    if (!c || !s || this.negotiatedSent) return;
    this.negotiatedSent = true;
    events.push({ type: 'negotiated', algorithms: negotiate(c, s) });
  }
}

function startsLikeText(b: Uint8Array): boolean {
  for (let i = 0; i < Math.min(b.length, 16); i++) {
    const x = b[i]!;
    if (x !== 0x09 && x !== 0x0d && (x < 0x20 || x > 0x7e)) return false;
  }
  return true;
}

function isText(s: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: rejecting binary preamble lines
  return !/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/.test(s);
}

/** @see RFC 4253 §7.1 */
function kexInit(payload: Uint8Array): SshKexInit {
  const c = new ByteCursor(payload, 17); // message number + 16-byte cookie
  const list = () => {
    const s = latin1(c.take(c.u32()));
    return s === '' ? [] : s.split(',');
  };
  const kex: SshKexInit = {
    kexAlgorithms: list(),
    serverHostKeyAlgorithms: list(),
    encryptionClientToServer: list(),
    encryptionServerToClient: list(),
    macClientToServer: list(),
    macServerToClient: list(),
    compressionClientToServer: list(),
    compressionServerToClient: list(),
    firstKexPacketFollows: false,
  };
  list(); // languages client to server
  list(); // languages server to client
  kex.firstKexPacketFollows = c.u8() !== 0;
  return kex;
}

/** @see RFC 4253 §7.1: the first algorithm on the client's list that the server also lists. */
export function negotiate(client: SshKexInit, server: SshKexInit): SshNegotiated {
  const pick = (a: string[], b: string[]) => a.find((x) => b.includes(x));
  const out: SshNegotiated = {};
  const set = (k: keyof SshNegotiated, v: string | undefined) => {
    if (v !== undefined) out[k] = v;
  };
  set('kex', pick(client.kexAlgorithms, server.kexAlgorithms));
  set('hostKey', pick(client.serverHostKeyAlgorithms, server.serverHostKeyAlgorithms));
  set('encryptionClientToServer', pick(client.encryptionClientToServer, server.encryptionClientToServer));
  set('encryptionServerToClient', pick(client.encryptionServerToClient, server.encryptionServerToClient));
  set('macClientToServer', pick(client.macClientToServer, server.macClientToServer));
  set('macServerToClient', pick(client.macServerToClient, server.macServerToClient));
  set('compressionClientToServer', pick(client.compressionClientToServer, server.compressionClientToServer));
  set('compressionServerToClient', pick(client.compressionServerToClient, server.compressionServerToClient));
  return out;
}
