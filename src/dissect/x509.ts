/**
 * @module A minimal DER walk of one X.509 certificate: subject and issuer, validity, public key
 * algorithm and size (RSA modulus bits, EC curve), signature algorithm, subject alternative names,
 * basic constraints and whether it is self-signed. Enough for certificate findings; no chain
 * validation, no signature check. Names print like OpenSSL's RFC 2253 form (as Zeek's x509.log does).
 * @see RFC 5280 §4.1 (Certificate, TBSCertificate), §4.1.2.4 (Name), §4.1.2.5 (Validity), §4.2.1.6 (SAN)
 * @see RFC 4514 §2 (string form of a DN), X.690 §8–10 (BER/DER), RFC 3279 / RFC 5480 (key and curve OIDs)
 */
import { createHash } from 'node:crypto';
import { children, DerError, expectTag, oid, readTlv, type Tlv } from './ber.js';
import { hex, ipv4, ipv6, latin1, utf8 } from './byte-cursor.js';
import { malformed, ok, type ParseResult } from './parse-result.js';

export interface X509Name {
  /** RFC 2253 order (last RDN first), e.g. `CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital`. */
  dn: string;
  commonName?: string;
  organization?: string;
  organizationalUnit?: string;
  country?: string;
}

export type PublicKeyType = 'rsa' | 'ec' | 'dsa' | 'ed25519' | 'ed448' | 'x25519' | 'x448' | 'dh' | 'unknown';

export interface X509PublicKey {
  /** OpenSSL's name for the algorithm OID (`rsaEncryption`, `id-ecPublicKey` …) or the dotted OID. */
  algorithm: string;
  type: PublicKeyType;
  /** RSA modulus / DSA p bits, EC field size, Ed25519 = 256. */
  bits?: number;
  /** EC named curve (OpenSSL short name, e.g. `prime256v1`). */
  curve?: string;
  /** RSA public exponent, decimal. */
  exponent?: string;
}

export interface X509Certificate {
  /** 1, 2 or 3. */
  version: number;
  /** Upper-case hex without leading zero bytes (as Zeek and OpenSSL print it). */
  serial: string;
  signatureAlgorithm: string;
  issuer: X509Name;
  subject: X509Name;
  /** ISO 8601 UTC, e.g. `2026-11-28T23:54:32Z`. */
  notBefore: string;
  notAfter: string;
  publicKey: X509PublicKey;
  /** Subject and issuer names are byte-for-byte equal. */
  selfSigned: boolean;
  subjectAltNames: { dns: string[]; ip: string[]; email: string[]; uri: string[] };
  /** Basic constraints cA flag, when the extension is present. */
  isCa?: boolean;
  pathLength?: number;
  /** SHA-256 of the DER (the fingerprint Zeek logs). */
  sha256: string;
}

export type CertificateProblem = 'expired' | 'not-yet-valid' | 'self-signed' | 'weak-key' | 'weak-signature';

/**
 * Problems worth a finding, judged at `atMs` (the capture time, not the wall clock).
 * Weak key: RSA/DSA/DH under 2048 bits, EC under 224. Weak signature: MD2, MD5 or SHA-1.
 */
export function certificateProblems(cert: X509Certificate, atMs: number): CertificateProblem[] {
  const out: CertificateProblem[] = [];
  if (Date.parse(cert.notAfter) < atMs) out.push('expired');
  if (Date.parse(cert.notBefore) > atMs) out.push('not-yet-valid');
  if (cert.selfSigned) out.push('self-signed');
  const { type, bits } = cert.publicKey;
  if (
    bits !== undefined &&
    (((type === 'rsa' || type === 'dsa' || type === 'dh') && bits < 2048) || (type === 'ec' && bits < 224))
  )
    out.push('weak-key');
  if (/md2|md5|sha-?1(?!\d)/i.test(cert.signatureAlgorithm)) out.push('weak-signature');
  return out;
}

// ---------------------------------------------------------------------------------------------------

const ATTRIBUTE_NAMES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.15': 'businessCategory',
  '2.5.4.17': 'postalCode',
  '2.5.4.42': 'GN',
  '2.5.4.43': 'initials',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.65': 'pseudonym',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'emailAddress',
  '0.9.2342.19200300.100.1.1': 'UID',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
};

