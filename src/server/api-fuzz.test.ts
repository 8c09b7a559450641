/**
 * Every operation of the OpenAPI document, called as an admin with generated and mangled values (from
 * each operation's own schemas, plus ids of real records, empty, huge, NUL-bearing, wrong-typed and
 * injection-shaped ones), on a database holding real captures and advisories. Whatever the request,
 * the answer is never a 5xx. This found Hono's 415/400 refusals coming back as 500, sites named like
 * another site's id, and PostgreSQL refusing NUL characters in 63 operations. Seeded, so a failure
 * repeats; `API_FUZZ_REQUESTS` and `API_FUZZ_SEED` run a longer or another campaign.
 */
import { describe, expect, it } from 'vitest';
import { apiHarness, cliActor } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { importAdvisoryPaths } from '../advisories/advisory-import.js';

const REQUESTS = Number(process.env['API_FUZZ_REQUESTS'] ?? 1500);
const SEED = Number(process.env['API_FUZZ_SEED'] ?? 20261129);
/** Operations that reach outside (feeds, webhooks, mail) or end the session the campaign runs in. */
const SKIPPED = /\/sync$|\/test$|\/retry$|\/auth\/logout$|\/captures\/import$|\/setup$/;

const STRINGS = [
  '',
  'x',
  'a'.repeat(3000),
  '2026-01-01',
  '2026-13-45',
  '2026-01-01T00:00:00Z',
  '0',
  '-1',
  '1e20',
  'NaN',
  'null',
  '%00',
  '\u0000',
  'a\u0000b',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "' OR 1=1 --",
  '10.0.0.1',
  '999.1.1.1',
  '10.0.0.0/8',
  'ff02::1',
  '02:00:5e:20:00:01',
  'CVE-2024-0001',
  '*',
  ',',
  '😀',
  'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H',
];
const NUMBERS = [0, -1, 1, 1.5, 1e20, 2 ** 31, 2 ** 53, -1e20, 65536];

// biome-ignore lint/suspicious/noExplicitAny: an OpenAPI document is walked generically, by its keys
type Schema = { [key: string]: any };

class Campaign {
  private state: number;
  readonly ids: string[] = [];
  constructor(
    seed: number,
    private readonly spec: Schema,
  ) {
    this.state = seed >>> 0 || 1;
  }
  /** xorshift32: small, seeded, the same sequence on every machine. */
  rand(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state / 4294967296;
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.rand() * list.length)]!;
  }
  deref(s: Schema | undefined): Schema {
    if (!s) return {};
    if (typeof s['$ref'] === 'string') {
      return this.deref(
        (s['$ref'] as string)
          .split('/')
          .slice(1)
          .reduce((o: Schema, k) => o[k], this.spec),
      );
    }
    return s;
  }
  /** A value for a schema: mostly what it asks for, sometimes the wrong type or a hostile string. */
  value(schemaIn: Schema | undefined, depth = 0): unknown {
    const s = this.deref(schemaIn);
    if (this.rand() < 0.05 || depth > 6) return this.pick<unknown>([null, 1, 'x', [], {}, true, '\u0000']);
    if (Array.isArray(s['enum'])) return this.rand() < 0.9 ? this.pick(s['enum']) : this.pick(STRINGS);
    if (s['const'] !== undefined) return s['const'];
    const alternatives = s['oneOf'] ?? s['anyOf'];
    if (Array.isArray(alternatives)) return this.value(this.pick(alternatives), depth + 1);
    if (Array.isArray(s['allOf'])) {
      return Object.assign({}, ...s['allOf'].map((x: Schema) => this.value(x, depth + 1)));
    }
    const type = Array.isArray(s['type']) ? this.pick(s['type']) : s['type'];
    switch (type) {
      case 'string':
        if (s['format'] === 'date' && this.rand() < 0.5) return '2026-06-01';
        if (s['format'] === 'date-time' && this.rand() < 0.5) return '2026-06-01T00:00:00Z';
        return this.rand() < 0.3 && this.ids.length > 0 ? this.pick(this.ids) : this.pick(STRINGS);
      case 'integer':
      case 'number':
        return this.rand() < 0.4 && typeof s['minimum'] === 'number' ? s['minimum'] : this.pick(NUMBERS);
      case 'boolean':
        return this.rand() < 0.5;
      case 'array':
        return Array.from({ length: Math.floor(this.rand() * 4) }, () => this.value(s['items'], depth + 1));
      case 'null':
        return null;
      default: {
        const required: string[] = s['required'] ?? [];
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries((s['properties'] ?? {}) as Schema)) {
          if (this.rand() < (required.includes(k) ? 0.95 : 0.5)) out[k] = this.value(v, depth + 1);
        }
        return out;
      }
    }
  }
  /** Ids of records the API returned, so later requests hit real rows as well as missing ones. */
  collectIds(v: unknown): void {
    if (Array.isArray(v)) for (const x of v) this.collectIds(x);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (
          typeof x === 'string' &&
          (k === 'id' || k.endsWith('Id')) &&
          this.ids.length < 300 &&
          !this.ids.includes(x)
        )
          this.ids.push(x);
        this.collectIds(x);
      }
    }
  }
}

