import { describe, expect, it } from 'vitest';
import { feedAll, fixtureBytes, fuzzDatagram, loadFollow } from './network-test-fixtures.js';
import { TlsStreamDissector } from './tls.js';
import { certificateProblems, parseX509, type X509Certificate } from './x509.js';

const parsed = (file: string): X509Certificate => {
  const r = parseX509(fixtureBytes(file));
  if (r.kind !== 'ok') throw new Error(JSON.stringify(r));
  return r.value;
};

const PACS = 'tls/sgh-tls-stream5-server-cert.der';
const INFUSION = 'tls/sgh-tls-stream6-server-cert.der';

describe('parseX509 (field-by-field agreement with openssl and Zeek is in tls.test.ts)', () => {
  it('reads the whole DER and its parts', () => {
    const der = fixtureBytes(PACS);
    const r = parseX509(der);
    expect(r).toMatchObject({ kind: 'ok', consumed: der.length });
    expect(parsed(PACS)).toMatchObject({
      version: 3,
      subject: {
        commonName: 'pacs.sgh.example',
        organization: 'Springfield General Hospital',
        organizationalUnit: 'Radiology',
      },
      publicKey: { algorithm: 'rsaEncryption', type: 'rsa', bits: 2048, exponent: '65537' },
      selfSigned: true,
    });
  });

  it('names the certificate problems worth a finding, judged at capture time', () => {
    const captured = Date.parse('2026-11-29T00:00:00Z');
    expect(certificateProblems(parsed(INFUSION), captured)).toEqual([
      'self-signed',
      'weak-key',
      'weak-signature',
    ]);
    expect(certificateProblems(parsed(PACS), captured)).toEqual(['self-signed']);
    expect(certificateProblems(parsed(PACS), Date.parse('2030-01-01T00:00:00Z'))).toContain('expired');
    expect(certificateProblems(parsed(PACS), Date.parse('2020-01-01T00:00:00Z'))).toContain('not-yet-valid');
  });

  it('an expired leaf of Zeek’s tls-expired-cert.pcap is expired at its capture time (2014-03)', () => {
    const ev = feedAll(new TlsStreamDissector(), loadFollow('tls/zeek-tls-expired-cert.follow.txt'));
    const leaf = ev.flatMap((e) => (e.type === 'certificates' ? e.chain : []))[0]!;
    expect(certificateProblems(leaf, Date.parse('2014-04-10T00:00:00Z'))).toContain('expired');
  });

  it('rejects what is not a certificate; never throws on random or mutated DER', () => {
    expect(parseX509(Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x05]))).toMatchObject({ kind: 'error' });
    expect(parseX509(Uint8Array.from([0x30, 0x84, 0x7f, 0xff, 0xff, 0xff]))).toMatchObject({ kind: 'error' });
    fuzzDatagram(parseX509, [fixtureBytes(PACS), fixtureBytes(INFUSION)]);
  });
});
