/**
 * @module SMB dissector over NetBIOS session service / direct TCP framing (ports 139/445): which SMB
 * dialects a client offers, which one the server picks (and so whether SMB1 is in use), the server
 * GUID and signing requirements, and the SMB1 Session Setup strings (NativeOS, NativeLanMan, primary
 * domain) that identify old Windows and Samba builds. Messages other than these are skipped unbuffered;
 * an SMB3 transform header (encrypted traffic) stops the direction.
 * @see RFC 1002 §4.3 (NetBIOS session service), [MS-SMB2] §2.1 (direct TCP), §2.2.1 (header),
 * @see [MS-SMB2] §2.2.3–2.2.4 (NEGOTIATE), §2.2.41 (transform header); [MS-CIFS] §2.2.3.1 (SMB header),
 * @see [MS-CIFS] §2.2.4.52 (SMB_COM_NEGOTIATE), §2.2.4.53 (SESSION_SETUP_ANDX); [MS-SMB] §2.2.4.5–2.2.4.6
 */
import { ByteCursor, latin1, Truncated } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';

export type SmbProtocol = 'smb1' | 'smb2';

export type SmbEvent =
  /** Dialects offered: SMB1 dialect strings (`NT LM 0.12`, `SMB 2.002`) or SMB2 revisions (`3.1.1`). */
  | { type: 'negotiate-request'; protocol: SmbProtocol; dialects: string[] }
  | {
      type: 'negotiate-response';
      protocol: SmbProtocol;
      /** The dialect chosen (`NT LM 0.12`, `2.1`, `3.1.1`, `2.???` for the SMB2 wildcard). */
      dialect: string;
      /** SMB1 was negotiated for this connection. */
      smb1InUse: boolean;
      /** MS-DTYP GUID text (fields little-endian), when the server sent one. */
      serverGuid?: string;
      signingEnabled: boolean;
      signingRequired: boolean;
      /** SMB1 without extended security: the server's domain and name. */
      domain?: string;
      serverName?: string;
    }
  /** SMB1 Session Setup AndX strings; from the client in requests, from the server in responses. */
  | {
      type: 'session-setup';
      direction: Direction;
      nativeOs?: string;
      nativeLanMan?: string;
      primaryDomain?: string;
    }
  /** SMB3 encryption (transform header): nothing more can be read in this direction. */
  | { type: 'encrypted'; direction: Direction }
  /** Not SMB framing: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

const SMB2_DIALECTS: Readonly<Record<number, string>> = {
  514: '2.0.2',
  528: '2.1',
  546: '2.2.2',
  548: '2.2.4',
  767: '2.???',
  768: '3.0',
  770: '3.0.2',
  784: '3.1',
  785: '3.1.1',
};

const MAX_PARSED = 64 * 1024;
const MAX_FRAME = 0xffffff;

const dialectName = (v: number) => SMB2_DIALECTS[v] ?? `0x${v.toString(16).padStart(4, '0')}`;

/** MS-DTYP §2.3.4.2 GUID text: Data1..3 little-endian, Data4 as bytes. */
export function guidText(b: Uint8Array, off: number): string {
  const h = (i: number) => b[off + i]!.toString(16).padStart(2, '0');
  const le = (idx: number[]) => idx.map(h).join('');
  return `${le([3, 2, 1, 0])}-${le([5, 4])}-${le([7, 6])}-${le([8, 9])}-${le([10, 11, 12, 13, 14, 15])}`;
}

class SmbDirection {
  readonly queue = new ByteQueue(MAX_PARSED + 4);
  offset = 0;
  stopped = false;
  /** Bytes of an oversized message still to skip. */
  skip = 0;
  constructor(readonly direction: Direction) {}
}

/** Follows one SMB connection. Feed each direction's bytes in capture order; never throws. */
export class SmbStreamDissector {
  private readonly dirs = { client: new SmbDirection('client'), server: new SmbDirection('server') };
  /** SMB1 dialect strings of the last SMB1 NEGOTIATE request (the response answers by index). */
  private offered: string[] = [];

  get done(): boolean {
    return this.dirs.client.stopped && this.dirs.server.stopped;
  }

  feed(direction: Direction, bytes: Uint8Array): SmbEvent[] {
    const d = this.dirs[direction];
    const events: SmbEvent[] = [];
    if (d.stopped) return events;
    try {
      this.process(d, bytes, events);
    } catch (e) {
      this.fail(d, events, `unexpected: ${String(e)}`);
    }
    d.queue.release();
    return events;
  }

  private fail(d: SmbDirection, events: SmbEvent[], reason: string): void {
    events.push({ type: 'error', direction: d.direction, offset: d.offset, reason });
    this.stop(d);
  }

