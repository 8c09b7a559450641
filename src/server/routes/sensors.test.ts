/**
 * GET /api/v1/sensors (monitor:read): the health rows ingest wrote, filtered by site; a site-scoped
 * user sees only the sensors of their sites; /metrics is 404 until a process enables metrics, then
 * Prometheus text.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { createSite } from '../../inventory/site-service.js';
import { INGEST_ACTOR } from '../../scaleout/actor.js';
import { enableProcessMetrics, ingestMetricsFor } from '../../scaleout/metrics.js';
import { recordSensorHealth } from '../../scaleout/sensor-health.js';

describe.each(DIALECTS)('sensors API (%s)', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    await createSite(h.ctx.vdb, INGEST_ACTOR, { name: 'north' });
    const at = new Date().toISOString();
    for (const [site, sensor] of [
      ['north', 'tap1'],
      ['south', 'tap9'],
    ] as const)
      await recordSensorHealth(h.ctx.vdb, {
        site,
        sensor,
        messages: 3,
        heartbeat: {
          version: '0.1.0',
          startedAt: at,
          source: 'eth1',
          packets: 42,
          bytes: 4200,
          captureDrops: 1,
          spoolBytes: 0,
          spoolDropped: { low: 0, high: 0 },
        },
        sensorAt: at,
        receivedAt: at,
      });
  });
  afterAll(() => h.close());

  it('lists sensors with their health, and filters by site', async () => {
    const res = await h.as('auditor').get('/api/v1/sensors');
    expect(res.status).toBe(200);
    const list = (await res.json()) as {
      id: string;
      packets: number;
      captureDrops: number;
      silent: boolean;
    }[];
    expect(list.map((s) => s.id)).toEqual(['north/tap1', 'south/tap9']);
    expect(list[0]).toMatchObject({ packets: 42, captureDrops: 1, silent: false, messages: 3 });
    const north = (await (await h.as('auditor').get('/api/v1/sensors?site=north')).json()) as unknown[];
    expect(north).toHaveLength(1);
    expect((await h.anonymous.get('/api/v1/sensors')).status).toBe(401);
  });

  it('serves /metrics only once metrics are enabled', async () => {
    // (Other test files may have enabled them in this worker; only check the enabled case then.)
    const registry = enableProcessMetrics();
    ingestMetricsFor(registry).messages.inc({ kind: 'hosts', outcome: 'applied' }, 2);
    const res = await h.anonymous.get('/metrics');
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toMatch(/vigil_ingest_messages_total\{kind="hosts",outcome="applied"\} [1-9]/);
  });
});
