import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { adminHint, type HttpEvent, HttpStreamDissector, parseHttpHead } from './http.js';
import {
  feedAll,
  fuzzStream,
  leaksNone,
  loadFollow,
  loadTsv,
  loadZeekLog,
  type Segment,
} from './network-test-fixtures.js';

const run = (segments: Segment[]) => feedAll(new HttpStreamDissector(), segments);
const requests = (ev: HttpEvent[]) => ev.flatMap((e) => (e.type === 'request' ? [e.request] : []));
const responses = (ev: HttpEvent[]) => ev.flatMap((e) => (e.type === 'response' ? [e.response] : []));

const SHARED = [0, 1, 2, 3].map((s) => loadFollow(`http/sgh-http-stream${s}.follow.txt`));
const KEEPALIVE = [0, 1].map((s) => loadFollow(`http/curl-node-keepalive-stream${s}.follow.txt`));
const BASIC_COLON = loadFollow('http/zeek-basic-auth-with-colon.follow.txt');
const ZEEK_GET = loadFollow('http/zeek-get.follow.txt');
/** socat serving pages without a status line; curl --http0.9 and a one-line HTTP/0.9 request (PROVENANCE.md). */
const BARE_HTML = [0, 1, 2].map((s) => loadFollow(`http/bare-html-stream${s}.follow.txt`));

describe('HttpStreamDissector on the shared capture (curl ↔ Python http.server, Orthanc REST)', () => {
  it('agrees with tshark on method, URI, Host, User-Agent, status and Server', () => {
    const rows = loadTsv('http/sgh-http.tshark.tsv');
    SHARED.forEach((segments, stream) => {
      const ev = run(segments);
      const [req] = requests(ev);
      const [res] = responses(ev);
      const [reqRow, resRow] = rows.filter((r) => r['tcp.stream'] === String(stream));
      const uri = reqRow!['http.request.uri']!;
      expect(req).toMatchObject({
        method: reqRow!['http.request.method'],
        target: uri.split('?')[0],
        host: reqRow!['http.host'],
        userAgent: reqRow!['http.user_agent'],
      });
      expect(String(res!.status)).toBe(resRow!['http.response.code']);
      expect(res!.server ?? '').toBe(resRow!['http.server']);
      expect(ev.filter((e) => e.type === 'error')).toEqual([]);
    });
  });

  it('keeps query parameter names, never their values', () => {
    const [req] = requests(run(SHARED[3]!));
    expect(req).toMatchObject({ target: '/patients', queryKeys: ['expand'] });
    expect(req!.adminHint).toBeUndefined();
  });
});

describe('HttpStreamDissector: the segment that carries a response body', () => {
  /** Each segment's event types, in feeding order (one segment is one packet of the capture). */
  const perSegment = (segments: Segment[]) => {
    const sut = new HttpStreamDissector();
    return segments.map((s) => sut.feed(s.direction, s.bytes).map((e) => e.type));
  };

  it("reports Orthanc's /patients body in the segment after the head (capture 06, tshark frames 46 and 48)", () => {
    // tshark -r 06-http-tls.pcapng -Y 'tcp.stream==3 && tcp.len>0' -T fields -e frame.number -e tcp.len:
    // 44 (GET, 94 bytes), 46 (the head, 135 bytes), 48 (the JSON body, 1304 bytes).
    expect(perSegment(SHARED[3]!)).toEqual([['request'], ['response'], ['response-body']]);
  });

  it('reports no body for a HEAD answer, and a chunked body once, in the segment that starts it', () => {
    // curl-node-keepalive-stream1: HEAD /admin/config answered 200 without a body, then a POST answered
    // with a chunked body, head and first chunk in one segment.
    expect(perSegment(KEEPALIVE[1]!)).toEqual([
      ['request'],
      ['response'],
      ['request'],
      ['response', 'response-body'],
    ]);
  });

  it('reports a body that runs to the end of the connection at its first byte, only once', () => {
    const enc = new TextEncoder();
    const sut = new HttpStreamDissector();
    sut.feed('client', enc.encode('GET /patients HTTP/1.0\r\n\r\n'));
    expect(
      sut.feed('server', enc.encode('HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n')),
    ).toEqual([expect.objectContaining({ type: 'response' })]);
    expect(sut.feed('server', enc.encode('[{"ID"'))).toEqual([{ type: 'response-body' }]);
    expect(sut.feed('server', enc.encode(': 1}]'))).toEqual([]);
  });
});

