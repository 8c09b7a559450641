/**
 * @module The per-direction byte buffer of the stream dissectors: bytes arrive in arbitrary chunks, a
 * parser looks at everything not yet consumed, and the buffer refuses to grow past a cap so a peer that
 * never finishes a message cannot make Vigil hold unbounded memory. A chunk that arrives while the
 * queue is empty is parsed in place; only an unfinished tail is copied.
 */

/** Shared by every queue that has not buffered anything yet: most connections never need storage. */
const EMPTY = new Uint8Array(0);

export class ByteQueue {
  private data: Uint8Array = EMPTY;
  private start = 0;
  private end = 0;
  /** The caller's chunk, used in place while the queue held nothing else. */
  private borrowed: Uint8Array | undefined;

  constructor(readonly cap: number) {}

  get length(): number {
    return this.borrowed ? this.borrowed.length - this.start : this.end - this.start;
  }

  /** Appends `bytes`; false (and nothing appended) when that would exceed the cap. */
  push(bytes: Uint8Array): boolean {
    if (bytes.length === 0) return true;
    if (this.length + bytes.length > this.cap) return false;
    if (this.length === 0 && !this.borrowed) {
      this.borrowed = bytes;
      this.start = 0;
      return true;
    }
    this.own();
    const needed = this.end - this.start + bytes.length;
    if (this.end + bytes.length > this.data.length) {
      if (needed <= this.data.length && this.start > 0) {
        this.data.copyWithin(0, this.start, this.end);
      } else {
        const next = new Uint8Array(Math.min(this.cap, Math.max(needed, this.data.length * 2, 256)));
        next.set(this.data.subarray(this.start, this.end));
        this.data = next;
      }
      this.end -= this.start;
      this.start = 0;
    }
    this.data.set(bytes, this.end);
    this.end += bytes.length;
    return true;
  }

  /** How many more bytes fit under the cap. */
  get room(): number {
    return this.cap - this.length;
  }

  /** Appends as much of `bytes` as fits under the cap; returns how many bytes were taken. */
  pushSome(bytes: Uint8Array): number {
    const n = Math.min(this.room, bytes.length);
    if (n > 0) this.push(n === bytes.length ? bytes : bytes.subarray(0, n));
    return n;
  }

  /** Everything not yet consumed (a view: valid until the next push/consume/release). */
  view(): Uint8Array {
    return this.borrowed ? this.borrowed.subarray(this.start) : this.data.subarray(this.start, this.end);
  }

  consume(n: number): void {
    this.start += Math.min(n, this.length);
    if (this.length === 0) this.clear();
  }

  clear(): void {
    this.borrowed = undefined;
    this.start = 0;
    this.end = 0;
  }

  /** Copies a borrowed tail into owned storage: call before returning to the caller, who may reuse its chunk. */
  release(): void {
    if (this.borrowed) this.own();
  }

  private own(): void {
    const b = this.borrowed;
    if (!b) return;
    const rest = b.subarray(this.start);
    this.borrowed = undefined;
    if (this.data.length < rest.length) this.data = new Uint8Array(Math.max(rest.length, 256));
    this.data.set(rest, 0);
    this.start = 0;
    this.end = rest.length;
  }
}

export type Direction = 'client' | 'server';
