/**
 * @module TLS/SSL handshake dissector: records from the two byte streams of a connection, handshake
 * messages reassembled across records, and out of them ClientHello (versions offered, cipher suites,
 * SNI, ALPN, groups), ServerHello (negotiated version incl. TLS 1.3 via supported_versions, chosen
 * suite and what is weak about them) and — while the handshake is still clear text, i.e. TLS ≤ 1.2 —
 * the certificate chain. SSL 2.0 CLIENT-HELLO / SERVER-HELLO / CLIENT-MASTER-KEY are read too. Each
 * direction stops at its ChangeCipherSpec or first encrypted record; the server side of TLS 1.3 right
 * after ServerHello.
 * @see RFC 8446 §4.1.2–4.1.4 (ClientHello, ServerHello, HelloRetryRequest), §4.2.1 (supported_versions), §5.1
 * @see RFC 5246 §6.2.1 (record layer), §7.4 (handshake), §7.4.2 (Certificate), §7.4.3 (ServerKeyExchange)
 * @see RFC 6066 §3 (server_name), RFC 7301 §3.1 (ALPN), RFC 8422 §5.1 (supported_groups), RFC 8701 (GREASE)
 * @see draft-hickman-netscape-ssl-00 (SSL 2.0 record header, CLIENT-HELLO, SERVER-HELLO, CLIENT-MASTER-KEY)
 */
import { ByteCursor, latin1, TRUNCATED, Truncated } from './byte-cursor.js';
import { ByteQueue, type Direction } from './byte-queue.js';
import { type CipherSuiteInfo, type CipherWeakness, cipherSuite, isGrease } from './tls-ciphers.js';
import { parseX509, type X509Certificate } from './x509.js';

export function tlsVersionName(v: number): string {
  switch (v) {
    case 0x0002:
      return 'SSL 2.0';
    case 0x0300:
      return 'SSL 3.0';
    case 0x0301:
      return 'TLS 1.0';
    case 0x0302:
      return 'TLS 1.1';
    case 0x0303:
      return 'TLS 1.2';
    case 0x0304:
      return 'TLS 1.3';
  }
  if (v >> 8 === 0x7f) return `TLS 1.3 draft ${v & 0xff}`;
  return `0x${v.toString(16).padStart(4, '0')}`;
}

/** @see RFC 8446 §4.2.7, RFC 8422 §5.1.1, RFC 7919 */
export const NAMED_GROUPS: Readonly<Record<number, string>> = {
  19: 'secp192r1',
  21: 'secp224r1',
  22: 'secp256k1',
  23: 'secp256r1',
  24: 'secp384r1',
  25: 'secp521r1',
  26: 'brainpoolP256r1',
  27: 'brainpoolP384r1',
  28: 'brainpoolP512r1',
  29: 'x25519',
  30: 'x448',
  256: 'ffdhe2048',
  257: 'ffdhe3072',
  258: 'ffdhe4096',
  259: 'ffdhe6144',
  260: 'ffdhe8192',
  4588: 'X25519MLKEM768',
  25497: 'X25519Kyber768Draft00',
};

/** @see RFC 8446 §6, RFC 5246 §7.2 */
export const ALERT_DESCRIPTIONS: Readonly<Record<number, string>> = {
  0: 'close_notify',
  10: 'unexpected_message',
  20: 'bad_record_mac',
  21: 'decryption_failed',
  22: 'record_overflow',
  30: 'decompression_failure',
  40: 'handshake_failure',
  41: 'no_certificate',
  42: 'bad_certificate',
  43: 'unsupported_certificate',
  44: 'certificate_revoked',
  45: 'certificate_expired',
  46: 'certificate_unknown',
  47: 'illegal_parameter',
  48: 'unknown_ca',
  49: 'access_denied',
  50: 'decode_error',
  51: 'decrypt_error',
  60: 'export_restriction',
  70: 'protocol_version',
  71: 'insufficient_security',
  80: 'internal_error',
  86: 'inappropriate_fallback',
  90: 'user_canceled',
  100: 'no_renegotiation',
  109: 'missing_extension',
  110: 'unsupported_extension',
  112: 'unrecognized_name',
  113: 'bad_certificate_status_response',
  115: 'unknown_psk_identity',
  116: 'certificate_required',
  120: 'no_application_protocol',
};

