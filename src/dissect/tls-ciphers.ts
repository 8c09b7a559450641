/**
 * @module What a TLS cipher suite code point means and what is wrong with it. Names come from the
 * generated registry ({@link CIPHER_SUITE_NAMES}); the properties are read from the IANA name itself
 * (`TLS_<key exchange>_WITH_<cipher>_<MAC>`), so a suite added to the registry is classified with no
 * hand-kept table.
 * @see RFC 8447 §8 (registry), RFC 7465 (no RC4), RFC 8996 (TLS 1.0/1.1 deprecated), RFC 8701 (GREASE),
 * @see RFC 7568 (SSL 3.0 deprecated; POODLE against CBC), RFC 6176 (no SSL 2.0), RFC 7457 (attacks summary)
 */
import { CIPHER_SUITE_NAMES } from './tls-cipher-registry.js';

/** SSL 2.0 cipher kinds (3-byte codes), @see draft-hickman-netscape-ssl-00 Appendix C. */
const SSL2_CIPHER_NAMES: ReadonlyMap<number, string> = new Map([
  [0x010080, 'SSL2_RC4_128_WITH_MD5'],
  [0x020080, 'SSL2_RC4_128_EXPORT40_WITH_MD5'],
  [0x030080, 'SSL2_RC2_128_CBC_WITH_MD5'],
  [0x040080, 'SSL2_RC2_128_CBC_EXPORT40_WITH_MD5'],
  [0x050080, 'SSL2_IDEA_128_CBC_WITH_MD5'],
  [0x060040, 'SSL2_DES_64_CBC_WITH_MD5'],
  [0x0700c0, 'SSL2_DES_192_EDE3_CBC_WITH_MD5'],
]);

export type CipherWeakness =
  | 'null'
  | 'export'
  | 'anonymous'
  | 'rc4'
  | 'rc2'
  | 'des'
  | '3des'
  | 'idea'
  | 'md5'
  | 'no-forward-secrecy';

export interface CipherSuiteInfo {
  code: number;
  /** IANA name, or `unknown-0x....` for a code point not in the registry. */
  name: string;
  /** `RSA`, `DHE_RSA`, `ECDHE_ECDSA`, `DH_anon`, `PSK` …; `any` for TLS 1.3 suites. */
  keyExchange: string;
  /** `AES_128_GCM`, `3DES_EDE_CBC`, `RC4_128`, `NULL` … */
  encryption: string;
  /** `SHA`, `SHA256`, `MD5`, or the PRF hash of an AEAD suite. */
  mac: string;
  cbc: boolean;
  aead: boolean;
  forwardSecrecy: boolean;
  /** TLS_EMPTY_RENEGOTIATION_INFO_SCSV / TLS_FALLBACK_SCSV: a signal, not a cipher. */
  signaling: boolean;
  grease: boolean;
  weaknesses: CipherWeakness[];
}

/** RFC 8701: 0x0A0A, 0x1A1A … 0xFAFA. */
export function isGrease(v: number): boolean {
  return (v & 0x0f0f) === 0x0a0a && v >> 8 === (v & 0xff);
}

const cache = new Map<number, CipherSuiteInfo>();

export function cipherSuite(code: number): CipherSuiteInfo {
  let info = cache.get(code);
  if (!info) {
    info = classify(code);
    if (cache.size < 4096) cache.set(code, info);
  }
  return info;
}

function classify(code: number): CipherSuiteInfo {
  const grease = code <= 0xffff && isGrease(code);
  const name =
    (code > 0xffff ? SSL2_CIPHER_NAMES.get(code) : CIPHER_SUITE_NAMES.get(code)) ??
    (grease ? 'GREASE' : `unknown-0x${code.toString(16).padStart(code > 0xffff ? 6 : 4, '0')}`);
  const info: CipherSuiteInfo = {
    code,
    name,
    keyExchange: '',
    encryption: '',
    mac: '',
    cbc: false,
    aead: false,
    forwardSecrecy: false,
    signaling: name.endsWith('_SCSV'),
    grease,
    weaknesses: [],
  };
  if (grease || info.signaling || name.startsWith('unknown-')) return info;

  const body = name.replace(/^(TLS|SSL2?)_/, '');
  const withAt = body.indexOf('_WITH_');
  if (name.startsWith('SSL2_') && withAt >= 0) {
    // SSL 2.0 kinds name the cipher first and always use RSA key transport
    info.keyExchange = 'RSA';
    info.encryption = body.slice(0, withAt);
    info.mac = body.slice(withAt + '_WITH_'.length);
  } else if (withAt >= 0) {
    info.keyExchange = body.slice(0, withAt);
    const rest = body.slice(withAt + '_WITH_'.length).split('_');
    info.mac = rest.length > 1 ? rest.pop()! : '';
    info.encryption = rest.join('_');
  } else if (/^(AES|CHACHA20|SM4)_/.test(body) || /^(SHA256_SHA256|SHA384_SHA384)$/.test(body)) {
    // TLS 1.3: the key exchange is negotiated separately and always ephemeral
    info.keyExchange = 'any';
    const parts = body.split('_');
    info.mac = parts.pop()!;
    info.encryption = parts.join('_');
  } else {
    // non-IANA names without _WITH_ (GM/T SM suites): keep the whole body as the cipher
    info.encryption = body;
  }
  const enc = info.encryption;
  const kx = info.keyExchange;
  info.cbc = /(^|_)CBC(_|$)/.test(enc);
  info.aead = /(GCM|CCM|POLY1305)/.test(enc);
  info.forwardSecrecy = kx === 'any' || /(^|_)(DHE|ECDHE)(_|$)/.test(kx);

  const w = info.weaknesses;
  // NULL encryption, and the integrity-only TLS 1.3 suites of RFC 9150
  if (enc === 'NULL' || enc.startsWith('NULL_') || enc === 'SHA256' || enc === 'SHA384') w.push('null');
  if (/EXPORT/.test(name)) w.push('export');
  if (/(^|_)anon(_|$)/.test(kx) || kx === 'NULL') w.push('anonymous');
  if (/RC4/.test(enc)) w.push('rc4');
  if (/RC2/.test(enc)) w.push('rc2');
  if (/3DES|DES_192_EDE3/.test(enc)) w.push('3des');
  else if (/(^|_)DES(40|_64)?(_|$)/.test(enc)) w.push('des');
  if (/IDEA/.test(enc)) w.push('idea');
  if (info.mac === 'MD5') w.push('md5');
  if (!info.forwardSecrecy && !w.includes('null')) w.push('no-forward-secrecy');
  return info;
}
