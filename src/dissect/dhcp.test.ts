import { describe, expect, it } from 'vitest';
import { type DhcpMessage, parseDhcp } from './dhcp.js';
import { fuzzDatagram, loadDatagrams, loadTsv, loadZeekLog } from './network-test-fixtures.js';

const parsed = (file: string) =>
  loadDatagrams(file).map(({ frame, payload }) => {
    const r = parseDhcp(payload);
    if (r.kind !== 'ok') throw new Error(`frame ${frame}: ${JSON.stringify(r)}`);
    expect(r.consumed).toBe(payload.length);
    return { frame, msg: r.value };
  });

/** Compares one message with the tshark row of the same frame (fields that tshark printed). */
function expectLikeTshark(msg: DhcpMessage, row: Record<string, string>): void {
  expect(String(msg.messageTypeCode)).toBe(row['dhcp.option.dhcp']);
  expect(msg.yourAddress).toBe(row['dhcp.ip.your']);
  expect(row['dhcp.hw.mac_addr']!.split(',')[0]).toBe(
    msg.clientMac ?? msg.clientHardwareAddress.replace(/(..)(?!$)/g, '$1:'),
  );
  expect(msg.hostname ?? '').toBe(row['dhcp.option.hostname']);
  expect(msg.vendorClassId ?? '').toBe(row['dhcp.option.vendor_class_id']);
  expect(msg.parameterRequestList?.join(',') ?? '').toBe(row['dhcp.option.request_list_item']);
  expect(msg.requestedAddress ?? '').toBe(row['dhcp.option.requested_ip_address']);
  expect(msg.serverId ?? '').toBe(row['dhcp.option.dhcp_server_id']);
  expect(msg.leaseTime === undefined ? '' : String(msg.leaseTime)).toBe(
    row['dhcp.option.ip_address_lease_time'],
  );
  expect(msg.fqdn?.name ?? '').toBe(row['dhcp.fqdn.name']);
}

describe('parseDhcp on the shared capture (dhclient CT, udhcpc ECG, dnsmasq)', () => {
  const msgs = parsed('dhcp/sgh-dora.udp.tsv');
  const tshark = loadTsv('dhcp/sgh-dora.tshark.tsv');

  it('agrees with tshark on every field of every DORA message', () => {
    expect(msgs).toHaveLength(8);
    for (const { frame, msg } of msgs)
      expectLikeTshark(msg, tshark.find((r) => r['frame.number'] === String(frame))!);
  });

  it('keeps the CT’s identity and its option-55 fingerprint in order', () => {
    const discover = msgs[0]!.msg;
    expect(discover).toMatchObject({
      op: 'request',
      isDhcp: true,
      messageType: 'DISCOVER',
      clientMac: '44:4b:5d:c7:21:01',
      hostname: 'CT-RHAPSODE-01',
      vendorClassId: 'GE Healthcare CT Console',
      parameterRequestList: [1, 28, 3, 15, 6, 12, 42],
    });
    const ack = msgs[3]!.msg;
    expect(ack).toMatchObject({
      op: 'reply',
      messageType: 'ACK',
      yourAddress: '10.20.0.21',
      serverId: '10.20.0.1',
    });
  });

  it('reads udhcpc’s client identifier (type 1 + MAC) and vendor class', () => {
    const ecg = msgs[4]!.msg;
    expect(ecg.clientId).toEqual({ type: 1, hex: '000f82ec6023', mac: '00:0f:82:ec:60:23' });
    expect(ecg.vendorClassId).toBe('udhcp 1.35.0');
    expect(ecg.optionCodes[0]).toBe(53);
  });
});

describe('parseDhcp on Zeek’s DHCP traces', () => {
  it('agrees with tshark on dhcp.pcap (all message types) and with Zeek’s dhcp.log', () => {
    const msgs = parsed('dhcp/zeek-dhcp.udp.tsv');
    const tshark = loadTsv('dhcp/zeek-dhcp.tshark.tsv');
    for (const { frame, msg } of msgs)
      expectLikeTshark(msg, tshark.find((r) => r['frame.number'] === String(frame))!);
    const [first] = loadZeekLog('dhcp/zeek-dhcp.dhcp.log');
    const types = msgs.slice(0, 7).map((m) => m.msg.messageType);
    expect(types.join(',')).toBe(first!['msg_types']);
    expect(msgs[0]!.msg.clientMac).toBe(first!['mac']);
    expect(msgs[0]!.msg.hostname).toBe(first!['host_name']);
    expect(msgs[1]!.msg.domainName).toBe(first!['domain']);
    expect(msgs[3]!.msg.message).toBe(first!['server_message']);
    expect(msgs[5]!.msg.yourAddress).toBe(first!['assigned_addr']);
    expect(msgs[5]!.msg.leaseTime).toBe(Number(first!['lease_time']));
  });

  it('reads the parameter request list and client id of a lone DISCOVER', () => {
    const { msg } = parsed('dhcp/zeek-dhcp_discover_param_req_and_client_id.udp.tsv')[0]!;
    expectLikeTshark(msg, loadTsv('dhcp/zeek-dhcp_discover_param_req_and_client_id.tshark.tsv')[0]!);
    const [zeek] = loadZeekLog('dhcp/zeek-dhcp_discover_param_req_and_client_id.dhcp.log');
    expect(msg.clientMac).toBe(zeek!['mac']);
    expect(msg.hostname).toBe(zeek!['host_name']);
    expect(msg.requestedAddress).toBe(zeek!['requested_addr']);
    expect(msg.clientId?.mac).toBe('00:0b:82:01:fc:42');
  });

  it('keeps a client identifier of hardware type 0 (free-form) as hex, claiming no MAC from it', () => {
    const { msg } = parsed('dhcp/zeek-hw-type0.udp.tsv')[0]!;
    expectLikeTshark(msg, loadTsv('dhcp/zeek-hw-type0.tshark.tsv')[0]!);
    expect(msg.clientId?.type).toBe(0);
    expect(msg.clientId?.mac).toBeUndefined();
    expect(msg.clientId?.hex.length).toBeGreaterThan(0);
  });
});

describe('parseDhcp on bad input', () => {
  const samples = [
    ...loadDatagrams('dhcp/sgh-dora.udp.tsv'),
    ...loadDatagrams('dhcp/zeek-dhcp.udp.tsv'),
    ...loadDatagrams('dhcp/zeek-hw-type0.udp.tsv'),
  ].map((d) => d.payload);

  it('reports short or non-BOOTP payloads as errors', () => {
    expect(parseDhcp(new Uint8Array(10)).kind).toBe('error');
    const notBootp = samples[0]!.slice();
    notBootp[0] = 7;
    expect(parseDhcp(notBootp)).toMatchObject({ kind: 'error', offset: 0 });
  });

  it('keeps options read before one that overruns the packet', () => {
    const cut = samples[0]!.subarray(0, 260);
    const r = parseDhcp(cut);
    expect(r.kind).toBe('ok');
    if (r.kind === 'ok') expect(r.value).toMatchObject({ truncated: true, messageType: 'DISCOVER' });
  });

  it('never throws on random or mutated payloads', () => {
    fuzzDatagram(parseDhcp, samples);
  });
});
