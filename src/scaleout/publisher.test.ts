/**
 * What a sensor says when it cannot publish, against the shared nats-server: a subject prefix no stream
 * takes (the centre not started, or started with another --nats-prefix) is answered "503" by NATS, which
 * the warning turns into something an operator can act on. The messages stay in the spool.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { NATS_URL, natsAvailable, uniqueNames } from '../../test/nats.js';
import { ObservationPublisher, publishProblem } from './publisher.js';
import { DiskSpool } from './spool.js';

const NATS = await natsAvailable();

describe('ObservationPublisher warnings', () => {
  it('passes other errors through unchanged', () => {
    expect(publishProblem(new Error('Permissions Violation for Publish to "x"'), 'vigil')).toBe(
      'Permissions Violation for Publish to "x"',
    );
  });

  it.skipIf(!NATS)('explains a publish no stream takes instead of printing "503"', async () => {
    const names = uniqueNames();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-pub-spool-'));
    const nc = await connect({ servers: NATS_URL });
    const warnings: string[] = [];
    try {
      const publisher = new ObservationPublisher({
        nc,
        prefix: names.prefix,
        site: 'north',
        sensor: 'tap1',
        spool: new DiskSpool({ dir, maxBytes: 1024 * 1024 }),
        publishTimeoutMs: 2000,
        onWarning: (m) => warnings.push(m),
      });
      const report = await publisher.publishFlush(
        { hosts: [], findings: [] },
        {
          version: '0.1.0',
          startedAt: new Date().toISOString(),
          source: 'stdin',
          packets: 0,
          bytes: 0,
          captureDrops: 0,
          spoolBytes: 0,
          spoolDropped: { low: 0, high: 0 },
        },
      );
      await publisher.close().catch(() => undefined);
      expect(report).toMatchObject({ published: 0, spooled: report.messages });
      expect(warnings).toEqual([
        `publishing to the centre failed, spooling to ${dir}: no JetStream stream takes ${names.prefix}.obs.… (NATS 503, no responders): is the centre (vigil serve --nats) running with the same --nats-prefix and --nats-stream?`,
      ]);
    } finally {
      await nc.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