export interface TlsClientHello {
  /** Version of the record that carried the hello (`SSL 2.0` for an SSLv2-format hello). */
  recordVersion: string;
  legacyVersion: string;
  /** supported_versions extension (GREASE removed), newest first as sent. */
  supportedVersions?: string[];
  /** The newest version offered. */
  maxVersion: string;
  /** Cipher suite code points in the client's order, GREASE removed. */
  cipherSuites: number[];
  /** SSL 2.0 cipher kinds of an SSLv2-format hello (3-byte codes). */
  ssl2CipherKinds?: number[];
  sni?: string;
  alpn?: string[];
  supportedGroups?: number[];
  ecPointFormats?: number[];
  signatureAlgorithms?: number[];
  /** Extension types in order, GREASE removed (with the lists above: what JA3 hashes). */
  extensions: number[];
  compressionMethods: number[];
  /** The client sent GREASE values (RFC 8701), typical of browsers and recent curl/OpenSSL builds. */
  grease: boolean;
}

export type TlsWeakness =
  | 'ssl2'
  | 'ssl3'
  | 'tls1.0'
  | 'tls1.1'
  | CipherWeakness
  | 'cbc-with-ssl3'
  | 'cbc-with-tls1.0';

/**
 * Weaknesses a finding about the negotiated version already covers, or too common to report per server
 * (no forward secrecy): a cipher finding leaves them out. Shared by captures and sensor logs.
 */
export const VERSION_WEAKNESSES: ReadonlySet<string> = new Set<TlsWeakness>([
  'ssl2',
  'ssl3',
  'tls1.0',
  'tls1.1',
  'cbc-with-ssl3',
  'cbc-with-tls1.0',
  'no-forward-secrecy',
]);

export interface TlsServerHello {
  legacyVersion: string;
  /** The version in force: supported_versions when present (TLS 1.3), else the legacy field. */
  version: string;
  /**
   * The suite the server chose. Absent for SSL 2.0, whose SERVER-HELLO only lists the cipher kinds the
   * server accepts (`ssl2CipherKinds`): the client picks one in CLIENT-MASTER-KEY (`client-master-key`).
   */
  cipherSuite?: CipherSuiteInfo;
  /** SSL 2.0: the cipher kinds the server accepts, in its order (an offer, not what is used). */
  ssl2CipherKinds?: number[];
  compressionMethod: number;
  alpn?: string;
  /** key_share group (TLS 1.3) or the group a HelloRetryRequest asks for. */
  keyShareGroup?: number;
  extensions: number[];
  /** A HelloRetryRequest (RFC 8446 §4.1.3): a second ClientHello and ServerHello follow. */
  helloRetryRequest: boolean;
  /** Protocol and suite weaknesses of what was negotiated (for SSL 2.0 the protocol's only). */
  weaknesses: TlsWeakness[];
}

/** SSL 2.0 CLIENT-MASTER-KEY: the cipher kind the client chose from the server's list, the one in use. */
export interface Ssl2ClientMasterKey {
  cipherSuite: CipherSuiteInfo;
  /** `ssl2` and the weaknesses of the chosen cipher. */
  weaknesses: TlsWeakness[];
}

export type TlsEvent =
  | { type: 'client-hello'; hello: TlsClientHello }
  | { type: 'server-hello'; hello: TlsServerHello }
  | { type: 'client-master-key'; masterKey: Ssl2ClientMasterKey }
  /** Certificate chain sent in clear (TLS ≤ 1.2, SSL 2.0); entries that failed to parse are in `errors`. */
  | {
      type: 'certificates';
      direction: Direction;
      chain: X509Certificate[];
      errors: { index: number; reason: string }[];
    }
  /** ServerKeyExchange of (EC)DHE: the curve, or the size of the DH prime. */
  | { type: 'key-exchange'; group?: number; groupName?: string; dhPrimeBits?: number }
  | { type: 'alert'; direction: Direction; level: number; description: number; descriptionName: string }
  /** From here on this direction is encrypted and no longer parsed. */
  | { type: 'encrypted'; direction: Direction }
  /** Not TLS, or broken: this direction is no longer parsed. `offset` counts from the stream start. */
  | { type: 'error'; direction: Direction; offset: number; reason: string };

