/**
 * The observation envelope: a stored v0 message (test/fixtures/scaleout, from a real capture) still
 * decodes and upgrades to v1 with the same content; v1 round-trips; bad messages are refused with the
 * version and the JSON path of the problem; random bytes never crash the decoder.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from '../discovery/capture-analyzer.js';
import {
  decodeObservation,
  encodeObservation,
  ObservationDecodeError,
  type ObservationMessage,
  resultOf,
} from './observation-schema.js';

const V0 = new URL('../../test/fixtures/scaleout/v0-message-07-telnet-ftp-ssh-mqtt.json', import.meta.url);
const CAPTURE = new URL('../../test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap', import.meta.url);

describe('observation schema', () => {
  it('reads a stored v0 message as v1, keeping every host, finding and conversation', () => {
    const text = readFileSync(V0, 'utf8');
    const stored = JSON.parse(text) as {
      result: { hosts: unknown[]; findings: unknown[]; flows: unknown[] };
    };
    const m = decodeObservation(text);
    expect(m).toMatchObject({
      v: 1,
      kind: 'hosts',
      sensor: 'ward3-tap1',
      site: 'north',
      seq: 41,
      flush: 41,
      parts: 1,
    });
    const r = resultOf(m);
    expect(r.hosts).toEqual(stored.result.hosts);
    expect(r.findings).toEqual(stored.result.findings);
    expect(r.flows).toEqual(stored.result.flows);
    expect(r.hosts).toHaveLength(8);
    expect(r.findings).toHaveLength(5);
  });

  it('round-trips a v1 message built from a real capture without losing a field', async () => {
    const a = await analyzeCapture(CAPTURE.pathname, { file: '07.pcap' });
    const m: ObservationMessage = {
      schema: 'vigil.obs',
      v: 1,
      sensor: 's1',
      site: 'north',
      epoch: 3,
      seq: 7,
      flush: 2,
      part: 0,
      parts: 2,
      at: '2026-06-01T08:00:00.000Z',
      kind: 'hosts',
      hosts: a.hosts,
      findings: a.findings,
    };
    const back = decodeObservation(encodeObservation(m));
    expect(back).toEqual(JSON.parse(JSON.stringify(m)));
  });

  it('refuses unknown versions and invalid bodies, naming the version and the path', () => {
    expect(() => decodeObservation('{"v":2}')).toThrow(/unknown observation schema version 2/);
    expect(() => decodeObservation('not json')).toThrow(/not JSON/);
    const bad = JSON.parse(readFileSync(V0, 'utf8')) as {
      result: { hosts: { services: { port: number }[] }[] };
    };
    bad.result.hosts[0]!.services = [{ port: 70_000 } as never];
    expect(() => decodeObservation(JSON.stringify(bad))).toThrow(
      /observation v0: result\.hosts\.0\.services\.0\./,
    );
    expect(() =>
      decodeObservation(
        JSON.stringify({ schema: 'vigil.obs', v: 1, kind: 'flows', site: 'a.b', sensor: 's' }),
      ),
    ).toThrow(ObservationDecodeError);
  });

  it('a site is one subject token: a body cannot smuggle wildcards or dots', () => {
    for (const site of ['a.b', '*', '>', 'a b', ''])
      expect(() =>
        encodeObservation({
          schema: 'vigil.obs',
          v: 1,
          sensor: 's',
          site,
          epoch: 0,
          seq: 0,
          flush: 0,
          part: 0,
          parts: 1,
          at: 'x',
          kind: 'flows',
          flows: [],
        }),
      ).toThrow(/site/);
  });

  it('never throws anything but ObservationDecodeError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (input) => {
        try {
          decodeObservation(input);
        } catch (e) {
          expect(e).toBeInstanceOf(ObservationDecodeError);
        }
      }),
      { numRuns: 300 },
    );
  });
});
