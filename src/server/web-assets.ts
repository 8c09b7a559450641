/**
 * @module Serves the built dashboard (dist/web/, made by `npm run build`) under `/`: files with their
 * content types, hashed assets cached for a year as immutable, every other path answered with
 * index.html so the app's own routes work on reload, and a strict Content-Security-Policy that the app
 * satisfies (no inline scripts or styles, nothing from other origins). `/api/…` never falls back.
 */
import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import type { Context } from 'hono';
import { notFound } from '../errors.js';

/** Everything from this origin only; scripts and styles only from files; no framing, no plugins. */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/**
 * Where the built dashboard is: beside the bundle (dist/chunks/… → dist/web) or, when running from
 * source (tests), dist/web of the checkout. Undefined when it was not built.
 */
export function findWebRoot(): string | undefined {
  const here = import.meta.dirname;
  const candidates = [resolve(here, '../web'), resolve(here, 'web'), resolve(here, '../../dist/web')];
  // The source folder (web/, beside a bundle outside dist/) has an index.html too, but is no build.
  return candidates.find(
    (dir) => existsSync(join(dir, 'index.html')) && !existsSync(join(dir, 'vite.config.ts')),
  );
}

/**
 * A GET/HEAD handler for every path the API and the OpenAPI document did not answer. Given a finder
 * instead of a directory, it looks again while the dashboard is missing (a build still running).
 */
export function serveWebAssets(root: string | undefined | (() => string | undefined)) {
  let base = typeof root === 'function' ? undefined : root ? resolve(root) : undefined;
  const find = typeof root === 'function' ? root : undefined;
  return async (c: Context) => {
    const path = c.req.path;
    if (path === '/api' || path.startsWith('/api/')) throw notFound(`Route ${c.req.method} ${path}`);
    if (!base && find) {
      const found = find();
      if (found) base = resolve(found);
    }
    if (!base) {
      return c.text('The web dashboard is not built: run `npm run build`. The API is under /api/v1.', 404);
    }
    let rel: string;
    try {
      rel = decodeURIComponent(path);
    } catch {
      throw notFound(`No file ${path}`);
    }
    const file = resolve(base, `.${rel}`);
    const inside = file === base || file.startsWith(base + sep);
    if (inside && file !== base && !rel.includes('\0')) {
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) {
        const hashed = rel.startsWith('/assets/');
        return send(c, file, hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      }
    }
    // A missing asset is a real 404 (a stale tab asking for an old chunk must not get HTML as script).
    if (rel.startsWith('/assets/') || extname(rel) !== '') throw notFound(`No file ${path}`);
    return send(c, join(base, 'index.html'), 'no-cache');
  };
}

async function send(c: Context, file: string, cacheControl: string) {
  const body = await readFile(file);
  const type = TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  c.header('content-type', type);
  c.header('cache-control', cacheControl);
  c.header('x-content-type-options', 'nosniff');
  if (type.startsWith('text/html')) c.header('content-security-policy', DASHBOARD_CSP);
  // Hono answers HEAD with this GET handler's headers and no body.
  return c.body(new Uint8Array(body), 200);
}
