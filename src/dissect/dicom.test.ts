import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type DicomPdu, looksLikeDicom, parseDicomPdu } from './dicom.js';
import { fixtureText, pdus, segments, stream } from './dicom-test-fixtures.js';

/** tshark -T fields output (extract.sh `assoc`), one row per association PDU. */
const TSHARK_COLUMNS = [
  'stream',
  'frame',
  'srcport',
  'type',
  'calling',
  'called',
  'actx',
  'pctxId',
  'abstractSyntax',
  'result',
  'transferSyntax',
  'maxPdu',
  'implUid',
  'implVersion',
  'asyncInvoked',
  'asyncPerformed',
  'roleUid',
  'scuRole',
  'scpRole',
  'identityType',
  'identityResponse',
  'rjResult',
  'rjSource',
  'rjReason',
  'abortSource',
  'abortReason',
] as const;
type TsharkRow = Record<(typeof TSHARK_COLUMNS)[number], string>;
function tsharkRows(file: string): TsharkRow[] {
  return fixtureText(file)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => Object.fromEntries(line.split('\t').map((v, i) => [TSHARK_COLUMNS[i], v])) as TsharkRow);
}
const list = (v: string): string[] => (v === '' ? [] : v.split('|'));
const uidOf = (v: string): string => /\(([0-9.]+)\)$/.exec(v)?.[1] ?? v;
const num = (v: string): number => Number(v);

