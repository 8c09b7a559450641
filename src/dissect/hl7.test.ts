import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Hl7Summary, parseHl7Message, unescapeHl7 } from './hl7.js';
import {
  HL7_PATIENT_VALUES,
  mllpSegments,
  type PythonHl7Expected,
  pythonHl7Expected,
  samples,
  tsharkHl7,
} from './hl7-test-fixtures.js';

/** The HL7 text inside each captured MLLP frame (start block and end block stripped). */
const captured = mllpSegments().map((s) => ({
  ...s,
  text: Buffer.from(s.bytes.subarray(1, s.bytes.length - 2)).toString('utf8'),
}));

function parsed(text: string): Hl7Summary {
  const r = parseHl7Message(text);
  if (r.kind !== 'ok') throw new Error(`expected a message: ${JSON.stringify(r)}`);
  return r.value;
}

/** Our summary in python-hl7-expected.py's shape. */
function asPythonShape(s: Hl7Summary): PythonHl7Expected {
  const hd = (v: Hl7Summary['sendingApplication']) => [
    v?.namespaceId ?? null,
    v?.universalId ?? null,
    v?.universalIdType ?? null,
  ];
  return {
    'MSH-3': hd(s.sendingApplication),
    'MSH-4': hd(s.sendingFacility),
    'MSH-5': hd(s.receivingApplication),
    'MSH-6': hd(s.receivingFacility),
    'MSH-7': s.messageTime ?? null,
    'MSH-9': [s.messageType ?? null, s.triggerEvent ?? null, s.messageStructure ?? null],
    'MSH-10': s.controlId ?? null,
    'MSH-11': s.processingId ?? null,
    'MSH-12': s.version ?? null,
    segments: s.segmentIds,
    identifying: s.patientData.flatMap((p) =>
      p.fields.map((f) => `${p.segment}#${p.occurrence}-${f.split('-')[1]}`),
    ),
    MSA: s.ack === undefined ? null : [s.ack.code, s.ack.controlId ?? null],
  };
}

