/**
 * @module The device inventory over the API: list (paged, filtered, sorted), show, add, update, retire,
 * sanitization records, confirm, ignore, merge, CMMS import (text/csv body) and streamed export. Thin:
 * every route validates its request, names one permission and calls the inventory module, which checks
 * again and audits.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { invalidInput } from '../../errors.js';
import { parseHeaderMapping } from '../../inventory/cmms-csv.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';
import { CRITICALITIES, DEVICE_CLASSES, DEVICE_STATES } from '../../inventory/device.js';
import { EXPORT_FORMATS, exportDevices } from '../../inventory/device-export.js';
import { deviceHistory, HISTORY_SUBJECTS, MAX_HISTORY_PAGE } from '../../inventory/device-history.js';
import { DeviceQuerySchema, parseInput } from '../../inventory/device-input.js';
import {
  addDevice,
  confirmDevice,
  ignoreDevice,
  listDevices,
  MAX_PAGE_SIZE,
  mergeDevices,
  retireDevice,
  showDevice,
  summarizeDevices,
  updateDevice,
} from '../../inventory/inventory-service.js';
import {
  listSanitizations,
  recordSanitization,
  SANITIZATION_METHODS,
} from '../../inventory/sanitization-service.js';
import { DEVICE_SORTS } from '../../store/device-store.js';
import { ProblemSchema } from '../problem.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const text = z.string().nullable();

export const DeviceSchema = z
  .object({
    id: z.string(),
    assetTag: text,
    serialNumber: text,
    udi: text,
    manufacturer: text,
    model: text,
    modelNumber: text,
    deviceClass: z.enum(DEVICE_CLASSES),
    macs: z.array(z.string()).openapi({ example: ['00:1b:5a:10:00:01'] }),
    ips: z.array(z.string()).openapi({ description: 'Newest first; earlier addresses are kept as history' }),
    hostnames: z.array(z.string()),
    firmwareVersion: text,
    softwareVersion: text,
    os: text,
    osVersion: text,
    osEndOfSupport: text,
    criticality: z.enum(CRITICALITIES).nullable(),
    ephi: z.boolean().nullable(),
    site: text,
    building: text,
    floor: text,
    room: text,
    department: text,
    owner: text,
    state: z.enum(DEVICE_STATES),
    lifecycleStatus: text.openapi({ description: 'The CMMS lifecycle word, verbatim' }),
    firstSeen: text,
    lastSeen: text,
    createdAt: z.string(),
    updatedAt: z.string(),
    services: z.array(
      z.object({
        port: z.number().int(),
        transport: z.string(),
        protocol: text,
        product: text,
        version: text,
        encrypted: z.boolean().nullable(),
      }),
    ),
    protocols: z.array(z.string()),
    dicom: z
      .object({
        aeTitles: z.array(z.string()),
        implementationClassUid: text,
        implementationVersionName: text,
        sopClasses: z.array(z.string()),
      })
      .nullable(),
    hl7: z
      .object({
        sendingApplications: z.array(z.string()),
        sendingFacilities: z.array(z.string()),
        messageTypes: z.array(z.string()),
        versions: z.array(z.string()),
        receivingApplications: z.array(z.string()),
        receivingFacilities: z.array(z.string()),
      })
      .nullable(),
  })
  .openapi('Device');

const FactValueSchema = z.object({ source: z.string(), value: text, sourceRef: text, lastSeen: z.string() });

const EvidenceSchema = z.object({
  summary: z.string(),
  connection: z.string().nullable(),
  packet: z.number().nullable(),
  time: z.string().nullable(),
});

export const DeviceDetailSchema = DeviceSchema.extend({
  mergedInto: text,
  identifiers: z.array(
    z.object({
      kind: z.enum(['mac', 'ip', 'hostname']),
      value: z.string(),
      source: z.string(),
      firstSeen: z.string(),
      lastSeen: z.string(),
    }),
  ),
  facts: z.array(
    z.object({
      field: z.string(),
      value: text,
      source: z.string(),
      sourceRef: text,
      firstSeen: z.string(),
      lastSeen: z.string(),
      confidence: z.number().nullable(),
    }),
  ),
  conflicts: z.array(
    z.object({ field: z.string(), declared: z.array(FactValueSchema), observed: z.array(FactValueSchema) }),
  ),
  suggestions: z
    .array(
      z.object({
        field: z.string(),
        value: z.string(),
        confidence: z.number(),
        source: z.string(),
        sourceRef: z.string(),
        evidence: EvidenceSchema,
      }),
    )
    .openapi({
      description:
        'What fingerprinting suggests, below the confidence a fact needs, for fields the device has no value for; most confident first',
    }),
  hints: z
    .array(
      z.object({
        kind: z.string(),
        value: z.string(),
        source: z.string(),
        sourceRef: z.string(),
        firstSeen: z.string(),
        lastSeen: z.string(),
        evidence: EvidenceSchema,
      }),
    )
    .openapi({
      description:
        'What the device said about itself that fingerprint rules read (DHCP vendor class, banners, User-Agent, certificate subject …) and its MAC registry owner (oui.vendor), by kind and value',
    }),
  vulnerabilities: z
    .array(
      z.object({
        vulnerability: z.string(),
        cve: z.string().nullable(),
        advisoryIds: z.array(z.string()),
        status: z.string(),
        confidence: z.number(),
        fixAvailable: z.boolean(),
        explanation: z.string(),
        vex: z
          .object({
            status: z.string(),
            justification: z.string().nullable(),
            impactStatement: z.string().nullable(),
            origin: z
              .string()
              .openapi({ description: '`hospital` (written in Vigil) or `document` (imported)' }),
            author: z.string().nullable(),
            statementId: z.string(),
            product: z.string(),
          })
          .nullable()
          .openapi({ description: 'The VEX statement that set the status; null when none applies' }),
      }),
    )
    .nullable()
    .optional()
    .openapi({ description: 'Vulnerability matches (GET only); null without vulns:read' }),
}).openapi('DeviceDetail');

const optionalText = z.string().nullable().optional();

/** Checked in full by the inventory module (vocabulary synonyms, MAC/IP forms, lengths). */
export const DeviceInputSchema = z
  .strictObject({
    assetTag: optionalText,
    serialNumber: optionalText,
    udi: optionalText,
    manufacturer: optionalText,
    model: optionalText,
    modelNumber: optionalText,
    deviceClass: optionalText.openapi({
      description: `One of ${DEVICE_CLASSES.join(', ')}, or an unambiguous synonym`,
    }),
    firmwareVersion: optionalText,
    softwareVersion: optionalText,
    os: optionalText,
    osVersion: optionalText,
    osEndOfSupport: optionalText.openapi({ description: 'YYYY-MM-DD' }),
    criticality: optionalText.openapi({ description: CRITICALITIES.join(', ') }),
    ephi: z.union([z.boolean(), z.string()]).nullable().optional(),
    site: optionalText.openapi({ description: 'Site name; created if new' }),
    building: optionalText,
    floor: optionalText,
    room: optionalText,
    department: optionalText,
    owner: optionalText,
    lifecycleStatus: optionalText,
    macs: z
      .array(z.string())
      .optional()
      .openapi({ description: 'Any common MAC spelling; on update, replaces the list' }),
    ips: z.array(z.string()).optional(),
    hostnames: z.array(z.string()).optional(),
  })
  .openapi('DeviceInput');

