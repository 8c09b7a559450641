/**
 * @module Whether a text is an age public key Vigil encrypts backups to (`backupRecipients`,
 * `--recipient`), checked without loading the age library: the configuration is read by every command,
 * and `age-encryption` with its curves took about a tenth of a second of each start-up. The bech32
 * checksum (BIP-173, as age-encryption.org/v1 encodes X25519 recipients) is a few lines; the library
 * still does all encryption, and its tests compare the two on real and altered keys.
 *
 * @see https://github.com/bitcoin/bips/blob/master/bip-0173.mediawiki (bech32: charset, checksum)
 */

const X25519_RECIPIENT = /^age1[02-9ac-hj-np-z]{58}$/;
const CHARSET = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';
const GENERATOR = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];

function polymod(values: readonly number[]): number {
  let chk = 1;
  for (const v of values) {
    const top = chk >>> 25;
    chk = ((chk & 0x1ffffff) << 5) ^ v;
    for (let i = 0; i < 5; i++) if ((top >>> i) & 1) chk ^= GENERATOR[i]!;
  }
  return chk;
}

/** A lower-case `age1…` text of the right length: its checksum holds and it carries 32 bytes exactly. */
function validX25519Bech32(value: string): boolean {
  const hrp = 'age';
  const data = [...value.slice(hrp.length + 1)].map((c) => CHARSET.indexOf(c));
  if (data.some((d) => d < 0)) return false;
  const expanded = [...hrp].map((c) => c.charCodeAt(0) >> 5);
  expanded.push(0, ...[...hrp].map((c) => c.charCodeAt(0) & 31));
  if (polymod([...expanded, ...data]) !== 1) return false;
  // 52 five-bit groups before the 6 of the checksum: 260 bits, the key's 256 and 4 bits of zero padding.
  return (data[51]! & 0b1111) === 0;
}

/**
 * Why `value` is not a recipient Vigil encrypts to, or null when it is one. The reason names the value,
 * except when it is a secret key pasted by mistake: that is never repeated (it would reach logs).
 */
export function ageRecipientProblem(value: string): string | null {
  // First: an X25519 key's data may itself begin with "pq" or "tag" (1 in 1,024 keys age-keygen makes).
  if (X25519_RECIPIENT.test(value) && validX25519Bech32(value)) return null;
  if (/^AGE-SECRET-KEY-/i.test(value))
    return 'a secret key (AGE-SECRET-KEY-…) was given as a recipient: give its public key (age1…, printed by age-keygen) and keep the secret key off this server';
  if (/^(ssh-|ecdsa-)/.test(value))
    return `"${abbreviate(value)}" is an SSH public key: Vigil encrypts to age keys only (age1…, made with age-keygen)`;
  if (/^age1(pq|tag)1/.test(value))
    return `"${abbreviate(value)}" is a post-quantum or tag recipient, which only age 1.3 or newer decrypts: use an X25519 key (age1…, made with age-keygen)`;
  return `"${abbreviate(value)}" is not an age public key (age1 followed by 58 letters and digits, as age-keygen prints)`;
}

/** `age1abcdefgh…uvwxyz`: enough to tell keys apart on a screen. */
export function abbreviate(recipient: string): string {
  return recipient.length > 24 ? `${recipient.slice(0, 12)}…${recipient.slice(-6)}` : recipient;
}
