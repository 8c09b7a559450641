/**
 * @module Remote sensors over the API (issue 9): their health as the ingest role last heard it. And the
 * Prometheus `/metrics` handler (mounted outside /api/v1, only when the process enabled metrics: it
 * holds counters, never inventory data).
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { processMetricsRegistry } from '../../scaleout/metrics.js';
import { listSensors } from '../../scaleout/sensor-health.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

export const SensorHealthSchema = z
  .object({
    id: z.string().openapi({ example: 'north/ward3-tap1' }),
    site: z.string(),
    sensor: z.string(),
    version: z.string().nullable(),
    source: z.string().nullable(),
    startedAt: z.string().nullable(),
    lastSeen: z.string(),
    lagSeconds: z.number(),
    packets: z.number(),
    captureDrops: z.number(),
    spoolBytes: z.number(),
    spoolDropped: z.object({ low: z.number(), high: z.number() }),
    messages: z.number(),
    silent: z.boolean(),
  })
  .openapi('SensorHealth');

export const sensorRoutes = new OpenAPIHono<AppEnv>().openapi(
  defineRoute('monitor:read', {
    method: 'get',
    path: '/sensors',
    tags: ['monitor'],
    summary: 'Remote sensors and their health (last seen, lag, spool, drops)',
    request: { query: z.object({ site: z.string().max(64).optional() }) },
    responses: { 200: json(z.array(SensorHealthSchema), 'Sensors') },
  }),
  async (c) => {
    const { site } = c.req.valid('query');
    return c.json(await listSensors(c.get('ctx').vdb, actorOf(c), site ? { site } : {}), 200);
  },
);

/** GET /metrics: Prometheus text exposition of this process's metrics; 404 unless enabled. */
export async function metricsHandler(c: Context): Promise<Response> {
  const registry = processMetricsRegistry();
  if (!registry) return c.text('metrics are not enabled (vigil serve --metrics)\n', 404);
  return c.body(await registry.metrics(), 200, { 'content-type': registry.contentType });
}