const MAX_RECORD = 16384 + 2048;
const MAX_HANDSHAKE = 256 * 1024;
/** The ServerHello.random that marks a HelloRetryRequest (RFC 8446 §4.1.3). */
const HRR_RANDOM = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

class TlsDirection {
  readonly records = new ByteQueue(MAX_RECORD + 5);
  readonly handshake = new ByteQueue(MAX_HANDSHAKE + 4);
  offset = 0;
  first = true;
  stopped = false;
  /** Version field of the record that carried the latest handshake bytes. */
  recordVersion = 0;
  /** SSL 2.0 client after its CLIENT-HELLO: the cipher kinds it offered; its next record is read as CLIENT-MASTER-KEY. */
  ssl2Offered: number[] | undefined;
  constructor(readonly direction: Direction) {}
}

/** Follows one TCP connection. Feed each direction's bytes in capture order; never throws. */
export class TlsStreamDissector {
  private readonly dirs = { client: new TlsDirection('client'), server: new TlsDirection('server') };
  /** Negotiated suite (decides how to read ServerKeyExchange). */
  private suite: CipherSuiteInfo | undefined;
  /** The server chose TLS 1.3 (ServerHello or HelloRetryRequest): ChangeCipherSpec is then a dummy. */
  private tls13 = false;

  get done(): boolean {
    return this.dirs.client.stopped && this.dirs.server.stopped;
  }

  feed(direction: Direction, bytes: Uint8Array): TlsEvent[] {
    const d = this.dirs[direction];
    const events: TlsEvent[] = [];
    if (d.stopped) return events;
    try {
      let input = bytes;
      while (!d.stopped) {
        input = input.subarray(d.records.pushSome(input));
        const before = d.records.length;
        this.drain(d, events);
        if (input.length === 0 || d.stopped) break;
        if (d.records.length === before && d.records.room === 0) {
          this.fail(d, events, d.offset, 'record larger than the buffer cap');
        }
      }
    } catch (e) {
      this.fail(d, events, d.offset, `unexpected: ${String(e)}`);
    }
    d.records.release();
    return events;
  }

  private fail(d: TlsDirection, events: TlsEvent[], offset: number, reason: string): void {
    events.push({ type: 'error', direction: d.direction, offset, reason });
    this.stop(d);
  }

  private stop(d: TlsDirection): void {
    d.stopped = true;
    d.records.clear();
    d.handshake.clear();
  }

  private encrypted(d: TlsDirection, events: TlsEvent[]): void {
    events.push({ type: 'encrypted', direction: d.direction });
    this.stop(d);
  }

  private drain(d: TlsDirection, events: TlsEvent[]): void {
    while (!d.stopped) {
      const buf = d.records.view();
      if (d.ssl2Offered) {
        this.ssl2MasterKey(d, buf, events);
        return;
      }
      if (buf.length < 5) {
        if (buf.length >= 1 && !(buf[0]! & 0x80) && (buf[0]! < 20 || buf[0]! > 24)) {
          this.fail(d, events, d.offset, 'not a TLS record');
        }
        return;
      }
      if (d.first && buf[0]! & 0x80) {
        d.first = false;
        this.sslv2(d, buf, events);
        if (d.ssl2Offered && !d.stopped) continue; // CLIENT-MASTER-KEY may be in the same bytes
        return;
      }
      d.first = false;
      const type = buf[0]!;
      const major = buf[1]!;
      const len = (buf[3]! << 8) | buf[4]!;
      if (type < 20 || type > 24 || major !== 3 || len > MAX_RECORD) {
        this.fail(d, events, d.offset, 'not a TLS record');
        return;
      }
      if (buf.length < 5 + len) return;
      const body = buf.subarray(5, 5 + len);
      const at = d.offset;
      d.records.consume(5 + len);
      d.offset += 5 + len;
      switch (type) {
        case 20:
          // TLS 1.3 middlebox compatibility sends a dummy ChangeCipherSpec (RFC 8446 §D.4), even
          // between a HelloRetryRequest and the second ClientHello; before 1.3 it starts encryption
          if (this.tls13) break;
          this.encrypted(d, events);
          return;
        case 23: // application data (TLS 1.3 encrypted handshake, or data)
          this.encrypted(d, events);
          return;
        case 21:
          if (len === 2) {
            events.push({
              type: 'alert',
              direction: d.direction,
              level: body[0]!,
              description: body[1]!,
              descriptionName: ALERT_DESCRIPTIONS[body[1]!] ?? String(body[1]),
            });
          } else {
            this.encrypted(d, events); // an encrypted alert
          }
          break;
        case 22:
          if (d.handshake.length === 0) d.recordVersion = (buf[1]! << 8) | buf[2]!;
          if (!d.handshake.push(body)) {
            this.fail(d, events, at, 'handshake message larger than the buffer cap');
            return;
          }
          this.handshakes(d, events);
          d.handshake.release();
          break;
        default:
          break; // heartbeat (24): ignored
      }
    }
  }

