import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DICOM_PATIENT_TAGS,
  type DicomDatasetScan,
  scanDicomDataset,
  sniffExplicitVr,
} from './dicom-dataset.js';
import { messages, type TsharkElement, tsharkDataSets, tsharkValues } from './dicom-test-fixtures.js';

const PATIENT_TAG_NAMES = new Set(
  [...DICOM_PATIENT_TAGS.keys()].map((t) => `(${hex(t >>> 16)},${hex(t & 0xffff)})`),
);
function hex(n: number): string {
  return n.toString(16).padStart(4, '0');
}
const dataSets = (fixture: string, direction: 'client' | 'server') =>
  messages(fixture, direction).filter((m) => !m.isCommand);

/**
 * Each real data set with tshark's dissection of the same bytes and its encoding. The `-mid` and `-head`
 * fixtures hold only the first kilobytes of a large data set.
 */
const CASES = [
  {
    name: 'CT_small.dcm (GE) C-STORE, first 4 kB',
    fixture: 'shared-store-ct-head.tsv',
    elements: 'tshark-shared-store-elements.txt',
    title: 'CT Image Storage',
    explicit: true,
  },
  {
    name: '0051.dcm (SIEMENS MR) C-STORE, first 8 kB',
    fixture: 'shared-store-mr-mid.tsv',
    elements: 'tshark-shared-store-elements.txt',
    title: 'MR Image Storage',
    explicit: true,
  },
  {
    name: 'waveform_ecg.dcm (Mortara) C-STORE, first 8 kB',
    fixture: 'shared-store-ecg-mid.tsv',
    elements: 'tshark-shared-store-elements.txt',
    title: '12-lead ECG Waveform Storage',
    explicit: true,
  },
  {
    name: 'MR_small (TOSHIBA) implicit VR in 3 PDUs',
    fixture: 'loopback-store-mr-implicit.tsv',
    elements: 'tshark-loopback-elements.txt',
    title: 'MR Image Storage',
    explicit: false,
  },
  {
    name: 'rtplan.dcm explicit VR',
    fixture: 'loopback-store-user-identity.tsv',
    elements: 'tshark-loopback-elements.txt',
    title: 'RT Plan Storage',
    explicit: true,
  },
  {
    name: 'rtplan.dcm implicit VR',
    fixture: 'loopback-store-rtplan-implicit.tsv',
    elements: 'tshark-loopback-elements.txt',
    title: 'RT Plan Storage',
    explicit: false,
    which: 1,
  },
] as const;

const IDENTITY: Record<string, keyof DicomDatasetScan['identity']> = {
  '(0008,0016)': 'sopClassUid',
  '(0008,0060)': 'modality',
  '(0008,0070)': 'manufacturer',
  '(0008,1090)': 'modelName',
  '(0008,1010)': 'stationName',
  '(0018,1000)': 'deviceSerialNumber',
};

/** Patient tags with a value as tshark printed them (a sequence counts when tshark printed items in it). */
function expectedPatientTags(elements: TsharkElement[]): string[] {
  const tags = new Set<string>();
  elements.forEach((e, i) => {
    if (!PATIENT_TAG_NAMES.has(e.tag)) return;
    const isSequence = e.vr === 'SQ' || elements[i + 1]?.depth === e.depth + 1;
    if (isSequence ? elements[i + 1]?.depth === e.depth + 1 : !/^[\s^=\\*?]*$/.test(e.value)) tags.add(e.tag);
  });
  return [...tags].sort();
}

