import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  feedAll,
  fixtureText,
  fuzzStream,
  loadFollow,
  loadTsv,
  loadZeekLog,
  type Segment,
} from './network-test-fixtures.js';
import {
  type TlsClientHello,
  type TlsEvent,
  type TlsServerHello,
  TlsStreamDissector,
  tlsVersionName,
} from './tls.js';
import type { X509Certificate } from './x509.js';

const run = (segments: Segment[]) => feedAll(new TlsStreamDissector(), segments);
const of = <T extends TlsEvent['type']>(ev: TlsEvent[], type: T) =>
  ev.filter((e): e is Extract<TlsEvent, { type: T }> => e.type === type);
const clientHellos = (ev: TlsEvent[]): TlsClientHello[] => of(ev, 'client-hello').map((e) => e.hello);
const serverHellos = (ev: TlsEvent[]): TlsServerHello[] => of(ev, 'server-hello').map((e) => e.hello);
const chain = (ev: TlsEvent[]): X509Certificate[] => of(ev, 'certificates').flatMap((e) => e.chain);

const SGH = [4, 5, 6, 7, 8].map((s) => [s, loadFollow(`tls/sgh-tls-stream${s}.follow.txt`)] as const);
const sgh = (stream: number) => SGH.find(([s]) => s === stream)![1];
const hex4 = (n: number) => `0x${n.toString(16).padStart(4, '0')}`;
const toVersion = (s: string) => tlsVersionName(Number.parseInt(s, 16));

describe('TlsStreamDissector on the shared capture (curl/openssl ↔ openssl s_server)', () => {
  const rows = loadTsv('tls/sgh-tls.tshark.tsv');

  it('ClientHello fields agree with tshark (versions, suites, SNI, ALPN, groups)', () => {
    for (const [stream, segments] of SGH) {
      const row = rows.find((r) => r['tcp.stream'] === String(stream) && r['tls.handshake.type'] === '1')!;
      const [hello] = clientHellos(run(segments));
      expect(hello!.recordVersion).toBe(toVersion(row['tls.record.version']!));
      expect(hello!.legacyVersion).toBe(toVersion(row['tls.handshake.version']!));
      expect(hello!.supportedVersions?.join(',') ?? '').toBe(
        row['tls.handshake.extensions.supported_version']!.split(',')
          .filter(Boolean)
          .map(toVersion)
          .join(','),
      );
      expect(hello!.cipherSuites.map(hex4).join(',')).toBe(row['tls.handshake.ciphersuite']);
      expect(hello!.sni ?? '').toBe(row['tls.handshake.extensions_server_name']);
      expect(hello!.alpn?.join(',') ?? '').toBe(row['tls.handshake.extensions_alpn_str']);
      expect(hello!.supportedGroups?.map(hex4).join(',') ?? '').toBe(
        row['tls.handshake.extensions_supported_group'],
      );
    }
  });

  it('ServerHello: negotiated version (supported_versions for 1.3) and suite agree with tshark', () => {
    for (const stream of [4, 5, 6, 7]) {
      const row = rows.find(
        (r) => r['tcp.stream'] === String(stream) && r['tls.handshake.type']!.startsWith('2'),
      )!;
      const [hello] = serverHellos(run(sgh(stream)));
      const sv = row['tls.handshake.extensions.supported_version'];
      expect(hello!.version).toBe(toVersion(sv || row['tls.handshake.version']!));
      expect(hex4(hello!.cipherSuite!.code)).toBe(row['tls.handshake.ciphersuite']);
    }
  });

  it(':443 is TLS 1.3 — the server is encrypted right after ServerHello, no certificate is visible', () => {
    const ev = run(sgh(4));
    expect(serverHellos(ev)[0]).toMatchObject({
      version: 'TLS 1.3',
      cipherSuite: { name: 'TLS_AES_256_GCM_SHA384', forwardSecrecy: true },
      weaknesses: [],
      keyShareGroup: 29,
    });
    expect(clientHellos(ev)[0]!.maxVersion).toBe('TLS 1.3');
    expect(of(ev, 'certificates')).toEqual([]);
    expect(
      of(ev, 'encrypted')
        .map((e) => e.direction)
        .sort(),
    ).toEqual(['client', 'server']);
  });

  it(':8443 TLS 1.2 ECDHE: RSA-2048/SHA-256 self-signed certificate as openssl prints it, curve from ServerKeyExchange', () => {
    const ev = run(sgh(5));
    expect(serverHellos(ev)[0]).toMatchObject({
      version: 'TLS 1.2',
      cipherSuite: { code: 0xc030 },
      weaknesses: [],
    });
    expect(of(ev, 'key-exchange')).toEqual([{ type: 'key-exchange', group: 29, groupName: 'x25519' }]);
    const [cert] = chain(ev);
    expectLikeOpenssl(cert!, fixtureText('tls/sgh-tls-stream5.openssl-x509.txt'));
    expect(cert).toMatchObject({ publicKey: { type: 'rsa', bits: 2048 }, selfSigned: true });
  });

  it(':4433 TLS 1.0 with TLS_RSA_WITH_AES_128_CBC_SHA and an RSA-1024/SHA-1 certificate: all flagged', () => {
    for (const stream of [6, 7]) {
      const ev = run(sgh(stream));
      expect(serverHellos(ev)[0]!.weaknesses).toEqual(['tls1.0', 'no-forward-secrecy', 'cbc-with-tls1.0']);
      const [cert] = chain(ev);
      expectLikeOpenssl(cert!, fixtureText('tls/sgh-tls-stream6.openssl-x509.txt'));
      expect(cert!.publicKey).toMatchObject({ type: 'rsa', bits: 1024, exponent: '65537' });
    }
    expect(clientHellos(run(sgh(7)))[0]!.sni).toBeUndefined();
  });

  it('a TLS 1.2-only client refused by the TLS 1.3-only server: alert protocol_version', () => {
    const ev = run(sgh(8));
    expect(of(ev, 'alert')).toEqual([
      { type: 'alert', direction: 'server', level: 2, description: 70, descriptionName: 'protocol_version' },
    ]);
    expect(serverHellos(ev)).toEqual([]);
  });

  it('DICOM-TLS and HL7-over-TLS connections of the shared captures negotiate TLS 1.3', () => {
    for (const f of ['tls/sgh-dicom-tls13.follow.txt', 'tls/sgh-hl7-tls13.follow.txt']) {
      const ev = run(loadFollow(f));
      expect(serverHellos(ev)[0]).toMatchObject({ version: 'TLS 1.3', cipherSuite: { code: 0x1302 } });
      expect(of(ev, 'error')).toEqual([]);
    }
  });
});