const csvList = <T extends z.ZodType>(item: T) =>
  z.preprocess((v) => (typeof v === 'string' ? v.split(',') : v), z.array(item)).optional();

const FilterQuery = {
  site: z.string().max(200).optional().openapi({ description: 'Site id or name' }),
  deviceClass: z.string().max(100).optional(),
  manufacturer: z.string().max(200).optional().openapi({ description: 'Part of the manufacturer name' }),
  model: z.string().max(200).optional().openapi({ description: 'Part of the model name or model number' }),
  criticality: z
    .enum([...CRITICALITIES, 'none'])
    .optional()
    .openapi({ description: `${CRITICALITIES.join(', ')}, or none: not set` }),
  ephi: z.enum(['yes', 'no', 'true', 'false', '1', '0']).optional(),
  seenSince: z.string().max(40).optional().openapi({ description: 'ISO-8601 date or date-time' }),
  state: csvList(z.enum(DEVICE_STATES)).openapi({
    description: 'Repeat or comma-separate; default: all but merged',
  }),
  q: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: 'Part of an asset tag, serial, UDI, MAC, IP or hostname' }),
  osEndOfSupportBefore: z
    .string()
    .max(10)
    .optional()
    .openapi({ description: 'YYYY-MM-DD: OS end of support known and on or before this day' }),
  vulnerable: z.enum(['yes', 'no', 'true', 'false', '1', '0']).optional().openapi({
    description: 'yes: devices with an affected or needs-review vulnerability match; no: without',
  }),
  sort: z.enum(DEVICE_SORTS).default('assetTag'),
  order: z.enum(['asc', 'desc']).default('asc'),
};

