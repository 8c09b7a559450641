/**
 * @module One packet record as the capture readers hand it out: where it is in the file, when it was
 * captured, on which interface and link type, and its bytes.
 */

/**
 * A packet record. **The reader reuses one instance**: every field, and the bytes `data` points into, are
 * valid only until the reader produces the next packet. Copy what you keep (`packet.data.slice()`,
 * `{ ...fields }`). This is what keeps the hot path free of per-packet allocations.
 *
 * Time is `timestampSec` (whole seconds since 1970-01-01 UTC, may be negative) plus `timestampNsec`
 * (0 … 999,999,999), two plain numbers: exact for every resolution a file can carry up to nanoseconds, and
 * cheaper than a bigint. {@link CapturePacket.time} gives float seconds (microsecond precision) when that is
 * enough.
 */
export class CapturePacket {
  /** 1-based packet number in the file, as Wireshark's frame.number (skipped records do not count). */
  index = 0;
  /** Byte offset of the record (pcap record header, pcapng block) in the decompressed stream. */
  offset = 0;
  /** LINKTYPE_* value of the packet's interface (see link-type.ts). */
  linkType = 0;
  /** pcapng interface id within its section; 0 for classic pcap. */
  interfaceId = 0;
  timestampSec = 0;
  timestampNsec = 0;
  /** Bytes present in the file (after snaplen truncation). */
  capturedLength = 0;
  /** Length of the packet on the wire. */
  originalLength = 0;
  /** The buffer holding the packet bytes: `bytes[dataOffset … dataOffset + capturedLength)`. */
  bytes: Uint8Array = new Uint8Array(0);
  dataOffset = 0;

  /** The packet bytes (a view, no copy). Prefer `bytes`/`dataOffset` in hot loops: this allocates a view. */
  get data(): Uint8Array {
    return this.bytes.subarray(this.dataOffset, this.dataOffset + this.capturedLength);
  }

  /** Capture time in float seconds since the epoch (microsecond precision at current dates). */
  get time(): number {
    return this.timestampSec + this.timestampNsec / 1e9;
  }
}
