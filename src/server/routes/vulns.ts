/**
 * @module Vulnerability matches and knowledge over the API: list matches (the `vigil vulns list` contract),
 * a CVE or advisory with its fleet view, why a device matched, decisions on candidates, running the
 * matcher; advisories, feeds and subscriptions, uploads of advisories, SBOMs and VEX, hospital VEX.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { assertAllSites } from '../../accounts/actor.js';
import { ADVISORY_FORMATS, type AdvisoryFormat, importBytes } from '../../advisories/advisory-import.js';
import {
  addSubscription,
  FEED_KINDS,
  listFeeds,
  removeSubscription,
  syncFeeds,
} from '../../advisories/feeds-service.js';
import { beginAdvisoryWrites, matchAdvisoryWrites, matchCovered } from '../../advisories/pending-match.js';
import {
  addVexStatement,
  exportVex,
  importSbom,
  importVex,
  listVex,
  sbomList,
  sbomView,
  vexView,
} from '../../advisories/sbom-vex-service.js';
import { appendAudit } from '../../audit/audit-log.js';
import { invalidInput } from '../../errors.js';
import { detectAdvisoryFormat } from '../../formats/detect.js';
import { utf16Of, utf16Reason } from '../../formats/utf16.js';
import { resolveDevice } from '../../inventory/inventory-service.js';
import { MATCH_STATUSES } from '../../matching/match-types.js';
import {
  decideCandidate,
  explainMatch,
  matchEveryDevice,
  showVulnerability,
  streamVulnMatches,
} from '../../matching/vulns-service.js';
import { listAdvisories } from '../../store/advisory-store.js';
import { transaction } from '../../store/transaction.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const many = <T extends z.ZodType>(item: T) =>
  z.preprocess(
    (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
    z.array(item).optional(),
  );
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1'));

const KevSchema = z
  .union([
    z.null(),
    z.literal(false),
    z.object({
      dateAdded: z.string(),
      dueDate: z.string().nullable(),
      knownRansomwareCampaignUse: z.string(),
    }),
  ])
  .openapi({ description: 'null: KEV not loaded (unknown); false: not listed; object: listed' });
const EpssSchema = z
  .object({ score: z.number(), percentile: z.number(), date: z.string().nullable() })
  .nullable();
const CvssSchema = z
  .object({
    score: z.number(),
    vector: z.string().nullable(),
    version: z.string().nullable(),
    severity: z.string().nullable(),
  })
  .nullable();

export const VulnerabilityMatchSchema = z
  .object({
    id: z.string(),
    deviceId: z.string(),
    assetTag: z.string().nullable(),
    deviceLabel: z.string().openapi({
      description:
        'What a person calls the device: the asset tag, else make and model (or class) with its newest host name, IP or MAC, else the address. For display; deviceId is the key',
    }),
    vulnerability: z.string(),
    advisoryIds: z.array(z.string()),
    cve: z.string().nullable(),
    status: z.enum(MATCH_STATUSES),
    confidence: z.number(),
    candidate: z.boolean(),
    matchedBy: z.array(z.string()),
    explanation: z.string(),
    fixAvailable: z.boolean(),
    kev: KevSchema,
    epss: EpssSchema,
    cvss: CvssSchema,
    firstMatched: z.string(),
    lastMatched: z.string(),
  })
  .openapi('VulnerabilityMatch');

const MatchReportSchema = z
  .object({
    devices: z.number(),
    subjects: z.number(),
    vulnerabilitiesConsidered: z.number(),
    matches: z.number(),
    added: z.number(),
    changed: z.number(),
    removed: z.number(),
    byStatus: z.record(z.string(), z.number()),
    ms: z.number(),
  })
  .openapi('MatchReport');

const FileReportSchema = z
  .object({
    file: z.string(),
    format: z.string().nullable(),
    status: z.string(),
    summary: z.string(),
    advisoryId: z
      .string()
      .optional()
      .openapi({ description: "The advisory's tracking id (ICSMA-…), for a CSAF document that was stored" }),
    records: z.number(),
    issues: z.array(z.object({ file: z.string(), where: z.string(), message: z.string() })),
  })
  .openapi('FileImportReport');

const FeedSchema = z
  .object({
    id: z.string(),
    kind: z.string(),
    name: z.string(),
    url: z.string().nullable(),
    manufacturer: z.string().nullable(),
    enabled: z.boolean(),
    requireSignature: z.boolean(),
    expectedIntervalHours: z.number(),
    lastAttemptAt: z.string().nullable(),
    lastSuccessAt: z.string().nullable(),
    lastError: z.string().nullable(),
    stale: z.boolean(),
    documents: z.number().nullable(),
  })
  .openapi('Feed');

const Binary = { 'application/octet-stream': { schema: z.string().openapi({ format: 'binary' }) } };
const VulnParam = z.object({
  vulnerability: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: 'vulnerability', in: 'path' } }),
});
const DEVICE_REF = 'A device id or reference (asset tag, serial, UDI, MAC, IP, host name)';
const DeviceVulnParams = VulnParam.extend({
  deviceId: z
    .string()
    .min(1)
    .max(255)
    .openapi({ param: { name: 'deviceId', in: 'path' }, description: DEVICE_REF }),
});

async function bodyBytes(req: Request): Promise<Uint8Array> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  if (bytes.length === 0) throw invalidInput('Send the file as the request body');
  return bytes;
}

export const vulnRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('vulns:read', {
      method: 'get',
      path: '/vulns',
      tags: ['vulnerabilities'],
      summary: 'Vulnerability matches, one per (device, vulnerability)',
      request: {
        query: z.object({
          status: many(z.enum(MATCH_STATUSES)),
          deviceId: z.string().max(255).optional().openapi({ description: DEVICE_REF }),
          vulnerability: z.string().max(128).optional(),
          candidate: flag,
          limit: z.coerce.number().int().min(1).max(10_000).default(1000),
          after: z.string().max(64).optional().openapi({ description: 'nextCursor of the previous page' }),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(VulnerabilityMatchSchema),
            nextCursor: z
              .string()
              .nullable()
              .openapi({ description: 'pass as after= for the next page; null at the end' }),
          }),
          'Matches',
        ),
      },
    }),
    async (c) => {
      const { limit, ...q } = c.req.valid('query');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      // The asset tag or address a list shows, typed back, must not read as "no matches": resolve it, or 404.
      if (q.deviceId) q.deviceId = (await resolveDevice(vdb, actor, q.deviceId)).id;
      const items = [];
      const query = Object.fromEntries(
        Object.entries({ ...q, limit: limit + 1 }).filter(([, v]) => v !== undefined),
      );
      for await (const m of streamVulnMatches(vdb, actor, query)) items.push(m);
      const more = items.length > limit;
      if (more) items.length = limit;
      return c.json({ items, nextCursor: more ? (items.at(-1)?.id ?? null) : null }, 200);
    },
  )
  .openapi(
    defineRoute('vulns:read', {
      method: 'get',
      path: '/vulns/{vulnerability}',
      tags: ['vulnerabilities'],
      summary: 'A CVE (or advisory-local key) or an advisory (ICSMA-…) with its fleet view',
      request: { params: VulnParam },
      responses: {
        200: json(
          z.object({ kind: z.enum(['vulnerability', 'advisory']), view: z.record(z.string(), z.unknown()) }),
          'View',
        ),
      },
    }),
    async (c) => {
      const r = await showVulnerability(c.get('ctx').vdb, actorOf(c), c.req.valid('param').vulnerability);
      return c.json({ kind: r.kind, view: r.view as unknown as Record<string, unknown> }, 200);
    },
  )
  .openapi(
    defineRoute('vulns:read', {
      method: 'get',
      path: '/vulns/{vulnerability}/devices/{deviceId}',
      tags: ['vulnerabilities'],
      summary: 'Why a device matched: every rule and source, with evidence',
      request: { params: DeviceVulnParams },
      responses: {
        200: json(
          VulnerabilityMatchSchema.extend({ details: z.record(z.string(), z.unknown()) }),
          'Explanation',
        ),
      },
    }),
    async (c) => {
      const p = c.req.valid('param');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      const deviceId = (await resolveDevice(vdb, actor, p.deviceId)).id;
      const m = await explainMatch(vdb, actor, deviceId, p.vulnerability);
      return c.json({ ...m, details: m.details as unknown as Record<string, unknown> }, 200);
    },
  )
  .openapi(
    defineRoute('vulns:write', {
      method: 'post',
      path: '/vulns/{vulnerability}/devices/{deviceId}/decision',
      tags: ['vulnerabilities'],
      summary: "Confirm or reject a candidate; remembered for the device's model and version",
      request: {
        params: DeviceVulnParams,
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                decision: z.enum(['confirmed', 'rejected']),
                reason: z.string().min(1).max(2000),
                allVersions: z.boolean().optional(),
              }),
            },
          },
        },
      },
      responses: { 200: json(z.object({ decision: z.string(), devicesAffected: z.number() }), 'Decided') },
    }),
    async (c) => {
      const p = c.req.valid('param');
      // The service's own rules (e.g. a reason that is not only blanks) are input errors (400), not a 500.
      const input = c.req.valid('json');
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      const deviceId = (await resolveDevice(vdb, actor, p.deviceId)).id;
      // A site-limited caller may only decide on matches it can see (explainMatch 404s on other sites).
      await explainMatch(vdb, actor, deviceId, p.vulnerability);
      return c.json(await decideCandidate(vdb, actor, deviceId, p.vulnerability, input), 200);
    },
  )
  .openapi(
    defineRoute('vulns:write', {
      method: 'post',
      path: '/match',
      tags: ['vulnerabilities'],
      summary: 'Match every device against all knowledge (imports re-match on their own)',
      responses: { 200: json(MatchReportSchema, 'Report') },
    }),
    async (c) => c.json(await matchEveryDevice(c.get('ctx').vdb, actorOf(c)), 200),
  )
  .openapi(
    defineRoute('advisories:read', {
      method: 'get',
      path: '/advisories',
      tags: ['advisories'],
      summary: 'Imported CSAF advisories, newest first',
      responses: {
        200: json(
          z.object({
            items: z.array(
              z.object({
                advisoryId: z.string(),
                title: z.string(),
                publisher: z.string(),
                version: z.string(),
                currentRelease: z.string(),
                origin: z.string(),
                fetchedAt: z.string(),
              }),
            ),
          }),
          'Advisories',
        ),
      },
    }),
    async (c) => {
      const rows = await listAdvisories(c.get('ctx').vdb);
      return c.json(
        {
          items: rows.map((a) => ({
            advisoryId: a.tracking_id,
            title: a.title,
            publisher: a.publisher,
            version: a.version,
            currentRelease: a.current_release,
            origin: a.origin,
            fetchedAt: a.fetched_at,
          })),
        },
        200,
      );
    },
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'post',
      path: '/advisories/import',
      tags: ['advisories'],
      summary:
        'Upload one advisory or feed file (CSAF, NVD, CVE 5, OSV, KEV, EPSS); format detected unless given',
      request: {
        query: z.object({
          format: z.enum(ADVISORY_FORMATS).optional(),
          fileName: z.string().min(1).max(200).default('upload'),
        }),
        body: { required: true, content: Binary },
      },
      responses: {
        200: json(z.object({ file: FileReportSchema, match: MatchReportSchema.nullable() }), 'Imported'),
      },
    }),
    async (c) => {
      // Knowledge is matched against every site's devices (a CSAF product status of not affected closes
      // matches as a model VEX statement does). Here, not in importBytes: only tokens are limited to
      // sites, and the CLI and feeds import as the operator or Vigil.
      assertAllSites(actorOf(c), 'Vulnerability knowledge');
      const q = c.req.valid('query');
      const bytes = await bodyBytes(c.req.raw);
      const format =
        q.format ?? (detectAdvisoryFormat(bytes.subarray(0, 65536), q.fileName) as AdvisoryFormat | null);
      const utf16 = format ? null : utf16Of(bytes);
      if (utf16) throw invalidInput(`${q.fileName} ${utf16Reason(utf16)}`);
      if (!format || !(ADVISORY_FORMATS as readonly string[]).includes(format))
        throw invalidInput(
          `${q.fileName}: not a recognised advisory format; Vigil reads CSAF 2.0, NVD, CVE 5, OSV, the CISA KEV catalog (JSON or CSV) and FIRST EPSS (an API client may name the format with ?format=)`,
        );
      const { vdb } = c.get('ctx');
      const actor = actorOf(c);
      const writes = await beginAdvisoryWrites(vdb);
      const r = await importBytes(vdb, bytes, q.fileName, format, null);
      await transaction(vdb, (h) =>
        appendAudit(h, {
          actor,
          action: 'advisories.import',
          target: { type: 'advisories' },
          summary: { file: q.fileName, format, status: r.report.status },
        }),
      );
      if (r.report.status === 'rejected') {
        // Nothing was written: the marker goes if this request set it (one left by an interrupted
        // import stays, for the next run to honour).
        if (writes.since === writes.start) await matchCovered(vdb, writes.start);
        throw invalidInput(
          `${q.fileName}: rejected`,
          r.report.issues.slice(0, 100).map((i) => ({ file: i.file, field: i.where, reason: i.message })),
        );
      }
      return c.json(
        { file: r.report, match: await matchAdvisoryWrites(vdb, actor, writes, r.vulnKeys) },
        200,
      );
    },
  )
  .openapi(
    defineRoute('advisories:read', {
      method: 'get',
      path: '/feeds',
      tags: ['advisories'],
      summary: 'Feed sources and subscriptions with freshness',
      responses: { 200: json(z.object({ items: z.array(FeedSchema) }), 'Feeds') },
    }),
    async (c) => c.json({ items: await listFeeds(c.get('ctx').vdb, actorOf(c)) }, 200),
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'post',
      path: '/feeds',
      tags: ['advisories'],
      summary: "Subscribe to a feed (a manufacturer's CSAF provider-metadata.json, KEV, EPSS …)",
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                kind: z.enum(FEED_KINDS),
                name: z.string(),
                url: z.string(),
                manufacturer: z.string().optional(),
                requireSignature: z.boolean().optional(),
                intervalHours: z.number().int().optional(),
              }),
            },
          },
        },
      },
      responses: { 201: json(FeedSchema, 'Subscribed') },
    }),
    async (c) => {
      const input = c.req.valid('json');
      const { vdb, config } = c.get('ctx');
      return c.json(
        await addSubscription(vdb, actorOf(c), input, { allowHosts: config.feedAllowHosts }),
        201,
      );
    },
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'delete',
      path: '/feeds/{feed}',
      tags: ['advisories'],
      summary: 'Remove a subscription (imported knowledge stays)',
      request: {
        params: z.object({
          feed: z
            .string()
            .max(120)
            .openapi({ param: { name: 'feed', in: 'path' } }),
        }),
      },
      responses: { 200: json(z.object({ removed: z.string() }), 'Removed') },
    }),
    async (c) => {
      const { feed } = c.req.valid('param');
      await removeSubscription(c.get('ctx').vdb, actorOf(c), feed);
      return c.json({ removed: feed }, 200);
    },
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'post',
      path: '/feeds/sync',
      tags: ['advisories'],
      summary: 'Sync every subscription now (or ?feed=NAME)',
      request: { query: z.object({ feed: z.string().max(120).optional() }) },
      responses: {
        200: json(
          z.object({
            feeds: z.array(z.record(z.string(), z.unknown())),
            match: MatchReportSchema.nullable(),
          }),
          'Synced',
        ),
      },
    }),
    async (c) => {
      const { feed } = c.req.valid('query');
      const { vdb, config } = c.get('ctx');
      const r = await syncFeeds(vdb, actorOf(c), {
        allowHosts: config.feedAllowHosts,
        ...(feed ? { feed } : {}),
      });
      return c.json({ feeds: r.feeds as unknown as Record<string, unknown>[], match: r.match }, 200);
    },
  )
  .openapi(
    defineRoute('advisories:read', {
      method: 'get',
      path: '/sboms',
      tags: ['advisories'],
      summary: 'SBOMs per device model and version',
      responses: { 200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'SBOMs') },
    }),
    async (c) =>
      c.json(
        {
          items: (await sbomList(c.get('ctx').vdb, actorOf(c))).map(sbomView) as unknown as Record<
            string,
            unknown
          >[],
        },
        200,
      ),
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'post',
      path: '/sboms/import',
      tags: ['advisories'],
      summary: 'Attach a CycloneDX or SPDX SBOM (request body) to a model and version',
      request: {
        query: z.object({
          model: z.string().min(1).max(200),
          manufacturer: z.string().min(1).max(200).optional(),
          version: z.string().min(1).max(100).optional(),
          fileName: z.string().min(1).max(200).default('upload'),
        }),
        body: { required: true, content: Binary },
      },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Imported') },
    }),
    async (c) => {
      const { fileName, ...o } = c.req.valid('query');
      const bytes = await bodyBytes(c.req.raw);
      const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      const r = await importSbom(c.get('ctx').vdb, actorOf(c), fileName, opts, bytes);
      return c.json(r as unknown as Record<string, unknown>, 200);
    },
  )
  .openapi(
    defineRoute('advisories:read', {
      method: 'get',
      path: '/vex',
      tags: ['advisories'],
      summary: 'VEX statements (imported and the hospital’s own)',
      request: { query: z.object({ vulnerability: z.string().max(128).optional() }) },
      responses: { 200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())) }), 'Statements') },
    }),
    async (c) => {
      const rows = await listVex(c.get('ctx').vdb, actorOf(c), c.req.valid('query').vulnerability);
      return c.json({ items: rows.map(vexView) as unknown as Record<string, unknown>[] }, 200);
    },
  )
  .openapi(
    defineRoute('advisories:write', {
      method: 'post',
      path: '/vex/import',
      tags: ['advisories'],
      summary: 'Import CSAF VEX, OpenVEX or CycloneDX VEX (request body)',
      request: {
        query: z.object({
          model: z.string().min(1).max(200).optional(),
          manufacturer: z.string().min(1).max(200).optional(),
          version: z.string().min(1).max(100).optional(),
          device: z.string().min(1).max(64).optional(),
          fileName: z.string().min(1).max(200).default('upload'),
        }),
        body: { required: true, content: Binary },
      },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Imported') },
    }),
    async (c) => {
      const { fileName, ...o } = c.req.valid('query');
      const bytes = await bodyBytes(c.req.raw);
      const opts = Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
      const r = await importVex(c.get('ctx').vdb, actorOf(c), fileName, opts, bytes);
      return c.json(r as unknown as Record<string, unknown>, 200);
    },
  )
  .openapi(
    defineRoute('vulns:write', {
      method: 'post',
      path: '/vex',
      tags: ['advisories'],
      summary: "Write the hospital's own VEX statement",
      request: {
        body: {
          required: true,
          content: { 'application/json': { schema: z.record(z.string(), z.unknown()) } },
        },
      },
      responses: { 201: json(z.record(z.string(), z.unknown()), 'Stored') },
    }),
    async (c) => {
      // The service checks the input and that a device-scoped statement's device is in the caller's sites.
      const row = await addVexStatement(c.get('ctx').vdb, actorOf(c), c.req.valid('json'));
      return c.json(vexView(row) as unknown as Record<string, unknown>, 201);
    },
  )
  .openapi(
    defineRoute('advisories:read', {
      method: 'get',
      path: '/vex/export',
      tags: ['advisories'],
      summary: "The hospital's statements as OpenVEX or CSAF VEX",
      request: {
        query: z.object({
          format: z.enum(['openvex', 'csaf']),
          all: flag,
          author: z.string().max(200).optional(),
        }),
      },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Document') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const opts = Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined));
      return c.json(await exportVex(c.get('ctx').vdb, actorOf(c), opts), 200);
    },
  );
