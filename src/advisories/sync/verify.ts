/**
 * @module Integrity checks for CSAF documents fetched from a trusted provider: the `.sha256`/`.sha512` hash
 * files next to each document and the detached OpenPGP signature (`.asc`), with key-fingerprint pinning from
 * `provider-metadata.json`.
 * @see CSAF 2.0 §7.1.18 (hashes), §7.1.19 (signatures), §7.1.20 (public_openpgp_keys)
 *   https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#7118-requirement-18-integrity
 */
import { createHash } from 'node:crypto';
import * as openpgp from 'openpgp';

export type HashAlgorithm = 'sha256' | 'sha512';

const HEX_LENGTH: Record<HashAlgorithm, number> = { sha256: 64, sha512: 128 };

export function digestHex(algorithm: HashAlgorithm, bytes: Uint8Array): string {
  return createHash(algorithm).update(bytes).digest('hex');
}

export function sha256Hex(bytes: Uint8Array): string {
  return digestHex('sha256', bytes);
}

export type ParsedHashFile = { ok: true; hex: string } | { ok: false; reason: string };

/**
 * Reads a hash file in `sha512sum` style (`<hex>  <filename>`, `<hex> *<filename>`) or a bare hex digest.
 * When `expectedFileName` is given and the file names another file, that is an error: a provider that serves
 * the wrong hash file must not make a document look verified.
 */
export function parseHashFile(
  text: string,
  algorithm: HashAlgorithm,
  expectedFileName?: string,
): ParsedHashFile {
  const line = text
    .replace(/^\uFEFF/, '')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => l.length > 0);
  if (line === undefined) return { ok: false, reason: 'empty hash file' };
  const match = /^([0-9a-fA-F]+)(?:\s+\*?(.+))?$/.exec(line);
  if (!match) return { ok: false, reason: 'unreadable hash file' };
  const hex = match[1]!.toLowerCase();
  if (hex.length !== HEX_LENGTH[algorithm]) {
    return { ok: false, reason: `hash file has ${hex.length} hex digits, expected ${HEX_LENGTH[algorithm]}` };
  }
  const named = match[2]?.trim();
  if (named !== undefined && expectedFileName !== undefined) {
    const base = named.split('/').pop();
    if (base !== expectedFileName)
      return { ok: false, reason: `hash file names ${named}, not ${expectedFileName}` };
  }
  return { ok: true, hex };
}

export type HashCheck = { ok: true } | { ok: false; reason: string };

export function checkHash(
  bytes: Uint8Array,
  algorithm: HashAlgorithm,
  hashFileText: string,
  fileName?: string,
): HashCheck {
  const parsed = parseHashFile(hashFileText, algorithm, fileName);
  if (!parsed.ok) return parsed;
  const actual = digestHex(algorithm, bytes);
  return actual === parsed.hex
    ? { ok: true }
    : { ok: false, reason: `${algorithm} mismatch: expected ${parsed.hex}, got ${actual}` };
}

/** Normalises a fingerprint as written in provider metadata (spaces, lower/upper case, `0x`) for comparison. */
export function normaliseFingerprint(fingerprint: string): string {
  return fingerprint.replace(/\s+/g, '').replace(/^0x/i, '').toLowerCase();
}

export interface LoadedKeys {
  keys: openpgp.PublicKey[];
  problems: string[];
}

/**
 * Reads armored public keys. With `pinnedFingerprint` (from provider metadata) only a key with that primary
 * fingerprint is kept, so a compromised key URL cannot substitute a different key.
 */
export async function loadPublicKeys(
  armored: string,
  pinnedFingerprint?: string | null,
): Promise<LoadedKeys> {
  let read: openpgp.Key[];
  try {
    read = await openpgp.readKeys({ armoredKeys: armored });
  } catch (err) {
    return { keys: [], problems: [`unreadable OpenPGP key: ${errorMessage(err)}`] };
  }
  const keys: openpgp.PublicKey[] = [];
  const problems: string[] = [];
  const pin = pinnedFingerprint ? normaliseFingerprint(pinnedFingerprint) : null;
  for (const key of read) {
    const pub = key.isPrivate() ? key.toPublic() : (key as openpgp.PublicKey);
    const fp = pub.getFingerprint().toLowerCase();
    if (pin !== null && fp !== pin) {
      problems.push(`key ${fp} does not match pinned fingerprint ${pin}`);
      continue;
    }
    keys.push(pub);
  }
  if (read.length > 0 && keys.length === 0 && problems.length === 0) problems.push('no usable key');
  return { keys, problems };
}

export type SignatureCheck =
  | { status: 'verified'; keyFingerprint: string }
  | { status: 'no-key'; signingKeyIds: string[] }
  | { status: 'invalid'; reason: string };

/**
 * Verifies a detached signature over the document's raw bytes. CSAF providers sign the file as served
 * (binary signature, type 0x00); a canonical-text signature (type 0x01) is verified over the UTF-8 text so
 * line-ending normalisation applies as OpenPGP defines it.
 */
export async function verifyDetachedSignature(
  bytes: Uint8Array,
  armoredSignature: string,
  keys: readonly openpgp.PublicKey[],
): Promise<SignatureCheck> {
  let signature: openpgp.Signature;
  try {
    signature = await openpgp.readSignature({ armoredSignature });
  } catch (err) {
    return { status: 'invalid', reason: `unreadable signature: ${errorMessage(err)}` };
  }
  const signingIds = signature.getSigningKeyIDs();
  const signingKeyIds = signingIds.map((id) => id.toHex());
  const matching = keys.filter((key) =>
    key.getKeyIDs().some((kid) => signingIds.some((sid) => sid.equals(kid))),
  );
  if (matching.length === 0) return { status: 'no-key', signingKeyIds };
  const isText = signature.packets[0]?.signatureType === openpgp.enums.signature.text;
  try {
    const result = isText
      ? await openpgp.verify({
          message: await openpgp.createMessage({ text: new TextDecoder().decode(bytes) }),
          signature,
          verificationKeys: matching,
        })
      : await openpgp.verify({
          message: await openpgp.createMessage({ binary: bytes }),
          signature,
          verificationKeys: matching,
          format: 'binary',
        });
    for (const sig of result.signatures) {
      try {
        await sig.verified;
        const key = matching.find((k) => k.getKeyIDs().some((kid) => kid.equals(sig.keyID)));
        return { status: 'verified', keyFingerprint: key?.getFingerprint() ?? sig.keyID.toHex() };
      } catch (err) {
        return { status: 'invalid', reason: `bad signature: ${errorMessage(err)}` };
      }
    }
    return { status: 'invalid', reason: 'signature has no signature packets' };
  } catch (err) {
    return { status: 'invalid', reason: `bad signature: ${errorMessage(err)}` };
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
