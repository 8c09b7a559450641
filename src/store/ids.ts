/**
 * @module Application-generated ids (the same on both dialects, no auto-increment) and timestamps.
 * UUIDv7 (RFC 9562 §5.7) sorts by creation time, which keeps indexes compact and keyset paging stable.
 */
import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// One system call per 256 ids instead of one per id: a large import mints hundreds of thousands.
const POOL_IDS = 256;
const pool = Buffer.alloc(16 * POOL_IDS);
let poolNext = POOL_IDS;

function randomBlock(): Buffer {
  if (poolNext === POOL_IDS) {
    randomFillSync(pool);
    poolNext = 0;
  }
  const b = Buffer.from(pool.subarray(poolNext * 16, poolNext * 16 + 16));
  poolNext++;
  return b;
}

export function newId(now = Date.now()): string {
  // A 12-bit counter in rand_a keeps ids monotonic within the same millisecond.
  if (now <= lastMs) {
    counter++;
    if (counter > 0xfff) {
      lastMs++;
      counter = 0;
    }
    now = lastMs;
  } else {
    lastMs = now;
    counter = 0;
  }
  const b = randomBlock();
  b.writeUIntBE(now, 0, 6);
  b[6] = 0x70 | (counter >> 8);
  b[7] = counter & 0xff;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** UTC ISO-8601 with milliseconds: the one timestamp shape stored in either database. */
export function nowIso(): string {
  return new Date().toISOString();
}
