import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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
      const found = findPatientData(file);
      expect(found && { ...found, messageType: undefined, offset: undefined }, name).toEqual(
        expected && { ...expected, messageType: undefined },
      );
      if (found && r.kind === 'ok') {
        // The offset is where the first counted field (PID-3, say) starts in the bytes: its line begins with
        // the segment and holds n field separators before it.
        const first = r.value.patientData[0]!;
        const before = Buffer.from(file.subarray(0, found.offset)).toString('latin1');
        const line = before.split(/\r\n|\r|\n/).at(-1)!;
        const separator = r.value.fieldSeparator;
        expect(line.startsWith(first.segment + separator), name).toBe(true);
        expect(line.split(separator).length - 1, name).toBe(Number(first.fields[0]!.slice(4)));
      }
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
      const offset = scanDicomDataset(dataset, explicit).patientOffset!;
      expect(findPatientData(dataset), fixture).toMatchObject({ kind: 'DICOM', tags, offset });
      // PS3.10 §7.1: 128-byte preamble, "DICM", then the file meta group (here only its group length, 0)
      const meta = Uint8Array.of(0x02, 0, 0, 0, 0x55, 0x4c, 4, 0, 0, 0, 0, 0);
      const file = concat(new Uint8Array(128), enc('DICM'), meta, dataset);
      expect(findPatientData(file), fixture).toMatchObject({ kind: 'DICOM', tags, offset: 144 + offset });
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

describe('findPatientData: JSON and CSV that label patient fields', () => {
  // From test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap (tshark frames 137 and 66): an infusion
  // pump's MQTT message and a census file sent over FTP, with the capture's fake patient.
  const pump = '{"mrn":"MRN00482913","drug":"heparin 25000 units/250 mL","rate_ml_h":12.5,"alarm":null}';
  const census =
    'MRN,NAME,DOB,BED\nMRN00482913,HARTMANN^ELENA,19670314,E-214\nMRN00771045,OKAFOR^DANIEL,19541102,CARD-2\n';

  it('names the fields, never the values, and where the first value starts', () => {
    expect(findPatientData(enc(pump))).toEqual({
      kind: 'JSON',
      fields: ['mrn'],
      offset: pump.indexOf('MRN'),
    });
    expect(findPatientData(enc(census))).toEqual({
      kind: 'CSV',
      fields: ['MRN', 'DOB'],
      offset: census.indexOf('MRN00482913'),
    });
    const quoted = census.replaceAll(',', ';').replace('MRN;', '"Patient ID";');
    expect(findPatientData(enc(quoted))).toEqual({
      kind: 'CSV',
      fields: ['Patient ID', 'DOB'],
      offset: quoted.indexOf('MRN00482913'),
    });
    // The first counted cell need not be the first one.
    const later = 'BED,MRN,DOB\nE-214,MRN00482913,19670314\n';
    expect(findPatientData(enc(later))).toMatchObject({ offset: later.indexOf('MRN00482913') });
    const names = '[{"patient_name": "X", "Date of Birth": "1970-01-01", "bed": 4}]';
    expect(findPatientData(enc(names))).toEqual({
      kind: 'JSON',
      fields: ['patient_name', 'Date of Birth'],
      offset: names.indexOf('X'),
    });
    // A FHIR Patient resource (HL7 FHIR R4), by its type.
    expect(findPatientData(enc('{"resourceType": "Patient", "id": "example", "active": true}'))).toEqual({
      kind: 'JSON',
      fields: ['resourceType Patient'],
      offset: 1,
    });
  });

  it('a label without a value, or names that do not mean a patient, are not patient data', () => {
    expect(findPatientData(enc('{"mrn":null,"dob":"","ssn":false}'))).toBeUndefined();
    expect(findPatientData(enc('MRN,NAME,DOB\n'))).toBeUndefined();
    expect(findPatientData(enc('MRN,NAME,DOB\n,ICU-4,\n'))).toBeUndefined();
    expect(findPatientData(enc('{"name":"heparin","id":"pump-e214","rate_ml_h":12.5}'))).toBeUndefined();
    // Real FHIR resources that point at a patient without carrying one (test/fixtures/fhir, PROVENANCE.md).
    for (const file of ['us-core-Device-infusion-pump.json', 'phd-00601900010E9234.F45EABA80832.json'])
      expect(
        findPatientData(readFileSync(join(import.meta.dirname, '../../test/fixtures/fhir', file))),
        file,
      ).toBeUndefined();
    // Binary data is not read as text.
    expect(
      findPatientData(Uint8Array.from([0x7b, 0, 0x22, 0x6d, 0x72, 0x6e, 0x22, 0x3a, 0x22, 0x31])),
    ).toBeUndefined();
  });
});