const ALGORITHM_NAMES: Readonly<Record<string, string>> = {
  '1.2.840.113549.1.1.1': 'rsaEncryption',
  '1.2.840.113549.1.1.2': 'md2WithRSAEncryption',
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.14': 'sha224WithRSAEncryption',
  '1.3.14.3.2.29': 'sha1WithRSA',
  '1.2.840.10045.2.1': 'id-ecPublicKey',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
  '1.2.840.10045.4.3.1': 'ecdsa-with-SHA224',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10040.4.1': 'dsaEncryption',
  '1.2.840.10040.4.3': 'dsaWithSHA1',
  '2.16.840.1.101.3.4.3.1': 'dsa_with_SHA224',
  '2.16.840.1.101.3.4.3.2': 'dsa_with_SHA256',
  '1.2.840.10046.2.1': 'dhpublicnumber',
  '1.3.101.110': 'X25519',
  '1.3.101.111': 'X448',
  '1.3.101.112': 'ED25519',
  '1.3.101.113': 'ED448',
};

const KEY_TYPES: Readonly<Record<string, PublicKeyType>> = {
  '1.2.840.113549.1.1.1': 'rsa',
  '1.2.840.113549.1.1.10': 'rsa',
  '1.2.840.10045.2.1': 'ec',
  '1.2.840.10040.4.1': 'dsa',
  '1.2.840.10046.2.1': 'dh',
  '1.3.101.110': 'x25519',
  '1.3.101.111': 'x448',
  '1.3.101.112': 'ed25519',
  '1.3.101.113': 'ed448',
};

/** Named curves: OpenSSL short name and field size in bits. */
const CURVES: Readonly<Record<string, [string, number]>> = {
  '1.2.840.10045.3.1.1': ['prime192v1', 192],
  '1.3.132.0.33': ['secp224r1', 224],
  '1.2.840.10045.3.1.7': ['prime256v1', 256],
  '1.3.132.0.34': ['secp384r1', 384],
  '1.3.132.0.35': ['secp521r1', 521],
  '1.3.132.0.10': ['secp256k1', 256],
  '1.3.36.3.3.2.8.1.1.7': ['brainpoolP256r1', 256],
  '1.3.36.3.3.2.8.1.1.11': ['brainpoolP384r1', 384],
  '1.3.36.3.3.2.8.1.1.13': ['brainpoolP512r1', 512],
};

/** Parses one DER-encoded certificate. Never throws. */
export function parseX509(der: Uint8Array): ParseResult<X509Certificate> {
  try {
    const cert = readTlv(der, 0, der.length);
    if (cert.tag !== 0x30) return malformed(0, 'certificate is not a SEQUENCE');
    return ok(parseCertificate(der, cert), cert.end);
  } catch (e) {
    if (e instanceof DerError) return malformed(0, e.message);
    return malformed(0, `unexpected: ${String(e)}`);
  }
}

function parseCertificate(b: Uint8Array, cert: Tlv): X509Certificate {
  const [tbs, sigAlg] = children(b, cert);
  const fields = children(b, expectTag(tbs, 0x30, 'TBSCertificate'));
  let i = 0;
  let version = 1;
  if (fields[0]?.tag === 0xa0) {
    const [v] = children(b, fields[0]);
    version = integerValue(b, expectTag(v, 0x02, 'version')) + 1;
    i++;
  }
  const serialT = expectTag(fields[i++], 0x02, 'serialNumber');
  i++; // TBS signature algorithm: the outer one is the same and is the one reported
  const issuerT = expectTag(fields[i++], 0x30, 'issuer');
  const validity = children(b, expectTag(fields[i++], 0x30, 'validity'));
  const subjectT = expectTag(fields[i++], 0x30, 'subject');
  const spki = expectTag(fields[i++], 0x30, 'subjectPublicKeyInfo');
  const out: X509Certificate = {
    version,
    serial: serialHex(b, serialT),
    signatureAlgorithm: algorithmName(b, expectTag(sigAlg, 0x30, 'signatureAlgorithm')),
    issuer: nameOf(b, issuerT),
    subject: nameOf(b, subjectT),
    notBefore: timeOf(b, validity[0]),
    notAfter: timeOf(b, validity[1]),
    publicKey: publicKeyOf(b, spki),
    selfSigned: sameBytes(b, issuerT, subjectT),
    subjectAltNames: { dns: [], ip: [], email: [], uri: [] },
    sha256: createHash('sha256').update(b.subarray(cert.header, cert.end)).digest('hex'),
  };
  for (; i < fields.length; i++) {
    if (fields[i]!.tag === 0xa3) readExtensions(b, fields[i]!, out);
  }
  return out;
}

