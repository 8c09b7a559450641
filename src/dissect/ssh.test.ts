import { describe, expect, it } from 'vitest';
import {
  feedAll,
  fuzzStream,
  loadFollow,
  loadTsv,
  loadZeekLog,
  type Segment,
} from './network-test-fixtures.js';
import { parseSshBanner, type SshEvent, SshStreamDissector } from './ssh.js';

const run = (segments: Segment[]) => feedAll(new SshStreamDissector(), segments);
const of = <T extends SshEvent['type']>(ev: SshEvent[], type: T) =>
  ev.filter((e): e is Extract<SshEvent, { type: T }> => e.type === type);

const OPENSSH = loadFollow('ssh/sgh-openssh.follow.txt');
const PUTTY = loadFollow('ssh/sgh-putty-banner.follow.txt');
const CURVE = loadFollow('ssh/zeek-ssh_kex_curve25519.follow.txt');
const V199 = loadFollow('ssh/zeek-ssh_version_199.follow.txt');

describe('SshStreamDissector on the shared capture (OpenSSH 9.2p1 both ways, PuTTY banner via nc)', () => {
  const rows = loadTsv('ssh/sgh-ssh.tshark.tsv');

  it('banners as tshark shows them, split into version, software and comments', () => {
    const ev = run(OPENSSH);
    const banners = of(ev, 'banner');
    expect(banners.map((b) => b.banner.line)).toEqual(
      rows.filter((r) => r['tcp.stream'] === '4' && r['ssh.protocol']).map((r) => r['ssh.protocol']),
    );
    expect(banners[1]).toEqual({
      type: 'banner',
      direction: 'server',
      banner: {
        line: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10',
        protoVersion: '2.0',
        softwareVersion: 'OpenSSH_9.2p1',
        comments: 'Debian-2+deb12u10',
        product: 'OpenSSH',
        productVersion: '9.2p1',
        preamble: [],
      },
    });
  });

  it('KEXINIT lists agree with tshark', () => {
    const kex = of(run(OPENSSH), 'kexinit');
    const kexRows = rows.filter((r) => r['tcp.stream'] === '4' && r['ssh.kex_algorithms']);
    expect(kex.map((k) => k.kex.kexAlgorithms.join(','))).toEqual(
      kexRows.map((r) => r['ssh.kex_algorithms']),
    );
    expect(kex.map((k) => k.kex.serverHostKeyAlgorithms.join(','))).toEqual(
      kexRows.map((r) => r['ssh.server_host_key_algorithms']),
    );
    expect(kex.map((k) => k.kex.encryptionClientToServer.join(','))).toEqual(
      kexRows.map((r) => r['ssh.encryption_algorithms_client_to_server']),
    );
  });

  it('reads the PuTTY client banner', () => {
    const [client] = of(run(PUTTY), 'banner');
    expect(client!.banner).toMatchObject({
      softwareVersion: 'PuTTY_Release_0.78',
      product: 'PuTTY',
      productVersion: '0.78',
    });
  });
});

describe('SshStreamDissector against Zeek’s ssh.log', () => {
  for (const [name, segments] of [
    ['curve25519_kex', CURVE],
    ['ssh_version_199', V199],
  ] as const) {
    it(`${name}: client/server banners and the negotiated algorithms`, () => {
      const [zeek] = loadZeekLog(
        `ssh/zeek-${name === 'curve25519_kex' ? 'ssh_kex_curve25519' : name}.ssh.log`,
      );
      const ev = run(segments);
      const banner = (d: 'client' | 'server') => of(ev, 'banner').find((b) => b.direction === d)!.banner.line;
      expect(banner('client')).toBe(zeek!['client']);
      expect(banner('server')).toBe(zeek!['server']);
      const [neg] = of(ev, 'negotiated');
      expect(neg!.algorithms).toMatchObject({
        kex: zeek!['kex_alg'],
        hostKey: zeek!['host_key_alg'],
        encryptionClientToServer: zeek!['cipher_alg'],
        macClientToServer: zeek!['mac_alg'],
        compressionClientToServer: zeek!['compression_alg'],
      });
    });
  }
});

describe('SshStreamDissector on odd input', () => {
  it('keeps lines a server sends before its identification', () => {
    const sut = new SshStreamDissector();
    const ev = sut.feed(
      'server',
      new TextEncoder().encode('Authorized use only\r\nSSH-2.0-dropbear_2022.83\r\n'),
    );
    expect(ev[0]).toMatchObject({
      type: 'banner',
      banner: { preamble: ['Authorized use only'], product: 'dropbear', productVersion: '2022.83' },
    });
  });

  it('stops on binary garbage and on an SSH-1 peer', () => {
    const sut = new SshStreamDissector();
    expect(sut.feed('client', Uint8Array.from([0x16, 3, 1, 0, 0x50, 1]))[0]).toMatchObject({
      type: 'error',
      offset: 0,
    });
    const v1 = new SshStreamDissector();
    v1.feed('server', new TextEncoder().encode('SSH-1.5-Cisco-1.25\n'));
    expect(v1.feed('server', Uint8Array.from([0, 0, 0, 9, 0, 0, 0]))).toEqual([]);
  });

  it('parses banners strictly', () => {
    expect(parseSshBanner('SSH-2.0-OpenSSH_for_Windows_8.1')).toMatchObject({
      product: 'OpenSSH_for_Windows',
      productVersion: '8.1',
    });
    expect(parseSshBanner('SSH-2.0')).toBeUndefined();
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(() => new SshStreamDissector(), [OPENSSH, PUTTY, CURVE, V199]);
  });
});
