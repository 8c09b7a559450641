import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DICOM_PATIENT_TAGS } from './dicom-dataset.js';
import {
  clearDicomAssociationCache,
  type DicomEvent,
  DicomStreamDissector,
  type DicomStreamOptions,
  dicomAssociationCacheSize,
} from './dicom-stream.js';
import {
  type Direction,
  messages,
  type Segment,
  segments,
  tsharkBlocks,
  tsharkValues,
} from './dicom-test-fixtures.js';

const FIXTURES = [
  'shared-echo-ct.tsv',
  'shared-echo-wrong-ae.tsv',
  'shared-find-orthanc.tsv',
  'shared-store-ct-head.tsv',
  'shared-store-mr-mid.tsv',
  'shared-store-ecg-mid.tsv',
  'loopback-user-identity-password.tsv',
  'loopback-store-user-identity.tsv',
  'loopback-echo-abort.tsv',
  'loopback-echo-rejected.tsv',
  'loopback-store-mr-implicit.tsv',
  'loopback-store-rtplan-implicit.tsv',
  'loopback-store-deflated.tsv',
  'loopback-get-role-selection.tsv',
  'loopback-find-worklist.tsv',
];
const ELEMENT_FILES = [
  'tshark-shared-elements.txt',
  'tshark-shared-store-elements.txt',
  'tshark-loopback-elements.txt',
];

function run(feeds: { direction: Direction; bytes: Uint8Array }[], options?: DicomStreamOptions, end = true) {
  const sut = new DicomStreamDissector(options);
  const events: DicomEvent[] = [];
  for (const { direction, bytes } of feeds) events.push(...sut.feed(direction, bytes));
  if (end) events.push(...sut.end());
  return { sut, events };
}
const eventsOf = (fixture: string, options?: DicomStreamOptions) => run(segments(fixture), options).events;
const only = <T extends DicomEvent['type']>(events: DicomEvent[], type: T) =>
  events.filter((e): e is Extract<DicomEvent, { type: T }> => e.type === type);

/** tshark's blocks for the association whose request has this calling AE title (until the next request). */
function tsharkConversation(file: string, callingAe: string): string[] {
  const blocks = tsharkBlocks(file);
  const start = blocks.findIndex((b) => b.title.startsWith(`A-ASSOCIATE request ${callingAe} `));
  const end = blocks.findIndex((b, i) => i > start && b.title.startsWith('A-ASSOCIATE request'));
  return blocks.slice(start, end === -1 ? undefined : end).map((b) => {
    const command = b.elements.find((e) => e.tag === '(0000,0100)');
    if (command !== undefined) return `command ${command.value}`;
    if (b.elements.some((e) => !e.tag.startsWith('(0000,'))) return 'dataset';
    if (b.title.startsWith('A-ASSOCIATE request')) return 'association-requested';
    if (b.title.startsWith('A-ASSOCIATE accept')) return 'association-accepted';
    if (b.title.startsWith('A-ASSOCIATE reject')) return 'association-rejected';
    if (b.title.startsWith('A-RELEASE')) return 'association-released';
    if (b.title.startsWith('ABORT')) return 'association-aborted';
    // tshark titles a data set it could not decode (deflated) with the SOP class, a command with "Command"
    return b.title === 'Command' ? 'command ?' : 'dataset';
  });
}
/** Our events in the same vocabulary (patient-data-present accompanies a dataset; tshark has no twin). */
function summary(events: DicomEvent[]): string[] {
  return events
    .filter((e) => e.type !== 'patient-data-present')
    .map((e) => (e.type === 'command' ? `command ${e.commandName}` : e.type));
}

