/**
 * Which called AE titles are an SCP's own, and when several raise `dicom-any-ae-title:PORT`. The real case
 * (shared capture 02: dcmtk storescp accepting PACS_MAIN and NOT_A_PACS) is in dicom-any-ae.test.ts; here
 * the rule itself, on the accepts of that capture and on any order of accepts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AcceptedCalledTitles, ownCalledTitles } from './dicom-called-titles.js';
import type { Evidence } from './host-observation.js';

const evidence = (packet: number): Evidence => ({
  source: 'capture',
  file: '02-dicom-cleartext.pcap',
  packet,
  summary: 'A-ASSOCIATE-AC',
});

/** The accepts of 10.20.0.10:104 in shared capture 02 (tshark frame, client, called title). */
const CAPTURE_02: [number, string, string][] = [
  [8, '10.20.0.21', 'PACS_MAIN'],
  [42, '10.20.0.21', 'PACS_MAIN'],
  [110, '10.20.0.22', 'PACS_MAIN'],
  [530, '10.20.0.23', 'PACS_MAIN'],
  [871, '10.20.0.50', 'NOT_A_PACS'],
];

function replay(accepts: readonly [number, string, string][], port = 104) {
  const t = new AcceptedCalledTitles();
  const findings = accepts
    .map(([packet, client, calledAeTitle]) =>
      t.accepted({ server: '10.20.0.10', port, client, calledAeTitle, evidence: evidence(packet) }),
    )
    .filter((f) => f !== undefined);
  return { findings, settled: t.settle(), tracker: t };
}

describe('called AE titles an SCP accepted', () => {
  it('02: PACS_MAIN (three clients) is its own, NOT_A_PACS (one) is not; the finding cites frame 871', () => {
    const { findings, settled } = replay(CAPTURE_02);
    expect(settled).toEqual([
      { ip: '10.20.0.10', own: ['PACS_MAIN'], others: [{ title: 'NOT_A_PACS', evidence: evidence(871) }] },
    ]);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      type: 'insecure-protocol',
      subject: 'dicom-any-ae-title:104',
      evidence: { packet: 871 },
      details: { detection: 'several-called-titles', calledAeTitles: ['PACS_MAIN', 'NOT_A_PACS'] },
    });
  });

  it('the stray call first: the same titles are its own, whatever the order', () => {
    const { settled } = replay([...CAPTURE_02].reverse());
    expect(settled[0]!.own).toEqual(['PACS_MAIN']);
  });

  it('one title is its own even from one client; two titles from one client each are neither', () => {
    expect(replay(CAPTURE_02.slice(0, 1)).settled[0]!.own).toEqual(['PACS_MAIN']);
    expect(replay(CAPTURE_02.slice(0, 1)).findings).toEqual([]);
    const two = replay([CAPTURE_02[0]!, CAPTURE_02[4]!]);
    expect(two.settled[0]!.own).toEqual([]);
    expect(two.findings).toHaveLength(1);
  });

  it('a PACS with a storage and a query title, each called by two clients, keeps both', () => {
    const { settled, findings } = replay([
      [1, '10.0.0.1', 'PACS_STORE'],
      [2, '10.0.0.2', 'PACS_STORE'],
      [3, '10.0.0.3', 'PACS_QR'],
      [4, '10.0.0.4', 'PACS_QR'],
    ]);
    expect(settled[0]!.own).toEqual(['PACS_STORE', 'PACS_QR']);
    expect(findings).toHaveLength(1);
  });

  it('settles only servers that changed since the last time', () => {
    const { tracker } = replay(CAPTURE_02);
    expect(tracker.settle()).toEqual([]);
    tracker.accepted({
      server: '10.20.0.10',
      port: 104,
      client: '10.20.0.51',
      calledAeTitle: 'NOT_A_PACS',
      evidence: evidence(900),
    });
    expect(tracker.settle()[0]!.own).toEqual(['PACS_MAIN', 'NOT_A_PACS']);
  });

  it('own titles do not depend on the order of accepts; one finding iff two or more titles (property)', () => {
    const accept = fc.tuple(
      fc.nat(1000),
      fc.constantFrom('10.0.0.1', '10.0.0.2', '10.0.0.3'),
      fc.constantFrom('A', 'B', 'C ', ' D'),
    );
    fc.assert(
      fc.property(fc.array(accept, { minLength: 1, maxLength: 20 }), fc.nat(), (accepts, seed) => {
        const shuffled = [...accepts].sort(
          (a, b) => ((a[0] * 31 + seed) % 97) - ((b[0] * 31 + seed) % 97) || a[0] - b[0],
        );
        const one = replay(accepts);
        const other = replay(shuffled);
        expect([...one.settled[0]!.own].sort()).toEqual([...other.settled[0]!.own].sort());
        const titles = new Set(accepts.map(([, , t]) => t.trim()));
        expect(one.findings).toHaveLength(titles.size >= 2 ? 1 : 0);
        const own = one.settled[0]!.own;
        const others = one.settled[0]!.others.map((o) => o.title);
        expect(new Set([...own, ...others])).toEqual(titles);
        if (titles.size === 1) expect(own).toEqual([...titles]);
      }),
    );
  });

  it('ownCalledTitles: the only title, else those two or more clients called', () => {
    expect(ownCalledTitles(new Map([['X', { clients: ['a'] }]]))).toEqual(['X']);
    expect(
      ownCalledTitles(
        new Map([
          ['X', { clients: ['a', 'b'] }],
          ['Y', { clients: ['c'] }],
        ]),
      ),
    ).toEqual(['X']);
  });
});