describe('parseHl7Message on captured and sample messages, checked against python-hl7 and tshark', () => {
  const expected = pythonHl7Expected();

  for (const m of captured) {
    it(`frame ${m.frame} (${m.direction}) reads as python-hl7 reads it`, () => {
      expect(asPythonShape(parsed(m.text))).toEqual(expected[`frame-${m.frame}`]);
    });
  }

  for (const sample of samples()) {
    it(`${sample.name} (LF line ends${sample.text.startsWith('\ufeff') ? ', BOM' : ''}) reads as python-hl7 reads it`, () => {
      expect(asPythonShape(parsed(sample.text))).toEqual(expected[sample.name]);
    });
  }

  it("agrees with tshark's MSH fields and PID field numbers", () => {
    const tshark = tsharkHl7();
    for (const m of captured) {
      const ours = parsed(m.text);
      const segments = tshark.get(m.frame)!;
      const msh = segments[0]!.fields;
      expect(ours.sendingApplication?.namespaceId).toBe(msh.get(3));
      expect(ours.sendingFacility?.namespaceId).toBe(msh.get(4));
      expect(ours.receivingApplication?.namespaceId).toBe(msh.get(5));
      expect(ours.receivingFacility?.namespaceId).toBe(msh.get(6));
      expect(ours.messageTime).toBe(msh.get(7));
      expect([ours.messageType, ours.triggerEvent, ours.messageStructure].join('^')).toBe(msh.get(9));
      expect(ours.controlId).toBe(msh.get(10));
      expect(ours.version).toBe(msh.get(12));
      // tshark 4.0 drops the last segment when it has no CR before the end block, as all of these do.
      const counts: Record<string, number> = {};
      for (const s of segments) counts[s.id] = (counts[s.id] ?? 0) + 1;
      const lastId = m.text.split('\r').at(-1)!.slice(0, 3);
      counts[lastId] = (counts[lastId] ?? 0) + 1;
      expect(ours.segmentCounts).toEqual(counts);
      // tshark counts the segment id as field 1, so its field n is PID-(n-1); it prints non-empty fields only.
      const pid = segments.find((s) => s.id === 'PID');
      const ourPid = ours.patientData.find((p) => p.segment === 'PID')?.fields ?? [];
      if (pid !== undefined) {
        const theirs = [...pid.fields.keys()].map((n) => `PID-${n - 1}`);
        expect(ourPid.every((f) => theirs.includes(f))).toBe(true);
        expect(ourPid).toEqual(expect.arrayContaining(['PID-3', 'PID-5', 'PID-7', 'PID-11', 'PID-19']));
      }
    }
  });

  it('summarises the ADT^A01 admission and its acknowledgment', () => {
    const admit = parsed(captured.find((m) => m.frame === 62)!.text);
    expect(admit).toMatchObject({
      sendingApplication: { namespaceId: 'REG_ADT' },
      sendingFacility: { namespaceId: 'SPRINGFIELD_GEN' },
      receivingApplication: { namespaceId: 'HL7_ENGINE' },
      messageType: 'ADT',
      triggerEvent: 'A01',
      messageStructure: 'ADT_A01',
      version: '2.5',
      segmentIds: ['MSH', 'EVN', 'PID', 'NK1', 'PV1', 'DG1', 'IN1'],
      hasPatientData: true,
    });
    expect(admit.patientData).toEqual([
      {
        segment: 'PID',
        occurrence: 1,
        fields: ['PID-3', 'PID-5', 'PID-7', 'PID-11', 'PID-13', 'PID-18', 'PID-19'],
      },
      { segment: 'NK1', occurrence: 1, fields: ['NK1-2', 'NK1-4', 'NK1-5'] },
      { segment: 'PV1', occurrence: 1, fields: ['PV1-19'] },
      // The sender (simple-hl7, gen/hl7-send-simple.cjs) put the insured's name one field early, in
      // IN1-15; read by the standard, IN1-16 holds "SEL" and the name field is not IN1-16's.
      { segment: 'IN1', occurrence: 1, fields: ['IN1-16'] },
    ]);
    const ack = parsed(captured.find((m) => m.frame === 64)!.text);
    expect(ack).toMatchObject({
      messageType: 'ACK',
      ack: { code: 'AA', controlId: admit.controlId },
      hasPatientData: false,
    });
  });

  it('keeps the universal id of an HD-typed facility (HL7 2.8 sample)', () => {
    const adt = parsed(samples().find((s) => s.name === 'ADT-A01-01.hl7')!.text);
    expect(adt.sendingFacility).toEqual({
      namespaceId: 'GHHSFacility',
      universalId: '2.16.840.1.122848.1.30',
      universalIdType: 'ISO',
    });
  });

  it('lists the conformance profiles of MSH-21 (MDHHS lab order)', () => {
    const order = parsed(samples().find((s) => s.name === 'MDHHS-OML-O21-1.hl7')!.text);
    expect(order).toMatchObject({
      messageTime: '20160308180405-0500',
      processingId: 'T',
      version: '2.5.1',
      receivingApplication: { namespaceId: 'LAN', universalId: '23D0650909', universalIdType: 'CLIA' },
      messageProfiles: [
        'LOI_NG_PRN_Profile',
        'LAB_FI_Component',
        'LOI_PH_Component',
        'LAB_TO_Component',
        'LOI_PR_Component',
      ],
    });
  });

  it('never returns a patient value', () => {
    const all = [...captured.map((m) => m.text), ...samples().map((s) => s.text)];
    const json = JSON.stringify(all.map((t) => parseHl7Message(t)));
    for (const value of HL7_PATIENT_VALUES) expect(json).not.toContain(value);
    // and the sample patients: every component of PID-3, PID-5, PID-7 and PID-19 of length 4 or more
    for (const text of samples().map((s) => s.text)) {
      const msh = text.split(/\r?\n/)[0]!;
      for (const pid of text.split(/\r?\n/).filter((l) => l.startsWith('PID|'))) {
        const fields = pid.split('|');
        for (const n of [3, 5, 7, 19]) {
          for (const part of (fields[n] ?? '').split(/[\^~&]/)) {
            if (part.length >= 4 && !msh.includes(part)) expect(json).not.toContain(part);
          }
        }
      }
    }
  });

  it('reads CR, LF and CRLF segment ends alike', () => {
    const text = captured.find((m) => m.frame === 62)!.text;
    const cr = parsed(text);
    expect(parsed(text.replaceAll('\r', '\n'))).toEqual(cr);
    expect(parsed(text.replaceAll('\r', '\r\n'))).toEqual(cr);
    expect(parsed(`\ufeff${text}\r\r`)).toEqual(cr);
  });
});