  private handshakes(d: TlsDirection, events: TlsEvent[]): void {
    while (!d.stopped) {
      const hs = d.handshake.view();
      if (hs.length < 4) return;
      const type = hs[0]!;
      const len = (hs[1]! << 16) | (hs[2]! << 8) | hs[3]!;
      if (len > MAX_HANDSHAKE) {
        this.fail(d, events, d.offset, 'handshake message too long');
        return;
      }
      if (hs.length < 4 + len) return;
      const body = hs.subarray(4, 4 + len);
      try {
        this.message(d, type, body, events);
      } catch (e) {
        if (!(e instanceof Truncated)) throw e;
        this.fail(d, events, d.offset, `truncated handshake message type ${type}`);
        return;
      }
      d.handshake.consume(4 + len);
    }
  }

  private message(d: TlsDirection, type: number, body: Uint8Array, events: TlsEvent[]): void {
    switch (type) {
      case 1:
        if (d.direction === 'client') {
          const hello = clientHello(body, 'record');
          hello.recordVersion = tlsVersionName(d.recordVersion);
          events.push({ type: 'client-hello', hello });
        }
        break;
      case 2: {
        if (d.direction !== 'server') break;
        const hello = serverHello(body);
        this.suite = hello.cipherSuite;
        events.push({ type: 'server-hello', hello });
        if (hello.version === 'TLS 1.3' || hello.version.startsWith('TLS 1.3 draft')) {
          this.tls13 = true;
          if (!hello.helloRetryRequest) this.encrypted(d, events);
        }
        break;
      }
      case 11:
        events.push(certificates(d.direction, body));
        break;
      case 12:
        if (d.direction === 'server') {
          const kx = keyExchange(body, this.suite);
          if (kx) events.push(kx);
        }
        break;
      default:
        break;
    }
  }

  /** SSL 2.0 record with a 2-byte header: CLIENT-HELLO (1) or SERVER-HELLO (4). */
  private sslv2(d: TlsDirection, buf: Uint8Array, events: TlsEvent[]): void {
    const len = ((buf[0]! & 0x7f) << 8) | buf[1]!;
    if (buf.length < 2 + len) {
      if (len < 3) this.fail(d, events, d.offset, 'not an SSL 2.0 record');
      else d.first = true; // wait for the whole record
      return;
    }
    const body = buf.subarray(2, 2 + len);
    try {
      if (d.direction === 'client' && body[0] === 1) {
        const hello = clientHello(body, 'ssl2');
        events.push({ type: 'client-hello', hello });
        if (hello.legacyVersion === 'SSL 2.0') {
          // the CLIENT-MASTER-KEY that follows names the cipher actually used (an SSL 3/TLS client that
          // sent an SSLv2-format hello goes on in TLS records: nothing more is read from it, as before)
          d.records.consume(2 + len);
          d.offset += 2 + len;
          d.ssl2Offered = hello.ssl2CipherKinds ?? [];
          return;
        }
      } else if (d.direction === 'server' && body[0] === 4) {
        const { hello, certificate } = ssl2ServerHello(body);
        events.push({ type: 'server-hello', hello });
        if (certificate) events.push(certificates('server', certificate, true));
      } else {
        this.fail(d, events, d.offset, 'not an SSL 2.0 hello');
        return;
      }
    } catch (e) {
      if (!(e instanceof Truncated)) throw e;
      this.fail(d, events, d.offset, 'truncated SSL 2.0 hello');
      return;
    }
    // what follows (the server's encrypted SERVER-VERIFY; an SSL 3/TLS client's next records) tells nothing more
    this.stop(d);
  }