function integerValue(b: Uint8Array, t: Tlv): number {
  let v = 0;
  for (let i = t.start; i < t.end && i < t.start + 6; i++) v = v * 256 + b[i]!;
  return v;
}

function serialHex(b: Uint8Array, t: Tlv): string {
  let s = t.start;
  while (s < t.end - 1 && b[s] === 0) s++;
  return hex(b, s, t.end).toUpperCase();
}

function algorithmName(b: Uint8Array, algId: Tlv): string {
  const [o] = children(b, algId);
  const id = oid(b, expectTag(o, 0x06, 'algorithm OID'));
  return ALGORITHM_NAMES[id] ?? id;
}

function sameBytes(b: Uint8Array, x: Tlv, y: Tlv): boolean {
  const lx = x.end - x.header;
  if (lx !== y.end - y.header) return false;
  for (let k = 0; k < lx; k++) if (b[x.header + k] !== b[y.header + k]) return false;
  return true;
}

function stringValue(b: Uint8Array, t: Tlv): string {
  switch (t.tag) {
    case 0x0c: // UTF8String
      return utf8(b, t.start, t.end);
    case 0x1e: {
      // BMPString: UTF-16BE
      let s = '';
      for (let i = t.start; i + 1 < t.end; i += 2) s += String.fromCharCode((b[i]! << 8) | b[i + 1]!);
      return s;
    }
    case 0x1c: {
      // UniversalString: UTF-32BE
      let s = '';
      for (let i = t.start; i + 3 < t.end; i += 4) {
        const cp = ((b[i]! << 24) | (b[i + 1]! << 16) | (b[i + 2]! << 8) | b[i + 3]!) >>> 0;
        s += cp <= 0x10ffff ? String.fromCodePoint(cp) : '\ufffd';
      }
      return s;
    }
    case 0x13: // PrintableString
    case 0x16: // IA5String
    case 0x1a: // VisibleString
    case 0x12: // NumericString
    case 0x14: // TeletexString: treated as Latin-1, as OpenSSL does
      return latin1(b, t.start, t.end);
    default:
      return `#${hex(b, t.header, t.end)}`;
  }
}

