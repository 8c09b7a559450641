import { describe, expect, it } from 'vitest';
import {
  fromHex,
  fuzzDatagram,
  leaksNone,
  loadDatagrams,
  loadTsv,
  loadZeekLog,
} from './network-test-fixtures.js';
import { parseSnmp, type SnmpMessage } from './snmp.js';

const parsedAll = (file: string) =>
  loadDatagrams(file).map(({ frame, payload }) => {
    const r = parseSnmp(payload);
    if (r.kind !== 'ok') throw new Error(`frame ${frame}: ${JSON.stringify(r)}`);
    return { frame, msg: r.value };
  });

const utf8 = (hex: string) => new TextDecoder().decode(fromHex(hex));

/** OIDs, OCTET STRING values (system group only: we keep no others) and OID values, as tshark lists them. */
function expectLikeTshark(msgs: { frame: number; msg: SnmpMessage }[], tsv: string): void {
  const rows = loadTsv(tsv);
  for (const { frame, msg } of msgs) {
    const row = rows.find((r) => r['frame.number'] === String(frame))!;
    expect(msg.varbinds.map((v) => v.oid).join(','), `frame ${frame}`).toBe(row['snmp.name']);
    const octets = msg.varbinds
      .filter((v) => v.type === 'OCTET STRING' && v.value !== undefined)
      .map((v) => v.value);
    const theirs = (row['snmp.value.octets'] ?? '').split(',').filter(Boolean).map(utf8);
    if (msg.varbinds.every((v) => v.oid.startsWith('1.3.6.1.2.1.1.'))) expect(octets).toEqual(theirs);
    const oids = msg.varbinds.filter((v) => v.type === 'OID' && v.value !== undefined).map((v) => v.value);
    if (msg.varbinds.every((v) => v.oid.startsWith('1.3.6.1.2.1.1.'))) {
      expect(oids.join(',')).toBe(row['snmp.value.oid']);
    }
  }
}

describe('parseSnmp on net-snmp 5.9.3 (snmpget/snmpbulkget ↔ snmpd, loopback)', () => {
  const msgs = parsedAll('snmp/net-snmp-v1-v2c.udp.tsv');

  it('agrees with tshark on version, OIDs and system-group values', () => {
    const rows = loadTsv('snmp/net-snmp-v1-v2c.tshark.tsv');
    for (const { frame, msg } of msgs) {
      const v = rows.find((r) => r['frame.number'] === String(frame))!['snmp.version'];
      expect(msg.version).toBe(v === '0' ? 'v1' : 'v2c');
    }
    expectLikeTshark(msgs, 'snmp/net-snmp-v1-v2c.tshark.tsv');
  });

  it('keeps the device identity of responses', () => {
    expect(msgs[1]!.msg).toMatchObject({
      pduType: 'get-response',
      system: { sysDescr: expect.stringMatching(/^Linux /), sysObjectID: '1.3.6.1.4.1.8072.3.2.10' },
    });
    expect(msgs[3]!.msg.system).toMatchObject({ sysName: 'icu-gw-03', sysLocation: 'ICU-3 Bed 12' });
    expect(msgs[4]!.msg).toMatchObject({ pduType: 'get-bulk-request', errorStatus: 0, errorIndex: 3 });
  });

  it('keeps a system object in the device identity only when its type is right', () => {
    // Found by fuzzing the analyzer: sysName sent as a Counter32 became a number named sysName, and the
    // fingerprinting that reads it as text threw, stopping the whole import.
    const { payload } = loadDatagrams('snmp/net-snmp-v1-v2c.udp.tsv')[3]!;
    const bad = payload.slice();
    const at = Buffer.from(bad).indexOf('icu-gw-03');
    expect([bad[at - 2], bad[at - 1]]).toEqual([0x04, 9]); // OCTET STRING, 9 bytes
    bad[at - 2] = 0x41;
    const r = parseSnmp(bad);
    if (r.kind !== 'ok') throw new Error(JSON.stringify(r));
    expect(r.value.system.sysName).toBeUndefined();
    expect(r.value.system).toMatchObject({ sysLocation: 'ICU-3 Bed 12' });
    expect(r.value.varbinds.find((v) => v.oid === '1.3.6.1.2.1.1.5.0')).toMatchObject({
      type: 'Counter32',
      value: expect.any(Number),
    });
  });

  it('reports the community by kind and length, never its value', () => {
    expect(msgs.map((m) => m.msg.community)).toEqual([
      ...Array(6).fill({ length: 12, defaultCommunity: false, kind: 'custom' }),
      { length: 6, defaultCommunity: true, kind: 'public' },
      { length: 6, defaultCommunity: true, kind: 'public' },
      { length: 7, defaultCommunity: true, kind: 'private' },
    ]);
    expect(leaksNone(msgs, ['Sgh-IcU-2024'])).toBe(true);
  });
});

