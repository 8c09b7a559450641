/**
 * @module Reports over the API: `GET /reports/compliance?format=json|html|pdf|csv&framework=…&site=…
 * &table=…` (the compliance report; PDF made on the server) and `GET /export/fhir?site=…` (the device
 * inventory as a FHIR R4 Bundle). Both need reports:read. Thin: the compliance and export modules decide.
 */

import { OpenAPIHono, z } from '@hono/zod-openapi';
import { complianceReport } from '../../compliance/compliance-service.js';
import { FRAMEWORK_IDS, type FrameworkId } from '../../compliance/controls/index.js';
import {
  CSV_TABLES,
  REPORT_FORMATS,
  REPORT_MEDIA_TYPES,
  renderReport,
} from '../../compliance/report/index.js';
import { invalidInput } from '../../errors.js';
import { exportFhirBundle } from '../../export/fhir/fhir-export-service.js';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import { ProblemSchema } from '../problem.js';
import { type AppEnv, actorOf, defineRoute } from '../route.js';

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: ProblemSchema } },
});

const ReportQuery = z.object({
  format: z.enum(REPORT_FORMATS).default('json').openapi({ description: 'json (default), html, pdf or csv' }),
  framework: z
    .string()
    .max(200)
    .optional()
    .openapi({ description: `Comma-separated framework ids: ${FRAMEWORK_IDS.join(', ')}; default all` }),
  site: z.string().max(200).optional().openapi({ description: 'Site id or name; default every site' }),
  table: z.enum(CSV_TABLES).default('controls').openapi({ description: 'For format=csv: which table' }),
});

function frameworksOf(value: string | undefined): FrameworkId[] {
  if (!value) return [];
  const ids = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const bad = ids.filter((i) => !(FRAMEWORK_IDS as readonly string[]).includes(i));
  if (bad.length)
    throw invalidInput(`Unknown framework ${bad.join(', ')}: one of ${FRAMEWORK_IDS.join(', ')}`);
  return ids as FrameworkId[];
}

/** No script, no fetch, no form, no framing: the report is a document to read and print. */
export const HTML_REPORT_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox";

export const reportRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('reports:read', {
      method: 'get',
      path: '/reports/compliance',
      tags: ['reports'],
      summary: 'The compliance report: control statuses with evidence, as JSON, HTML, PDF or a CSV table',
      request: { query: ReportQuery },
      responses: {
        200: {
          description: 'The report in the requested format (docs/compliance.md)',
          content: {
            'application/json': { schema: z.record(z.string(), z.unknown()) },
            'text/html': { schema: z.string() },
            'application/pdf': { schema: z.string().openapi({ format: 'binary' }) },
            'text/csv': { schema: z.string() },
          },
        },
        404: problem('No such site'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const frameworks = frameworksOf(q.framework);
      const ctx = c.get('ctx');
      const r = await complianceReport(
        ctx.vdb,
        actorOf(c),
        { ...(frameworks.length ? { frameworks } : {}), ...(q.site ? { site: q.site } : {}) },
        new Date(),
        queueOptionsFrom(ctx.config),
      );
      const body = await renderReport(r, q.format, q.table);
      c.header('content-type', REPORT_MEDIA_TYPES[q.format]);
      c.header('cache-control', 'no-store');
      // The HTML report opens on the dashboard's own origin and shows device and advisory text: every
      // value is escaped, and should one ever slip, no script runs and nothing is fetched (sandbox: an
      // origin of its own). Its only style is its own <style> element.
      if (q.format === 'html') c.header('content-security-policy', HTML_REPORT_CSP);
      if (q.format !== 'json' && q.format !== 'html') {
        const stamp = r.generatedAt.slice(0, 10);
        const name =
          q.format === 'pdf' ? `vigil-compliance-${stamp}.pdf` : `vigil-compliance-${q.table}-${stamp}.csv`;
        c.header('content-disposition', `attachment; filename="${name}"`);
      }
      // The body is the rendered document, not a typed JSON shape; the route documents its media types.
      return c.body(typeof body === 'string' ? body : new Uint8Array(body), 200) as never;
    },
  )
  .openapi(
    defineRoute('reports:read', {
      method: 'get',
      path: '/export/fhir',
      tags: ['reports'],
      summary: 'Devices in service as a FHIR R4 Bundle (type collection) of Device resources',
      request: {
        query: z.object({
          site: z.string().max(200).optional().openapi({ description: 'Site id or name' }),
          all: z
            .enum(['true', 'false'])
            .optional()
            .openapi({ description: 'Include retired and ignored devices' }),
        }),
      },
      responses: {
        200: {
          description: 'A FHIR R4 Bundle (docs/fhir-export.md)',
          content: { 'application/fhir+json': { schema: z.record(z.string(), z.unknown()) } },
        },
        404: problem('No such site'),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const bundle = await exportFhirBundle(c.get('ctx').vdb, actorOf(c), {
        ...(q.site ? { site: q.site } : {}),
        ...(q.all === 'true' ? { all: true } : {}),
      });
      c.header('content-type', 'application/fhir+json; fhirVersion=4.0; charset=utf-8');
      return c.body(JSON.stringify(bundle), 200) as never;
    },
  );