describe('DicomStreamDissector on real connections, checked against tshark', () => {
  const conversations = [
    { fixture: 'shared-echo-ct.tsv', file: 'tshark-shared-elements.txt', calling: 'CT_RHAPSODE01' },
    { fixture: 'shared-echo-wrong-ae.tsv', file: 'tshark-shared-elements.txt', calling: 'WRONG_AE' },
    { fixture: 'shared-find-orthanc.tsv', file: 'tshark-shared-elements.txt', calling: 'RT_PLANNING' },
    {
      fixture: 'shared-store-ct-head.tsv',
      file: 'tshark-shared-store-elements.txt',
      calling: 'CT_RHAPSODE01',
    },
    {
      fixture: 'loopback-store-user-identity.tsv',
      file: 'tshark-loopback-elements.txt',
      calling: 'XA_ALLURA',
    },
    { fixture: 'loopback-echo-abort.tsv', file: 'tshark-loopback-elements.txt', calling: 'ECHO_ABORT' },
    { fixture: 'loopback-echo-rejected.tsv', file: 'tshark-loopback-elements.txt', calling: 'ECHO_REFUSED' },
    {
      fixture: 'loopback-store-mr-implicit.tsv',
      file: 'tshark-loopback-elements.txt',
      calling: 'MR_IMPLICIT',
    },
    {
      fixture: 'loopback-store-rtplan-implicit.tsv',
      file: 'tshark-loopback-elements.txt',
      calling: 'RT_IMPLICIT',
    },
    { fixture: 'loopback-store-deflated.tsv', file: 'tshark-loopback-elements.txt', calling: 'DEFLATE_SCU' },
    { fixture: 'loopback-find-worklist.tsv', file: 'tshark-loopback-elements.txt', calling: 'MODALITY_MWL' },
  ];
  for (const { fixture, file, calling } of conversations) {
    it(`${fixture}: the same PDUs, commands and data sets in the same order as tshark`, () => {
      const { events } = run(segments(fixture), undefined, false);
      const expected = tsharkConversation(file, calling);
      // On the deflated context tshark reads neither the data set nor the C-STORE-RSP command set, which
      // is implicit VR whatever the context (PS3.7 §6.3.1); the head fixture stops inside the first data set.
      const ours = summary(events).map((e) =>
        fixture.includes('deflated') && e === 'command C-STORE-RSP' ? 'command ?' : e,
      );
      expect(ours).toEqual(expected.slice(0, ours.length));
      if (!fixture.includes('-head')) expect(ours.length).toBe(expected.length);
    });
  }

  it('reports an echo association field by field, at the byte offsets of its PDUs', () => {
    const events = eventsOf('shared-echo-ct.tsv');
    expect(events.map((e) => [e.type, e.direction, e.offset])).toEqual([
      ['association-requested', 'client', 0],
      ['association-accepted', 'server', 0],
      ['command', 'client', 211 + 6],
      ['command', 'server', 190 + 6],
      ['association-released', 'client', 291],
      ['association-released', 'server', 280],
    ]);
    expect(events[0]).toMatchObject({
      callingAeTitle: 'CT_RHAPSODE01',
      calledAeTitle: 'PACS_MAIN',
      implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
      implementationVersionName: 'OFFIS_DCMTK_367',
      implementationStack: 'dcmtk',
      maxPduLength: 16384,
      presentationContexts: [
        {
          id: 1,
          abstractSyntax: '1.2.840.10008.1.1',
          abstractSyntaxName: 'Verification SOP Class',
          transferSyntaxes: ['1.2.840.10008.1.2'],
        },
      ],
    });
    expect(events[1]).toMatchObject({
      presentationContexts: [
        {
          id: 1,
          result: 0,
          resultName: 'acceptance',
          abstractSyntax: '1.2.840.10008.1.1',
          transferSyntax: '1.2.840.10008.1.2',
          transferSyntaxName: 'Implicit VR Little Endian',
        },
      ],
      roleHints: [], // verification says nothing about either side
    });
    expect(events[2]).toMatchObject({ commandName: 'C-ECHO-RQ', sender: 'requestor', hasDataSet: false });
    expect(events[3]).toMatchObject({
      commandName: 'C-ECHO-RSP',
      sender: 'acceptor',
      statusCategory: 'success',
    });
  });

  it('finds the CT scanner and the PACS of a C-STORE, and the patient identifiers it carried', () => {
    const events = eventsOf('shared-store-ct-head.tsv');
    const accepted = only(events, 'association-accepted')[0]!;
    expect(accepted.presentationContexts).toHaveLength(128);
    expect(accepted.roleHints).toContainEqual(
      expect.objectContaining({ side: 'acceptor', aeTitle: 'PACS_MAIN', role: 'pacs', confidence: 'medium' }),
    );
    // storescu proposes every storage class: from negotiation alone the CT class is only a weak hint
    expect(accepted.roleHints).toContainEqual(
      expect.objectContaining({
        side: 'requestor',
        role: 'modality',
        deviceClass: 'imaging-ct',
        confidence: 'low',
      }),
    );
    expect(only(events, 'command')[0]).toMatchObject({
      commandName: 'C-STORE-RQ',
      sopClassName: 'CT Image Storage',
      impliedRole: { role: 'modality', deviceClass: 'imaging-ct', confidence: 'medium' },
    });
    expect(only(events, 'dataset')[0]).toMatchObject({
      commandName: 'C-STORE-RQ',
      status: 'truncated', // the fixture ends 4 kB into the data set
      encodingFrom: 'negotiated',
      modality: 'CT',
      manufacturer: 'GE MEDICAL SYSTEMS',
      modelName: 'RHAPSODE',
      softwareVersions: ['05'],
    });
    expect(only(events, 'patient-data-present')[0]).toMatchObject({
      direction: 'client',
      offset: 9775,
      contextId: 0x29,
      commandName: 'C-STORE-RQ',
      tags: [
        { tag: '(0010,0010)', keyword: 'PatientName' },
        { tag: '(0010,0020)', keyword: 'PatientID' },
        { tag: '(0010,1002)', keyword: 'OtherPatientIDsSequence' },
      ],
    });
  });

  it('picks up a connection mid-association, guessing the data set encoding', () => {
    for (const [fixture, manufacturer] of [
      ['shared-store-mr-mid.tsv', 'SIEMENS'],
      ['shared-store-ecg-mid.tsv', 'Mortara Instrument, Inc.'],
    ] as const) {
      const events = eventsOf(fixture);
      expect(only(events, 'dataset')[0]).toMatchObject({
        encodingFrom: 'sniffed',
        encoding: 'explicit-le',
        manufacturer,
      });
      expect(only(events, 'patient-data-present')).toHaveLength(1);
    }
  });

  it('tells a PACS from a workstation in a C-FIND', () => {
    const events = eventsOf('shared-find-orthanc.tsv');
    expect(only(events, 'association-accepted')[0]!.roleHints).toEqual([
      expect.objectContaining({ side: 'requestor', aeTitle: 'RT_PLANNING', role: 'workstation' }),
      expect.objectContaining({ side: 'acceptor', aeTitle: 'ORTHANC', role: 'pacs', confidence: 'high' }),
    ]);
    expect(
      only(events, 'patient-data-present').map((e) => [e.direction, e.commandName, e.tags.length]),
    ).toEqual([
      ['server', 'C-FIND-RSP', 2],
      ['server', 'C-FIND-RSP', 2],
      ['server', 'C-FIND-RSP', 1],
    ]);
  });

  it('reports rejection, abort, user identity and rejected contexts', () => {
    expect(only(eventsOf('loopback-echo-rejected.tsv'), 'association-rejected')[0]).toMatchObject({
      callingAeTitle: 'ECHO_REFUSED',
      calledAeTitle: 'REFUSING_SCP',
      resultName: 'rejected-permanent',
      sourceName: 'service-user',
      reasonName: 'no-reason-given',
    });
    expect(only(eventsOf('loopback-echo-abort.tsv'), 'association-aborted')[0]).toMatchObject({
      direction: 'client',
      sourceName: 'service-user',
    });
    const identity = only(eventsOf('loopback-user-identity-password.tsv'), 'association-requested')[0]!;
    expect(identity.userIdentity).toMatchObject({
      typeName: 'username-and-passcode',
      secondaryFieldPresent: true,
    });
    const worklist = only(eventsOf('loopback-find-worklist.tsv'), 'association-accepted')[0]!;
    expect(worklist.presentationContexts.map((c) => [c.abstractSyntaxName, c.resultName])).toEqual([
      ['Modality Worklist Information Model - FIND', 'abstract-syntax-not-supported'],
    ]);
    expect(worklist.roleHints).toEqual([]);
  });

  it('does not call a C-GET viewer a modality for proposing the storage SCP role', () => {
    const events = eventsOf('loopback-get-role-selection.tsv');
    const requested = only(events, 'association-requested')[0]!;
    expect(requested.roleSelections.length).toBeGreaterThan(50);
    expect(requested.roleSelections.every((r) => r.scpRole && !r.scuRole)).toBe(true);
    expect(only(events, 'association-accepted')[0]!.roleHints).toEqual([]);
  });

  it('does not scan deflated data sets and says so', () => {
    expect(only(eventsOf('loopback-store-deflated.tsv'), 'dataset')[0]).toMatchObject({
      status: 'unsupported-transfer-syntax',
      transferSyntax: '1.2.840.10008.1.2.1.99',
      reason: 'Deflated Explicit VR Little Endian is not scanned',
    });
  });

  it('never returns a patient value or a password, over every fixture', () => {
    const json = JSON.stringify(FIXTURES.flatMap((f) => eventsOf(f)));
    const tags = [...DICOM_PATIENT_TAGS.keys()].map(
      (t) => `(${(t >>> 16).toString(16).padStart(4, '0')},${(t & 0xffff).toString(16).padStart(4, '0')})`,
    );
    const values = ELEMENT_FILES.flatMap((f) => tsharkValues(f, tags));
    expect(values).toEqual(
      expect.arrayContaining(['CompressedSamples^CT1', '642341', 'ASLDTIMONOtest', '19710123']),
    );
    for (const value of values) expect(json).not.toContain(value);
    expect(json).not.toContain('S3cret!Pw');
    expect(json).not.toContain('biomed');
  });
});

