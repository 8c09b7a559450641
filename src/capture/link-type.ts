/**
 * @module LINKTYPE_* values as they appear in pcap file headers and pcapng Interface Description Blocks.
 *
 * @see https://www.tcpdump.org/linktypes.html
 * @see draft-ietf-opsawg-pcaplinktype (the registry of link types)
 */

export const LinkType = {
  /** BSD loopback: 4-byte address family in the byte order of the capturing host. */
  NULL: 0,
  ETHERNET: 1,
  /** DLT_RAW as written by some old libpcap versions (most write 101). */
  RAW_DLT12: 12,
  /** DLT_RAW on OpenBSD. */
  RAW_DLT14: 14,
  /** Raw IPv4 or IPv6, version from the first nibble. */
  RAW: 101,
  /** OpenBSD loopback: 4-byte address family in network byte order. */
  LOOP: 108,
  /** Linux cooked capture v1 (16-byte header). */
  LINUX_SLL: 113,
  /** Linux netfilter NFLOG (TLV-encoded). */
  NFLOG: 239,
  IPV4: 228,
  IPV6: 229,
  /** Linux cooked capture v2 (20-byte header). */
  LINUX_SLL2: 276,
} as const;

const NAMES: Record<number, string> = {
  0: 'null',
  1: 'ethernet',
  12: 'raw',
  14: 'raw',
  101: 'raw',
  105: 'ieee802_11',
  108: 'loop',
  113: 'linux_sll',
  127: 'ieee802_11_radiotap',
  228: 'ipv4',
  229: 'ipv6',
  239: 'nflog',
  276: 'linux_sll2',
};

/** A short name for messages ("ethernet", "linux_sll2" …), or "linktype-N". */
export function linkTypeName(linkType: number): string {
  return NAMES[linkType] ?? `linktype-${linkType}`;
}