  /**
   * An SSL 2.0 client's record after its CLIENT-HELLO: CLIENT-MASTER-KEY, sent in clear, whose cipher kind
   * is the one the connection uses. After a session-id hit the client sends ciphertext instead, so only a
   * record that is exactly a CLIENT-MASTER-KEY of an offered kind counts; either way the direction stops.
   */
  private ssl2MasterKey(d: TlsDirection, buf: Uint8Array, events: TlsEvent[]): void {
    if (buf.length < 3) return;
    // 2-byte header (high bit set) or 3-byte header with a padding count (§ "SSL Record Header")
    const short = (buf[0]! & 0x80) !== 0;
    const header = short ? 2 : 3;
    const len = short ? ((buf[0]! & 0x7f) << 8) | buf[1]! : ((buf[0]! & 0x3f) << 8) | buf[1]!;
    if (header + len > MAX_RECORD + 5) {
      this.stop(d); // too big to be a CLIENT-MASTER-KEY: ciphertext
      return;
    }
    if (buf.length < header + len) return;
    const padding = short ? 0 : buf[2]!;
    const masterKey =
      padding <= len
        ? clientMasterKey(buf.subarray(header, header + len - padding), d.ssl2Offered!)
        : undefined;
    if (masterKey) events.push({ type: 'client-master-key', masterKey });
    this.stop(d);
  }
}

/** MSG-CLIENT-MASTER-KEY (2), CIPHER-KIND[3], clear/encrypted key and key-arg lengths, then their data. */
function clientMasterKey(body: Uint8Array, offered: readonly number[]): Ssl2ClientMasterKey | undefined {
  if (body.length < 10 || body[0] !== 2) return undefined;
  const c = new ByteCursor(body);
  c.skip(1);
  const kind = c.u24();
  const clear = c.u16();
  const encrypted = c.u16();
  const keyArg = c.u16();
  if (10 + clear + encrypted + keyArg !== body.length || !offered.includes(kind)) return undefined;
  const suite = cipherSuite(kind);
  return { cipherSuite: suite, weaknesses: weaknessesOf(0x0002, suite) };
}

// ---------------------------------------------------------------------------------------------------