const DeviceParam = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({
      param: { name: 'id', in: 'path' },
      description:
        'Device id, or its asset tag, serial number, UDI or MAC; else an IP address or host name it was seen with',
    }),
});

const ImportResultSchema = z
  .object({
    file: z.string(),
    dryRun: z.boolean(),
    skipBadRows: z.boolean(),
    rows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    rejected: z.number().int(),
    sitesCreated: z.array(z.string()),
    manufacturersCreated: z.number().int(),
    modelsCreated: z.number().int(),
    ignoredColumns: z.array(z.string()),
    issues: z.array(
      z.object({
        file: z.string().optional(),
        line: z.number().int().optional(),
        field: z.string().optional(),
        reason: z.string(),
      }),
    ),
    warnings: z.array(
      z.object({
        file: z.string().optional(),
        line: z.number().int().optional(),
        field: z.string().optional(),
        reason: z.string(),
      }),
    ),
    devices: z.array(
      z.object({
        line: z.number().int(),
        deviceId: z.string(),
        outcome: z.enum(['created', 'updated', 'unchanged']),
        changed: z.array(z.string()),
      }),
    ),
    durationMs: z.number(),
  })
  .openapi('DeviceImportResult');

const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');

/** Only the filter fields, for the inventory's own (stricter) query validation. */
function filtersOf(q: Record<string, unknown>): Record<string, unknown> {
  const { page: _p, pageSize: _s, format: _f, ...rest } = q;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
}

/**
 * Optional `{ reason }` body of state changes (kept in the audit log). Strict: a misspelt `reason` was
 * dropped, and the retirement audited without the why someone gave.
 */
const ReasonBody = {
  required: false,
  content: { 'application/json': { schema: z.strictObject({ reason: z.string().max(500).optional() }) } },
};

export const SanitizationSchema = z
  .object({
    id: z.string(),
    deviceId: z.string(),
    method: z.enum(SANITIZATION_METHODS).openapi({ description: 'NIST SP 800-88 Rev. 1 category' }),
    performedOn: z.string().openapi({ example: '2026-11-30', description: 'The day it was done' }),
    performedBy: z
      .string()
      .openapi({ description: 'Who performed or verified it (a name, as on the certificate)' }),
    reference: text.openapi({ description: 'Certificate of sanitization, work order …' }),
    recordedBy: z.string(),
    recordedAt: z.string(),
  })
  .openapi('Sanitization');

// Loose on purpose, unknown fields too: the inventory module validates (and answers 400 with every
// issue, an unknown field among them) in one place, so a person fixes the body once.
const SanitizationInputSchema = z
  .looseObject({
    method: z
      .string()
      .max(20)
      .openapi({ example: 'purge', description: SANITIZATION_METHODS.join(' | ') }),
    performedOn: z
      .string()
      .max(20)
      .openapi({ example: '2026-11-30', description: 'YYYY-MM-DD, not in the future' }),
    performedBy: z.string().max(200).openapi({ example: 'J. Ortiz (Biomed)' }),
    reference: z.string().max(500).nullable().optional(),
  })
  .partial()
  .openapi('SanitizationInput');

