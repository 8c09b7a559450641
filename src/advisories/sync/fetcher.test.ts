import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeedHostPolicy } from './feed-host-policy.js';
import { createHttpFetcher, isHttpUrl } from './fetcher.js';

let server: Server;
let base = '';
const hanging: (() => void)[] = [];
let resets = 0;
const port = () => (server.address() as AddressInfo).port;

beforeAll(async () => {
  server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (path === '/doc') {
      if (req.headers['if-none-match'] === '"v1"') return void res.writeHead(304).end();
      return void res
        .writeHead(200, { etag: '"v1"', 'last-modified': 'Tue, 01 Oct 2024 00:00:00 GMT' })
        .end('{"a":1}');
    }
    if (path === '/since') {
      if (req.headers['if-modified-since'] === 'Tue, 01 Oct 2024 00:00:00 GMT')
        return void res.writeHead(304).end();
      return void res.writeHead(200).end('x');
    }
    if (path === '/redirect') return void res.writeHead(302, { location: '/doc' }).end();
    if (path === '/loop') return void res.writeHead(302, { location: '/loop' }).end();
    if (path === '/to-file') return void res.writeHead(302, { location: 'file:///etc/passwd' }).end();
    if (path === '/to-loopback')
      return void res.writeHead(302, { location: `http://127.0.0.1:${port()}/doc` }).end();
    if (path === '/gzip')
      return void res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync('{"gzipped":true}'));
    // "deflate" is zlib-wrapped by the standard (RFC 9110 §8.4.1.2); some servers (IIS, old Apache
    // mod_deflate setups) send raw deflate under that name, which browsers and fetch accept.
    if (path === '/deflate')
      return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateSync('{"zlib":true}'));
    if (path === '/deflate-raw')
      return void res.writeHead(200, { 'content-encoding': 'deflate' }).end(deflateRawSync('{"raw":true}'));
    if (path === '/br')
      return void res.writeHead(200, { 'content-encoding': 'br' }).end(brotliCompressSync('{"br":true}'));
    if (path === '/big') return void res.writeHead(200, { 'content-length': '5000' }).end('y'.repeat(5000));
    if (path === '/big-chunked') {
      res.writeHead(200);
      for (let i = 0; i < 10; i++) res.write('z'.repeat(1000));
      return void res.end();
    }
    if (path === '/hang') {
      hanging.push(() => res.destroy());
      return;
    }
    if (path === '/500') return void res.writeHead(500).end();
    if (path === '/reset-once') {
      // The first request's connection is reset before any response, as a server closing a kept-alive
      // socket does; the second is answered.
      if (resets++ === 0) return void req.socket.resetAndDestroy();
      return void res.writeHead(200).end('after reset');
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const h of hanging) h();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('createHttpFetcher', () => {
  // A generous timeout for everything that must answer (a loaded CI machine can take over 300 ms to
  // connect twice), and a short one only where the timeout itself is tested.
  // The test server is on loopback, allowed as an admin allows an internal mirror.
  const policy = new FeedHostPolicy(['127.0.0.1']);
  const fetcher = createHttpFetcher({ maxBytes: 2000, timeoutMs: 10_000, policy });
  const impatient = createHttpFetcher({ maxBytes: 2000, timeoutMs: 300, policy });

  it('sends a GET once more when the connection is reset before any response', async () => {
    const r = await fetcher.get({ url: `${base}/reset-once` });
    expect(r.status === 'ok' && new TextDecoder().decode(r.body)).toBe('after reset');
    expect(resets).toBe(2);
  });

  it('returns body and validators, then 304 for a conditional request', async () => {
    const first = await fetcher.get({ url: `${base}/doc` });
    expect(first).toMatchObject({
      status: 'ok',
      etag: '"v1"',
      lastModified: 'Tue, 01 Oct 2024 00:00:00 GMT',
    });
    expect(first.status === 'ok' && new TextDecoder().decode(first.body)).toBe('{"a":1}');
    expect((await fetcher.get({ url: `${base}/doc`, etag: '"v1"' })).status).toBe('not-modified');
    expect(
      (await fetcher.get({ url: `${base}/since`, lastModified: 'Tue, 01 Oct 2024 00:00:00 GMT' })).status,
    ).toBe('not-modified');
  });

  it('follows a bounded number of http(s) redirects only', async () => {
    expect((await fetcher.get({ url: `${base}/redirect` })).status).toBe('ok');
    expect(await fetcher.get({ url: `${base}/loop` })).toMatchObject({
      status: 'error',
      reason: 'too many redirects',
    });
    expect(await fetcher.get({ url: `${base}/to-file` })).toMatchObject({
      status: 'error',
      reason: 'not an http(s) URL: file:///etc/passwd',
    });
  });

  it('caps the body size with or without Content-Length', async () => {
    expect(await fetcher.get({ url: `${base}/big` })).toMatchObject({
      status: 'error',
      reason: /^too large: 5000/,
    });
    expect(await fetcher.get({ url: `${base}/big-chunked` })).toMatchObject({
      status: 'error',
      reason: /^too large/,
    });
    expect((await fetcher.get({ url: `${base}/big`, maxBytes: 10_000 })).status).toBe('ok');
  });

  it('reports 404, other statuses, timeouts, refused connections and bad URLs as values', async () => {
    expect((await fetcher.get({ url: `${base}/missing` })).status).toBe('not-found');
    expect(await fetcher.get({ url: `${base}/500` })).toMatchObject({ status: 'error', reason: 'HTTP 500' });
    expect(await impatient.get({ url: `${base}/hang` })).toMatchObject({
      status: 'error',
      reason: /timeout/,
    });
    expect((await fetcher.get({ url: 'http://127.0.0.1:1/' })).status).toBe('error');
    expect((await fetcher.get({ url: 'ftp://127.0.0.1/x' })).status).toBe('error');
    expect(isHttpUrl('https://x.invalid/')).toBe(true);
    expect(isHttpUrl('javascript:alert(1)')).toBe(false);
    expect(isHttpUrl('not a url')).toBe(false);
  });

  it('decodes a gzip-encoded body, as fetch did', async () => {
    const r = await fetcher.get({ url: `${base}/gzip` });
    expect(r.status === 'ok' && new TextDecoder().decode(r.body)).toBe('{"gzipped":true}');
  });

  it('decodes deflate, zlib-wrapped or raw as some servers send it, and brotli', async () => {
    for (const [path, text] of [
      ['/deflate', '{"zlib":true}'],
      ['/deflate-raw', '{"raw":true}'],
      ['/br', '{"br":true}'],
    ]) {
      const r = await fetcher.get({ url: `${base}${path}` });
      expect(r.status === 'ok' ? new TextDecoder().decode(r.body) : r, path).toBe(text);
    }
  });
});

