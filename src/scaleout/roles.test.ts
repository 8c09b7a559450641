/**
 * `--roles` parsing, and the roles wired together over the real nats-server: ingest applies what a
 * sensor published, publishes `source-run` on the JetStream bus, and the monitor role (another
 * subscriber of that bus) runs the detection rules on it and raises the alerts a local sensor would.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'nats';
import { describe, expect, it } from 'vitest';
import { freshDatabase } from '../../test/dialects.js';
import { NATS_URL, natsAvailable } from '../../test/nats.js';
import type { AppContext } from '../context.js';
import { createSite } from '../inventory/site-service.js';
import { createLogger } from '../log.js';
import { listAlerts } from '../monitor/alerts-service.js';
import { matchQueueDepth } from '../store/match-queue-store.js';
import { INGEST_ACTOR } from './actor.js';
import { namesFrom } from './nats-flags.js';
import { parseRoles, ROLES, startScaleoutRoles } from './roles.js';
import { deleteStreams } from './streams.js';
import { CAPTURES, drained, replayCapture } from './testing.js';

const NATS = await natsAvailable();

describe('roles', () => {
  it('parses --roles', () => {
    expect([...parseRoles(undefined)]).toEqual([...ROLES]);
    expect([...parseRoles('all')]).toEqual([...ROLES]);
    expect([...parseRoles('ingest, monitor')]).toEqual(['ingest', 'monitor']);
    expect(() => parseRoles('ingest,matcher')).toThrow(/unknown role "matcher"/);
  });

  it.skipIf(!NATS)(
    'ingest → source-run on JetStream → monitor raises the alerts; match re-matches what ingest queued',
    { timeout: 60_000 },
    async () => {
      const vdb = await freshDatabase('sqlite');
      await createSite(vdb, INGEST_ACTOR, { name: 'south' });
      const ctx = { vdb, log: createLogger('silent'), config: {} } as unknown as AppContext;
      const t = Math.random().toString(36).slice(2, 8);
      const names = namesFrom({ natsPrefix: `vr${t}`, natsStream: `VR_${t}` });
      const roles = await startScaleoutRoles(ctx, {
        roles: parseRoles('ingest,match,monitor'),
        nats: { url: NATS_URL },
        names,
      });
      const nc = await connect({ servers: NATS_URL });
      try {
        await replayCapture({
          nc,
          names,
          site: 'south',
          sensor: 's1',
          capture: join(CAPTURES, '07-telnet-ftp-ssh-mqtt.pcap'),
        });
        await drained(nc, names);
        let alerts: { rule: string }[] = [];
        for (let i = 0; i < 200 && alerts.length === 0; i++) {
          await roles.bus.idle();
          alerts = (await listAlerts(vdb, INGEST_ACTOR, {})).items;
          if (!alerts.length) await new Promise((r) => setTimeout(r, 50));
        }
        const rules = new Set(alerts.map((a) => a.rule));
        // Telnet and FTP logins in cleartext, and the census file and pump message with patient fields:
        // what the rules say about this capture.
        expect([...rules].sort()).toEqual(['cleartext-credentials', 'cleartext-phi', 'insecure-protocol']);
        // The match role re-matched every device ingest queued.
        for (let i = 0; i < 200 && (await matchQueueDepth(vdb)) > 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        expect(await matchQueueDepth(vdb)).toBe(0);
        expect(roles.match?.status().devices).toBeGreaterThan(0);
      } finally {
        await roles.stop();
        await deleteStreams(await nc.jetstreamManager(), names);
        await nc.close();
        await vdb.close();
      }
    },
  );
  it.skipIf(!NATS)(
    'vigil serve --nats stops with exit 78 naming the stream when JetStream refuses it (it used to hang)',
    { timeout: 60_000 },
    async () => {
      const t = Math.random().toString(36).slice(2, 8);
      const dir = mkdtempSync(join(tmpdir(), 'vigil-roles-'));
      const bin = resolve(import.meta.dirname, '../../bin/vigil.js');
      // 1 PiB fits no test server's max_file_store: nats-server answers "insufficient storage resources".
      const r = await new Promise<{ code: number | null; stderr: string }>((done) =>
        execFile(
          process.execPath,
          [
            bin,
            'serve',
            '--port',
            '0',
            '--nats',
            NATS_URL,
            '--nats-prefix',
            `vs${t}`,
            '--nats-stream',
            `VS_${t}`,
          ],
          {
            env: {
              ...process.env,
              VIGIL_DB: `sqlite:${join(dir, 'vigil.db')}`,
              VIGIL_LOG_LEVEL: 'silent',
              VIGIL_NATS_STREAM_MAX_BYTES: String(1024 ** 5),
            },
            timeout: 30_000,
          },
          (err, _stdout, stderr) =>
            done({
              code: err ? ((err as { code?: number | null }).code ?? null) : 0,
              stderr: String(stderr),
            }),
        ),
      );
      expect(r.stderr).toMatch(new RegExp(`NATS JetStream refused stream VS_${t} .*insufficient storage`));
      expect(r.code).toBe(78);
    },
  );
});