describe('scanDicomDataset on real data sets, checked against tshark', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const ours = dataSets(c.fixture, 'client')[0]!;
      const theirs = tsharkDataSets(c.elements, c.title)['which' in c ? c.which : 0]!;
      const scan = scanDicomDataset(ours.bytes, c.explicit);
      expect(scan.status).toBe(ours.complete ? 'complete' : 'truncated');
      for (const e of theirs.filter((t) => t.depth === 0)) {
        const field = IDENTITY[e.tag];
        if (field !== undefined && e.value !== '') {
          const expected = e.tag === '(0008,0016)' ? e.value.split(' ')[0] : e.value;
          expect(scan.identity[field], e.name).toBe(expected);
        }
        if (e.tag === '(0018,1020)' && e.value !== '')
          expect(scan.identity.softwareVersions).toEqual(e.value.split('\\'));
      }
      expect(scan.patientTags.map((t) => t.tag).sort()).toEqual(expectedPatientTags(theirs));
      const json = JSON.stringify(scan);
      for (const value of tsharkValues(c.elements, PATIENT_TAG_NAMES)) expect(json).not.toContain(value);
    });
  }

  it('reads the device identity of the GE CT, the Siemens MR and the Mortara ECG cart', () => {
    const identity = (fixture: string) =>
      scanDicomDataset(dataSets(fixture, 'client')[0]!.bytes, true).identity;
    expect(identity('shared-store-ct-head.tsv')).toEqual({
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      modality: 'CT',
      manufacturer: 'GE MEDICAL SYSTEMS',
      stationName: 'CT01_OC0',
      modelName: 'RHAPSODE',
      softwareVersions: ['05'],
    });
    expect(identity('shared-store-mr-mid.tsv')).toMatchObject({
      manufacturer: 'SIEMENS',
      modelName: 'Prisma_fit',
    });
    expect(identity('shared-store-ecg-mid.tsv')).toMatchObject({
      modality: 'ECG',
      manufacturer: 'Mortara Instrument, Inc.',
      modelName: 'el250',
    });
  });

  it('reports which patient identifiers the Orthanc C-FIND responses carried, never their values', () => {
    const responses = dataSets('shared-find-orthanc.tsv', 'server').map((m) =>
      scanDicomDataset(m.bytes, true),
    );
    expect(responses.map((r) => r.patientTags.map((t) => t.keyword))).toEqual([
      ['PatientName', 'PatientID'],
      ['PatientName', 'PatientID'],
      ['PatientName'], // tshark: (0010,0020) Patient ID <Empty> in the third match
    ]);
    const query = scanDicomDataset(dataSets('shared-find-orthanc.tsv', 'client')[0]!.bytes, true);
    expect(query.patientTags).toEqual([]); // the query's return keys are empty
    const json = JSON.stringify(responses);
    // README of the shared captures and tshark: CompressedSamples^CT1 / 1CT1, Last^First^mid^pre / id00001
    for (const value of ['CompressedSamples', '1CT1', 'Last^First', 'id00001', 'Test^S R']) {
      expect(json).not.toContain(value);
    }
  });

  it('reads the commands of a real exchange as tshark does', () => {
    const names = (direction: 'client' | 'server') =>
      messages('shared-find-orthanc.tsv', direction)
        .filter((m) => m.isCommand)
        .map((m) => scanDicomDataset(m.bytes, false).command);
    expect(names('client')).toEqual([
      {
        commandField: 0x20,
        commandName: 'C-FIND-RQ',
        isResponse: false,
        affectedSopClassUid: '1.2.840.10008.5.1.4.1.2.2.1',
        messageId: 1,
        priority: 0,
        hasDataSet: true,
      },
    ]);
    expect(names('server').map((c) => [c?.commandName, c?.status, c?.statusCategory, c?.hasDataSet])).toEqual(
      [
        ['C-FIND-RSP', 0xff00, 'pending', true],
        ['C-FIND-RSP', 0xff00, 'pending', true],
        ['C-FIND-RSP', 0xff00, 'pending', true],
        ['C-FIND-RSP', 0, 'success', false],
      ],
    );
  });

  it('tells explicit from implicit VR by looking', () => {
    for (const c of CASES)
      expect(sniffExplicitVr(dataSets(c.fixture, 'client')[0]!.bytes), c.name).toBe(c.explicit);
  });
});

describe('scanDicomDataset on cut, mutated and random input', () => {
  const samples = CASES.map((c) => ({
    bytes: dataSets(c.fixture, 'client')[0]!.bytes,
    explicit: c.explicit,
  }));

  it('calls every prefix of a real data set complete or truncated, never malformed, and finds no tag it lacks', () => {
    for (const { bytes, explicit } of samples) {
      const full = new Set(scanDicomDataset(bytes, explicit).patientTags.map((t) => t.tag));
      for (let n = 0; n <= bytes.length; n += n < 600 ? 1 : 97) {
        const scan = scanDicomDataset(bytes.subarray(0, n), explicit);
        expect(scan.status, `prefix ${n}`).not.toBe('malformed');
        for (const t of scan.patientTags) expect(full.has(t.tag)).toBe(true);
      }
    }
  });

  it('reports the wrong encoding as malformed with an offset instead of throwing', () => {
    const scan = scanDicomDataset(samples[3]!.bytes, true); // implicit VR read as explicit
    expect(scan.status).toBe('malformed');
    expect(scan.error?.offset).toBeGreaterThanOrEqual(0);
  });

  it('stops at the element and nesting limits', () => {
    expect(scanDicomDataset(samples[0]!.bytes, true, { maxElements: 5 })).toMatchObject({
      status: 'malformed',
      error: { reason: 'more than 5 elements' },
    });
    const shallow = scanDicomDataset(samples[0]!.bytes, true, { maxDepth: 0 });
    expect(shallow.patientTags.map((t) => t.keyword)).toEqual(['PatientName', 'PatientID']);
  });

  it('never throws on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), fc.boolean(), (bytes, explicit) => {
        const scan = scanDicomDataset(bytes, explicit);
        expect(['complete', 'truncated', 'malformed']).toContain(scan.status);
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws on mutated real data sets', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 12 }),
        ({ bytes, explicit }, flips) => {
          const mutated = bytes.slice(0, 6000);
          for (const [at, value] of flips) mutated[at % mutated.length] = value;
          const scan = scanDicomDataset(mutated, explicit);
          expect(scan.elementCount).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 1500 },
    );
  });
});