function clientHello(body: Uint8Array, format: 'record' | 'ssl2'): TlsClientHello {
  const c = new ByteCursor(body);
  if (format === 'ssl2') {
    c.skip(1); // msg type
    const version = c.u16();
    const specLen = c.u16();
    const sidLen = c.u16();
    const chLen = c.u16();
    const specs = c.sub(specLen);
    c.skip(sidLen + chLen);
    const cipherSuites: number[] = [];
    const kinds: number[] = [];
    while (specs.remaining >= 3) {
      const k = specs.u24();
      if (k >> 16 === 0) cipherSuites.push(k & 0xffff);
      else kinds.push(k);
    }
    const name = tlsVersionName(version);
    return {
      recordVersion: 'SSL 2.0',
      legacyVersion: name,
      maxVersion: name,
      cipherSuites: cipherSuites.filter((x) => !isGrease(x)),
      ssl2CipherKinds: kinds,
      extensions: [],
      compressionMethods: [],
      grease: false,
    };
  }
  const legacy = c.u16();
  c.skip(32);
  c.skip(c.u8());
  // One pass over the suites, GREASE dropped as it is met (one ClientHello per connection).
  const suitesLength = c.u16();
  const suitesEnd = c.pos + suitesLength;
  if (suitesEnd > c.end) throw TRUNCATED;
  const cipherSuites: number[] = [];
  let grease = false;
  for (const b = c.bytes; c.pos + 2 <= suitesEnd; c.pos += 2) {
    const suite = (b[c.pos]! << 8) | b[c.pos + 1]!;
    if (isGrease(suite)) grease = true;
    else cipherSuites.push(suite);
  }
  c.pos = suitesEnd;
  const compressionMethods = Array.from(c.take(c.u8()));
  const hello: TlsClientHello = {
    recordVersion: '',
    legacyVersion: tlsVersionName(legacy),
    maxVersion: tlsVersionName(legacy),
    cipherSuites,
    extensions: [],
    compressionMethods,
    grease,
  };
  let maxOffered = legacy;
  if (c.remaining >= 2) {
    const exts = c.sub(c.u16());
    while (exts.remaining >= 4) {
      const type = exts.u16();
      const e = exts.sub(exts.u16());
      if (isGrease(type)) {
        hello.grease = true;
        continue;
      }
      hello.extensions.push(type);
      switch (type) {
        case 0: {
          const list = e.sub(e.u16());
          while (list.remaining >= 3) {
            const nameType = list.u8();
            const name = list.take(list.u16());
            if (nameType === 0 && hello.sni === undefined) hello.sni = latin1(name);
          }
          break;
        }
        case 16:
          hello.alpn = protocolList(e);
          break;
        case 10:
          hello.supportedGroups = u16List(e.sub(e.u16())).filter((g) => !isGrease(g));
          break;
        case 11:
          hello.ecPointFormats = Array.from(e.take(e.u8()));
          break;
        case 13:
          hello.signatureAlgorithms = u16List(e.sub(e.u16()));
          break;
        case 43: {
          const versions = u16List(e.sub(e.u8()));
          if (versions.some(isGrease)) hello.grease = true;
          const real = versions.filter((v) => !isGrease(v));
          hello.supportedVersions = real.map(tlsVersionName);
          for (const v of real) if (rank(v) > rank(maxOffered)) maxOffered = v;
          break;
        }
      }
    }
  }
  hello.maxVersion = tlsVersionName(maxOffered);
  return hello;
}

/** Orders versions; TLS 1.3 drafts just below 1.3. */
function rank(v: number): number {
  if (v >> 8 === 0x7f) return 0x0303 * 256 + (v & 0xff);
  return v * 256;
}

function u16List(c: ByteCursor): number[] {
  const out: number[] = [];
  while (c.remaining >= 2) out.push(c.u16());
  return out;
}

function protocolList(e: ByteCursor): string[] {
  const list = e.sub(e.u16());
  const out: string[] = [];
  while (list.remaining > 0) out.push(latin1(list.take(list.u8())));
  return out;
}

function serverHello(body: Uint8Array): TlsServerHello {
  const c = new ByteCursor(body);
  const legacy = c.u16();
  const random = c.take(32);
  c.skip(c.u8());
  const suite = cipherSuite(c.u16());
  const compressionMethod = c.u8();
  let version = legacy;
  const hello: TlsServerHello = {
    legacyVersion: tlsVersionName(legacy),
    version: '',
    cipherSuite: suite,
    compressionMethod,
    extensions: [],
    helloRetryRequest: isHelloRetryRandom(random),
    weaknesses: [],
  };
  if (c.remaining >= 2) {
    const exts = c.sub(c.u16());
    while (exts.remaining >= 4) {
      const type = exts.u16();
      const e = exts.sub(exts.u16());
      hello.extensions.push(type);
      if (type === 43 && e.remaining >= 2) version = e.u16();
      else if (type === 16) hello.alpn = protocolList(e)[0];
      else if (type === 51 && e.remaining >= 2) hello.keyShareGroup = e.u16();
    }
  }
  hello.version = tlsVersionName(version);
  hello.weaknesses = weaknessesOf(version, suite);
  return hello;
}

function isHelloRetryRandom(random: Uint8Array): boolean {
  for (let i = 0; i < HRR_RANDOM.length; i++) if (random[i] !== HRR_RANDOM[i]) return false;
  return true;
}

