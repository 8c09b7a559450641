import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';
import { describe, expect, it } from 'vitest';
import { generateTestKey, readFixture, signDetached } from './test-provider.js';
import {
  checkHash,
  loadPublicKeys,
  normaliseFingerprint,
  parseHashFile,
  verifyDetachedSignature,
} from './verify.js';

const realDoc = readFixture('white/2017/icsma-17-241-01.json');
const realSha512 = new TextDecoder().decode(readFixture('white/2017/icsma-17-241-01.json.sha512'));
const realAsc = new TextDecoder().decode(readFixture('white/2017/icsma-17-241-01.json.asc'));
const HEX = createHash('sha256').update('x').digest('hex');

describe('hash files', () => {
  it("CISA's real .sha512 matches the real document byte for byte", () => {
    // Format is `<hex>  icsma-17-241-01.json` with no trailing newline; the document has LF line endings.
    expect(checkHash(realDoc, 'sha512', realSha512, 'icsma-17-241-01.json')).toEqual({ ok: true });
  });

  it('reads sha*sum output, binary-mode marker, bare hex, CRLF and BOM', () => {
    expect(parseHashFile(`${HEX}  a.json\n`, 'sha256', 'a.json')).toEqual({ ok: true, hex: HEX });
    expect(parseHashFile(`${HEX} *a.json\r\n`, 'sha256', 'a.json')).toEqual({ ok: true, hex: HEX });
    expect(parseHashFile(`\uFEFF${HEX.toUpperCase()}\r\n`, 'sha256')).toEqual({ ok: true, hex: HEX });
    expect(parseHashFile(`${HEX}  2024/a.json`, 'sha256', 'a.json')).toEqual({ ok: true, hex: HEX });
  });

  it('refuses empty, garbled, wrong-length or other-file hash files', () => {
    expect(parseHashFile('', 'sha256').ok).toBe(false);
    expect(parseHashFile('<html>404</html>', 'sha256').ok).toBe(false);
    expect(parseHashFile(HEX, 'sha512')).toEqual({
      ok: false,
      reason: 'hash file has 64 hex digits, expected 128',
    });
    expect(parseHashFile(`${HEX}  b.json`, 'sha256', 'a.json').ok).toBe(false);
  });

  it('reports a mismatch with both digests', () => {
    const tampered = new Uint8Array(realDoc);
    tampered[10] = 0x20;
    const r = checkHash(tampered, 'sha512', realSha512, 'icsma-17-241-01.json');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toMatch(/^sha512 mismatch: expected ea73d460/);
  });
});

describe('OpenPGP detached signatures', () => {
  it("parses CISA's real signature and reports no-key without CISA's public key", async () => {
    expect(await verifyDetachedSignature(realDoc, realAsc, [])).toEqual({
      status: 'no-key',
      signingKeyIds: ['cac5ac4f74164b17'],
    });
    const sig = await openpgp.readSignature({ armoredSignature: realAsc });
    // Binary-document signature (type 0x00), SHA-512: CSAF signs the raw file bytes.
    expect(sig.packets[0]?.signatureType).toBe(openpgp.enums.signature.binary);
  });

  it('reports no-key when the only key is a different one', async () => {
    const other = await generateTestKey();
    const keys = (await loadPublicKeys(other.publicArmored)).keys;
    expect((await verifyDetachedSignature(realDoc, realAsc, keys)).status).toBe('no-key');
  });

  it('verifies a binary signature made at test time and rejects tampered bytes', async () => {
    const key = await generateTestKey();
    const asc = await signDetached(key, realDoc);
    const { keys } = await loadPublicKeys(key.publicArmored, key.fingerprint);
    expect(await verifyDetachedSignature(realDoc, asc, keys)).toEqual({
      status: 'verified',
      keyFingerprint: key.fingerprint,
    });
    const tampered = new Uint8Array(realDoc.byteLength + 1);
    tampered.set(realDoc);
    tampered[realDoc.byteLength] = 0x0a;
    const bad = await verifyDetachedSignature(tampered, asc, keys);
    expect(bad.status).toBe('invalid');
  });

  it('verifies a canonical-text signature over CRLF-normalised text', async () => {
    const key = await generateTestKey();
    const text = '{"document": {}}\n';
    const asc = await openpgp.sign({
      message: await openpgp.createMessage({ text }),
      signingKeys: key.privateKey,
      detached: true,
    });
    const { keys } = await loadPublicKeys(key.publicArmored);
    const crlf = new TextEncoder().encode(text.replace('\n', '\r\n'));
    expect((await verifyDetachedSignature(crlf, asc, keys)).status).toBe('verified');
  });

  it('rejects an unreadable signature', async () => {
    const r = await verifyDetachedSignature(realDoc, 'not a signature', []);
    expect(r.status).toBe('invalid');
  });

  it('pins keys to a fingerprint written in any common style', async () => {
    const key = await generateTestKey();
    const spaced = key.fingerprint.toUpperCase().replace(/(.{4})/g, '$1 ');
    expect((await loadPublicKeys(key.publicArmored, spaced)).keys).toHaveLength(1);
    expect((await loadPublicKeys(key.publicArmored, `0x${key.fingerprint}`)).keys).toHaveLength(1);
    const wrong = await loadPublicKeys(key.publicArmored, 'ab'.repeat(20));
    expect(wrong.keys).toEqual([]);
    expect(wrong.problems[0]).toMatch(/does not match pinned fingerprint/);
    expect(normaliseFingerprint(' 0xAB CD ')).toBe('abcd');
    expect((await loadPublicKeys('garbage')).problems[0]).toMatch(/^unreadable OpenPGP key/);
  });
});