describe.each(DIALECTS)('the API under fuzzing on %s', (dialect) => {
  it('answers every generated request without a server error', { timeout: 180_000 }, async () => {
    const h = await apiHarness(dialect);
    const errors: string[] = [];
    h.ctx.log.error = ((o: { err?: Error }) => {
      errors.push(`${o?.err?.name}: ${o?.err?.message}`);
    }) as unknown as typeof h.ctx.log.error;
    try {
      await importCaptureFile(h.ctx.vdb, 'test/fixtures/captures/01-dhcp-dns-mdns.pcap');
      await importCaptureFile(h.ctx.vdb, 'test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap');
      await importCaptureFile(h.ctx.vdb, 'test/fixtures/captures/dicom-ct-store.pcap');
      await importAdvisoryPaths(h.ctx.vdb, cliActor, ['test/fixtures/advisories/csaf']);
      const admin = h.as('admin');
      const spec = (await (await admin.get('/api/docs')).json()) as Schema;
      const c = new Campaign(SEED, spec);
      const operations: { method: string; path: string; op: Schema }[] = [];
      for (const [path, item] of Object.entries(spec['paths'] as Schema)) {
        if (SKIPPED.test(path)) continue;
        for (const [method, op] of Object.entries(item as Schema)) {
          operations.push({ method: method.toUpperCase(), path, op });
        }
      }
      expect(operations.length).toBeGreaterThan(100);
      for (const o of operations.filter((x) => x.method === 'GET' && !x.path.includes('{'))) {
        const r = await admin.get(o.path);
        if (r.headers.get('content-type')?.includes('json')) c.collectIds(await r.json().catch(() => null));
        else await r.body?.cancel();
      }
      const failures: string[] = [];
      for (let n = 0; n < REQUESTS && failures.length < 5; n++) {
        const o = c.pick(operations);
        let path = o.path.replace(/\{([^}]+)\}/g, (_m, name: string) =>
          name === 'username'
            ? c.pick(['engineer', 'nobody', 'x'.repeat(300)])
            : encodeURIComponent(
                String(c.rand() < 0.7 && c.ids.length > 0 ? c.pick(c.ids) : c.pick(STRINGS)),
              ),
        );
        const query = new URLSearchParams();
        for (const p of ((o.op['parameters'] ?? []) as Schema[]).map((x) => c.deref(x))) {
          if (p['in'] !== 'query' || c.rand() < 0.5) continue;
          const v = c.value(p['schema']);
          query.set(p['name'], typeof v === 'string' ? v : JSON.stringify(v));
        }
        if (query.size > 0) path += `?${query}`;
        const bodySchema = c.deref(o.op['requestBody'])['content']?.['application/json']?.['schema'];
        const body = bodySchema ? c.value(bodySchema) : undefined;
        errors.length = 0;
        const r = await admin.request(
          o.method,
          path,
          body === undefined ? undefined : JSON.stringify(body),
          body === undefined ? {} : { 'content-type': 'application/json' },
        );
        if (r.status >= 500) {
          failures.push(
            `${o.method} ${path} ${JSON.stringify(body)?.slice(0, 300)} → ${r.status} ${errors.join('; ')}`,
          );
        } else if (r.status < 300 && r.headers.get('content-type')?.includes('json')) {
          c.collectIds(await r.json().catch(() => null));
        } else await r.body?.cancel();
      }
      expect(failures).toEqual([]);
    } finally {
      await h.close();
    }
  });
});
