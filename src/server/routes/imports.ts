/**
 * @module Imports that take longer than a request: `POST /captures/import` streams an uploaded capture
 * (pcap, pcapng, gzip) to a private temporary file and imports it in the background as `vigil import`
 * does; `GET /imports/{id}` reports the job's progress and result, from the database, so any API process
 * answers it (docs/api.md).
 */
import { rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppContext } from '../../context.js';
import { ImportJobRegistry } from '../../discovery/import-jobs.js';
import { invalidInput, VigilError } from '../../errors.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';
import { receiveUpload } from './upload-file.js';

/** Without the `captureUploadMaxBytes` setting: 2 GiB. */
export const DEFAULT_CAPTURE_UPLOAD_MAX_BYTES = 2 * 1024 ** 3;

const registries = new WeakMap<AppContext, ImportJobRegistry>();

/**
 * The registry of one running server (one per context: tests run several apps in one process). The jobs
 * themselves are rows in the database, so any API process answers `GET /imports/{id}`.
 */
export function importJobsOf(ctx: AppContext): ImportJobRegistry {
  let r = registries.get(ctx);
  if (!r) {
    r = new ImportJobRegistry(Date.now, ctx.log);
    registries.set(ctx, r);
  }
  return r;
}

const IssueSchema = z.object({
  file: z.string().optional(),
  offset: z.number().optional(),
  line: z.number().optional(),
  field: z.string().optional(),
  reason: z.string(),
});

const CaptureImportResultSchema = z
  .object({
    importId: z.string(),
    packets: z.number(),
    hosts: z.number(),
    devices: z.object({ staged: z.number(), updated: z.number(), seen: z.number() }),
    deviceIds: z.array(z.string()).openapi({ description: 'The devices the capture touched, first 100' }),
    services: z.number(),
    findings: z.object({
      created: z.number(),
      updated: z.number(),
      reopened: z.number(),
      unresolved: z.number(),
    }),
    unresolved: z.number(),
    alerts: z.object({ created: z.number(), updated: z.number(), suppressed: z.number() }),
    newMatches: z
      .number()
      .nullable()
      .openapi({ description: 'Matches first made by this import; null without vulns:read' }),
    issues: z.array(IssueSchema),
  })
  .openapi('CaptureImportResult');

export const ImportJobSchema = z
  .object({
    id: z.string(),
    kind: z.enum(['capture', 'advisory']),
    fileName: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    bytesTotal: z.number(),
    bytesDone: z.number(),
    packets: z.number(),
    devicesFound: z.number(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    result: CaptureImportResultSchema.optional(),
    error: z.string().optional(),
  })
  .openapi('ImportJob');

const Binary = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };
const tooLarge = (limit: number) =>
  new VigilError('too_large', `Capture larger than ${limit.toLocaleString('en-US')} bytes`);

export const importRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('devices:import', {
      method: 'post',
      path: '/captures/import',
      tags: ['imports'],
      summary:
        'Upload a packet capture (pcap, pcapng, gzip) and import it in the background as `vigil import` does; 202 with the job id',
      request: {
        query: z.object({
          fileName: z
            .string()
            .min(1)
            .max(200)
            .default('upload.pcap')
            .openapi({ description: 'Name used in evidence, issues and the import record' }),
        }),
        body: { required: true, content: Binary },
      },
      responses: {
        202: json(z.object({ jobId: z.string() }), 'Received; poll GET /imports/{jobId}'),
      },
    }),
    async (c) => {
      const fileName = basename(c.req.valid('query').fileName.replaceAll('\\', '/'));
      const type = c.req.header('content-type') ?? '';
      if (/^(application\/json|multipart\/|application\/x-www-form-urlencoded)/i.test(type))
        throw invalidInput('Send the capture file itself as the request body (application/octet-stream)', [
          { field: 'content-type', reason: `got "${type}"` },
        ]);
      const ctx = c.get('ctx');
      const actor = actorOf(c);
      const jobs = importJobsOf(ctx);
      jobs.assertCanStart(actor);
      const limit = ctx.config.captureUploadMaxBytes ?? DEFAULT_CAPTURE_UPLOAD_MAX_BYTES;
      const declared = Number(c.req.header('content-length') ?? Number.NaN);
      if (declared > limit) throw tooLarge(limit);
      const body = c.req.raw.body;
      if (!body || declared === 0) throw invalidInput(`${fileName}: the upload is empty`);
      const upload = await receiveUpload(body, limit, () => tooLarge(limit));
      if (upload.size === 0) {
        await rm(upload.path, { force: true });
        throw invalidInput(`${fileName}: the upload is empty`);
      }
      const job = await jobs.startCapture(ctx.vdb, actor, {
        path: upload.path,
        fileName,
        size: upload.size,
        alertRateLimit: ctx.config.alertRateLimitPerHour,
      });
      return c.json({ jobId: job.id }, 202);
    },
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/imports/{id}',
      tags: ['imports'],
      summary: "An import job's progress and result (only the account that started it, or an admin)",
      request: {
        params: z.object({
          id: z
            .string()
            .min(1)
            .max(64)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: json(ImportJobSchema, 'The job') },
    }),
    async (c) => {
      const ctx = c.get('ctx');
      return c.json(await importJobsOf(ctx).get(ctx.vdb, actorOf(c), c.req.valid('param').id), 200);
    },
  );
