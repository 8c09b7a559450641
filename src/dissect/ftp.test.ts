import { describe, expect, it } from 'vitest';
import { FtpDataDissector, type FtpEvent, FtpStreamDissector, ftpProduct } from './ftp.js';
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

describe('FtpStreamDissector: data-channel endpoints, against tshark', () => {
  // vsftpd 3.0.3 ↔ curl 7.88.1 (EPSV, PASV, PORT uploads, then a listing) and Zeek's IPv6 trace (EPSV,
  // EPRT); see test/fixtures/dissect/ftp-data/PROVENANCE.md
  const cases = [
    ['vsftpd-hl7-upload', [0, 2, 4, 6]],
    ['zeek-ftp-ipv6', [0]],
  ] as const;

  it('every PASV/EPSV reply and PORT/EPRT command gives the endpoint tshark reads', () => {
    for (const [file, streams] of cases) {
      const rows = loadTsv(`ftp-data/${file}.tshark.tsv`).filter(
        (r) => r['ftp.response.code'] || /PORT|EPRT/.test(r['ftp.request.command']!),
      );
      const theirs = rows.map((r) => ({
        stream: Number(r['tcp.stream']),
        ip: r['ftp.passive.ip'] || r['ftp.active.cip'] || r['ftp.eprt.ip'] || r['ftp.eprt.ipv6'] || undefined,
        port: Number(
          r['ftp.passive.port'] || r['ftp.active.port'] || r['ftp.eprt.port'] || r['ftp.epsv.port'],
        ),
      }));
      const ours = streams.flatMap((s) =>
        of(run(loadFollow(`ftp-data/${file}.stream${s}.follow.txt`)), 'data-channel').map((d) => ({
          stream: s,
          ip: d.ip,
          port: d.port,
        })),
      );
      expect(ours).toEqual(theirs);
    }
  });

  it('names the mode and the command', () => {
    const modes = [0, 2, 4].map(
      (s) => of(run(loadFollow(`ftp-data/vsftpd-hl7-upload.stream${s}.follow.txt`)), 'data-channel')[0],
    );
    expect(modes.map((m) => `${m?.mode} ${m?.command}`)).toEqual([
      'passive EPSV',
      'passive PASV',
      'active PORT',
    ]);
  });

  it('the password goes to the credential check only (anonymous logins are not checked)', () => {
    const seen: string[] = [];
    const check = (user: string | undefined, pw: Uint8Array) => {
      seen.push(`${user}:${pw.length}`);
      return 'some-entry';
    };
    const ev = feedAll(new FtpStreamDissector({ checkCredential: check }), PASS_CMD);
    expect(seen).toEqual([
      `Admin:${loadZeekLog('ftp/zeek-ftp-password-pass-command.ftp.log')[1]!['password']!.length}`,
    ]);
    expect(of(ev, 'credentials')[0]!.defaultCredential).toBe('some-entry');
    expect(
      feedAll(new FtpStreamDissector({ checkCredential: check }), ANON).some(
        (e) => e.type === 'credentials' && e.defaultCredential,
      ),
    ).toBe(false);
  });

  it('stops on a reply it cannot place in a data-channel pattern without throwing', () => {
    const sut = new FtpStreamDissector();
    const enc = (s: string) => new TextEncoder().encode(s);
    sut.feed('server', enc('220 hi\r\n'));
    sut.feed('client', enc('PASV\r\n'));
    expect(
      of(sut.feed('server', enc('227 Entering Passive Mode (300,1,1,1,1,1)\r\n')), 'data-channel'),
    ).toEqual([]);
    sut.feed('client', enc('EPRT |3|x|1|\r\n'));
    expect(of(sut.feed('client', enc('PORT 10,0,0,1,0,0\r\n')), 'data-channel')).toEqual([]);
  });
});

describe('FtpDataDissector', () => {
  const upload = (s: number) =>
    loadFollow(`ftp-data/vsftpd-hl7-upload.stream${s}.follow.txt`).filter((x) => x.direction === 'client');

  it('an HL7 file uploaded over the data connection: segments and fields, never values', () => {
    const sut = new FtpDataDissector();
    const segs = upload(1);
    const ev = [...feedAll(sut, segs), ...sut.end()];
    expect(ev).toEqual([
      {
        type: 'patient-data',
        direction: 'client',
        patientData: expect.objectContaining({
          kind: 'HL7',
          messageType: 'ADT^A04',
          segments: ['PID', 'NK1'],
        }),
      },
    ]);
    expect(leaksNone(ev, ['Doe', 'MRN12345', '19780101'])).toBe(true);
  });

  it('names the packet label given with the bytes that hold the first identifier, not the last one fed', () => {
    // The census file of test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap (tshark frame 66), split
    // after its header line as if the header had come in a packet of its own.
    const census =
      'MRN,NAME,DOB,BED\nMRN00482913,HARTMANN^ELENA,19670314,E-214\nMRN00771045,OKAFOR^DANIEL,19541102,CARD-2\n';
    const bytes = new TextEncoder().encode(census);
    const sut = new FtpDataDissector();
    sut.feed('server', bytes.subarray(0, 17), 65, 100);
    sut.feed('server', bytes.subarray(17, 40), 66, 101);
    sut.feed('server', bytes.subarray(40), 67, 102);
    expect(sut.end()).toEqual([expect.objectContaining({ direction: 'server', packet: 66, time: 101 })]);
  });

  it('a directory listing is no patient data; random bytes never throw', () => {
    const sut = new FtpDataDissector();
    feedAll(sut, loadFollow('ftp-data/vsftpd-hl7-upload.stream7.follow.txt'));
    expect(sut.end()).toEqual([]);
    fuzzStream(() => new FtpDataDissector(), [upload(1)]);
  });
});
