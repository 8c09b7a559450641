/**
 * @module MAC addresses as plain numbers (48 bits fit a double exactly), so the decoder allocates nothing
 * per packet; `formatMac` gives the usual lower-case colon text once per flow or device.
 */

/** The 48-bit address at `bytes[offset…offset+6)` as a number. */
export function readMac(bytes: Uint8Array, offset: number): number {
  return (
    ((bytes[offset]! << 8) | bytes[offset + 1]!) * 4294967296 +
    (((bytes[offset + 2]! << 24) |
      (bytes[offset + 3]! << 16) |
      (bytes[offset + 4]! << 8) |
      bytes[offset + 5]!) >>>
      0)
  );
}

/** `aa:bb:cc:dd:ee:ff` for a number from {@link readMac}; empty string for a negative (absent) address. */
export function formatMac(mac: number): string {
  if (mac < 0) return '';
  const hi = Math.floor(mac / 4294967296);
  const lo = mac >>> 0;
  const hex = (n: number) => (n < 16 ? '0' : '') + n.toString(16);
  return `${hex(hi >>> 8)}:${hex(hi & 255)}:${hex(lo >>> 24)}:${hex((lo >>> 16) & 255)}:${hex((lo >>> 8) & 255)}:${hex(lo & 255)}`;
}

/** Group bit set: multicast or broadcast destination. */
export function isMulticastMac(mac: number): boolean {
  return mac >= 0 && (Math.floor(mac / 1099511627776) & 1) === 1;
}
