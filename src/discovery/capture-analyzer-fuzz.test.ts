/**
 * The whole analyzer under fuzzing: real captures whose packet bytes are damaged past the link, IP and
 * TCP headers (so connections still form and every dissector sees the damage), plus a few damaged
 * headers and timestamps, fed through `analyzeCapture`. Whatever the bytes, the analysis finishes
 * without throwing and its result is plain data with valid times. The reader and each dissector have
 * fuzz tests of their own; this one covers what joins them (host merging, findings, evidence times),
 * where two crashes were found only end to end (a MAC host never seen itself, an absurd pcapng time).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chunked, fixtureBytes, packetRegions } from '../../test/fixtures/captures/capture-fixtures.js';
import { VigilError } from '../errors.js';
import { analyzeCapture } from './capture-analyzer.js';

const SEEDS = [
  '01-dhcp-dns-mdns.pcap',
  '04-hl7-mllp-vlan30.pcap',
  '06-http-tls.pcapng',
  '07-telnet-ftp-ssh-mqtt.pcap',
  'dicom-ct-store.pcap',
  'telnet-be.pcapng',
  'zeek-mdns.pcap',
  'zeek-rawip4-basic-auth.pcap',
].map((name) => ({ name, bytes: fixtureBytes(name) }));

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Every string that names a time in the result must be a real ISO-8601 time. */
function checkTimes(value: unknown, key = ''): void {
  if (typeof value === 'string' && /(?:^time$|Seen$|^start$|^end$|At$)/.test(key)) {
    expect(value, key).toMatch(ISO);
  } else if (Array.isArray(value)) for (const v of value) checkTimes(v, key);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkTimes(v, k);
  }
}

describe('analyzeCapture under fuzzing', () => {
  it('finishes with plain data and valid times on damaged real captures', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: SEEDS.length - 1 }),
        fc.array(
          fc.record({
            region: fc.nat(),
            at: fc.nat(),
            pastHeaders: fc.boolean(),
            value: fc.oneof(fc.nat({ max: 255 }), fc.constantFrom(0x00, 0xff, 0x7f, 0x80, 0x0d, 0x0a, 0x1c)),
          }),
          { minLength: 1, maxLength: 30 },
        ),
        fc.array(fc.integer({ min: 1, max: 4000 }), { minLength: 1, maxLength: 4 }),
        async (which, edits, sizes) => {
          const { name, bytes } = SEEDS[which]!;
          const bad = bytes.slice();
          const regions = packetRegions(bad);
          for (const e of edits) {
            const [start, end] = regions[e.region % regions.length]!;
            const skip = e.pastHeaders ? Math.min(54, end - start - 1) : 0;
            if (end - start - skip <= 0) continue;
            bad[start + skip + (e.at % (end - start - skip))] = e.value;
          }
          let result: Awaited<ReturnType<typeof analyzeCapture>>;
          try {
            result = await analyzeCapture(chunked(bad, sizes), { file: name });
          } catch (err) {
            // A damaged file header is refused as a whole, by name; nothing else may be thrown.
            expect(err).toBeInstanceOf(VigilError);
            expect((err as VigilError).issues[0]).toMatchObject({ file: name, offset: 0 });
            return;
          }
          const json = JSON.parse(JSON.stringify(result)) as unknown;
          checkTimes(json);
          expect(result.stats.packets).toBeGreaterThanOrEqual(0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
