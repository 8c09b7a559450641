import { describe, expect, it } from 'vitest';
import { fixtureText } from './network-test-fixtures.js';
import { CIPHER_SUITE_NAMES } from './tls-cipher-registry.js';
import { cipherSuite, isGrease } from './tls-ciphers.js';

describe('cipher suite table', () => {
  it('holds every non-GREASE suite tshark knows, under the same name', () => {
    const rows = fixtureText('tls/wireshark-ciphersuites.tsv')
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('\t'));
    for (const [code, name] of rows) {
      if (name!.startsWith('Reserved (GREASE)')) expect(isGrease(Number(code))).toBe(true);
      else expect(cipherSuite(Number(code)).name).toBe(name);
    }
    expect(CIPHER_SUITE_NAMES.size).toBeGreaterThan(350);
  });

  it('flags what RFC 7457 / 7465 / 8996 call weak', () => {
    const w = (code: number) => cipherSuite(code).weaknesses;
    expect(w(0x0000)).toEqual(['null', 'anonymous']);
    expect(w(0x0003)).toEqual(['export', 'rc4', 'md5', 'no-forward-secrecy']);
    expect(w(0x0004)).toEqual(['rc4', 'md5', 'no-forward-secrecy']);
    expect(w(0x000a)).toEqual(['3des', 'no-forward-secrecy']);
    expect(w(0x0009)).toEqual(['des', 'no-forward-secrecy']);
    expect(w(0x0018)).toEqual(['anonymous', 'rc4', 'md5', 'no-forward-secrecy']);
    expect(w(0x002f)).toEqual(['no-forward-secrecy']);
    expect(w(0xc030)).toEqual([]);
    expect(w(0x1301)).toEqual([]);
    expect(w(0xc0b4)).toEqual(['null']);
    expect(w(0x0700c0)).toEqual(['3des', 'md5', 'no-forward-secrecy']);
  });

  it('classifies key exchange, cipher mode and signalling values', () => {
    expect(cipherSuite(0xc030)).toMatchObject({
      keyExchange: 'ECDHE_RSA',
      encryption: 'AES_256_GCM',
      aead: true,
      forwardSecrecy: true,
    });
    expect(cipherSuite(0x0039)).toMatchObject({ keyExchange: 'DHE_RSA', cbc: true, forwardSecrecy: true });
    expect(cipherSuite(0x1302)).toMatchObject({ keyExchange: 'any', aead: true });
    expect(cipherSuite(0x00ff)).toMatchObject({ signaling: true, weaknesses: [] });
    expect(cipherSuite(0x5600)).toMatchObject({ signaling: true });
    expect(cipherSuite(0x2a2a)).toMatchObject({ grease: true, name: 'GREASE' });
    expect(cipherSuite(0xfeee).name).toBe('unknown-0xfeee');
  });
});
