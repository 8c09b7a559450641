/**
 * The policy file format under fuzzing: any JSON value either parses into a policy or is refused with
 * invalid_input naming fields (never another error), a parsed policy survives a JSON round trip, and the
 * nftables export of policies proposed from random flows is accepted by `nft -c` (when installed).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { toNftables } from './export/nftables.js';
import { NetworkMap } from './policy-inventory.js';
import { PolicySchema } from './policy-model.js';
import { parsePolicy } from './policy-service.js';
import { sghInventory, synFlows } from './policy-test-fixtures.js';
import { proposePolicy } from './propose.js';

const endpoint = fc.record(
  {
    zone: fc.oneof(fc.constantFrom('clinical', 'internet', 'Imaging'), fc.string()),
    deviceClass: fc.oneof(fc.constantFrom('pacs', 'infusion-pump'), fc.string()),
    hosts: fc.array(
      fc.oneof(fc.ipV4(), fc.ipV6(), fc.constantFrom('10.0.0.0/8', '10.0.0.1/8', 'x'), fc.string()),
    ),
  },
  { requiredKeys: ['zone'] },
);
const rule = fc.record(
  {
    id: fc.oneof(fc.constantFrom('r1', 'r2', 'a.b-c_d'), fc.string()),
    from: endpoint,
    to: endpoint,
    port: fc.oneof(fc.integer({ min: -5, max: 70_000 }), fc.constant(0)),
    transport: fc.constantFrom('tcp', 'udp', 'icmp', 'sctp'),
    protocol: fc.option(fc.string()),
    reason: fc.string(),
    review: fc.boolean(),
  },
  { requiredKeys: [] },
);

describe('policy file format', () => {
  it('parses or refuses with invalid_input, never anything else', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.jsonValue(), fc.record({ name: fc.string(), rules: fc.array(rule, { maxLength: 4 }) })),
        (value) => {
          try {
            const p = parsePolicy(value);
            expect(PolicySchema.parse(JSON.parse(JSON.stringify(p)))).toEqual(p);
          } catch (e) {
            expect(e).toBeInstanceOf(VigilError);
            expect((e as VigilError).code).toBe('invalid_input');
            expect((e as VigilError).issues.length).toBeGreaterThan(0);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('writes host addresses and blocks canonically', () => {
    const p = parsePolicy({
      rules: [
        {
          id: 'r1',
          from: { zone: 'Clinical', hosts: ['10.20.0.0/16', 'FD00::1', '::ffff:10.20.0.9'] },
          to: { zone: 'internet', hosts: ['2001:DB8:0:0::/32'] },
          port: 443,
          transport: 'tcp',
          reason: 'x',
        },
      ],
    });
    expect(p.rules[0]!.from).toEqual({ zone: 'clinical', hosts: ['10.20.0.0/16', 'fd00::1', '10.20.0.9'] });
    // Host bits after the prefix are refused, not silently dropped.
    expect(() =>
      parsePolicy({
        rules: [
          {
            id: 'r',
            from: { zone: 'a', hosts: ['10.20.0.7/16'] },
            to: { zone: 'b' },
            port: 1,
            transport: 'tcp',
            reason: 'x',
          },
        ],
      }),
    ).toThrow(VigilError);
    expect(p.rules[0]!.to.hosts).toEqual(['2001:db8::/32']);
  });
});

describe('nftables export of random proposals', () => {
  const nft = spawnSync('sh', ['-c', 'command -v nft'], { encoding: 'utf8' }).stdout.trim();
  it('is accepted by nft -c', () => {
    if (!nft) {
      if (process.env['CI'] === 'true') throw new Error('nft is required in CI (Debian package nftables)');
      console.warn('[vigil tests] nft not installed: SKIPPED (apt-get install -y nftables)');
      return;
    }
    const map = new NetworkMap(sghInventory());
    const base = synFlows();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-nft-'));
    fc.assert(
      fc.property(
        fc.subarray(base, { minLength: 1 }),
        fc.array(
          fc.record({
            server: fc.oneof(fc.ipV4(), fc.ipV6()),
            port: fc.integer({ min: 1, max: 65_535 }),
            transport: fc.constantFrom('tcp' as const, 'udp' as const, 'icmp' as const),
          }),
          { maxLength: 5 },
        ),
        (flows, extra) => {
          const all = [
            ...flows,
            ...extra.map((x) => ({
              ...base[0]!,
              client: x.server.includes(':') ? 'fd00:20::50' : '10.20.0.50',
              server: x.server,
              port: x.transport === 'icmp' ? 0 : x.port,
              transport: x.transport,
            })),
          ];
          const path = join(dir, 'p.nft');
          writeFileSync(path, toNftables(proposePolicy(map, all), map));
          const r = spawnSync(nft, ['-c', '-f', path], { encoding: 'utf8' });
          expect(r.stderr).toBe('');
          expect(r.status).toBe(0);
        },
      ),
      {
        numRuns: 25,
        // Found by CI: the unspecified address spelled with an IPv4 tail, which nft does not read.
        examples: [
          [[base[0]!], [{ server: '::0:0:0:0.0.0.0', port: 1, transport: 'tcp' as const }]],
          [[base[0]!], [{ server: '::ffff:0:0', port: 2, transport: 'udp' as const }]],
        ],
      },
    );
  });
});