/** Compares with `openssl x509 -noout -subject -issuer -startdate -enddate -serial -nameopt RFC2253`. */
function expectLikeOpenssl(cert: X509Certificate, text: string): void {
  const line = (k: string) => new RegExp(`^${k}=(.*)$`, 'm').exec(text)![1]!;
  expect(cert.subject.dn).toBe(line('subject'));
  expect(cert.issuer.dn).toBe(line('issuer'));
  expect(cert.serial).toBe(line('serial'));
  expect(Date.parse(cert.notBefore)).toBe(Date.parse(line('notBefore')));
  expect(Date.parse(cert.notAfter)).toBe(Date.parse(line('notAfter')));
  expect(cert.signatureAlgorithm).toBe(/Signature Algorithm: (\S+)/.exec(text)![1]);
  expect(cert.publicKey.algorithm).toBe(/Public Key Algorithm: (\S+)/.exec(text)![1]);
  expect(cert.publicKey.bits).toBe(Number(/Public-Key: \((\d+) bit\)/.exec(text)![1]));
}

describe('TlsStreamDissector against Zeek’s ssl.log / x509.log', () => {
  it('tls1.2.pcap: TLS 1.2 with RC4-MD5, the three certificates field by field', () => {
    const ev = run(loadFollow('tls/zeek-tls1.2.follow.txt'));
    const [ssl] = loadZeekLog('tls/zeek-tls1.2.ssl.log');
    const [sh] = serverHellos(ev);
    expect(sh!.version).toBe('TLS 1.2');
    expect(sh!.cipherSuite!.name).toBe(ssl!['cipher']);
    expect(sh!.weaknesses).toEqual(['rc4', 'md5', 'no-forward-secrecy']);
    const certs = chain(ev);
    expect(certs.map((c) => c.sha256).join(',')).toBe(ssl!['cert_chain_fps']);
    const x509 = loadZeekLog('tls/zeek-tls1.2.x509.log');
    certs.forEach((c, i) => {
      const z = x509[i]!;
      expect(c.version).toBe(Number(z['certificate.version']));
      expect(c.serial).toBe(z['certificate.serial']);
      expect(c.subject.dn).toBe(z['certificate.subject']);
      expect(c.issuer.dn).toBe(z['certificate.issuer']);
      expect(Date.parse(c.notBefore) / 1000).toBe(Number(z['certificate.not_valid_before']));
      expect(Date.parse(c.notAfter) / 1000).toBe(Number(z['certificate.not_valid_after']));
      expect(c.publicKey.algorithm).toBe(z['certificate.key_alg']);
      expect(c.signatureAlgorithm).toBe(z['certificate.sig_alg']);
      expect(c.publicKey.type).toBe(z['certificate.key_type']);
      expect(String(c.publicKey.bits)).toBe(z['certificate.key_length']);
      expect(c.publicKey.exponent).toBe(z['certificate.exponent']);
      expect(c.subjectAltNames.dns.join(',') || '-').toBe(z['san.dns']);
      expect(c.isCa === undefined ? '-' : c.isCa ? 'T' : 'F').toBe(z['basic_constraints.ca']);
      expect(c.pathLength === undefined ? '-' : String(c.pathLength)).toBe(z['basic_constraints.path_len']);
    });
    expect(certs[2]!.selfSigned).toBe(true);
    expect(certs[0]!.selfSigned).toBe(false);
  });

  it('dhe.pcap: DHE suite with Camellia, certificate fingerprints, DH prime size', () => {
    const ev = run(loadFollow('tls/zeek-dhe.follow.txt'));
    const [ssl] = loadZeekLog('tls/zeek-dhe.ssl.log');
    expect(serverHellos(ev)[0]!.cipherSuite).toMatchObject({ name: ssl!['cipher'], forwardSecrecy: true });
    expect(
      chain(ev)
        .map((c) => c.sha256)
        .join(','),
    ).toBe(ssl!['cert_chain_fps']);
    expect(of(ev, 'key-exchange')[0]!.dhPrimeBits).toBeGreaterThanOrEqual(1024);
  });

  it('tls-expired-cert.pcap: the expiry Zeek’s notice reports', () => {
    const notices = loadZeekLog('tls/zeek-tls-expired-cert.notice.log');
    const streams = ['tls/zeek-tls-expired-cert.follow.txt', 'tls/zeek-tls-expired-cert-1.follow.txt'];
    streams.forEach((f, i) => {
      const [leaf] = chain(run(loadFollow(f)));
      const m =
        /Certificate (.*) (?:expired at|is going to expire at) (\d{4}-\d\d-\d\d)-(\d\d:\d\d:\d\d)/.exec(
          notices[i]!['msg']!,
        )!;
      expect(leaf!.subject.dn).toBe(m[1]!.replace(/\\\\/g, '\\'));
      expect(leaf!.notAfter).toBe(`${m[2]}T${m[3]}Z`);
    });
  });

  it('hrr.pcap: HelloRetryRequest, second ClientHello, then TLS 1.3', () => {
    const ev = run(loadFollow('tls/zeek-hrr.follow.txt'));
    const rows = loadTsv('tls/zeek-hrr.tshark.tsv');
    expect(clientHellos(ev)).toHaveLength(2);
    const sh = serverHellos(ev);
    expect(sh.map((h) => h.helloRetryRequest)).toEqual([true, false]);
    expect(sh[1]!.version).toBe('TLS 1.3');
    const serverRows = rows.filter((r) => r['tls.handshake.type']!.split(',').includes('2'));
    expect(hex4(sh[1]!.cipherSuite!.code)).toBe(
      serverRows[serverRows.length - 1]!['tls.handshake.ciphersuite'],
    );
  });

  it('ssl-v2.pcap: SSL 2.0 hellos, weak ciphers, certificate from SERVER-HELLO', () => {
    const ev = run(loadFollow('tls/zeek-ssl-v2.follow.txt'));
    const [ch] = clientHellos(ev);
    expect(ch).toMatchObject({ recordVersion: 'SSL 2.0', legacyVersion: 'SSL 2.0' });
    expect(ch!.ssl2CipherKinds).toContain(0x0700c0);
    const [sh] = serverHellos(ev);
    expect(sh!.version).toBe('SSL 2.0');
    expect(sh!.weaknesses[0]).toBe('ssl2');
    expect(chain(ev)).toHaveLength(1);
  });

  it('ssl-v2.pcap: SERVER-HELLO only offers cipher kinds; CLIENT-MASTER-KEY names the one in use, as tshark reads them', () => {
    const ev = run(loadFollow('tls/zeek-ssl-v2.follow.txt'));
    const rows = loadTsv('tls/zeek-ssl-v2.cipherspec.tsv');
    const kinds = (type: string) =>
      rows.find((r) => r['tls.handshake.type'] === type)!['tls.handshake.cipherspec'];
    const hex6 = (n: number) => `0x${n.toString(16).padStart(6, '0')}`;
    const [sh] = serverHellos(ev);
    expect(sh!.cipherSuite).toBeUndefined();
    expect(sh!.ssl2CipherKinds!.map(hex6).join(',')).toBe(kinds('4'));
    expect(sh!.weaknesses).toEqual(['ssl2']);
    const [mk] = of(ev, 'client-master-key');
    expect(hex6(mk!.masterKey.cipherSuite.code)).toBe(kinds('2'));
    expect(mk!.masterKey).toMatchObject({
      cipherSuite: { name: 'SSL2_DES_192_EDE3_CBC_WITH_MD5' },
      weaknesses: ['ssl2', '3des', 'md5', 'no-forward-secrecy'],
    });
    expect(of(ev, 'error')).toEqual([]);
  });

  it("SSL 2.0: the client's pick is reported even when it is not the server's first kind", () => {
    // The real CLIENT-MASTER-KEY with its CIPHER-KIND set to the last kind both sides offered
    // (SSL2_RC4_128_EXPORT40_WITH_MD5), as a client preferring export ciphers would send it.
    const segments = loadFollow('tls/zeek-ssl-v2.follow.txt');
    const cmk = segments.findIndex((s) => s.direction === 'client' && s.bytes[2] === 2);
    const bytes = Uint8Array.from(segments[cmk]!.bytes);
    bytes.set([0x02, 0x00, 0x80], 3);
    const ev = run(segments.map((s, i) => (i === cmk ? { ...s, bytes } : s)));
    expect(serverHellos(ev)[0]!.ssl2CipherKinds![0]).toBe(0x0700c0);
    expect(of(ev, 'client-master-key').map((e) => e.masterKey)).toEqual([
      expect.objectContaining({
        cipherSuite: expect.objectContaining({ name: 'SSL2_RC4_128_EXPORT40_WITH_MD5' }),
        weaknesses: ['ssl2', 'export', 'rc4', 'md5', 'no-forward-secrecy'],
      }),
    ]);
    // a kind the client never offered, or ciphertext (after a session-id hit), is no CLIENT-MASTER-KEY
    bytes.set([0x08, 0x00, 0x80], 3);
    expect(of(run(segments.map((s, i) => (i === cmk ? { ...s, bytes } : s))), 'client-master-key')).toEqual(
      [],
    );
    const hit = run(segments.filter((_, i) => i !== cmk)); // next client record: 3-byte header, encrypted
    expect(of(hit, 'client-master-key')).toEqual([]);
    expect(of(hit, 'error')).toEqual([]);
  });

  it('SSL 2.0: CLIENT-HELLO and CLIENT-MASTER-KEY in one segment give the same events', () => {
    const segments = loadFollow('tls/zeek-ssl-v2.follow.txt');
    const client = segments.filter((s) => s.direction === 'client').slice(0, 2);
    const sut = new TlsStreamDissector();
    const ev = sut.feed('client', Buffer.concat(client.map((s) => s.bytes)));
    expect(ev.map((e) => e.type)).toEqual(['client-hello', 'client-master-key']);
  });
});

