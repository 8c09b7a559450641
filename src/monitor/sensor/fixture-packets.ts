/**
 * @module Test helper: the packets of a fixture capture, each copied out of the reader's reused object, so
 * a test can replay them in any slicing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CapturePacket } from '../../capture/capture-packet.js';
import { readCapture } from '../../capture/open-capture.js';

export const SENSOR_FIXTURES = join(import.meta.dirname, 'fixtures');

export async function fixturePackets(name: string): Promise<CapturePacket[]> {
  const out: CapturePacket[] = [];
  const bytes = readFileSync(join(SENSOR_FIXTURES, name));
  const chunks = (async function* () {
    yield bytes;
  })();
  await readCapture(chunks, { file: name }).forEach((p) => {
    const c = new CapturePacket();
    Object.assign(c, { ...p, bytes: p.data.slice(), dataOffset: 0 });
    out.push(c);
  });
  return out;
}

/** The same packet later by `seconds` (a replay on another day). */
export function shifted(p: CapturePacket, seconds: number): CapturePacket {
  const c = new CapturePacket();
  Object.assign(c, { ...p, timestampSec: p.timestampSec + seconds });
  return c;
}