describe('createHttpFetcher and the feed host policy', () => {
  const strict = createHttpFetcher({ timeoutMs: 10_000 });

  it('by default refuses loopback, internal and metadata addresses before connecting', async () => {
    let requests = 0;
    server.once('request', () => requests++);
    for (const url of [
      `${base}/doc`,
      `https://127.0.0.1:${port()}/doc`,
      `https://[::1]:${port()}/doc`,
      `https://[::ffff:127.0.0.1]:${port()}/doc`,
      `https://2130706433:${port()}/doc`, // 127.0.0.1 as one number: the URL parser makes it so
      'https://169.254.169.254/latest/meta-data/',
      'https://10.1.2.3/feed.json',
      'https://192.168.0.10/feed.json',
      'https://100.100.100.200/latest/meta-data/',
      'https://[fd00:ec2::254]/latest/meta-data/',
    ])
      expect(await strict.get({ url }), url).toMatchObject({ status: 'error', reason: /^refused: / });
    expect(requests).toBe(0);
  });

  it('checks the address a name resolves to when connecting (a name is no way round)', async () => {
    let requests = 0;
    server.once('request', () => requests++);
    expect(await strict.get({ url: `https://localhost:${port()}/doc` })).toEqual({
      status: 'error',
      url: `https://localhost:${port()}/doc`,
      reason:
        'refused: localhost (127.0.0.1) is a loopback address; an admin can allow it with feedAllowHosts',
    });
    expect(requests).toBe(0);
  });

  it('follows a redirect within an allowed host but refuses one from it to a host not allowed', async () => {
    const mirror = createHttpFetcher({ timeoutMs: 10_000, policy: new FeedHostPolicy(['localhost']) });
    const local = `http://localhost:${port()}`;
    expect((await mirror.get({ url: `${local}/redirect` })).status).toBe('ok');
    expect(await mirror.get({ url: `${local}/to-loopback` })).toMatchObject({
      status: 'error',
      reason:
        /^refused: plain http:\/\/ is allowed only to hosts in feedAllowHosts, and 127\.0\.0\.1 is not one/,
    });
  });
});