export const deviceRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices',
      tags: ['devices'],
      summary: 'List devices: paged, filtered, sorted, with the total count',
      request: {
        query: z.object({
          page: z.coerce.number().int().min(1).default(1),
          pageSize: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(50),
          ...FilterQuery,
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(DeviceSchema),
            total: z.number().int(),
            page: z.number().int(),
            pageSize: z.number().int(),
            suggested: z
              .record(
                z.string(),
                z.object({
                  deviceClass: z.object({ value: z.string(), confidence: z.number() }).optional(),
                  manufacturer: z.object({ value: z.string(), confidence: z.number() }).optional(),
                }),
              )
              .openapi({
                description:
                  "By device id, for the page's devices without a class or manufacturer: what fingerprinting suggests (below the confidence of a fact)",
              }),
          }),
          'One page',
        ),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        await listDevices(c.get('ctx').vdb, actorOf(c), filtersOf(q), { page: q.page, pageSize: q.pageSize }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices/export',
      tags: ['devices'],
      summary: 'Export every matching device as CSV (the import format) or a JSON array, streamed',
      request: { query: z.object({ format: z.enum(EXPORT_FORMATS).default('csv'), ...FilterQuery }) },
      responses: {
        200: {
          description: 'The devices',
          content: {
            'text/csv': { schema: z.string() },
            'application/json': { schema: z.array(DeviceSchema) },
          },
        },
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const filters = filtersOf(q);
      // Validate before the first byte: after that, an error can no longer become a problem response.
      parseInput(DeviceQuerySchema, filters, 'device query');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      c.header(
        'content-type',
        q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8',
      );
      c.header('content-disposition', `attachment; filename="vigil-devices.${q.format}"`);
      return stream(c, async (s) => {
        for await (const chunk of exportDevices(vdb, actor, filters, q.format)) await s.write(chunk);
      });
    },
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices/summary',
      tags: ['devices'],
      summary:
        'Counts of the matching devices: total, ePHI, vulnerable, OS out of support, per class and criticality',
      request: { query: z.object(FilterQuery) },
      responses: {
        200: json(
          z
            .object({
              total: z.number().int(),
              ephi: z.number().int(),
              vulnerable: z.number().int(),
              osEndOfSupportPassed: z.number().int(),
              byClass: z.record(z.string(), z.number().int()),
              byCriticality: z.record(z.string(), z.number().int()),
            })
            .openapi('DeviceSummary'),
          'Counts',
        ),
      },
    }),
    async (c) =>
      c.json(await summarizeDevices(c.get('ctx').vdb, actorOf(c), filtersOf(c.req.valid('query'))), 200),
  )
  .openapi(
    defineRoute('devices:import', {
      method: 'post',
      path: '/devices/import',
      tags: ['devices'],
      summary: 'Import a CMMS export (CSV body); all or nothing unless skipBadRows (see docs/cmms-csv.md)',
      request: {
        query: z.object({
          fileName: z
            .string()
            .min(1)
            .max(200)
            .default('upload.csv')
            .openapi({ description: 'Name used in issues and fact references' }),
          dryRun: flag,
          skipBadRows: flag,
          map: z
            .union([z.string(), z.array(z.string())])
            .optional()
            .openapi({ description: "Header mapping 'Header=column' (repeatable)" }),
        }),
        body: {
          required: true,
          content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
      responses: { 200: json(ImportResultSchema, 'Imported (or, with dryRun, what would be)') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const type = c.req.header('content-type') ?? '';
      if (!/^(text\/csv|text\/plain|application\/octet-stream)\b/i.test(type)) {
        throw invalidInput('Send the CSV file as the request body with content-type text/csv', [
          { field: 'content-type', reason: `got "${type || 'none'}"` },
        ]);
      }
      const entries = q.map === undefined ? [] : Array.isArray(q.map) ? q.map : [q.map];
      const mapped = parseHeaderMapping(entries, '--map');
      if (mapped.issues.length)
        throw invalidInput(
          'Invalid header mapping',
          mapped.issues.map((i) => ({ ...i, field: 'map' })),
        );
      const body = c.req.raw.body as unknown as AsyncIterable<Uint8Array> | null;
      const result = await importCmmsCsv(c.get('ctx').vdb, actorOf(c), {
        file: q.fileName,
        input: body ?? '',
        ...(mapped.mapping.size ? { mapping: mapped.mapping } : {}),
        dryRun: q.dryRun,
        skipBadRows: q.skipBadRows,
        skipBadRowsHint: 'skipBadRows=true',
      });
      return c.json(result, 200);
    },
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices/{id}',
      tags: ['devices'],
      summary: 'A device with every fact, its source and the declared/observed conflicts',
      request: { params: DeviceParam },
      responses: {
        200: json(DeviceDetailSchema, 'The device'),
        404: problem('No such device (or not in your sites)'),
        409: problem('The reference fits several devices'),
      },
    }),
    async (c) => c.json(await showDevice(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices/{id}/history',
      tags: ['devices'],
      summary:
        "The device's audit trail, newest first: its own changes and observations, and (with their read permissions) its tasks, risk acceptances, alerts, findings and vulnerability decisions",
      request: {
        params: DeviceParam,
        query: z.object({
          beforeSeq: z.coerce
            .number()
            .int()
            .positive()
            .optional()
            .openapi({ description: 'nextBeforeSeq of the previous page' }),
          limit: z.coerce.number().int().min(1).max(MAX_HISTORY_PAGE).default(50),
        }),
      },
      responses: {
        200: json(
          z
            .object({
              deviceId: z.string(),
              items: z.array(
                z.object({
                  seq: z.number().int(),
                  at: z.string(),
                  actor: z.string(),
                  actorKind: z.string(),
                  action: z.string(),
                  outcome: z.string(),
                  about: z.enum(HISTORY_SUBJECTS),
                  targetType: z.string().nullable(),
                  targetId: z.string().nullable(),
                  summary: z.record(z.string(), z.unknown()),
                }),
              ),
              nextBeforeSeq: z.number().int().nullable(),
            })
            .openapi('DeviceHistory'),
          'One page of history',
        ),
        404: problem('No such device (or not in your sites)'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        await deviceHistory(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, {
          beforeSeq: q.beforeSeq,
          limit: q.limit,
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices',
      tags: ['devices'],
      summary: 'Add a device (needs an asset tag, serial number, UDI or MAC)',
      request: { body: { required: true, content: { 'application/json': { schema: DeviceInputSchema } } } },
      responses: { 201: json(DeviceDetailSchema, 'Added'), 409: problem('A device with these keys exists') },
    }),
    async (c) => c.json(await addDevice(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'patch',
      path: '/devices/{id}',
      tags: ['devices'],
      summary: 'Change declared values: null clears a value; macs/ips/hostnames replace the lists',
      request: {
        params: DeviceParam,
        body: { required: true, content: { 'application/json': { schema: DeviceInputSchema } } },
      },
      responses: { 200: json(DeviceDetailSchema, 'Updated') },
    }),
    async (c) =>
      c.json(
        await updateDevice(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices/{id}/retire',
      tags: ['devices'],
      summary: 'Mark a device retired',
      request: {
        params: DeviceParam,
        body: ReasonBody,
      },
      responses: { 200: json(DeviceDetailSchema, 'Retired') },
    }),
    async (c) =>
      c.json(
        await retireDevice(
          c.get('ctx').vdb,
          actorOf(c),
          c.req.valid('param').id,
          c.req.valid('json')?.reason,
        ),
        200,
      ),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices/{id}/sanitizations',
      tags: ['devices'],
      summary:
        "Record that the device's ePHI was sanitized (clear, purge or destroy) before disposal or re-use; HIPAA §164.310(d)",
      request: {
        params: DeviceParam,
        body: { required: true, content: { 'application/json': { schema: SanitizationInputSchema } } },
      },
      responses: {
        201: json(SanitizationSchema, 'Recorded'),
        404: problem('No such device (or not in your sites)'),
        409: problem('The device was merged into another, or the reference fits several devices'),
      },
    }),
    async (c) =>
      c.json(
        await recordSanitization(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json')),
        201,
      ),
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/devices/{id}/sanitizations',
      tags: ['devices'],
      summary: "The device's sanitization records (and those of duplicates merged into it), newest first",
      request: { params: DeviceParam },
      responses: {
        200: json(z.array(SanitizationSchema), 'Records'),
        404: problem('No such device (or not in your sites)'),
      },
    }),
    async (c) => c.json(await listSanitizations(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices/{id}/confirm',
      tags: ['devices'],
      summary: 'Confirm a staged (or ignored, or retired) device as active',
      request: { params: DeviceParam },
      responses: { 200: json(DeviceDetailSchema, 'Confirmed') },
    }),
    async (c) => c.json(await confirmDevice(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices/{id}/ignore',
      tags: ['devices'],
      summary: 'Stop tracking a device',
      request: {
        params: DeviceParam,
        body: ReasonBody,
      },
      responses: { 200: json(DeviceDetailSchema, 'Ignored') },
    }),
    async (c) =>
      c.json(
        await ignoreDevice(
          c.get('ctx').vdb,
          actorOf(c),
          c.req.valid('param').id,
          c.req.valid('json')?.reason,
        ),
        200,
      ),
  )
  .openapi(
    defineRoute('devices:write', {
      method: 'post',
      path: '/devices/{id}/merge',
      tags: ['devices'],
      summary: 'Merge this device (a duplicate) into another; returns the device it was merged into',
      request: {
        params: DeviceParam,
        body: {
          required: true,
          content: { 'application/json': { schema: z.object({ into: z.string().min(1).max(200) }) } },
        },
      },
      responses: { 200: json(DeviceDetailSchema, 'The device merged into') },
    }),
    async (c) =>
      c.json(
        await mergeDevices(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, c.req.valid('json').into),
        200,
      ),
  );
