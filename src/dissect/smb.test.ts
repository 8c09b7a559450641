import { describe, expect, it } from 'vitest';
import { feedAll, fuzzStream, loadFollow, loadTsv, type Segment } from './network-test-fixtures.js';
import { type SmbEvent, SmbStreamDissector } from './smb.js';

const run = (segments: Segment[]) => feedAll(new SmbStreamDissector(), segments);
const of = <T extends SmbEvent['type']>(ev: SmbEvent[], type: T) =>
  ev.filter((e): e is Extract<SmbEvent, { type: T }> => e.type === type);

const NT1 = loadFollow('smb/samba-nt1.follow.txt');
const UPGRADE = loadFollow('smb/samba-smb1-to-smb3.follow.txt');
const SMB311 = loadFollow('smb/zeek-smb311.follow.txt');
const SPLIT = loadFollow('smb/zeek-netbios-split-session-msg.follow.txt');

/** tshark prints an SMB1 server GUID as raw bytes; MS-DTYP text swaps the first three fields. */
const rawToGuid = (raw: string) => {
  const h = raw.replace(/-/g, '');
  const sw = (s: string) => s.match(/../g)!.reverse().join('');
  return `${sw(h.slice(0, 8))}-${sw(h.slice(8, 12))}-${sw(h.slice(12, 16))}-${h.slice(16, 20)}-${h.slice(20)}`;
};

describe('SmbStreamDissector on Samba 4.17 (smbclient -m NT1 ↔ smbd with server min protocol = NT1)', () => {
  const ev = run(NT1);
  const rows = loadTsv('smb/samba-nt1.tshark.tsv');

  it('SMB1 negotiate: dialects offered and chosen as tshark shows them → smb1InUse', () => {
    expect(of(ev, 'negotiate-request')).toEqual([
      { type: 'negotiate-request', protocol: 'smb1', dialects: rows[0]!['smb.dialect']!.split(',') },
    ]);
    const [res] = of(ev, 'negotiate-response');
    expect(res).toMatchObject({
      protocol: 'smb1',
      dialect: rows[0]!['smb.dialect']!.split(',')[Number(rows[1]!['smb.dialect.index'])],
      smb1InUse: true,
      serverGuid: rawToGuid(rows[1]!['smb.server_guid']!),
      signingEnabled: true,
    });
  });

  it('Session Setup strings from both sides agree with tshark', () => {
    const setups = of(ev, 'session-setup').map(({ nativeOs, nativeLanMan, primaryDomain }) => [
      nativeOs ?? '',
      nativeLanMan ?? '',
      primaryDomain ?? '',
    ]);
    const expected = rows
      .filter((r) => r['smb.native_os'])
      .map((r) => [r['smb.native_os'], r['smb.native_lanman'], r['smb.primary_domain']]);
    expect(setups).toEqual(expected);
    expect(of(ev, 'session-setup')[1]).toMatchObject({
      direction: 'server',
      nativeLanMan: 'Samba 4.17.12-Debian',
    });
  });
});

describe('SmbStreamDissector when an SMB1 negotiate is answered in SMB2', () => {
  it('smbclient offering SMB1 and SMB2 dialects ends on SMB 3.1.1: no SMB1 in use', () => {
    const ev = run(UPGRADE);
    const rows = loadTsv('smb/samba-smb1-to-smb3.tshark.tsv');
    expect(of(ev, 'negotiate-request').map((e) => [e.protocol, e.dialects.join(',')])).toEqual([
      ['smb1', rows[0]!['smb.dialect']],
      ['smb2', '2.0.2,2.1,3.0,3.0.2,3.1.1'],
    ]);
    const responses = of(ev, 'negotiate-response');
    expect(responses.map((r) => [r.protocol, r.dialect, r.smb1InUse, r.serverGuid])).toEqual([
      ['smb2', '2.???', false, rows[1]!['smb2.server_guid']],
      ['smb2', '3.1.1', false, rows[3]!['smb2.server_guid']],
    ]);
  });

  it('Zeek’s smb311.pcap: SMB 3.1.1, signing required, then encrypted traffic', () => {
    const ev = run(SMB311);
    const rows = loadTsv('smb/zeek-smb311.tshark.tsv');
    expect(of(ev, 'negotiate-response')[0]).toMatchObject({
      protocol: 'smb2',
      dialect: '3.1.1',
      smb1InUse: false,
      serverGuid: rows[1]!['smb2.server_guid'],
      signingRequired: (Number(rows[1]!['smb2.sec_mode']) & 2) !== 0,
    });
    expect(of(ev, 'encrypted').length).toBeGreaterThan(0);
  });
});

describe('SmbStreamDissector on odd input', () => {
  it('Zeek’s netbios-split-session-msg: NBSS header split from its SMB1 message, bogus commands skipped', () => {
    const ev = run(SPLIT);
    expect(ev).toEqual([]);
  });

  it('stops on a stream that is not NBSS framing', () => {
    const ev = new SmbStreamDissector().feed('client', new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    expect(ev).toMatchObject([{ type: 'error', direction: 'client', offset: 0 }]);
  });

  it('skips a large message without buffering it and reads the next one', () => {
    const sut = new SmbStreamDissector();
    const big = new Uint8Array(4 + 200_000);
    big.set([0, 0x03, 0x0d, 0x40, 0xfe, 0x53, 0x4d, 0x42]);
    expect(sut.feed('server', big.subarray(0, 70_000))).toEqual([]);
    expect(sut.feed('server', big.subarray(70_000))).toEqual([]);
    const [negotiateResponse] = SMB311.filter((s) => s.direction === 'server');
    expect(of(sut.feed('server', negotiateResponse!.bytes), 'negotiate-response')).toHaveLength(1);
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(() => new SmbStreamDissector(), [NT1, UPGRADE, SMB311, SPLIT]);
  });
});
