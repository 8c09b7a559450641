/**
 * What a sender says about itself is kept to MAX_OBSERVED_TEXT: a review stored 6 MB of hints for one
 * MAC from 120 HTTP requests with 60 KB User-Agents. The capture: three curl requests with 3,021-character
 * User-Agents (test/fixtures/captures/PROVENANCE.md).
 */
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from './capture-analyzer.js';
import { capObservedText, type Evidence, MAX_OBSERVED_TEXT, storedEvidence } from './host-observation.js';

const capture = join(import.meta.dirname, '../../test/fixtures/captures/http-long-user-agent.pcap');

describe('observed text is capped', () => {
  it('a long User-Agent becomes a hint of at most 500 characters, cut with …, one per distinct start', async () => {
    const r = await analyzeCapture(capture, { file: 'http-long-user-agent.pcap' });
    const client = r.hosts.find((h) => h.hints.some((x) => x.kind === 'http.userAgent'))!;
    const agents = client.hints.filter((h) => h.kind === 'http.userAgent');
    // tshark -r http-long-user-agent.pcap -Y http.request -T fields -e frame.number: 4, 16, 28
    expect(agents.map((h) => h.evidence.packet)).toEqual([4, 16, 28]);
    for (const [i, h] of agents.entries()) {
      expect(h.value).toHaveLength(MAX_OBSERVED_TEXT);
      expect(h.value.startsWith(`VigilReviewAgent/${i + 1} (xxx`)).toBe(true);
      expect(h.value.endsWith('x…')).toBe(true);
    }
  });

  it('cuts never inside a surrogate pair and leaves short text alone (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme', maxLength: 700 }),
        fc.integer({ min: 2, max: 600 }),
        (s, max) => {
          const out = capObservedText(s, max);
          if (s.length <= max) expect(out).toBe(s);
          else {
            expect(out.length).toBeLessThanOrEqual(max);
            expect(out.endsWith('…')).toBe(true);
            expect(s.startsWith(out.slice(0, -1))).toBe(true);
            expect(() => encodeURIComponent(out)).not.toThrow(); // no lone surrogate
          }
        },
      ),
    );
  });

  it('stored evidence caps its summary and keeps everything else', () => {
    const e: Evidence = {
      source: 'capture',
      file: 'x.pcap',
      packet: 7,
      time: '2026-12-03T15:50:00.000Z',
      summary: `TLS certificate CN=${'a'.repeat(5000)}`,
    };
    const stored = JSON.parse(storedEvidence(e)) as Evidence;
    expect(stored.summary).toHaveLength(MAX_OBSERVED_TEXT);
    expect({ ...stored, summary: e.summary }).toEqual(e);
    const short = { ...e, summary: 'HTTP request' };
    expect(storedEvidence(short)).toBe(JSON.stringify(short));
  });
});
