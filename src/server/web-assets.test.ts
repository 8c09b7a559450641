/**
 * Serving the built dashboard: content types, immutable caching of hashed assets, the SPA fallback to
 * index.html, the CSP on HTML, no fallback for /api or for missing files, no way out of the web root;
 * and, in the real app, that the API and the OpenAPI document still answer before the dashboard does.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { VigilError } from '../errors.js';
import { DASHBOARD_CSP, serveWebAssets } from './web-assets.js';

const INDEX =
  '<!doctype html><title>Vigil</title><script type="module" src="/assets/index-abc123.js"></script>';

function appFor(root: string | undefined) {
  const app = new Hono();
  app.get('*', serveWebAssets(root));
  app.onError((err, c) =>
    c.text(err.message, err instanceof VigilError && err.code === 'not_found' ? 404 : 500),
  );
  return app;
}

describe('serveWebAssets', () => {
  let root: string;
  let sut: Hono;
  beforeAll(() => {
    const base = mkdtempSync(join(tmpdir(), 'vigil-web-'));
    root = join(base, 'web');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), INDEX);
    writeFileSync(join(root, 'assets/index-abc123.js'), 'console.log(1);');
    writeFileSync(join(root, 'assets/index-abc123.css'), 'body{}');
    writeFileSync(join(root, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(base, 'secret.txt'), 'outside the web root');
    sut = appFor(root);
  });

  it('serves index.html at / with the CSP and no caching', async () => {
    const res = await sut.request('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(DASHBOARD_CSP).toContain("script-src 'self'");
    expect(DASHBOARD_CSP).not.toContain('unsafe');
    expect(await res.text()).toBe(INDEX);
  });

  it('answers app routes (deep links, reloads) with index.html', async () => {
    for (const path of ['/inventory', '/devices/BME-10001', '/admin/audit']) {
      const res = await sut.request(path);
      expect(res.status, path).toBe(200);
      expect(await res.text()).toBe(INDEX);
    }
  });

  it('serves hashed assets with their types, cached as immutable; other files are revalidated', async () => {
    const js = await sut.request('/assets/index-abc123.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(js.headers.get('content-security-policy')).toBeNull();
    expect(await js.text()).toBe('console.log(1);');
    const css = await sut.request('/assets/index-abc123.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    const icon = await sut.request('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('answers HEAD like GET without a body', async () => {
    const res = await sut.request('/assets/index-abc123.js', { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await res.text()).toBe('');
  });

  it('404s missing assets and files instead of sending HTML as script', async () => {
    expect((await sut.request('/assets/index-old999.js')).status).toBe(404);
    expect((await sut.request('/robots.txt')).status).toBe(404);
  });

  it('never falls back for /api paths', async () => {
    expect((await sut.request('/api/v1/nope')).status).toBe(404);
    expect((await sut.request('/api')).status).toBe(404);
  });

  it('cannot be walked out of its root', async () => {
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/..%2f..%2fsecret.txt', '/%00']) {
      const res = await sut.request(path);
      expect(await res.text(), path).not.toContain('outside the web root');
    }
  });

  it('says how to build the dashboard when it is missing', async () => {
    const res = await appFor(undefined).request('/inventory');
    expect(res.status).toBe(404);
    expect(await res.text()).toMatch(/npm run build/);
  });
});

describe.each(DIALECTS)('the app with the dashboard (%s)', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(() => h.close());

  it('still answers the API, its problems and the OpenAPI document first', async () => {
    const api = await h.as('admin').get('/api/v1/auth/session');
    expect(api.headers.get('content-type')).toMatch(/application\/json/);
    const missing = await h.anonymous.get('/api/v1/no-such-route');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    const docs = await h.anonymous.get('/api/docs');
    expect(docs.headers.get('content-type')).toMatch(/application\/json/);
  });

  it('serves the built dashboard (dist/web, built by the test setup) to anyone, without data', async () => {
    const res = await h.anonymous.get('/inventory');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toBe(DASHBOARD_CSP);
    expect(await res.text()).toMatch(/<div id="root"><\/div>/);
  });
});
