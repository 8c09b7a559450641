/**
 * @module Canonical text for IP addresses held as 32-bit words: dotted quad for IPv4, RFC 5952 for IPv6.
 * Decoders keep addresses as numbers (no string per packet); flows and reports call these once per flow.
 *
 * @see RFC 5952 §4 (text representation recommendation), §5 (IPv4-mapped addresses)
 */

/** Dotted-quad text of an IPv4 address given as an unsigned 32-bit number. */
export function formatIpv4(address: number): string {
  return `${address >>> 24}.${(address >>> 16) & 255}.${(address >>> 8) & 255}.${address & 255}`;
}

const groups = new Array<number>(8);

/**
 * RFC 5952 text of an IPv6 address given as four big-endian 32-bit words: lower-case hex without leading
 * zeros (§4.3), the longest run of two or more zero groups shortened to `::`, the first one on a tie
 * (§4.2), and IPv4-mapped addresses in mixed notation (§5).
 */
export function formatIpv6(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatIpv4(w3)}`;
  groups[0] = w0 >>> 16;
  groups[1] = w0 & 0xffff;
  groups[2] = w1 >>> 16;
  groups[3] = w1 & 0xffff;
  groups[4] = w2 >>> 16;
  groups[5] = w2 & 0xffff;
  groups[6] = w3 >>> 16;
  groups[7] = w3 & 0xffff;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out.length > 0 && !out.endsWith(':')) out += ':';
    out += groups[i]!.toString(16);
  }
  return out;
}

/** Text of an address held as the decoder holds it: IPv4 in `words[0]`, IPv6 in `words[0..3]`. */
export function formatIp(version: number, words: ArrayLike<number>): string {
  if (version === 4) return formatIpv4(words[0]!);
  if (version === 6) return formatIpv6(words[0]!, words[1]!, words[2]!, words[3]!);
  return '';
}