describe('TlsStreamDissector on odd input', () => {
  it('stops on bytes that are not TLS', () => {
    const sut = new TlsStreamDissector();
    const ev = sut.feed('client', new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expect(ev).toEqual([{ type: 'error', direction: 'client', offset: 0, reason: 'not a TLS record' }]);
    expect(sut.feed('client', Uint8Array.from([22, 3, 1, 0, 4]))).toEqual([]);
  });

  it('reassembles a handshake message split across several records', () => {
    const [hello] = sgh(6).filter((s) => s.direction === 'client');
    const body = hello!.bytes.subarray(5);
    // re-frame the ClientHello into 3-byte records
    const parts: number[] = [];
    for (let i = 0; i < body.length; i += 3) {
      const piece = body.subarray(i, i + 3);
      parts.push(22, 3, 1, 0, piece.length, ...piece);
    }
    const ev = new TlsStreamDissector().feed('client', Uint8Array.from(parts));
    expect(clientHellos(ev)[0]!.sni).toBe('infusion-gw.sgh.example');
  });

  it('SSL 2.0: any bytes after a real CLIENT-HELLO give at most one CLIENT-MASTER-KEY, of a kind offered', () => {
    const hello = loadFollow('tls/zeek-ssl-v2.follow.txt')[0]!.bytes;
    const offered = clientHellos(new TlsStreamDissector().feed('client', hello))[0]!.ssl2CipherKinds!;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 4 }), (chunks) => {
        const sut = new TlsStreamDissector();
        const ev = [hello, ...chunks].flatMap((b) => sut.feed('client', b));
        const keys = of(ev, 'client-master-key');
        expect(keys.length).toBeLessThanOrEqual(1);
        for (const k of keys) expect(offered).toContain(k.masterKey.cipherSuite.code);
      }),
      { numRuns: 300 },
    );
    // well-formed CLIENT-MASTER-KEYs (2- or 3-byte record header), offered kind or not, cut anywhere
    const cmk = fc.record({
      kind: fc.constantFrom(...offered, 0x080080, 0x000004, 0xffffff),
      clear: fc.uint8Array({ maxLength: 20 }),
      encrypted: fc.uint8Array({ maxLength: 300 }),
      keyArg: fc.uint8Array({ maxLength: 16 }),
      padding: fc.option(fc.integer({ min: 0, max: 7 })),
      cut: fc.nat(),
    });
    fc.assert(
      fc.property(cmk, ({ kind, clear, encrypted, keyArg, padding, cut }) => {
        const u16 = (n: number) => [n >> 8, n & 0xff];
        const body = [2, kind >> 16, (kind >> 8) & 0xff, kind & 0xff, ...u16(clear.length)];
        body.push(...u16(encrypted.length), ...u16(keyArg.length), ...clear, ...encrypted, ...keyArg);
        const len = body.length + (padding ?? 0);
        const header = padding === null ? [0x80 | (len >> 8), len & 0xff] : [len >> 8, len & 0xff, padding];
        const record = Uint8Array.from([...header, ...body, ...new Array<number>(padding ?? 0).fill(0)]);
        const sut = new TlsStreamDissector();
        const at = cut % (record.length + 1);
        const ev = [hello, record.subarray(0, at), record.subarray(at)].flatMap((b) => sut.feed('client', b));
        const keys = of(ev, 'client-master-key').map((e) => e.masterKey.cipherSuite.code);
        expect(keys).toEqual(offered.includes(kind) ? [kind] : []);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(
      () => new TlsStreamDissector(),
      [
        ...SGH.map(([, s]) => s),
        loadFollow('tls/zeek-tls1.2.follow.txt'),
        loadFollow('tls/zeek-ssl-v2.follow.txt'),
        loadFollow('tls/zeek-hrr.follow.txt'),
      ],
    );
  });
});