function weaknessesOf(version: number, suite: CipherSuiteInfo): TlsWeakness[] {
  const w: TlsWeakness[] = [];
  if (version === 0x0002) w.push('ssl2');
  else if (version === 0x0300) w.push('ssl3');
  else if (version === 0x0301) w.push('tls1.0');
  else if (version === 0x0302) w.push('tls1.1');
  w.push(...suite.weaknesses);
  if (suite.cbc && version === 0x0300) w.push('cbc-with-ssl3');
  if (suite.cbc && version === 0x0301) w.push('cbc-with-tls1.0');
  return w;
}

function ssl2ServerHello(body: Uint8Array): { hello: TlsServerHello; certificate?: Uint8Array } {
  const c = new ByteCursor(body);
  c.skip(1); // msg type
  c.skip(1); // session id hit
  const certType = c.u8();
  const version = c.u16();
  const certLen = c.u16();
  const specLen = c.u16();
  c.u16(); // connection id length
  const cert = c.take(certLen);
  const specs = c.sub(specLen);
  // the server lists what it accepts; the client picks in CLIENT-MASTER-KEY, so no suite is in force yet
  const kinds: number[] = [];
  while (specs.remaining >= 3) kinds.push(specs.u24());
  const hello: TlsServerHello = {
    legacyVersion: tlsVersionName(version),
    version: tlsVersionName(version),
    ssl2CipherKinds: kinds,
    compressionMethod: 0,
    extensions: [],
    helloRetryRequest: false,
    weaknesses: ['ssl2'],
  };
  return certType === 1 && certLen > 0 ? { hello, certificate: cert } : { hello };
}

/**
 * A server sends the same certificate on every connection: parsed certificates are memoised by their DER
 * bytes (a small bounded cache; the results are plain data and must not be mutated by consumers).
 */
const certCache = new Map<string, ReturnType<typeof parseX509>>();
const CERT_CACHE_MAX = 512;

function parseX509Cached(der: Uint8Array): ReturnType<typeof parseX509> {
  const key = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('latin1');
  let r = certCache.get(key);
  if (r === undefined) {
    r = parseX509(der);
    if (certCache.size >= CERT_CACHE_MAX) certCache.clear();
    certCache.set(key, r);
  }
  return r;
}

function certificates(direction: Direction, body: Uint8Array, single = false): TlsEvent {
  const chain: X509Certificate[] = [];
  const errors: { index: number; reason: string }[] = [];
  const ders: Uint8Array[] = [];
  if (single) ders.push(body);
  else {
    const c = new ByteCursor(body);
    const list = c.sub(c.u24());
    while (list.remaining >= 3) ders.push(list.take(list.u24()));
  }
  ders.forEach((der, index) => {
    const r = parseX509Cached(der);
    if (r.kind === 'ok') chain.push(r.value);
    else errors.push({ index, reason: r.kind === 'error' ? r.reason : 'incomplete' });
  });
  return { type: 'certificates', direction, chain, errors };
}

/** @see RFC 8422 §5.4 (ECDHE: curve_type 3 = named_curve), RFC 5246 §7.4.3 (DHE: p, g, Ys). */
function keyExchange(body: Uint8Array, suite: CipherSuiteInfo | undefined): TlsEvent | undefined {
  if (!suite) return undefined;
  const c = new ByteCursor(body);
  if (/(^|_)ECDHE(_|$)/.test(suite.keyExchange)) {
    if (c.u8() !== 3) return undefined;
    const group = c.u16();
    const ev: Extract<TlsEvent, { type: 'key-exchange' }> = { type: 'key-exchange', group };
    const name = NAMED_GROUPS[group];
    if (name) ev.groupName = name;
    return ev;
  }
  if (/(^|_)DHE(_|$)/.test(suite.keyExchange)) {
    const p = c.take(c.u16());
    let s = 0;
    while (s < p.length && p[s] === 0) s++;
    const bits = s === p.length ? 0 : (p.length - s - 1) * 8 + (32 - Math.clz32(p[s]!));
    return { type: 'key-exchange', dhPrimeBits: bits };
  }
  return undefined;
}
