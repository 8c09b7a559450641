import { describe, expect, it } from 'vitest';
import { type FtpEvent, FtpStreamDissector, ftpProduct } from './ftp.js';
import {
  feedAll,
  fuzzStream,
  leaksNone,
  loadFollow,
  loadTsv,
  loadZeekLog,
  type Segment,
} from './network-test-fixtures.js';

const run = (segments: Segment[]) => feedAll(new FtpStreamDissector(), segments);
const of = <T extends FtpEvent['type']>(ev: FtpEvent[], type: T) =>
  ev.filter((e): e is Extract<FtpEvent, { type: T }> => e.type === type);

const ANON = loadFollow('ftp/sgh-ftp-anonymous.follow.txt');
const RADTECH = loadFollow('ftp/sgh-ftp-radtech.follow.txt');
const PASS_CMD = loadFollow('ftp/zeek-ftp-password-pass-command.follow.txt');
const NETBSD = loadFollow('ftp/zeek-ipv4.follow.txt');

describe('FtpStreamDissector on the shared capture (ftp client → vsftpd 3.0.3)', () => {
  it('commands and reply codes agree with tshark, in order', () => {
    const rows = loadTsv('ftp/sgh-ftp.tshark.tsv');
    for (const [stream, segments] of [
      ['1', ANON],
      ['3', RADTECH],
    ] as const) {
      const ev = run(segments);
      const ours = ev.flatMap((e) =>
        e.type === 'command' ? [e.verb] : e.type === 'reply' ? [String(e.code)] : [],
      );
      const theirs = rows
        .filter((r) => r['tcp.stream'] === stream)
        .map((r) => r['ftp.request.command'] || r['ftp.response.code']);
      expect(ours).toEqual(theirs);
    }
  });

  it('banner → vsFTPd 3.0.3; anonymous login; the password is reported as sent, never kept', () => {
    const ev = run(ANON);
    expect(of(ev, 'banner')).toEqual([
      { type: 'banner', text: '(vsFTPd 3.0.3)', product: 'vsFTPd', version: '3.0.3' },
    ]);
    expect(of(ev, 'user')).toEqual([{ type: 'user', username: 'anonymous', anonymous: true }]);
    expect(of(ev, 'credentials')).toEqual([
      { type: 'credentials', username: 'anonymous', anonymous: true, credentialsSent: true },
    ]);
    expect(of(ev, 'login')).toEqual([{ type: 'login', success: true, username: 'anonymous' }]);
    expect(of(ev, 'command').find((c) => c.verb === 'RETR')?.argument).toBe('census_today.csv');
    expect(leaksNone(ev, ['ftp@example.com'])).toBe(true);
  });

  it('a named user refused by an anonymous-only server', () => {
    const ev = run(RADTECH);
    expect(of(ev, 'login')).toEqual([{ type: 'login', success: false, username: 'radtech' }]);
    expect(of(ev, 'credentials')).toEqual([]);
  });
});

describe('FtpStreamDissector against Zeek’s ftp.log', () => {
  it('ftp-password-pass-command: FileZilla banner, user Admin, PASS sent, 530 — the password nowhere', () => {
    const zeek = loadZeekLog('ftp/zeek-ftp-password-pass-command.ftp.log');
    const ev = run(PASS_CMD);
    expect(of(ev, 'banner')[0]).toMatchObject({ product: 'FileZilla Server', version: '1.9.1' });
    expect(of(ev, 'user')[0]!.username).toBe(zeek[0]!['user']);
    const replies = of(ev, 'reply').filter((r) => r.command);
    expect(replies.map((r) => [r.command, String(r.code), r.text])).toEqual(
      zeek.map((z) => [z['command'], z['reply_code'], z['reply_msg']]),
    );
    expect(of(ev, 'credentials')).toHaveLength(1);
    expect(leaksNone(ev, [zeek[1]!['password']!])).toBe(true);
  });

  it('ipv4.pcap (NetBSD ftpd): multi-line 230, SYST, every logged command with its reply', () => {
    const zeek = loadZeekLog('ftp/zeek-ipv4.ftp.log');
    const ev = run(NETBSD);
    expect(of(ev, 'banner')[0]).toMatchObject({ product: 'NetBSD-ftpd', version: '20100320' });
    expect(of(ev, 'system')).toEqual([
      { type: 'system', text: 'UNIX Type: L8 Version: NetBSD-ftpd 20100320' },
    ]);
    expect(of(ev, 'login')).toEqual([{ type: 'login', success: true, username: zeek[0]!['user'] }]);
    const replies = of(ev, 'reply').map((r) => `${r.command} ${r.code} ${r.text}`);
    for (const z of zeek) expect(replies).toContain(`${z['command']} ${z['reply_code']} ${z['reply_msg']}`);
    expect(leaksNone(of(ev, 'command'), [zeek[0]!['password']!])).toBe(true);
    expect(ev.some((e) => e.type === 'error')).toBe(false);
  });
});

describe('FtpStreamDissector on crafted sessions', () => {
  const enc = (s: string) => new TextEncoder().encode(s);

  it('AUTH TLS accepted: upgrade reported, both directions stop', () => {
    const sut = new FtpStreamDissector();
    sut.feed('server', enc('220 ProFTPD 1.3.8 Server (Debian)\r\n'));
    sut.feed('client', enc('AUTH TLS\r\n'));
    const ev = sut.feed('server', enc('234 AUTH TLS successful\r\n'));
    expect(of(ev, 'tls-upgrade')).toEqual([{ type: 'tls-upgrade', mechanism: 'TLS', accepted: true }]);
    expect(sut.done).toBe(true);
    expect(sut.feed('client', Uint8Array.from([22, 3, 1, 0, 200]))).toEqual([]);
  });

  it('stops on a stream that is not FTP', () => {
    const sut = new FtpStreamDissector();
    expect(sut.feed('server', Uint8Array.from([0x16, 3, 3, 0, 5]))).toMatchObject([
      { type: 'error', offset: 0 },
    ]);
  });

  it('names products in greetings', () => {
    expect(ftpProduct('ProFTPD 1.3.5e Server (Debian) [::ffff:10.0.0.5]')).toEqual({
      product: 'ProFTPD',
      version: '1.3.5e',
    });
    expect(ftpProduct('Microsoft FTP Service')).toEqual({ product: 'Microsoft FTP Service' });
    expect(ftpProduct('Welcome')).toEqual({});
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(() => new FtpStreamDissector(), [ANON, RADTECH, PASS_CMD, NETBSD]);
  });
});
