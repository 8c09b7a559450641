import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHl7Payload, type Hl7Event, Hl7StreamDissector } from './hl7-stream.js';
import { HL7_PATIENT_VALUES, mllpSegments } from './hl7-test-fixtures.js';

const segs = mllpSegments();
const streams = [...new Set(segs.map((s) => s.stream))];

/** One dissector per TCP connection, as the integrator runs it. */
function connection(stream: number): Hl7Event[] {
  const sut = new Hl7StreamDissector();
  const events: Hl7Event[] = [];
  for (const s of segs.filter((x) => x.stream === stream)) events.push(...sut.feed(s.direction, s.bytes));
  return [...events, ...sut.end()];
}
const messages = (events: Hl7Event[]) => events.filter((e) => e.type === 'message');

describe('Hl7StreamDissector on 04-hl7-mllp.pcap', () => {
  it('finds each message and its acknowledgment, with who sent it to whom', () => {
    const rows = streams.flatMap((stream) =>
      messages(connection(stream)).map((e) => [
        stream,
        e.direction,
        `${e.summary.messageType}^${e.summary.triggerEvent}`,
        e.summary.sendingApplication?.namespaceId,
        e.summary.receivingApplication?.namespaceId,
        e.summary.hasPatientData,
        e.summary.ack?.code,
      ]),
    );
    // README of the captures: 3× ORU^R01 from MONITOR_GW, ADT^A01 (simple-hl7), ADT^A08 (python-hl7), each ACKed AA
    expect(rows).toEqual([
      [1, 'client', 'ORU^R01', 'MONITOR_GW', 'EHR', true, undefined],
      [1, 'server', 'ACK^R01', 'EHR', 'MONITOR_GW', false, 'AA'],
      [3, 'client', 'ORU^R01', 'MONITOR_GW', 'EHR', true, undefined],
      [3, 'server', 'ACK^R01', 'EHR', 'MONITOR_GW', false, 'AA'],
      [5, 'client', 'ORU^R01', 'MONITOR_GW', 'EHR', true, undefined],
      [5, 'server', 'ACK^R01', 'EHR', 'MONITOR_GW', false, 'AA'],
      [6, 'client', 'ADT^A01', 'REG_ADT', 'HL7_ENGINE', true, undefined],
      [6, 'server', 'ACK^A01', 'HL7_ENGINE', 'REG_ADT', false, 'AA'],
      [7, 'client', 'ADT^A08', 'REG_ADT', 'HL7_ENGINE', true, undefined],
      [7, 'server', 'ACK^A08', 'HL7_ENGINE', 'REG_ADT', false, 'AA'],
    ]);
  });

  it("pairs every ACK's MSA-2 with the control id of the message it answers", () => {
    for (const stream of streams) {
      const [message, ack] = messages(connection(stream));
      expect(ack!.summary.ack?.controlId).toBe(message!.summary.controlId);
    }
  });

  it('reports where each frame starts and how long it is', () => {
    const [message, ack] = connection(6);
    expect(message).toMatchObject({
      type: 'message',
      direction: 'client',
      offset: 0,
      length: 760 - 3,
      terminator: 'fs-cr',
    });
    expect(ack).toMatchObject({ type: 'message', direction: 'server', offset: 0, length: 129 - 3 });
  });

  it('never returns a patient value', () => {
    const json = JSON.stringify(streams.flatMap(connection));
    for (const value of HL7_PATIENT_VALUES) expect(json).not.toContain(value);
  });

  it('gives the same events however the bytes are split', () => {
    const all = segs.filter((s) => s.stream === 6);
    const expected = connection(6);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 20 }), (sizes) => {
        const sut = new Hl7StreamDissector();
        const events: Hl7Event[] = [];
        let k = 0;
        for (const s of all) {
          for (let at = 0; at < s.bytes.length; ) {
            const size = sizes[k++ % sizes.length]!;
            events.push(...sut.feed(s.direction, s.bytes.subarray(at, at + size)));
            at += size;
          }
        }
        expect([...events, ...sut.end()]).toEqual(expected);
      }),
      { numRuns: 200 },
    );
  });
});

describe('Hl7StreamDissector on bad input', () => {
  it('reports a frame that is not HL7 at the offset of its payload', () => {
    const sut = new Hl7StreamDissector();
    const frame = new Uint8Array(Buffer.from('\x0bGET / HTTP/1.1\x1c\r', 'latin1'));
    expect(sut.feed('client', frame)).toEqual([
      { type: 'error', direction: 'client', offset: 1, reason: 'message does not start with MSH' },
    ]);
  });

  it('decodes UTF-8 when valid and single bytes otherwise', () => {
    expect(decodeHl7Payload(new Uint8Array(Buffer.from('MSH|^~\\&|CAFÉ', 'utf8')))).toBe('MSH|^~\\&|CAFÉ');
    expect(decodeHl7Payload(new Uint8Array(Buffer.from('MSH|^~\\&|CAFÉ', 'latin1')))).toBe('MSH|^~\\&|CAFÉ');
  });

  it('never throws on random bytes', () => {
    const byte = fc.oneof(
      fc.constantFrom(0x0b, 0x1c, 0x0d, 0x7c, 0x4d, 0x53, 0x48),
      fc.integer({ min: 0, max: 255 }),
    );
    fc.assert(
      fc.property(fc.array(fc.array(byte, { maxLength: 120 }), { maxLength: 8 }), (chunks) => {
        const sut = new Hl7StreamDissector({ maxFrameBytes: 100 });
        for (const c of chunks) sut.feed('client', Uint8Array.from(c));
        sut.end();
        expect(sut.stats.frames).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 1000 },
    );
  });
});
