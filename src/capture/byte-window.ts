/**
 * @module A read window over a stream that arrives in chunks of any size. Readers ask for `n` contiguous
 * bytes at the read position; the window answers from the current chunk without copying whenever the bytes
 * lie inside it, and only stitches the (rare) records that straddle a chunk boundary into a reusable carry
 * buffer. Memory stays bounded by the largest record asked for, whatever the stream size.
 */

const EMPTY = new Uint8Array(0);
const EMPTY_VIEW = new DataView(EMPTY.buffer);

/**
 * Push-driven: the owner calls {@link ByteWindow.push} with the next chunk, normally after
 * {@link ByteWindow.ensure} answered `false` (everything left in the previous chunk has then moved to the
 * carry, so no bytes are copied twice).
 *
 * After a successful `ensure(n)`, `bytes[at … at+n)` (and `view` at the same indices) are the next `n` bytes
 * of the stream. They stay valid until the next `skip`, `ensure` or `push`: callers that keep bytes longer
 * must copy them.
 */
export class ByteWindow {
  /** The buffer holding the bytes at the read position (the current chunk or the carry). */
  bytes: Uint8Array = EMPTY;
  /** A DataView over `bytes` (same indices). */
  view: DataView = EMPTY_VIEW;
  /** Index in `bytes`/`view` of the read position. */
  at = 0;
  /** Absolute offset in the stream of the read position. */
  offset = 0;
  /** No more chunks will come. */
  eof = false;

  private chunk: Uint8Array = EMPTY;
  private chunkView: DataView = EMPTY_VIEW;
  private chunkPos = 0;
  private carry: Uint8Array = EMPTY;
  private carryView: DataView = EMPTY_VIEW;
  private carryStart = 0;
  private carryEnd = 0;
  /** Bytes still to discard from future chunks (a skip past what has arrived so far). */
  private pendingSkip = 0;

  /**
   * Hands the next chunk to the window. The chunk must not be modified while the window uses it. Normally
   * called after `ensure` answered false; if bytes of the previous chunk are still unread they are kept.
   */
  push(chunk: Uint8Array): void {
    if (this.chunkPos < this.chunk.length) {
      this.appendToCarry(this.chunk, this.chunkPos, this.chunk.length);
      this.chunkPos = this.chunk.length;
    }
    let start = 0;
    if (this.pendingSkip > 0) {
      start = Math.min(this.pendingSkip, chunk.length);
      this.pendingSkip -= start;
    }
    this.chunk = chunk;
    // A DataView per chunk (not per record) keeps header reads allocation-free.
    this.chunkView = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.chunkPos = start;
  }

  /** Marks the end of the stream. */
  end(): void {
    this.eof = true;
  }

  /** Bytes available right now at the read position (carry plus the rest of the chunk). */
  available(): number {
    return this.carryEnd - this.carryStart + (this.chunk.length - this.chunkPos);
  }

  /**
   * Makes `n` contiguous bytes available at `bytes[at]`. Returns false when the stream has not delivered
   * them yet: push the next chunk and call again (or, at end of stream, they never will be).
   */
  ensure(n: number): boolean {
    const carried = this.carryEnd - this.carryStart;
    if (carried === 0) {
      if (this.chunkPos + n <= this.chunk.length) {
        this.bytes = this.chunk;
        this.view = this.chunkView;
        this.at = this.chunkPos;
        return true;
      }
      // Straddles the chunk boundary: keep the tail, wait for the next chunk.
      this.appendToCarry(this.chunk, this.chunkPos, this.chunk.length);
      this.chunkPos = this.chunk.length;
      return false;
    }
    if (carried < n) {
      const take = Math.min(n - carried, this.chunk.length - this.chunkPos);
      if (take > 0) {
        this.appendToCarry(this.chunk, this.chunkPos, this.chunkPos + take);
        this.chunkPos += take;
      }
      if (this.carryEnd - this.carryStart < n) return false;
    }
    this.bytes = this.carry;
    this.view = this.carryView;
    this.at = this.carryStart;
    return true;
  }

  /** Advances the read position by `n` bytes, which may lie beyond what has arrived (they are then discarded). */
  skip(n: number): void {
    this.offset += n;
    const carried = this.carryEnd - this.carryStart;
    if (carried > 0) {
      if (n < carried) {
        this.carryStart += n;
        return;
      }
      n -= carried;
      this.carryStart = 0;
      this.carryEnd = 0;
    }
    const inChunk = this.chunk.length - this.chunkPos;
    if (n <= inChunk) {
      this.chunkPos += n;
    } else {
      this.chunkPos = this.chunk.length;
      this.pendingSkip += n - inChunk;
    }
  }

  /** Bytes of a skip that have not arrived yet (a truncated stream leaves them missing). */
  get skipOutstanding(): number {
    return this.pendingSkip;
  }

  private appendToCarry(src: Uint8Array, from: number, to: number): void {
    const len = to - from;
    if (len === 0) return;
    const carried = this.carryEnd - this.carryStart;
    if (this.carryEnd + len > this.carry.length) {
      if (carried + len <= this.carry.length && this.carryStart > 0) {
        this.carry.copyWithin(0, this.carryStart, this.carryEnd);
      } else {
        // Grow geometrically so a run of small chunks does not reallocate each time.
        const grown = new Uint8Array(Math.max(carried + len, this.carry.length * 2, 4096));
        grown.set(this.carry.subarray(this.carryStart, this.carryEnd));
        this.carry = grown;
        this.carryView = new DataView(grown.buffer);
      }
      this.carryStart = 0;
      this.carryEnd = carried;
    }
    this.carry.set(src.subarray(from, to), this.carryEnd);
    this.carryEnd += len;
  }

  /**
   * Releases an oversized carry buffer once it is empty, so one huge record early in a file does not pin its
   * memory for the rest of the run.
   */
  shrink(limit = 1 << 20): void {
    if (this.carryEnd === this.carryStart && this.carry.length > limit) {
      this.carry = EMPTY;
      this.carryView = EMPTY_VIEW;
      this.carryStart = 0;
      this.carryEnd = 0;
    }
  }
}