describe('DicomStreamDissector association cache (a negotiation repeated byte for byte is decoded once)', () => {
  const association = (events: DicomEvent[]) =>
    events.filter((e) => e.type === 'association-requested' || e.type === 'association-accepted');

  it('gives a repeated association the same events as its first decoding, shared and frozen', () => {
    clearDicomAssociationCache();
    const first = eventsOf('shared-store-ct-head.tsv');
    const again = eventsOf('shared-store-ct-head.tsv');
    expect(again).toEqual(first);
    expect(association(first)).toHaveLength(2);
    association(again).forEach((e, i) => {
      expect(e).toBe(association(first)[i]);
      expect(Object.isFrozen(e)).toBe(true);
    });
    const request = only(again, 'association-requested')[0]!;
    expect(() => {
      (request as { callingAeTitle: string }).callingAeTitle = 'CHANGED';
    }).toThrow(TypeError);
    expect(() => request.presentationContexts[0]!.transferSyntaxes.push('1.2')).toThrow(TypeError);
  });

  it('decodes an accepted association against its own request, whichever came before', () => {
    // The same acceptor answers different requests (echo, find, C-GET with role selection): the accepted
    // contexts' abstract syntaxes and the role hints come from each connection's own request.
    const fixtures = ['shared-echo-ct.tsv', 'loopback-get-role-selection.tsv', 'shared-find-orthanc.tsv'];
    clearDicomAssociationCache();
    const uncached = fixtures.map((f) => {
      clearDicomAssociationCache();
      return eventsOf(f);
    });
    clearDicomAssociationCache();
    for (let round = 0; round < 3; round++) {
      for (const [i, f] of fixtures.entries()) expect(eventsOf(f)).toEqual(uncached[i]);
      fixtures.reverse();
      uncached.reverse();
    }
  });

  it('does not reuse an accepted association decoded for another request', () => {
    // The same A-ASSOCIATE-AC bytes answering a request that proposed another abstract syntax.
    const feeds = segments('shared-echo-ct.tsv');
    const rq = feeds.findIndex((f) => f.direction === 'client');
    const other = feeds.map((f) => ({ ...f, bytes: f.bytes.slice() }));
    const text = Buffer.from(other[rq]!.bytes).toString('latin1');
    // Abstract syntax sub-item (type 0x30, length 17): Verification 1.2.840.10008.1.1 → 1.2.840.10008.1.2
    const at = text.indexOf('\x30\x00\x00\x111.2.840.10008.1.1');
    expect(at).toBeGreaterThan(0);
    other[rq]!.bytes[at + 4 + 16] = 0x32;
    clearDicomAssociationCache();
    const accepted = (events: DicomEvent[]) => only(events, 'association-accepted')[0]!;
    const first = accepted(run(feeds).events);
    const second = accepted(run(other).events);
    expect(first.presentationContexts[0]!.abstractSyntax).toBe('1.2.840.10008.1.1');
    expect(second.presentationContexts[0]!.abstractSyntax).toBe('1.2.840.10008.1.2');
    expect(accepted(run(feeds).events)).toBe(first);
  });

  it('stays bounded however many different associations pass', () => {
    const rq = segments('shared-echo-ct.tsv').find((f) => f.direction === 'client')!.bytes;
    clearDicomAssociationCache();
    let peak = 0;
    for (let i = 0; i < 1500; i++) {
      const bytes = rq.slice();
      // A different calling AE title (PDU offset 26) per association: every one is new to the cache.
      bytes.set(Buffer.from(`AE${String(i).padStart(6, '0')}`.padEnd(16, ' ')), 26);
      const { events } = run([{ direction: 'client', bytes }]);
      expect(only(events, 'association-requested')[0]!.callingAeTitle).toBe(
        `AE${String(i).padStart(6, '0')}`,
      );
      peak = Math.max(peak, dicomAssociationCacheSize().entries);
      expect(dicomAssociationCacheSize().bytes).toBeLessThanOrEqual(8 * 1024 * 1024);
    }
    expect(peak).toBe(512);
  });

  it('gives the same events with and without the cache however the bytes are split', () => {
    const feeds = segments('shared-echo-wrong-ae.tsv');
    clearDicomAssociationCache();
    const reference = run(feeds).events;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.boolean(), (size, clear) => {
        if (clear) clearDicomAssociationCache();
        const pieces = feeds.flatMap((f) => {
          const out: Segment[] = [];
          for (let at = 0; at < f.bytes.length; at += size)
            out.push({ ...f, bytes: f.bytes.subarray(at, at + size) });
          return out;
        });
        expect(run(pieces).events).toEqual(reference);
      }),
      { numRuns: 40 },
    );
  });
});