describe('HttpStreamDissector on keep-alive connections (curl ↔ Node http, loopback)', () => {
  it('parses every message of a connection: 401 with WWW-Authenticate, then a GET with a query', () => {
    const ev = run(KEEPALIVE[0]!);
    expect(requests(ev).map((r) => [r.method, r.target, r.queryKeys, r.adminHint])).toEqual([
      ['GET', '/admin/config', [], 'admin'],
      ['GET', '/status', ['bed'], undefined],
    ]);
    const [challenge, okRes] = responses(ev);
    expect(challenge).toMatchObject({ status: 401, server: 'PumpGW/2.1' });
    expect(challenge!.wwwAuthenticate).toEqual(['Basic realm="Infusion Gateway"']);
    expect(okRes!.status).toBe(200);
  });

  it('HEAD response without body, POST body by Content-Length, chunked response body skipped', () => {
    const ev = run(KEEPALIVE[1]!);
    expect(requests(ev).map((r) => [r.method, r.contentLength])).toEqual([
      ['HEAD', undefined],
      ['POST', 22],
    ]);
    expect(responses(ev).map((r) => [r.status, r.chunked])).toEqual([
      [200, false],
      [200, true],
    ]);
    expect(ev.some((e) => e.type === 'error')).toBe(false);
  });

  it('reports Basic credentials as user name + “password sent”, never the password or token', () => {
    const ev = run(KEEPALIVE[1]!);
    for (const r of requests(ev)) {
      expect(r.authScheme).toBe('Basic');
      expect(r.basicAuth).toEqual({ username: 'biomed', passwordSent: true });
    }
    expect(leaksNone(ev, ['Sup3r-S3cret!', 'YmlvbWVkOlN1cDNyLVMzY3JldCE=', 'heparin'])).toBe(true);
  });
});

describe('HttpStreamDissector on Zeek’s HTTP traces', () => {
  it('basic-auth-with-colon: user name as Zeek logs it, the password (which has a colon) nowhere', () => {
    const [zeek] = loadZeekLog('http/zeek-basic-auth-with-colon.http.log');
    const ev = run(BASIC_COLON);
    const [req] = requests(ev);
    const [res] = responses(ev);
    expect(req).toMatchObject({
      method: zeek!['method'],
      target: zeek!['uri'],
      host: zeek!['host'],
      userAgent: zeek!['user_agent'],
      basicAuth: { username: zeek!['username'], passwordSent: true },
    });
    // Zeek's `version` column holds the last version seen: the server's HTTP/1.0
    expect(res).toMatchObject({
      version: `HTTP/${zeek!['version']}`,
      status: Number(zeek!['status_code']),
      reason: zeek!['status_msg'],
    });
    expect(leaksNone(ev, [zeek!['password']!, 'dGVzdDoxOjM0'])).toBe(true);
    const tshark = loadTsv('http/zeek-basic-auth-with-colon.tshark.tsv')[0]!;
    expect(tshark['http.authbasic']).toBe(`${zeek!['username']}:${zeek!['password']}`);
  });

  it('get.pcap: a 4.7 kB response body split over several segments', () => {
    const ev = run(ZEEK_GET);
    expect(requests(ev)[0]).toMatchObject({
      method: 'GET',
      target: '/download/CHANGES.bro-aux.txt',
      host: 'bro.org',
    });
    expect(responses(ev)[0]).toMatchObject({
      status: 200,
      server: 'Apache/2.4.3 (Fedora)',
      contentLength: 4705,
    });
  });
});

describe('HttpStreamDissector on odd input', () => {
  it('stops a direction that is not HTTP and says where', () => {
    const sut = new HttpStreamDissector();
    expect(sut.feed('client', Uint8Array.from([0x16, 3, 1, 0, 5]))).toEqual([
      { type: 'error', direction: 'client', offset: 0, reason: 'not an HTTP request line' },
    ]);
    expect(sut.feed('client', new TextEncoder().encode('GET / HTTP/1.1\r\n\r\n'))).toEqual([]);
  });

  it('refuses a head that never ends past the 64 KiB cap', () => {
    const sut = new HttpStreamDissector();
    const line = new TextEncoder().encode(`X-Pad: ${'a'.repeat(1000)}\r\n`);
    let events: HttpEvent[] = sut.feed('client', new TextEncoder().encode('GET / HTTP/1.1\r\n'));
    for (let i = 0; i < 80 && events.length === 0; i++) events = sut.feed('client', line);
    expect(events[0]).toMatchObject({ type: 'error', direction: 'client' });
  });

  it('101 Switching Protocols ends parsing (a WebSocket is not HTTP)', () => {
    const enc = new TextEncoder();
    const sut = new HttpStreamDissector();
    sut.feed('client', enc.encode('GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n'));
    const ev = sut.feed('server', enc.encode('HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x05hello'));
    expect(ev.map((e) => e.type)).toEqual(['response', 'tunnel']);
    expect(sut.done).toBe(true);
  });

  it('strips user:password@ and the query from absolute-form targets', () => {
    const r = parseHttpHead(
      new TextEncoder().encode(
        'GET http://admin:pw1234@10.0.0.5/cgi-bin/login.cgi?user=admin&pass=pw1234 HTTP/1.1\r\n\r\n',
      ),
      'request',
    );
    expect(r).toMatchObject({
      kind: 'ok',
      value: { request: { target: '/cgi-bin/login.cgi', queryKeys: ['user', 'pass'], adminHint: 'cgi-bin' } },
    });
    expect(leaksNone(r, ['pw1234'])).toBe(true);
  });

  it('names admin interfaces by path segment', () => {
    expect(adminHint('/Login.html')).toBe('login');
    expect(adminHint('/api/v1/config/network')).toBe('config');
    expect(adminHint('/index.html')).toBeUndefined();
    expect(adminHint('/administrators-guide.pdf')).toBeUndefined();
  });

  it('never throws; chunked feeding equals whole-segment feeding', () => {
    fuzzStream(
      () => new HttpStreamDissector(),
      [...SHARED, ...KEEPALIVE, BASIC_COLON, ZEEK_GET, ...BARE_HTML],
    );
  });
});

