/**
 * @module Manufacturer relations over the API (issue 7): manufacturers (contacts, feed links, coverage),
 * model support dates, documents on file, requests to manufacturers, and MDS2 forms per model (import as
 * the request body, show). Bodies are validated by the domain modules, so the API and the CLI refuse the
 * same things. Shapes: docs/manufacturers.md.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { invalidInput } from '../../errors.js';
import { manufacturerCoverage } from '../../program/manufacturers/coverage.js';
import {
  addDocument,
  DOCUMENT_KINDS,
  linkFeed,
  listDocuments,
  listManufacturers,
  showManufacturer,
  updateManufacturer,
  updateModelSupport,
} from '../../program/manufacturers/manufacturers-service.js';
import {
  addRequest,
  answerRequest,
  closeRequest,
  followUpRequest,
  getRequest,
  listRequests,
  REQUEST_STATUSES,
  reopenRequest,
} from '../../program/manufacturers/requests-service.js';
import { importMds2, showMds2 } from '../../program/mds2/mds2-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const Obj = z.record(z.string(), z.unknown());
const ObjList = z.object({ items: z.array(Obj) });
const Body = { content: { 'application/json': { schema: Obj } } };
const Binary = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };
const param = (name: string) =>
  z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name, in: 'path' } });
const IdParam = z.object({ id: param('id') });
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const many = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
    z.array(item).optional(),
  );
const months = z.coerce.number().int().min(1).max(600).optional();
const asObj = (v: unknown) => v as Record<string, unknown>;
const asList = (v: readonly unknown[]) => ({ items: v as Record<string, unknown>[] });

/** The validated JSON body; none at all is `{}` (close and reopen need none). */
const jsonOf = (c: { req: { valid(target: 'json'): unknown } }): unknown => c.req.valid('json') ?? {};

async function bodyBytes(req: Request): Promise<Uint8Array> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw invalidInput('Send the MDS2 workbook (.xlsx) as the request body');
  return bytes;
}