describe('parseSnmp on Zeek’s SNMP traces', () => {
  it('snmpv1_get: a printer answering with enterprise OIDs; only system-group values kept', () => {
    const msgs = parsedAll('snmp/zeek-snmpv1_get.udp.tsv');
    expectLikeTshark(msgs, 'snmp/zeek-snmpv1_get.tshark.tsv');
    expect(msgs[1]!.msg.system.sysObjectID).toBe('1.3.6.1.4.1.2001.1.1.1.297.93.1.27.2.2.1');
    expect(msgs.every((m) => m.msg.community?.kind === 'public')).toBe(true);
    const other = msgs.flatMap((m) => m.msg.varbinds).filter((v) => !v.oid.startsWith('1.3.6.1.2.1.1.'));
    expect(other.length).toBeGreaterThan(0);
    expect(other.every((v) => v.value === undefined)).toBe(true);
  });

  it('snmpv1_trap and snmpv2_get', () => {
    const [trap] = parsedAll('snmp/zeek-snmpv1_trap.udp.tsv');
    expect(trap!.msg).toMatchObject({
      version: 'v1',
      pduType: 'trap',
      trap: { enterprise: '1.3.6.1.4.1.31337.0' },
    });
    expectLikeTshark([trap!], 'snmp/zeek-snmpv1_trap.tshark.tsv');
    const v2 = parsedAll('snmp/zeek-snmpv2_get.udp.tsv');
    expect(v2.map((m) => [m.msg.version, m.msg.pduType])).toEqual([
      ['v2c', 'get-request'],
      ['v2c', 'get-response'],
    ]);
  });

  it('snmpv3_get_next: USM user name as Zeek logs it, discovery report, scoped PDUs', () => {
    const [zeek] = loadZeekLog('snmp/zeek-snmpv3_get_next.snmp.log');
    const msgs = parsedAll('snmp/zeek-snmpv3_get_next.udp.tsv');
    expect(msgs.map((m) => [m.msg.version, m.msg.pduType])).toEqual([
      ['v3', 'get-request'],
      ['v3', 'report'],
      ['v3', 'get-next-request'],
      ['v3', 'get-response'],
    ]);
    expect(msgs[2]!.msg.v3).toMatchObject({
      userName: zeek!['community'],
      authenticated: false,
      encrypted: false,
    });
    expect(msgs[2]!.msg.community).toBeUndefined();
    expect(msgs.filter((m) => m.msg.pduType === 'get-response')).toHaveLength(Number(zeek!['get_responses']));
  });
});

describe('parseSnmp on bad input', () => {
  const samples = [
    ...loadDatagrams('snmp/net-snmp-v1-v2c.udp.tsv'),
    ...loadDatagrams('snmp/zeek-snmpv1_get.udp.tsv'),
    ...loadDatagrams('snmp/zeek-snmpv3_get_next.udp.tsv'),
  ].map((d) => d.payload);

  it('rejects what is not SNMP', () => {
    expect(parseSnmp(new TextEncoder().encode('GET / HTTP/1.1')).kind).toBe('error');
    expect(parseSnmp(Uint8Array.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])).kind).toBe('error');
  });

  it('never throws on random or mutated payloads, and types the system group right', () => {
    const types = { sysUpTime: 'number', sysServices: 'number' } as Record<string, string>;
    fuzzDatagram((payload) => {
      const r = parseSnmp(payload);
      if (r.kind !== 'ok') return;
      for (const [key, value] of Object.entries(r.value.system)) {
        expect(typeof value, key).toBe(types[key] ?? 'string');
      }
    }, samples);
  });
});