describe('parseHl7Message on bad input', () => {
  const text = captured[0]!.text;

  it('says where a message is not HL7', () => {
    expect(parseHl7Message('GET / HTTP/1.1\r\n')).toEqual({
      kind: 'error',
      offset: 0,
      reason: 'message does not start with MSH',
    });
    expect(parseHl7Message(`  ${text.replace('MSH|', 'MSHA')}`)).toMatchObject({ kind: 'error', offset: 5 });
    expect(parseHl7Message(text.replace('^~\\&', '^^\\&'))).toMatchObject({
      kind: 'error',
      reason: 'encoding characters are not distinct',
    });
    expect(parseHl7Message('BHS|^~\\&|LAB')).toMatchObject({
      kind: 'error',
      reason: expect.stringContaining('batch'),
    });
  });

  it('counts lines that are not segments instead of failing', () => {
    const broken = text.replace('PV1|', 'continued value\rPV1|');
    expect(parsed(broken).unparsedLines).toBe(1);
  });

  it('resolves escape sequences in kept values', () => {
    const d = { field: '|', component: '^', repetition: '~', escape: '\\', subcomponent: '&' };
    expect(unescapeHl7('ICU\\T\\EAST\\F\\2\\X41\\\\H\\x\\N\\', d)).toBe('ICU&EAST|2Ax');
    const escaped = parsed(text.replace('ICU_EAST', 'ICU\\S\\EAST'));
    expect(escaped.sendingFacility).toEqual({ namespaceId: 'ICU^EAST' });
  });

  it('never throws on random text, and what it returns is well formed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (s) => {
        const r = parseHl7Message(`MSH${s}`);
        if (r.kind === 'ok') expect(r.value.segmentIds[0]).toBe('MSH');
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws on mutated real messages', () => {
    const alphabet = fc.constantFrom(
      '|',
      '^',
      '~',
      '\\',
      '&',
      '\r',
      '\n',
      'A',
      '1',
      '"',
      ' ',
      '\u0000',
      '\ufeff',
    );
    fc.assert(
      fc.property(
        fc.constantFrom(...captured.map((m) => m.text)),
        fc.array(fc.tuple(fc.nat(), alphabet), { maxLength: 10 }),
        (message, edits) => {
          const chars = [...message];
          for (const [at, c] of edits) chars[at % chars.length] = c;
          const r = parseHl7Message(chars.join(''));
          if (r.kind === 'ok') expect(r.value.segmentCount).toBeGreaterThanOrEqual(1);
        },
      ),
      { numRuns: 1500 },
    );
  });

  it('never returns patient values of mutated messages whose segment boundaries are intact', () => {
    // A mutation that joins PID to MSH turns patient fields into header fields; short of that, no edit
    // may make a patient value come out.
    const alphabet = fc.constantFrom('|', '^', '~', '\\', '&', 'A', '1', '"', ' ', '\u0000', '\ufeff');
    fc.assert(
      fc.property(
        fc.constantFrom(...captured.map((m) => m.text)),
        fc.array(fc.tuple(fc.nat(), alphabet), { maxLength: 10 }),
        (message, edits) => {
          const chars = [...message];
          for (const [at, c] of edits) if (chars[at % chars.length] !== '\r') chars[at % chars.length] = c;
          const r = parseHl7Message(chars.join(''));
          if (r.kind === 'ok') {
            const json = JSON.stringify(r);
            for (const value of ['HARTMANN', 'MRN00482913', '19670314', '987-65-4321']) {
              expect(json).not.toContain(value);
            }
          }
        },
      ),
      { numRuns: 1500 },
    );
  });
});
