/**
 * @module How far the V8 heap may grow before the next full collection. The capture analyzer keeps about
 * 40–80 MB alive (hosts, findings, open connections) but allocates and drops far more; with V8's default
 * growth (up to 4× the live heap between full collections) a 1 GB capture peaked at ~340 MB of memory on
 * Node 20 and ~430 MB on Node 24, for garbage not yet collected. Capped at 1.5×, it peaks at ~230–270 MB,
 * at no CPU cost measurable on our machines (docs/performance.md, "Memory on large captures").
 *
 * Two knobs, because V8 reads them at different times:
 * - the growth factor is read at every full collection, so a command sets it when it starts
 *   (`limitHeapGrowth`): `vigil import`, `analyze`, `sensor` and the `policy` commands given
 *   `--capture`, whose memory should follow the hosts learned, not the packets read. Not `vigil serve`:
 *   its heap holds the matching engine's working set (over 1 GB at 100,000 devices), and capped growth
 *   made a full re-match about 15 % slower there;
 * - the young generation's size is fixed when the heap is created (Node 24 makes it 128 MB, Node 20 and
 *   22 32 MB), so it can only come from Node's command line or `NODE_OPTIONS`: `npm start` and the
 *   benchmark pass `YOUNG_GENERATION_FLAG`, and docs/deployment.md asks for it on Node 24. Not the `#!`
 *   line of `bin/vigil.js`: that needs `env -S`, which BusyBox's env (Alpine images) does not have.
 */
import { setFlagsFromString } from 'node:v8';

/** Heap growth between full collections, in per cent over the live heap (V8 picks 10–300 by itself). */
export const HEAP_GROWING_PERCENT = 50;

/** Each of the young generation's two semi-spaces, as Node 20 and 22 size them by default. */
export const YOUNG_GENERATION_FLAG = '--max-semi-space-size=16';

/** Sets the growth cap for this whole process (calling it again changes nothing). */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
