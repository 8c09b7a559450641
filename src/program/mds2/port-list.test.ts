/**
 * Port lists in MDS2 notes. The sentences marked "published" are quoted from a manufacturer's public
 * network-security statement beside its MDS2 (MediCapture MVR/MTR, 2026; see test/fixtures/mds2/PROVENANCE.md);
 * the others are the shapes the brief and HN 1-2019 notes use. Property tests: any text never throws and
 * yields only valid ports; any generated list written in the usual styles is read back exactly.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_RANGE, parsePortList } from './port-list.js';

const keys = (note: string) =>
  parsePortList(note).map((s) => `${s.port}/${s.transport}${s.service ? ` ${s.service}` : ''}`);

describe('parsePortList', () => {
  it('reads the usual ways of writing a port list', () => {
    expect(keys('TCP 104 DICOM, 443 HTTPS')).toEqual(['104/tcp DICOM', '443/tcp HTTPS']);
    expect(keys('104/tcp (DICOM storage), 123/udp NTP')).toEqual(['104/tcp DICOM storage', '123/udp NTP']);
    expect(keys('HTTPS on port 443; UDP: 123 (NTP)')).toEqual(['443/tcp HTTPS', '123/udp NTP']);
    expect(keys('TCP 104, UDP 123')).toEqual(['104/tcp', '123/udp']);
    expect(keys('tcp/udp 5353 mDNS')).toEqual(['5353/tcp mDNS', '5353/udp mDNS']);
    expect(keys('Ports 5000-5002 (TCP)')).toEqual(['5000/tcp', '5001/tcp', '5002/tcp']);
    expect(keys('DICOM port 104')).toEqual(['104/tcp DICOM']);
  });

  it('reads published sentences', () => {
    // published: the remote-control API row of the network table
    expect(keys('Port 3333 is used for HTTP, and port 3334 is used for HTTPS.')).toEqual([
      '3333/tcp',
      '3334/tcp',
    ]);
    // published: the communication-ports table flattened into a note
    // The name before a port counts; "DICOM Store" does not read as one name.
    expect(keys('HTTPS 443 TCP; DICOM Store 104 TCP; Samba/SMB 445 TCP; NTP 123 UDP')).toEqual([
      '443/tcp HTTPS',
      '104/tcp',
      '445/tcp SMB',
      '123/udp NTP',
    ]);
  });

  it('never takes standards, versions, years or addresses for ports', () => {
    expect(parsePortList('Developed per IEC 62304 in 2019; see IFU version 3.1')).toEqual([]);
    expect(parsePortList('Yes, IEC 62304')).toEqual([]);
    expect(parsePortList('TCP port 104 for DICOM and 2575 for HL7. Certified 2021.')).toEqual([
      { port: 104, transport: 'tcp', protocol: 'dicom', service: 'DICOM' },
      { port: 2575, transport: 'tcp', protocol: 'hl7', service: 'HL7' },
    ]);
    expect(parsePortList('TCP to 10.0.0.1')).toEqual([]);
    expect(parsePortList('TCP 0, 70000, 1-65535')).toEqual([]);
    expect(parsePortList('')).toEqual([]);
    expect(parsePortList(null)).toEqual([]);
  });

  it('never throws and yields only valid, unique ports on any text', () => {
    const word = fc.constantFrom(
      'TCP',
      'udp',
      'port',
      'Ports',
      'DICOM',
      'and',
      ',',
      '.',
      '(',
      ')',
      '/',
      '-',
      ';',
      'HTTPS',
      'IEC',
      '\n',
      'for',
      'ok',
    );
    const piece = fc.oneof(word, fc.nat({ max: 99_999 }).map(String), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 300 }),
          fc.array(piece, { maxLength: 40 }).map((a) => a.join(' ')),
        ),
        (note) => {
          const out = parsePortList(note);
          const seen = new Set<string>();
          for (const s of out) {
            expect(Number.isInteger(s.port) && s.port >= 1 && s.port <= 65_535).toBe(true);
            expect(['tcp', 'udp']).toContain(s.transport);
            expect(seen.has(`${s.port}/${s.transport}`)).toBe(false);
            seen.add(`${s.port}/${s.transport}`);
          }
          expect(out.length).toBeLessThanOrEqual(note.length * (MAX_RANGE + 1) * 2);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('reads back any list written in the usual styles', () => {
    const name = fc.constantFrom('DICOM', 'HTTPS', 'HL7', 'NTP', 'SNMP', 'SSH', null);
    const entry = fc.record({
      port: fc.integer({ min: 1, max: 65_535 }),
      transport: fc.constantFrom('tcp' as const, 'udp' as const),
      name,
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: (e) => `${e.port}/${e.transport}`, minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2 }),
        (list, style) => {
          const note = list
            .map((e) =>
              style === 0
                ? `${e.transport.toUpperCase()} ${e.port}${e.name ? ` ${e.name}` : ''}`
                : style === 1
                  ? `${e.port}/${e.transport}${e.name ? ` (${e.name})` : ''}`
                  : `${e.name ? `${e.name} on ` : ''}${e.transport} port ${e.port}`,
            )
            .join(style === 2 ? '; ' : ', ');
          expect(parsePortList(note).map((s) => [s.port, s.transport, s.service])).toEqual(
            list.map((e) => [e.port, e.transport, e.name]),
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});
