import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { scanDicomDataset } from './dicom-dataset.js';
import { messages } from './dicom-test-fixtures.js';
import { parseHl7Message } from './hl7.js';
import { samples } from './hl7-test-fixtures.js';
import { findPatientData } from './payload-phi.js';

const enc = (s: string) => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

// Real samples: the HL7 v2 sample messages of test/fixtures/dissect/hl7 and DICOM data sets from dcmtk
// C-STORE traffic (test/fixtures/dissect/dicom); see PROVENANCE.md there.
describe('findPatientData: HL7', () => {
  it('finds the same patient segments and fields as the HL7 parser, in files and MLLP frames', () => {
    for (const { name, text } of samples()) {
      const r = parseHl7Message(text.replace(/\r?\n/g, '\r'));
      if (r.kind !== 'ok') continue;
      const expected = r.value.hasPatientData
        ? {
            kind: 'HL7',
            segments: [...new Set(r.value.patientData.map((p) => p.segment))],
            fields: [...new Set(r.value.patientData.flatMap((p) => p.fields))],
          }
        : undefined;
      const file = enc(text);
      expect(findPatientData(file) && { ...findPatientData(file), messageType: undefined }, name).toEqual(
        expected && { ...expected, messageType: undefined },
      );
      const framed = concat(Uint8Array.of(0x0b), file, Uint8Array.of(0x1c, 0x0d));
      expect(findPatientData(framed)?.kind, name).toBe(expected?.kind);
    }
  });

  it('ignores MSH that does not start a line, and text without a message', () => {
    expect(findPatientData(enc('see MSH|^~\\&|A|B|||||ADT^A01|1|P|2.5\rPID|1||123'))).toBeUndefined();
    expect(findPatientData(enc('{"systolic":118}'))).toBeUndefined();
    expect(findPatientData(new Uint8Array(0))).toBeUndefined();
  });
});

describe('findPatientData: DICOM', () => {
  const CASES = [
    ['shared-store-ct-head.tsv', true],
    ['loopback-store-mr-implicit.tsv', false],
  ] as const;

  it('a bare data set (explicit and implicit VR) and the same data set as a Part 10 file', () => {
    for (const [fixture, explicit] of CASES) {
      const dataset = messages(fixture, 'client').filter((m) => !m.isCommand)[0]!.bytes;
      const tags = scanDicomDataset(dataset, explicit).patientTags.map((t) => t.tag);
      expect(tags.length, fixture).toBeGreaterThan(0);
      expect(findPatientData(dataset), fixture).toMatchObject({ kind: 'DICOM', tags });
      // PS3.10 §7.1: 128-byte preamble, "DICM", then the file meta group (here only its group length, 0)
      const meta = Uint8Array.of(0x02, 0, 0, 0, 0x55, 0x4c, 4, 0, 0, 0, 0, 0);
      const file = concat(new Uint8Array(128), enc('DICM'), meta, dataset);
      expect(findPatientData(file), fixture).toMatchObject({ kind: 'DICOM', tags });
    }
  });
});

describe('findPatientData never throws', () => {
  it('on random bytes and on mutated real payloads', () => {
    const real = [
      enc(samples()[0]!.text),
      messages('shared-store-ct-head.tsv', 'client')[1]!.bytes.slice(0, 2000),
    ];
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (b) => {
        findPatientData(b);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.nat(1),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 10 }),
        (i, flips) => {
          const b = real[i]!.slice();
          for (const [at, v] of flips) b[at % b.length] = v;
          findPatientData(b);
        },
      ),
      { numRuns: 200 },
    );
  });
});