/** @see RFC 4514 §2.4: escape `, + " \ < > ;`, a leading `#` or space and a trailing space. */
function escapeDnValue(v: string): string {
  let s = v.replace(/[,+"\\<>;]/g, (c) => `\\${c}`);
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

function nameOf(b: Uint8Array, name: Tlv): X509Name {
  const rdns: string[] = [];
  const out: X509Name = { dn: '' };
  for (const rdn of children(b, name)) {
    const parts: string[] = [];
    for (const atv of children(b, expectTag(rdn, 0x31, 'RelativeDistinguishedName'))) {
      const [typeT, valueT] = children(b, expectTag(atv, 0x30, 'AttributeTypeAndValue'));
      const type = oid(b, expectTag(typeT, 0x06, 'attribute type'));
      if (!valueT) throw new DerError('attribute without value');
      const value = stringValue(b, valueT);
      const short = ATTRIBUTE_NAMES[type] ?? type;
      parts.push(`${short}=${escapeDnValue(value)}`);
      // the first value of each kind, as most tools show it
      if (short === 'CN') out.commonName ??= value;
      else if (short === 'O') out.organization ??= value;
      else if (short === 'OU') out.organizationalUnit ??= value;
      else if (short === 'C') out.country ??= value;
    }
    rdns.push(parts.join('+'));
  }
  out.dn = rdns.reverse().join(',');
  return out;
}

/** UTCTime (two-digit year: 50–99 → 19xx, RFC 5280 §4.1.2.5.1) or GeneralizedTime → ISO 8601 UTC. */
function timeOf(b: Uint8Array, t: Tlv | undefined): string {
  if (!t || (t.tag !== 0x17 && t.tag !== 0x18)) throw new DerError('expected a Time');
  const s = latin1(b, t.start, t.end);
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:Z|[+-]\d{4})$/.exec(s)
      : /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.\d+)?Z?$/.exec(s);
  if (!m) throw new DerError(`bad time ${s}`);
  let year = m[1]!;
  if (t.tag === 0x17) year = `${Number(year) >= 50 ? '19' : '20'}${year}`;
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? '00'}Z`;
}

function bitLength(b: Uint8Array, start: number, end: number): number {
  let s = start;
  while (s < end && b[s] === 0) s++;
  if (s === end) return 0;
  return (end - s - 1) * 8 + (32 - Math.clz32(b[s]!));
}

function publicKeyOf(b: Uint8Array, spki: Tlv): X509PublicKey {
  const [algId, keyBits] = children(b, spki);
  const algParts = children(b, expectTag(algId, 0x30, 'AlgorithmIdentifier'));
  const id = oid(b, expectTag(algParts[0], 0x06, 'key algorithm'));
  const key: X509PublicKey = { algorithm: ALGORITHM_NAMES[id] ?? id, type: KEY_TYPES[id] ?? 'unknown' };
  const bits = expectTag(keyBits, 0x03, 'subjectPublicKey');
  const keyStart = bits.start + 1; // skip the unused-bits byte
  const params = algParts[1];
  switch (key.type) {
    case 'rsa': {
      const seq = readTlv(b, keyStart, bits.end);
      const [modulus, exponent] = children(b, expectTag(seq, 0x30, 'RSAPublicKey'));
      const n = expectTag(modulus, 0x02, 'modulus');
      key.bits = bitLength(b, n.start, n.end);
      const e = expectTag(exponent, 0x02, 'publicExponent');
      key.exponent =
        e.end - e.start <= 6 ? String(integerValue(b, e)) : BigInt(`0x${hex(b, e.start, e.end)}`).toString();
      break;
    }
    case 'ec': {
      if (params?.tag === 0x06) {
        const curveOid = oid(b, params);
        const known = CURVES[curveOid];
        key.curve = known?.[0] ?? curveOid;
        if (known) key.bits = known[1];
      }
      break;
    }
    case 'dsa':
    case 'dh': {
      if (params?.tag === 0x30) {
        const [p] = children(b, params);
        if (p?.tag === 0x02) key.bits = bitLength(b, p.start, p.end);
      }
      break;
    }
    case 'ed25519':
    case 'x25519':
      key.bits = 256;
      break;
    case 'ed448':
    case 'x448':
      key.bits = 448;
      break;
  }
  return key;
}

function readExtensions(b: Uint8Array, wrapper: Tlv, out: X509Certificate): void {
  const [list] = children(b, wrapper);
  for (const ext of children(b, expectTag(list, 0x30, 'Extensions'))) {
    const parts = children(b, expectTag(ext, 0x30, 'Extension'));
    const id = oid(b, expectTag(parts[0], 0x06, 'extnID'));
    const value = parts[parts.length - 1];
    if (value?.tag !== 0x04) continue;
    try {
      if (id === '2.5.29.17') readSan(b, readTlv(b, value.start, value.end), out);
      else if (id === '2.5.29.19') {
        const seq = readTlv(b, value.start, value.end);
        const items = children(b, expectTag(seq, 0x30, 'BasicConstraints'));
        out.isCa = items[0]?.tag === 0x01 && b[items[0].start] !== 0;
        const pl = items.find((t) => t.tag === 0x02);
        if (pl) out.pathLength = integerValue(b, pl);
      }
    } catch (e) {
      // a broken extension does not spoil the rest of the certificate
      if (!(e instanceof DerError)) throw e;
    }
  }
}

function readSan(b: Uint8Array, seq: Tlv, out: X509Certificate): void {
  const san = out.subjectAltNames;
  for (const gn of children(b, expectTag(seq, 0x30, 'GeneralNames'))) {
    switch (gn.tag) {
      case 0x81:
        san.email.push(latin1(b, gn.start, gn.end));
        break;
      case 0x82:
        san.dns.push(latin1(b, gn.start, gn.end));
        break;
      case 0x86:
        san.uri.push(latin1(b, gn.start, gn.end));
        break;
      case 0x87:
        if (gn.end - gn.start === 4) san.ip.push(ipv4(b, gn.start));
        else if (gn.end - gn.start === 16) san.ip.push(ipv6(b, gn.start));
        break;
    }
  }
}
