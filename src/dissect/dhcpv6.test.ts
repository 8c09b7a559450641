import { describe, expect, it } from 'vitest';
import { parseDhcpv6 } from './dhcpv6.js';
import { fromHex, fuzzDatagram, loadDatagrams, loadTsv } from './network-test-fixtures.js';

// dnsmasq 2.90 ↔ ISC dhclient 4.4.3-P1 between two network namespaces; see
// test/fixtures/dissect/dhcpv6/PROVENANCE.md and make-dhcpv6-capture.sh
const DATAGRAMS = loadDatagrams('dhcpv6/dnsmasq-dhclient.udp.tsv');
const TSHARK = loadTsv('dhcpv6/dnsmasq-dhclient.tshark.tsv');

const parsed = () =>
  DATAGRAMS.map(({ frame, payload }) => {
    const r = parseDhcpv6(payload);
    if (r.kind !== 'ok') throw new Error(`frame ${frame}: ${JSON.stringify(r)}`);
    expect(r.consumed).toBe(payload.length);
    return { frame, msg: r.value, row: TSHARK.find((t) => t['frame.number'] === String(frame))! };
  });

describe('parseDhcpv6 against tshark (dnsmasq ↔ dhclient -6)', () => {
  it('message type, transaction id, DUID types and MACs, enterprise number, addresses, classes, ORO', () => {
    const msgs = parsed();
    expect(msgs).toHaveLength(8);
    for (const { msg, row } of msgs) {
      expect(String(msg.messageType)).toBe(row['dhcpv6.msgtype']);
      expect(`0x${msg.transactionId.toString(16).padStart(6, '0')}`).toBe(row['dhcpv6.xid']);
      const duidTypes = [msg.clientId?.type, msg.serverId?.type].filter((t) => t !== undefined);
      expect(duidTypes.join(',')).toBe(row['dhcpv6.duid.type']);
      expect(msg.clientId?.mac ?? '').toBe(
        row['dhcpv6.duidllt.link_layer_addr'] || row['dhcpv6.duidll.link_layer_addr'],
      );
      expect(String(msg.serverId?.enterpriseNumber ?? '')).toBe(row['dhcpv6.duiden.enterprise']);
      expect(msg.addresses.join(',')).toBe(row['dhcpv6.iaaddr.ip']);
      expect(String(msg.vendorClass?.enterpriseNumber ?? '')).toBe(row['dhcpv6.vendorclass.enterprise']);
      expect(msg.vendorClass?.data.join(',') ?? '').toBe(row['dhcpv6.vendorclass.data']);
      expect(msg.userClass?.map((u) => Buffer.from(u).toString('hex')).join(',') ?? '').toBe(
        row['dhcpv6.userclass.opaque_data'],
      );
      expect(msg.requestedOptions?.join(',') ?? '').toBe(row['dhcpv6.requested_option_code']);
      if (row['dhcpv6.client_domain'])
        expect(`${msg.fqdn}.`.replace(/\.\.$/, '.')).toContain(
          row['dhcpv6.client_domain']!.replace(/\.$/, ''),
        );
    }
  });

  it('names the messages and who sent them', () => {
    expect(parsed().map(({ msg }) => `${msg.messageTypeName}${msg.fromClient ? '' : '*'}`)).toEqual([
      'SOLICIT',
      'ADVERTISE*',
      'REQUEST',
      'REPLY*',
      'RELEASE',
      'REPLY*',
      'INFORMATION-REQUEST',
      'REPLY*',
    ]);
    const reply = parsed()[3]!.msg;
    expect(reply).toMatchObject({ fqdn: 'infusion-pump-7.ward7.example.org', addresses: ['fd00:77::1a6'] });
  });

  it('unwraps a relay message (RELAY-FORW around the captured SOLICIT), with its offset on errors', () => {
    const solicit = DATAGRAMS[0]!.payload;
    const relay = new Uint8Array(34 + 4 + solicit.length);
    relay[0] = 12;
    relay.set([0, 9, solicit.length >> 8, solicit.length & 0xff], 34);
    relay.set(solicit, 38);
    const r = parseDhcpv6(relay);
    expect(r.kind === 'ok' && r.value).toMatchObject({
      messageTypeName: 'SOLICIT',
      relayed: true,
      clientId: { type: 1 },
    });
    expect(parseDhcpv6(relay.subarray(0, 30))).toMatchObject({ kind: 'error', offset: 30 });
    expect(parseDhcpv6(fromHex('00000000'))).toMatchObject({ kind: 'error', offset: 0 });
    expect(parseDhcpv6(solicit.subarray(0, 20))).toMatchObject({ kind: 'error', offset: 20 });
  });

  it('never throws on random or mutated datagrams', () => {
    fuzzDatagram(
      parseDhcpv6,
      DATAGRAMS.map((d) => d.payload),
    );
  });
});