export const manufacturerRoutes = new OpenAPIHono<AppEnv>()
  // Before /manufacturers/{id}, which would otherwise take "coverage" for an id.
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/manufacturers/coverage',
      tags: ['manufacturers'],
      summary:
        'Per manufacturer with devices or a subscription: feed state, PSIRT contact, missing MDS2/SBOM, requests',
      responses: { 200: json(ObjList, 'Coverage per manufacturer') },
    }),
    // The route's permission is the check: coverage itself is a read-only helper for reports. A caller
    // limited to sites sees the manufacturers of devices at its sites, counted there.
    async (c) =>
      c.json(asList(await manufacturerCoverage(c.get('ctx').vdb, new Date(), actorOf(c).siteIds)), 200),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/manufacturers',
      tags: ['manufacturers'],
      summary: 'Manufacturers with contacts, feed subscriptions, devices and open requests',
      request: { query: z.object({ withDevices: flag }) },
      responses: { 200: json(ObjList, 'Manufacturers') },
    }),
    async (c) =>
      c.json(
        asList(
          await listManufacturers(c.get('ctx').vdb, actorOf(c), {
            withDevices: c.req.valid('query').withDevices,
          }),
        ),
        200,
      ),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/manufacturers/{id}',
      tags: ['manufacturers'],
      summary: 'A manufacturer (id or name) with models, support dates, documents on file and warnings',
      request: { params: IdParam, query: z.object({ olderThan: months }) },
      responses: { 200: json(Obj, 'The manufacturer') },
    }),
    async (c) => {
      const { olderThan } = c.req.valid('query');
      const m = await showManufacturer(
        c.get('ctx').vdb,
        actorOf(c),
        c.req.valid('param').id,
        olderThan ? { staleMonths: olderThan } : {},
      );
      return c.json(asObj(m), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'patch',
      path: '/manufacturers/{id}',
      tags: ['manufacturers'],
      summary:
        'Set contact fields (psirtEmail, psirtUrl, psirtPhone, accountName, accountEmail, accountPhone, supportPortal, notes)',
      request: { params: IdParam, body: Body },
      responses: { 200: json(Obj, 'The manufacturer') },
    }),
    async (c) =>
      c.json(
        asObj(await updateManufacturer(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, jsonOf(c))),
        200,
      ),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/manufacturers/{id}/feeds',
      tags: ['manufacturers'],
      summary: 'Link the manufacturer to a feed subscription: body {"feed": id or name}',
      request: { params: IdParam, body: Body },
      responses: { 200: json(Obj, 'The manufacturer') },
    }),
    async (c) => {
      const body = jsonOf(c) as { feed?: unknown } | null;
      if (typeof body?.feed !== 'string' || !body.feed)
        throw invalidInput('Give {"feed": "<feed id or name>"}');
      const extra = Object.keys(body).filter((k) => k !== 'feed');
      if (extra.length)
        throw invalidInput(
          'Give {"feed": "<feed id or name>"} only',
          extra.map((field) => ({ field, reason: 'unknown field' })),
        );
      return c.json(
        asObj(await linkFeed(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, body.feed)),
        200,
      );
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'delete',
      path: '/manufacturers/{id}/feeds/{feed}',
      tags: ['manufacturers'],
      summary: 'Remove the link between the manufacturer and a feed subscription',
      request: { params: IdParam.extend({ feed: param('feed') }) },
      responses: { 200: json(Obj, 'The manufacturer') },
    }),
    async (c) => {
      const p = c.req.valid('param');
      return c.json(asObj(await linkFeed(c.get('ctx').vdb, actorOf(c), p.id, p.feed, { unlink: true })), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'put',
      path: '/models/{id}/support',
      tags: ['manufacturers'],
      summary: 'Set support dates of a model: {endOfSale, endOfSupport, endOfLife} (YYYY-MM-DD or null)',
      request: { params: IdParam, body: Body },
      responses: { 200: json(Obj, 'The support dates') },
    }),
    async (c) =>
      c.json(
        asObj(await updateModelSupport(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, jsonOf(c))),
        200,
      ),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/documents',
      tags: ['manufacturers'],
      summary: 'Documents on file, with warnings for models in use (no MDS2, no SBOM, stale)',
      request: {
        query: z.object({
          manufacturer: z.string().min(1).max(200).optional(),
          model: z.string().min(1).max(200).optional(),
          kind: z.enum(DOCUMENT_KINDS).optional(),
          olderThan: months,
        }),
      },
      responses: { 200: json(Obj, '{documents, warnings}') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const r = await listDocuments(c.get('ctx').vdb, actorOf(c), {
        ...(q.manufacturer ? { manufacturer: q.manufacturer } : {}),
        ...(q.model ? { model: q.model } : {}),
        ...(q.kind ? { kind: q.kind } : {}),
        ...(q.olderThan ? { staleMonths: q.olderThan } : {}),
      });
      return c.json(asObj(r), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/documents',
      tags: ['manufacturers'],
      summary:
        'Record a document on file: {model, kind, title, documentDate, receivedDate, fileName, sha256, size, notes}',
      request: { body: Body },
      responses: { 201: json(Obj, 'Recorded'), 200: json(Obj, 'The same file was already on file') },
    }),
    async (c) => {
      const d = await addDocument(c.get('ctx').vdb, actorOf(c), jsonOf(c));
      return d.created ? c.json(asObj(d), 201) : c.json(asObj(d), 200);
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/manufacturer-requests',
      tags: ['manufacturers'],
      summary: 'Requests to manufacturers, newest first',
      request: {
        query: z.object({
          manufacturer: z.string().min(1).max(200).optional(),
          status: many(z.enum(REQUEST_STATUSES)),
          overdue: flag,
        }),
      },
      responses: { 200: json(ObjList, 'Requests') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const list = await listRequests(c.get('ctx').vdb, actorOf(c), {
        ...(q.manufacturer ? { manufacturer: q.manufacturer } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.overdue ? { overdue: true } : {}),
      });
      return c.json(asList(list), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/manufacturer-requests',
      tags: ['manufacturers'],
      summary: 'Record a request: {manufacturer, kind, subject, models, requestedDate, dueDate, note}',
      request: { body: Body },
      responses: { 201: json(Obj, 'The request') },
    }),
    async (c) => c.json(asObj(await addRequest(c.get('ctx').vdb, actorOf(c), jsonOf(c))), 201),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/manufacturer-requests/{id}',
      tags: ['manufacturers'],
      summary: 'A request with its history',
      request: { params: IdParam },
      responses: { 200: json(Obj, 'The request') },
    }),
    async (c) => c.json(asObj(await getRequest(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id)), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/manufacturer-requests/{id}/{change}',
      tags: ['manufacturers'],
      summary: 'answer {answer, answeredDate} | follow-up {note, dueDate} | close {note} | reopen {note}',
      request: {
        params: IdParam.extend({
          change: z
            .enum(['answer', 'follow-up', 'close', 'reopen'])
            .openapi({ param: { name: 'change', in: 'path' } }),
        }),
        body: Body,
      },
      responses: { 200: json(Obj, 'The request') },
    }),
    async (c) => {
      const { id, change } = c.req.valid('param');
      const fn = {
        answer: answerRequest,
        'follow-up': followUpRequest,
        close: closeRequest,
        reopen: reopenRequest,
      }[change];
      return c.json(asObj(await fn(c.get('ctx').vdb, actorOf(c), id, jsonOf(c))), 200);
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/models/{id}/mds2',
      tags: ['manufacturers'],
      summary: "A model's current MDS2 form (answers, capabilities, declared services) and its history",
      request: { params: IdParam },
      responses: { 200: json(Obj, 'The MDS2 view') },
    }),
    async (c) => c.json(asObj(await showMds2(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id)), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/models/{id}/mds2/import',
      tags: ['manufacturers'],
      summary: 'Import a filled MDS2 workbook (.xlsx, request body) for this model',
      request: {
        params: IdParam,
        query: z.object({ fileName: z.string().min(1).max(200).default('mds2.xlsx') }),
        body: { required: true, content: Binary },
      },
      responses: { 200: json(Obj, 'Imported') },
    }),
    async (c) => {
      const bytes = await bodyBytes(c.req.raw);
      const r = await importMds2(c.get('ctx').vdb, actorOf(c), {
        data: bytes,
        fileName: c.req.valid('query').fileName,
        model: c.req.valid('param').id,
      });
      return c.json(asObj(r), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/mds2/import',
      tags: ['manufacturers'],
      summary: 'Import a filled MDS2 workbook (.xlsx, request body) for the model(s) its DOC-1/DOC-3 name',
      request: {
        query: z.object({ fileName: z.string().min(1).max(200).default('mds2.xlsx') }),
        body: { required: true, content: Binary },
      },
      responses: { 200: json(Obj, 'Imported') },
    }),
    async (c) => {
      const bytes = await bodyBytes(c.req.raw);
      const r = await importMds2(c.get('ctx').vdb, actorOf(c), {
        data: bytes,
        fileName: c.req.valid('query').fileName,
      });
      return c.json(asObj(r), 200);
    },
  );