describe('DicomStreamDissector limits and bad input', () => {
  it('gives the same events however the bytes are split', () => {
    const cases = FIXTURES.map((f) => ({ fixture: f, segs: segments(f), expected: eventsOf(f) }));
    fc.assert(
      fc.property(
        fc.constantFrom(...cases),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 40 }),
        fc.boolean(),
        ({ segs, expected }, sizes, coalesce) => {
          const feeds: Segment[] = [];
          for (const s of segs) {
            const last = feeds.at(-1);
            if (coalesce && last?.direction === s.direction) {
              last.bytes = new Uint8Array(Buffer.concat([last.bytes, s.bytes]));
            } else feeds.push({ ...s });
          }
          const pieces: { direction: Direction; bytes: Uint8Array }[] = [];
          let k = 0;
          for (const f of feeds) {
            for (let at = 0; at < f.bytes.length; ) {
              const size = sizes[k++ % sizes.length]!;
              pieces.push({ direction: f.direction, bytes: f.bytes.subarray(at, at + size) });
              at += size;
            }
          }
          expect(run(pieces).events).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('stops a direction whose association PDU is larger than the buffer cap', () => {
    // the A-ASSOCIATE-RQ of storescu is 9615 bytes, the A-ASSOCIATE-AC of storescp 4299
    const { sut, events } = run(segments('shared-store-ct-head.tsv'), { maxPduBuffer: 8192 });
    expect(events.filter((e) => e.direction === 'client')).toEqual([
      {
        type: 'error',
        direction: 'client',
        offset: 0,
        reason: 'PDU length 9609 exceeds the limit of 8192',
        fatal: true,
      },
    ]);
    expect(sut.stopped('client')).toBe(true);
    expect(sut.stopped('server')).toBe(false);
  });

  it('scans only the first bytes of a message, once', () => {
    const events = eventsOf('loopback-store-mr-implicit.tsv', { maxMessageBytes: 500 });
    expect(only(events, 'dataset')).toEqual([
      expect.objectContaining({ scannedBytes: 500, status: 'truncated', manufacturer: 'TOSHIBA_MEC' }),
    ]);
    // With room for it all, the scan ends at the pixel data (about 1.1 kB in) and calls the data set complete.
    expect(only(eventsOf('loopback-store-mr-implicit.tsv', { maxMessageBytes: 2000 }), 'dataset')).toEqual([
      expect.objectContaining({ scannedBytes: 2000, status: 'complete' }),
    ]);
  });

  it('holds at most four messages of buffer per direction, however many contexts interleave', () => {
    // The first 600 bytes of the real CT data set, sent as an unfinished fragment on ten contexts.
    const dataSet = messages('shared-store-ct-head.tsv', 'client')
      .find((m) => !m.isCommand)!
      .bytes.subarray(0, 600);
    const pdu = (context: number) => {
      const out = new Uint8Array(12 + dataSet.length);
      const view = new DataView(out.buffer);
      out[0] = 4;
      view.setUint32(2, 6 + dataSet.length);
      view.setUint32(6, 2 + dataSet.length);
      out[10] = context;
      out[11] = 0; // data, not last
      out.set(dataSet, 12);
      return out;
    };
    const feeds = Array.from({ length: 10 }, (_, i) => ({
      direction: 'client' as const,
      bytes: pdu(2 * i + 1),
    }));
    const { events } = run(feeds, { maxMessageBytes: 1000 }, false);
    // 4 × 1000 bytes of budget: six fragments fit whole; each later one gets the 400 bytes left and is
    // scanned at once, which frees them again
    expect(only(events, 'dataset').map((e) => [e.contextId, e.scannedBytes, e.status])).toEqual([
      [13, 400, 'truncated'],
      [15, 400, 'truncated'],
      [17, 400, 'truncated'],
      [19, 400, 'truncated'],
    ]);
  });

  it('stops at bytes that are not DICOM, at the offset they start', () => {
    const http = new TextEncoder().encode('GET /index.html HTTP/1.1\r\nHost: pacs.sgh.example\r\n\r\n');
    expect(run([{ direction: 'client', bytes: http }]).events).toEqual([
      { type: 'error', direction: 'client', offset: 0, reason: 'not a DICOM PDU: type 0x47', fatal: true },
    ]);
    const segs = segments('shared-echo-ct.tsv');
    const withJunk = [
      ...segs.slice(0, 2),
      { frame: 0, direction: 'client' as const, bytes: http },
      ...segs.slice(3),
    ];
    const { events } = run(withJunk);
    expect(only(events, 'error')).toEqual([
      { type: 'error', direction: 'client', offset: 211, reason: 'not a DICOM PDU: type 0x47', fatal: true },
    ]);
    expect(summary(events.filter((e) => e.direction === 'server'))).toContain('command C-ECHO-RSP');
  });

  it('never throws on random bytes in either direction', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.constantFrom<Direction>('client', 'server'), fc.uint8Array({ maxLength: 300 })),
          {
            maxLength: 12,
          },
        ),
        (feeds) => {
          const { sut, events } = run(feeds.map(([direction, bytes]) => ({ direction, bytes })));
          for (const e of events) expect(e.offset).toBeLessThanOrEqual(sut.bytesSeen(e.direction));
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never throws on mutated real connections', () => {
    const all = FIXTURES.map((f) => segments(f));
    fc.assert(
      fc.property(
        fc.constantFrom(...all),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 10,
        }),
        (segs, flips) => {
          const copy = segs.map((s) => ({ ...s, bytes: s.bytes.slice() }));
          for (const [i, at, value] of flips) {
            const seg = copy[i % copy.length]!;
            seg.bytes[at % seg.bytes.length] = value;
          }
          const { events } = run(copy);
          expect(events.every((e) => typeof e.type === 'string')).toBe(true);
        },
      ),
      { numRuns: 400 },
    );
  });
});
