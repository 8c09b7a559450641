import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFetcher, isHttpUrl } from './fetcher.js';

let server: Server;
let base = '';
const hanging: (() => void)[] = [];
let resets = 0;

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
  const fetcher = createHttpFetcher({ maxBytes: 2000, timeoutMs: 10_000 });
  const impatient = createHttpFetcher({ maxBytes: 2000, timeoutMs: 300 });

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
});