/** Each fixture with the tshark capture stream it was cut from. */
const CONNECTIONS = [
  { fixture: 'shared-echo-ct.tsv', tshark: 'tshark-shared-assoc.tsv', stream: 0 },
  { fixture: 'shared-store-ct-head.tsv', tshark: 'tshark-shared-assoc.tsv', stream: 1 },
  { fixture: 'shared-echo-wrong-ae.tsv', tshark: 'tshark-shared-assoc.tsv', stream: 5 },
  { fixture: 'shared-find-orthanc.tsv', tshark: 'tshark-shared-assoc.tsv', stream: 6 },
  { fixture: 'loopback-user-identity-password.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 0 },
  { fixture: 'loopback-store-user-identity.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 1 },
  { fixture: 'loopback-echo-abort.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 2 },
  { fixture: 'loopback-echo-rejected.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 3 },
  { fixture: 'loopback-store-mr-implicit.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 4 },
  { fixture: 'loopback-store-rtplan-implicit.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 5 },
  { fixture: 'loopback-store-deflated.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 6 },
  { fixture: 'loopback-get-role-selection.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 7 },
  { fixture: 'loopback-find-worklist.tsv', tshark: 'tshark-loopback-assoc.tsv', stream: 8 },
];

describe('parseDicomPdu on real traffic, checked against tshark', () => {
  for (const { fixture, tshark, stream: tcpStream } of CONNECTIONS) {
    it(`${fixture}: every association PDU matches tshark's dissection`, () => {
      const ours = [...pdus(fixture, 'client'), ...pdus(fixture, 'server')]
        .filter((p) => p.pdu.type !== 'P-DATA-TF')
        .sort((a, b) => a.frame - b.frame);
      const lastFrame = Math.max(...segments(fixture).map((s) => s.frame));
      const expected = tsharkRows(tshark).filter(
        (r) => num(r.stream) === tcpStream && num(r.frame) <= lastFrame,
      );
      expect(ours.map((p) => p.frame)).toEqual(expected.map((r) => num(r.frame)));
      for (const [i, row] of expected.entries()) checkAgainstTshark(ours[i]!.pdu, row);
    });
  }

  it('reads the Orthanc C-FIND association field by field', () => {
    const [rq] = pdus('shared-find-orthanc.tsv', 'client');
    expect(rq!.pdu).toEqual({
      type: 'A-ASSOCIATE-RQ',
      length: 261,
      protocolVersion: 1,
      calledAeTitle: 'ORTHANC',
      callingAeTitle: 'RT_PLANNING',
      applicationContext: '1.2.840.10008.3.1.1.1',
      presentationContexts: [
        {
          id: 1,
          abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1',
          transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2.2', '1.2.840.10008.1.2'],
        },
      ],
      userInformation: {
        maxPduLength: 16384,
        implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
        implementationVersionName: 'OFFIS_DCMTK_367',
        roleSelections: [],
        extendedNegotiations: [],
        commonExtendedNegotiations: [],
        unknownItems: [],
      },
    });
  });

  it('splits P-DATA-TF into PDVs with their control header bits', () => {
    const data = pdus('shared-find-orthanc.tsv', 'server').filter((p) => p.pdu.type === 'P-DATA-TF');
    const pdvs = data.flatMap((p) => (p.pdu.type === 'P-DATA-TF' ? p.pdu.pdvs : []));
    // tshark: C-FIND-RSP ×4 commands (flags 0x03) with 3 data sets (flags 0x02) between them
    expect(pdvs.map((v) => (v.isCommand ? 'C' : 'D') + (v.isLast ? 'L' : ''))).toEqual([
      'CL',
      'DL',
      'CL',
      'DL',
      'CL',
      'DL',
      'CL',
    ]);
    expect(pdvs.every((v) => v.contextId === 1)).toBe(true);
    expect(pdvs.map((v) => v.value.length + 2)).toEqual([90, 104, 90, 100, 90, 122, 90]);
  });

  it('records that a username and passcode were offered, never what they were', () => {
    const [rq] = pdus('loopback-user-identity-password.tsv', 'client');
    expect(rq!.pdu.type === 'A-ASSOCIATE-RQ' && rq!.pdu.userInformation.userIdentity).toEqual({
      type: 2,
      typeName: 'username-and-passcode',
      positiveResponseRequested: true,
      primaryFieldPresent: true,
      secondaryFieldPresent: true,
    });
    const text = JSON.stringify(rq!.pdu);
    // make-loopback-capture.sh: storescu --user biomed --password 'S3cret!Pw'
    expect(Buffer.from(rq!.bytes).toString('latin1')).toContain('S3cret!Pw');
    expect(text).not.toContain('S3cret!Pw');
    expect(text).not.toContain('biomed');
  });
});

function checkAgainstTshark(pdu: DicomPdu, row: TsharkRow): void {
  const typeNumber = {
    'A-ASSOCIATE-RQ': 1,
    'A-ASSOCIATE-AC': 2,
    'A-ASSOCIATE-RJ': 3,
    'P-DATA-TF': 4,
  } as const;
  const expectedType = num(row.type);
  const ourType =
    pdu.type === 'A-RELEASE-RQ'
      ? 5
      : pdu.type === 'A-RELEASE-RP'
        ? 6
        : pdu.type === 'A-ABORT'
          ? 7
          : typeNumber[pdu.type];
  expect(ourType).toBe(expectedType);
  if (pdu.type === 'A-ASSOCIATE-RQ' || pdu.type === 'A-ASSOCIATE-AC') {
    expect(pdu.callingAeTitle).toBe(row.calling.trim());
    expect(pdu.calledAeTitle).toBe(row.called.trim());
    expect(pdu.applicationContext).toBe(uidOf(row.actx));
    expect(pdu.presentationContexts.map((c) => c.id)).toEqual(list(row.pctxId).map(num));
    const info = pdu.userInformation;
    expect(info.maxPduLength).toBe(num(row.maxPdu));
    expect(info.implementationClassUid).toBe(row.implUid);
    expect(info.implementationVersionName).toBe(row.implVersion);
    expect(info.roleSelections.map((r) => r.sopClassUid)).toEqual(list(row.roleUid).map(uidOf));
    expect(info.roleSelections.map((r) => (r.scuRole ? 1 : 0))).toEqual(list(row.scuRole).map(num));
    expect(info.roleSelections.map((r) => (r.scpRole ? 1 : 0))).toEqual(list(row.scpRole).map(num));
    if (row.asyncInvoked !== '') {
      expect(info.asyncOperationsWindow).toEqual({
        maxInvoked: num(row.asyncInvoked),
        maxPerformed: num(row.asyncPerformed),
      });
    }
    if (row.identityType === '') expect(info.userIdentity).toBeUndefined();
    else {
      expect(info.userIdentity?.type).toBe(num(row.identityType));
      expect(info.userIdentity?.positiveResponseRequested).toBe(row.identityResponse === '1');
    }
  }
  if (pdu.type === 'A-ASSOCIATE-RQ') {
    expect(pdu.presentationContexts.map((c) => c.abstractSyntax)).toEqual(
      list(row.abstractSyntax).map(uidOf),
    );
    expect(pdu.presentationContexts.flatMap((c) => c.transferSyntaxes)).toEqual(
      list(row.transferSyntax).map(uidOf),
    );
  }
  if (pdu.type === 'A-ASSOCIATE-AC') {
    expect(pdu.presentationContexts.map((c) => c.result)).toEqual(list(row.result).map(num));
    expect(pdu.presentationContexts.flatMap((c) => c.transferSyntax ?? [])).toEqual(
      list(row.transferSyntax).map(uidOf),
    );
  }
  if (pdu.type === 'A-ASSOCIATE-RJ') {
    expect([pdu.result, pdu.source, pdu.reason]).toEqual([
      num(row.rjResult),
      num(row.rjSource),
      num(row.rjReason),
    ]);
    expect([pdu.resultName, pdu.sourceName, pdu.reasonName]).toEqual([
      'rejected-permanent',
      'service-user',
      'no-reason-given',
    ]);
  }
  if (pdu.type === 'A-ABORT') {
    expect([pdu.source, pdu.reason]).toEqual([num(row.abortSource), num(row.abortReason)]);
  }
}

describe('parseDicomPdu on incomplete and bad input', () => {
  const rq = stream('shared-echo-ct.tsv', 'client').subarray(0, 211);

  it('asks for more on every proper prefix of a real PDU, with the total once the header is in', () => {
    for (let n = 0; n < rq.length; n++) {
      const r = parseDicomPdu(rq.subarray(0, n));
      expect(r.kind).toBe('need-more');
      if (n >= 6) expect(r).toEqual({ kind: 'need-more', needed: 211 });
    }
    expect(parseDicomPdu(rq)).toMatchObject({ kind: 'ok', consumed: 211 });
  });

  it('rejects an unknown PDU type at offset 0', () => {
    const bad = rq.slice();
    bad[0] = 0x16; // a TLS handshake record
    expect(parseDicomPdu(bad)).toEqual({ kind: 'error', offset: 0, reason: 'not a DICOM PDU: type 0x16' });
  });

  it('rejects an absurd length before waiting for it', () => {
    const bad = rq.slice(0, 6);
    bad.set([0x7f, 0xff, 0xff, 0xff], 2);
    expect(parseDicomPdu(bad)).toMatchObject({ kind: 'error', offset: 0 });
    expect(parseDicomPdu(bad, { maxPduLength: 0x80000000 }).kind).toBe('need-more');
  });

  it('rejects a release or abort PDU whose length is not 4', () => {
    const release = stream('shared-echo-ct.tsv', 'client').subarray(291, 301).slice();
    expect(parseDicomPdu(release)).toMatchObject({ kind: 'ok', value: { type: 'A-RELEASE-RQ' } });
    release[5] = 5;
    expect(parseDicomPdu(release)).toMatchObject({
      kind: 'error',
      reason: 'A-RELEASE-RQ length 5, expected 4',
    });
  });

  it('reports where an item overruns its PDU', () => {
    const bad = rq.slice();
    bad[74 + 2] = 0xff; // application context item length → 0xff15
    const r = parseDicomPdu(bad);
    expect(r).toMatchObject({ kind: 'error', offset: 74 });
  });

  it('never throws on random bytes, and what it returns is well formed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        const r = parseDicomPdu(bytes);
        if (r.kind === 'ok') expect(r.consumed).toBeLessThanOrEqual(bytes.length);
        if (r.kind === 'error') expect(r.offset).toBeGreaterThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real PDUs', () => {
    const samples = CONNECTIONS.flatMap(({ fixture }) =>
      [...pdus(fixture, 'client'), ...pdus(fixture, 'server')]
        .map((p) => p.bytes)
        .filter((b) => b.length < 20_000),
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...samples),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(),
        (sample, flips, cut) => {
          const bytes = sample.slice(0, sample.length - (cut % 8));
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          const r = parseDicomPdu(bytes);
          expect(['ok', 'need-more', 'error']).toContain(r.kind);
        },
      ),
      { numRuns: 2000 },
    );
  });
});

describe('looksLikeDicom', () => {
  it('recognises the first client segment of every real association', () => {
    for (const { fixture } of CONNECTIONS)
      expect(looksLikeDicom(segments(fixture)[0]!.bytes), fixture).toBe(true);
  });

  it('does not take the answers, HL7, HTTP or TLS for an association request', () => {
    expect(looksLikeDicom(segments('shared-echo-ct.tsv')[1]!.bytes)).toBe(false); // A-ASSOCIATE-AC
    expect(looksLikeDicom(new TextEncoder().encode('\x0bMSH|^~\\&|MONITOR_GW|ICU_EAST|EHR|SGH|2026'))).toBe(
      false,
    );
    expect(
      looksLikeDicom(new TextEncoder().encode('GET /index.html HTTP/1.1\r\nHost: portal.sgh.example\r\n')),
    ).toBe(false);
    expect(
      looksLikeDicom(Uint8Array.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])),
    ).toBe(false);
  });
});
