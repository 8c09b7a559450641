import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HostTable, iso } from './host-table.js';

describe('HostTable', () => {
  it('merges a MAC-only host never seen itself (a DHCPv6 reply names its client) without breaking times', () => {
    const t = new HostTable();
    // The server's reply names the client's MAC: a builder for it, but no packet of its own yet.
    t.mac('00:a0:aa:5b:00:40');
    const h = t.ip('10.20.0.40');
    h.talked = true;
    h.seen(1_764_374_400.5);
    // The client's own IPv4 packets carry that MAC: the MAC owns the address, the two hosts merge.
    t.bind('00:a0:aa:5b:00:40', '10.20.0.40');
    const { hosts } = t.finish();
    expect(hosts).toHaveLength(1);
    expect(hosts[0]).toMatchObject({
      macs: ['00:a0:aa:5b:00:40'],
      ips: ['10.20.0.40'],
      firstSeen: '2025-11-29T00:00:00.500Z',
      lastSeen: '2025-11-29T00:00:00.500Z',
    });
  });

  it('prints any capture time as Date does, whichever times came before (iso keeps the last second)', () => {
    // Its cache once sliced a fixed 20 characters off the date-time: a six-digit year (+011160-…)
    // came out as "…17:17:110Z". Runs of nearby times exercise the cache; far ones refill it.
    const time = fc.oneof(
      fc.integer({ min: 0, max: 8.64e12 * 1000 }).map((ms) => ms / 1000),
      fc.integer({ min: 1_700_000_000_000, max: 1_700_000_003_000 }).map((ms) => ms / 1000),
    );
    fc.assert(
      fc.property(fc.array(time, { minLength: 1, maxLength: 20 }), (times) => {
        for (const t of times) expect(iso(t)).toBe(new Date(Math.round(t * 1000)).toISOString());
      }),
      { numRuns: 500 },
    );
  });
});