describe('HttpStreamDissector: the Basic credential check', () => {
  it('basic-auth-with-colon: the password after the first colon goes to the check, only its answer is kept', () => {
    const seen: string[] = [];
    const sut = new HttpStreamDissector({
      checkCredential: (user, pw) => {
        seen.push(`${user}|${new TextDecoder().decode(pw)}`);
        return 'entry-id';
      },
    });
    const [req] = requests(feedAll(sut, BASIC_COLON));
    // tshark: `Authorization: Basic dGVzdDoxOjM0` = test:1:34 (RFC 7617 §2: user-id ends at the first colon)
    expect(seen).toEqual(['test|1:34']);
    expect(req!.basicAuth).toEqual({ username: 'test', passwordSent: true, defaultCredential: 'entry-id' });
    expect(JSON.stringify(req)).not.toContain('1:34');
  });
});

describe('HttpStreamDissector on answers without a status line (socat ↔ curl --http0.9, veth)', () => {
  const types = (ev: HttpEvent[]) => ev.map((e) => e.type);

  it('an HTML page answering an HTTP/1.1 request is a simple response, not an error', () => {
    const ev = run(BARE_HTML[0]!);
    expect(types(ev)).toEqual(['request', 'simple-response']);
    expect(requests(ev)[0]).toMatchObject({ method: 'GET', target: '/', version: 'HTTP/1.1' });
  });

  it('so is the page answering a one-line HTTP/0.9 request, sent in four segments from `<HTML>\\r\\n` on', () => {
    expect(BARE_HTML[1]!.filter((s) => s.direction === 'server')).toHaveLength(4);
    const ev = run(BARE_HTML[1]!);
    expect(types(ev)).toEqual(['request', 'simple-response']);
    expect(requests(ev)[0]!.version).toBe('HTTP/0.9');
  });

  it('plain text without a status line stays what it was: not HTTP', () => {
    expect(types(run(BARE_HTML[2]!))).toEqual(['request', 'error']);
  });

  it('HTML before any request, or after a response, is no simple response', () => {
    const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));
    const page = bytes('<html><body>hi</body></html>');
    expect(types(feedAll(new HttpStreamDissector(), [{ direction: 'server', bytes: page }]))).toEqual([
      'error',
    ]);
    const later = feedAll(new HttpStreamDissector(), [
      { direction: 'client', bytes: bytes('GET / HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n') },
      { direction: 'server', bytes: bytes('HTTP/1.1 204 No Content\r\n\r\n') },
      { direction: 'server', bytes: page },
    ]);
    expect(types(later)).toEqual(['request', 'request', 'response', 'error']);
  });
});

describe('HTTP/0.9 request lines', () => {
  const bytes = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

  it('reads a one-line request without a version as HTTP/0.9', () => {
    const r = parseHttpHead(bytes('GET /index.html\r\n'), 'request');
    expect(r).toMatchObject({ kind: 'ok', value: { kind: 'request', request: { version: 'HTTP/0.9' } } });
    const r2 = parseHttpHead(bytes('GET  /a  \n'), 'request');
    expect(r2).toMatchObject({ kind: 'ok', value: { request: { version: 'HTTP/0.9', target: '/a' } } });
  });

  it('takes a line for HTTP/0.9 exactly when it is two space-separated words, the first GET', () => {
    const word = fc.constantFrom('GET', '/a', 'HTTP/1.1', '\t', 'x\ty', '\r');
    // Starting with a word: a line starting with a space is refused before this question arises.
    const line = fc
      .tuple(word, fc.array(fc.oneof(word, fc.constantFrom(' ', '  ')), { maxLength: 6 }))
      .map(([first, rest]) => first + rest.join(''));
    fc.assert(
      fc.property(line, fc.constantFrom('\n', '\r\n'), (l, eol) => {
        const parts = `${l}${eol}`
          .slice(0, -1)
          .replace(/\r$/, '')
          .split(' ')
          .filter((p) => p !== '');
        const is09 = parts.length === 2 && parts[0] === 'GET';
        const r = parseHttpHead(bytes(`${l}${eol}`), 'request');
        const version = r.kind === 'ok' && r.value.kind === 'request' ? r.value.request.version : undefined;
        expect(version === 'HTTP/0.9').toBe(is09);
      }),
      { numRuns: 3000 },
    );
  });
});