  private stop(d: SmbDirection): void {
    d.stopped = true;
    d.queue.clear();
  }

  private process(d: SmbDirection, bytes: Uint8Array, events: SmbEvent[]): void {
    let input = bytes;
    for (;;) {
      if (d.stopped) return;
      if (d.skip > 0 && d.queue.length === 0) {
        const n = Math.min(d.skip, input.length);
        d.skip -= n;
        d.offset += n;
        input = input.subarray(n);
        if (input.length === 0) return;
        continue;
      }
      // never more than the cap at once: a frame fits in it, larger ones are skipped below
      if (input.length > 0) input = input.subarray(d.queue.pushSome(input));
      const buf = d.queue.view();
      if (buf.length < 4) return;
      const type = buf[0]!;
      const len = ((buf[1]! & 0xff) << 16) | (buf[2]! << 8) | buf[3]!;
      if (type === 0x85 || type === 0x81 || type === 0x82 || type === 0x83 || type === 0x84) {
        // keepalive / session request and replies (port 139): small, nothing to learn
        if (len > 1024) {
          this.fail(d, events, 'bad NetBIOS session packet');
          return;
        }
        if (buf.length < 4 + len) return;
        d.queue.consume(4 + len);
        d.offset += 4 + len;
        continue;
      }
      if (type !== 0 || len > MAX_FRAME) {
        this.fail(d, events, 'not NetBIOS session service framing');
        return;
      }
      if (buf.length >= 8 && !isSmbMagic(buf, 4)) {
        this.fail(d, events, 'not an SMB message');
        return;
      }
      if (len > MAX_PARSED) {
        // too big to be a negotiate or session setup: look at its protocol id, skip the rest
        if (buf.length < 8) return;
        if (buf[4] === 0xfd) {
          this.encrypted(d, events);
          return;
        }
        const have = Math.min(buf.length - 4, len);
        d.queue.consume(4 + have);
        d.offset += 4 + have;
        d.skip = len - have;
        continue;
      }
      if (buf.length < 4 + len) return;
      const msg = buf.subarray(4, 4 + len);
      d.queue.consume(4 + len);
      d.offset += 4 + len;
      if (msg[0] === 0xfd) {
        this.encrypted(d, events);
        return;
      }
      try {
        this.message(d, msg, events);
      } catch (e) {
        if (!(e instanceof Truncated)) throw e;
        // a short or odd message: skipped, the framing is still fine
      }
    }
  }

  private encrypted(d: SmbDirection, events: SmbEvent[]): void {
    events.push({ type: 'encrypted', direction: d.direction });
    this.stop(d);
  }

  private message(d: SmbDirection, msg: Uint8Array, events: SmbEvent[]): void {
    if (msg.length < 4) return;
    if (msg[0] === 0xff) this.smb1(d, msg, events);
    else if (msg[0] === 0xfe) this.smb2(msg, events);
  }

  private smb1(d: SmbDirection, msg: Uint8Array, events: SmbEvent[]): void {
    const h = new ByteCursor(msg);
    h.skip(4);
    const command = h.u8();
    h.skip(4); // status
    const flags = h.u8();
    const flags2 = h.u16le();
    h.skip(20);
    const response = (flags & 0x80) !== 0;
    const unicode = (flags2 & 0x8000) !== 0;
    const wc = h.u8();
    const words = h.sub(wc * 2);
    const byteCount = h.u16le();
    const data = h.sub(Math.min(byteCount, h.remaining));
    if (command === 0x72 && !response) {
      const dialects: string[] = [];
      while (data.remaining > 1) {
        if (data.u8() !== 0x02) break;
        const start = data.pos;
        let end = start;
        while (end < data.end && msg[end] !== 0) end++;
        dialects.push(latin1(msg, start, end));
        data.pos = Math.min(end + 1, data.end);
      }
      this.offered = dialects;
      events.push({ type: 'negotiate-request', protocol: 'smb1', dialects });
    } else if (command === 0x72 && response) {
      const index = words.u16le();
      const dialect = index === 0xffff ? 'none' : (this.offered[index] ?? `index ${index}`);
      const ev: Extract<SmbEvent, { type: 'negotiate-response' }> = {
        type: 'negotiate-response',
        protocol: 'smb1',
        dialect,
        smb1InUse: index !== 0xffff && !dialect.startsWith('SMB 2'),
        signingEnabled: false,
        signingRequired: false,
      };
      if (wc >= 17) {
        const securityMode = words.u8();
        ev.signingEnabled = (securityMode & 0x04) !== 0;
        ev.signingRequired = (securityMode & 0x08) !== 0;
        words.skip(2 + 2 + 4 + 4 + 4);
        const capabilities = words.u32le();
        words.skip(8 + 2);
        const challengeLength = words.u8();
        if (capabilities & 0x80000000) {
          if (data.remaining >= 16) ev.serverGuid = guidText(msg, data.pos);
        } else {
          data.skip(challengeLength);
          const domain = smbString(msg, data, unicode);
          const server = smbString(msg, data, unicode);
          if (domain) ev.domain = domain;
          if (server) ev.serverName = server;
        }
      }
      events.push(ev);
    } else if (command === 0x73) {
      this.sessionSetup(d, msg, response, unicode, wc, words, data, events);
    }
  }

