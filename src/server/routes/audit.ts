/**
 * @module The audit log over the API: list (newest first, keyset paging), verify the hash chain, export
 * as JSON lines.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { stream } from 'hono/streaming';
import { assertAllSites } from '../../accounts/actor.js';
import { appendAudit, exportAudit, listAudit, verifyAuditChain } from '../../audit/audit-log.js';
import { auditTargetLabels, targetLabelIn } from '../../audit/target-labels.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const AuditEntrySchema = z
  .object({
    seq: z.number().int(),
    id: z.string(),
    at: z.string(),
    actor: z.string(),
    actorKind: z.string(),
    action: z.string(),
    outcome: z.string(),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    targetLabel: z.string().nullable().openapi({
      description:
        "what the target is called now (a device's label, a task's or alert's title, a user name); not part of the chain",
    }),
    ip: z.string().nullable(),
    summary: z.record(z.string(), z.unknown()),
    prevHash: z.string(),
    hash: z.string(),
  })
  .openapi('AuditEntry');

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());

export const auditRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('audit:read', {
      method: 'get',
      path: '/audit',
      tags: ['audit'],
      summary: 'Audit entries, newest first',
      request: {
        query: z.object({
          since: isoDate.optional(),
          until: isoDate.optional(),
          actor: z.string().max(200).optional(),
          action: z.string().max(100).optional(),
          beforeSeq: z.coerce.number().int().positive().optional(),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
        }),
      },
      responses: {
        200: json(
          z.object({ items: z.array(AuditEntrySchema), nextBeforeSeq: z.number().int().nullable() }),
          'Entries',
        ),
      },
    }),
    async (c) => {
      // The log records every site's changes (and accounts, tokens, the program): no site filter fits it.
      assertAllSites(actorOf(c), 'The audit log');
      const q = c.req.valid('query');
      const { vdb } = c.get('ctx');
      const entries = await listAudit(vdb, q);
      const labels = await auditTargetLabels(vdb, entries);
      const items = entries.map((e) => ({ ...e, targetLabel: targetLabelIn(labels, e) }));
      const next = items.length === q.limit ? (items.at(-1)?.seq ?? null) : null;
      return c.json({ items, nextBeforeSeq: next }, 200);
    },
  )
  .openapi(
    defineRoute('audit:read', {
      method: 'get',
      path: '/audit/verify',
      tags: ['audit'],
      summary: 'Recompute the hash chain and name the first broken entry',
      responses: {
        200: json(
          z.object({
            ok: z.boolean(),
            entries: z.number().int(),
            firstBroken: z.object({ seq: z.number().int(), id: z.string(), reason: z.string() }).optional(),
          }),
          'Result',
        ),
      },
    }),
    async (c) => {
      assertAllSites(actorOf(c), 'The audit log');
      return c.json(await verifyAuditChain(c.get('ctx').vdb), 200);
    },
  )
  .openapi(
    defineRoute('audit:read', {
      method: 'get',
      path: '/audit/export',
      tags: ['audit'],
      summary: 'Export the audit log as JSON lines, in chain order',
      request: { query: z.object({ since: isoDate.optional(), until: isoDate.optional() }) },
      responses: {
        200: { description: 'JSON lines', content: { 'application/x-ndjson': { schema: z.string() } } },
      },
    }),
    async (c) => {
      assertAllSites(actorOf(c), 'The audit log');
      const q = c.req.valid('query');
      const { vdb } = c.get('ctx');
      // Exporting the record of access is itself an access worth recording.
      await appendAudit(vdb, {
        actor: actorOf(c),
        action: 'audit.export',
        summary: { since: q.since ?? null, until: q.until ?? null },
      });
      c.header('content-type', 'application/x-ndjson');
      c.header('content-disposition', 'attachment; filename="vigil-audit.jsonl"');
      // A streamed body has no typed shape; the route documents it as application/x-ndjson.
      return stream(c, async (s) => {
        for await (const entry of exportAudit(vdb, q)) await s.write(`${JSON.stringify(entry)}\n`);
      }) as never;
    },
  );
