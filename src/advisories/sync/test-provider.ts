/**
 * @module Test support (not shipped): a CSAF provider served by node:http on 127.0.0.1 from an in-memory file
 * map seeded with `test/fixtures/csaf-provider`, which records every request so tests can assert what a sync
 * fetched.
 * @see CSAF 2.0 §7.1 https://docs.oasis-open.org/csaf/csaf/v2.0/os/csaf-v2.0-os.html#71-requirements
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import * as openpgp from 'openpgp';

export const FIXTURE_DIR = fileURLToPath(new URL('../../../test/fixtures/csaf-provider/', import.meta.url));
export const METADATA_PATH = '/.well-known/csaf/provider-metadata.json';

export const FIXTURE_DOCS = [
  'white/2017/icsma-17-082-02.json',
  'white/2017/icsma-17-241-01.json',
  'white/2018/icsma-18-240-01.json',
  'white/2022/icsma-22-095-01.json',
] as const;

export function readFixture(rel: string): Uint8Array {
  return new Uint8Array(readFileSync(FIXTURE_DIR + rel));
}

export function readFixtureTree(dir = FIXTURE_DIR, prefix = ''): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const name of readdirSync(dir)) {
    const full = `${dir}${dir.endsWith('/') ? '' : '/'}${name}`;
    if (statSync(full).isDirectory()) {
      for (const [k, v] of readFixtureTree(full, `${prefix}${name}/`)) out.set(k, v);
    } else out.set(`${prefix}${name}`, new Uint8Array(readFileSync(full)));
  }
  return out;
}

export interface RecordedRequest {
  path: string;
  status: number;
  conditional: boolean;
}

export class TestProvider {
  /** Path (without leading slash) → body. Edit freely between syncs. */
  readonly files = new Map<string, Uint8Array>();
  readonly requests: RecordedRequest[] = [];
  /** When false the server ignores If-None-Match and sends no ETag (a plain static host). */
  conditional = true;
  base = '';
  private server: Server | null = null;

  constructor() {
    for (const [path, body] of readFixtureTree()) {
      if (path === 'PROVENANCE.md' || path.startsWith('rolie/')) continue;
      if (path === 'provider-metadata.json') this.files.set(METADATA_PATH.slice(1), body);
      else this.files.set(path, body);
    }
  }

  get metadataUrl(): string {
    return this.base + METADATA_PATH;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname).slice(1);
      let body = this.files.get(path);
      const conditional = req.headers['if-none-match'] !== undefined;
      if (body === undefined) {
        this.requests.push({ path, status: 404, conditional });
        res.writeHead(404).end();
        return;
      }
      if (path === METADATA_PATH.slice(1)) {
        body = new TextEncoder().encode(new TextDecoder().decode(body).replaceAll('__BASE__', this.base));
      }
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (this.conditional && req.headers['if-none-match'] === etag) {
        this.requests.push({ path, status: 304, conditional });
        res.writeHead(304, { etag }).end();
        return;
      }
      this.requests.push({ path, status: 200, conditional });
      res.writeHead(200, this.conditional ? { etag, 'content-length': body.byteLength } : {}).end(body);
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** Requests for CSAF documents themselves (not listings, hashes, signatures or metadata). */
  documentRequests(from = 0): RecordedRequest[] {
    return this.requests.slice(from).filter((r) => /\/\d{4}\/[^/]+\.json$/.test(r.path));
  }

  setText(path: string, text: string): void {
    this.files.set(path, new TextEncoder().encode(text));
  }

  text(path: string): string {
    return new TextDecoder().decode(this.files.get(path));
  }

  /** Replaces a document, rewrites its hash file(s) and moves it to the top of changes.csv with `updated`. */
  changeDocument(path: string, body: Uint8Array, updated: string, opts: { updateHash?: boolean } = {}): void {
    this.files.set(path, body);
    if (opts.updateHash ?? true) {
      for (const algorithm of ['sha256', 'sha512'] as const) {
        if (this.files.has(`${path}.${algorithm}`)) {
          const hex = createHash(algorithm).update(body).digest('hex');
          this.setText(`${path}.${algorithm}`, `${hex}  ${path.split('/').pop()}\n`);
        }
      }
    }
    const rel = path.replace(/^white\//, '');
    const rows = this.text('white/changes.csv')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes(rel));
    this.setText('white/changes.csv', [`"${rel}","${updated}"`, ...rows, ''].join('\n'));
  }

  setMetadata(edit: (metadata: Record<string, unknown>) => void): void {
    const metadata = JSON.parse(this.text(METADATA_PATH.slice(1))) as Record<string, unknown>;
    edit(metadata);
    this.setText(METADATA_PATH.slice(1), JSON.stringify(metadata, null, 2));
  }
}

export interface TestKey {
  privateKey: openpgp.PrivateKey;
  publicArmored: string;
  fingerprint: string;
}

export async function generateTestKey(name = 'Vigil Test Provider'): Promise<TestKey> {
  const { privateKey, publicKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name, email: 'csaf@example.invalid' }],
    format: 'object',
  });
  return { privateKey, publicArmored: publicKey.armor(), fingerprint: publicKey.getFingerprint() };
}

export async function signDetached(key: TestKey, bytes: Uint8Array): Promise<string> {
  return openpgp.sign({
    message: await openpgp.createMessage({ binary: bytes }),
    signingKeys: key.privateKey,
    detached: true,
  });
}