  private sessionSetup(
    d: SmbDirection,
    msg: Uint8Array,
    response: boolean,
    unicode: boolean,
    wc: number,
    words: ByteCursor,
    data: ByteCursor,
    events: SmbEvent[],
  ): void {
    if (!response && wc === 12) {
      // extended security: the blob, then NativeOS and NativeLanMan
      words.skip(4 + 2 + 2 + 2 + 4);
      data.skip(words.u16le());
    } else if (!response && wc === 13) {
      // the (possibly clear-text) passwords are skipped by length, never read
      words.skip(4 + 2 + 2 + 2 + 4);
      const oem = words.u16le();
      const uni = words.u16le();
      data.skip(oem + uni);
      smbString(msg, data, unicode); // account name
      smbString(msg, data, unicode); // primary domain of the account
    } else if (response && wc === 4) {
      words.skip(4 + 2);
      data.skip(words.u16le());
    } else if (!(response && wc === 3)) {
      return;
    }
    const ev: Extract<SmbEvent, { type: 'session-setup' }> = {
      type: 'session-setup',
      direction: d.direction,
    };
    const os = smbString(msg, data, unicode);
    const lanman = smbString(msg, data, unicode);
    const domain = response ? smbString(msg, data, unicode) : undefined;
    if (os) ev.nativeOs = os;
    if (lanman) ev.nativeLanMan = lanman;
    if (domain) ev.primaryDomain = domain;
    if (os || lanman || domain) events.push(ev);
  }

  private smb2(msg: Uint8Array, events: SmbEvent[]): void {
    const h = new ByteCursor(msg);
    h.skip(4);
    if (h.u16le() !== 64) return;
    h.skip(2 + 4);
    const command = h.u16le();
    h.skip(2);
    const flags = h.u32le();
    if (command !== 0) return;
    const body = new ByteCursor(msg, 64);
    const size = body.u16le();
    if (!(flags & 1)) {
      if (size !== 36) return;
      const count = body.u16le();
      body.skip(2 + 2 + 4 + 16 + 8);
      const dialects: string[] = [];
      for (let i = 0; i < count && body.remaining >= 2; i++) dialects.push(dialectName(body.u16le()));
      events.push({ type: 'negotiate-request', protocol: 'smb2', dialects });
      return;
    }
    if (size !== 65) return;
    const securityMode = body.u16le();
    const revision = body.u16le();
    body.skip(2);
    events.push({
      type: 'negotiate-response',
      protocol: 'smb2',
      dialect: dialectName(revision),
      smb1InUse: false,
      serverGuid: guidText(msg, body.pos),
      signingEnabled: (securityMode & 0x01) !== 0,
      signingRequired: (securityMode & 0x02) !== 0,
    });
  }
}

function isSmbMagic(b: Uint8Array, off: number): boolean {
  const p = b[off]!;
  return (
    (p === 0xff || p === 0xfe || p === 0xfd || p === 0xfc) &&
    b[off + 1] === 0x53 &&
    b[off + 2] === 0x4d &&
    b[off + 3] === 0x42
  );
}

/**
 * A NUL-terminated string at the cursor: UTF-16LE (aligned to an even offset from the SMB header,
 * [MS-CIFS] §2.2.3.1) or OEM/ASCII. Moves the cursor past it; undefined at the end of the data.
 */
function smbString(msg: Uint8Array, c: ByteCursor, unicode: boolean): string | undefined {
  if (c.remaining <= 0) return undefined;
  if (unicode) {
    if (c.pos % 2 === 1) c.skip(1);
    let s = '';
    while (c.remaining >= 2) {
      const u = c.u16le();
      if (u === 0) return s;
      if (s.length < 256) s += String.fromCharCode(u);
    }
    return s;
  }
  let end = c.pos;
  while (end < c.end && msg[end] !== 0) end++;
  const s = latin1(msg, c.pos, Math.min(end, c.pos + 256));
  c.pos = Math.min(end + 1, c.end);
  return s;
}
