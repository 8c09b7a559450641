/**
 * @module A flow table keyed by the IP 5-tuple, the same entry for both directions, with least-recently-used
 * order for idle eviction and a size cap. Lookups hash the addresses as numbers straight from the decoded
 * packet: no key string, no allocation per packet.
 */
import type { DecodedPacket } from '../decode/decoded-packet.js';

/**
 * What the table needs on every entry. Endpoint A is the source of the packet that created the entry; the
 * `forward` answer of {@link FlowTable.find} says whether a packet goes A→B.
 */
export abstract class FlowEntry {
  /** 4 or 6. */
  ipVersion = 0;
  /** @internal */ a0 = 0;
  /** @internal */ a1 = 0;
  /** @internal */ a2 = 0;
  /** @internal */ a3 = 0;
  /** @internal */ b0 = 0;
  /** @internal */ b1 = 0;
  /** @internal */ b2 = 0;
  /** @internal */ b3 = 0;
  /** @internal */ portA = 0;
  /** @internal */ portB = 0;
  /** @internal */ hash = 0;
  /** @internal next entry with the same hash */ bucketNext: FlowEntry | null = null;
  /** @internal */ lruPrev: FlowEntry | null = null;
  /** @internal */ lruNext: FlowEntry | null = null;
  /** @internal which LRU list holds the entry (-1: none) */ list = -1;
  /** Capture time (float seconds) of the last packet. */
  lastTime = 0;
}

/** Mixes one endpoint (address words and port) into 32 bits; the flow hash adds both ends, so A↔B is symmetric. */
function endpointHash(w: Uint32Array, port: number): number {
  let h = Math.imul(port ^ 0x5bd1e995, 0x9e3779b1);
  h = Math.imul(h ^ w[0]!, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ w[1]!, 0xc2b2ae35);
  h ^= h >>> 16;
  h = Math.imul(h ^ w[2]!, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h ^ w[3]!, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * `lists` separate LRU orders (e.g. open and closed connections, which expire after different idle times);
 * each list is ordered by last use, oldest first.
 */
export class FlowTable<F extends FlowEntry> {
  size = 0;
  /** Set by {@link FlowTable.find}: the packet goes from endpoint A to B. */
  forward = true;
  private readonly buckets = new Map<number, F>();
  private readonly heads: (F | null)[];
  private readonly tails: (F | null)[];
  private lastHash = 0;

  constructor(lists = 1) {
    this.heads = new Array<F | null>(lists).fill(null);
    this.tails = new Array<F | null>(lists).fill(null);
  }

  /** The flow of a decoded packet (IP and ports set), or null. Remembers the hash for {@link FlowTable.insert}. */
  find(d: DecodedPacket, protocol: number): F | null {
    const s = d.srcIp;
    const t = d.dstIp;
    // Keep keys within V8's small-integer range so Map lookups never box a number.
    const h = ((endpointHash(s, d.srcPort) + endpointHash(t, d.dstPort)) ^ protocol) & 0x3fffffff;
    this.lastHash = h;
    let f = this.buckets.get(h) ?? null;
    const sp = d.srcPort;
    const dp = d.dstPort;
    const v = d.ipVersion;
    while (f !== null) {
      if (f.ipVersion === v) {
        if (
          f.portA === sp &&
          f.portB === dp &&
          f.a0 === s[0] &&
          f.b0 === t[0] &&
          f.a1 === s[1] &&
          f.a2 === s[2] &&
          f.a3 === s[3] &&
          f.b1 === t[1] &&
          f.b2 === t[2] &&
          f.b3 === t[3]
        ) {
          this.forward = true;
          return f;
        }
        if (
          f.portA === dp &&
          f.portB === sp &&
          f.a0 === t[0] &&
          f.b0 === s[0] &&
          f.a1 === t[1] &&
          f.a2 === t[2] &&
          f.a3 === t[3] &&
          f.b1 === s[1] &&
          f.b2 === s[2] &&
          f.b3 === s[3]
        ) {
          this.forward = false;
          return f;
        }
      }
      f = f.bucketNext as F | null;
    }
    return null;
  }

  /** Adds a flow for the packet last passed to {@link FlowTable.find} (which returned null); A = its source. */
  insert(flow: F, d: DecodedPacket, list = 0): void {
    flow.ipVersion = d.ipVersion;
    flow.a0 = d.srcIp[0]!;
    flow.a1 = d.srcIp[1]!;
    flow.a2 = d.srcIp[2]!;
    flow.a3 = d.srcIp[3]!;
    flow.b0 = d.dstIp[0]!;
    flow.b1 = d.dstIp[1]!;
    flow.b2 = d.dstIp[2]!;
    flow.b3 = d.dstIp[3]!;
    flow.portA = d.srcPort;
    flow.portB = d.dstPort;
    flow.hash = this.lastHash;
    flow.bucketNext = this.buckets.get(this.lastHash) ?? null;
    this.buckets.set(this.lastHash, flow);
    this.size++;
    this.append(flow, list);
  }

  remove(flow: F): void {
    const head = this.buckets.get(flow.hash);
    if (head === flow) {
      if (flow.bucketNext === null) this.buckets.delete(flow.hash);
      else this.buckets.set(flow.hash, flow.bucketNext as F);
    } else {
      let f = head ?? null;
      while (f !== null && f.bucketNext !== flow) f = f.bucketNext as F | null;
      if (f === null) return;
      f.bucketNext = flow.bucketNext;
    }
    flow.bucketNext = null;
    this.unlink(flow);
    this.size--;
  }

  /** Marks the flow used now: moves it to the newest end of `list` (which may differ from its current list). */
  touch(flow: F, time: number, list = flow.list): void {
    flow.lastTime = time;
    if (flow.list === list && this.tails[list] === flow) return;
    this.unlink(flow);
    this.append(flow, list);
  }

  /** Least recently used flow of `list`, or null. */
  oldest(list = 0): F | null {
    return this.heads[list] ?? null;
  }

  /** Every flow, oldest first within each list (for the end of a capture). */
  *entries(): IterableIterator<F> {
    for (const head of this.heads) {
      for (let f = head; f !== null; f = f.lruNext as F | null) yield f;
    }
  }

  clear(): void {
    this.buckets.clear();
    this.heads.fill(null);
    this.tails.fill(null);
    this.size = 0;
  }

  private append(flow: F, list: number): void {
    flow.list = list;
    flow.lruNext = null;
    flow.lruPrev = this.tails[list] ?? null;
    if (flow.lruPrev !== null) flow.lruPrev.lruNext = flow;
    else this.heads[list] = flow;
    this.tails[list] = flow;
  }

  private unlink(flow: F): void {
    const list = flow.list;
    if (list < 0) return;
    if (flow.lruPrev !== null) flow.lruPrev.lruNext = flow.lruNext;
    else this.heads[list] = flow.lruNext as F | null;
    if (flow.lruNext !== null) flow.lruNext.lruPrev = flow.lruPrev;
    else this.tails[list] = flow.lruPrev as F | null;
    flow.lruPrev = null;
    flow.lruNext = null;
    flow.list = -1;
  }
}
