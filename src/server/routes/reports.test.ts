/**
 * The reports API: GET /reports/compliance in every format with the right content type (PDF as
 * application/pdf, checked by its magic bytes), framework and site filters, 400 on a bad framework,
 * and GET /export/fhir as application/fhir+json; reports:read for every role, none anonymous.
 * Data: the real CMMS export test/fixtures/cmms/hospital-export.csv.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { importCmmsCsv } from '../../inventory/cmms-import.js';

describe.each(DIALECTS)('reports API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    const input = readFileSync(
      new URL('../../../test/fixtures/cmms/hospital-export.csv', import.meta.url),
      'utf8',
    );
    await importCmmsCsv(h.ctx.vdb, cliActor, { file: 'hospital-export.csv', input });
  });
  afterAll(async () => h?.close());

  it('answers the compliance report as JSON by default, filtered by framework', async () => {
    expect((await h.anonymous.get('/api/v1/reports/compliance')).status).toBe(401);
    const res = await h.as('auditor').get('/api/v1/reports/compliance?framework=hipaa,nist-csf');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as {
      frameworks: { id: string }[];
      controls: { id: string; status: string; reason: string; outside: string | null }[];
    };
    expect(body.frameworks.map((f) => f.id)).toEqual(['hipaa', 'nist-csf']);
    // Vigil's own audit log is intact, but §164.312(b) asks it of every system that holds ePHI: partial,
    // saying so, never met on Vigil's log alone.
    const audit = body.controls.find((c) => c.id === 'hipaa-164.312-b')!;
    expect(audit).toMatchObject({ status: 'partial' });
    expect(audit.reason).toMatch(
      /^Vigil's audit log integrity: hash chain of .* verified; not shown by Vigil: audit controls in the systems that contain or use ePHI/,
    );
    expect(audit.outside).toMatch(/systems that contain or use ePHI/);
    expect(body.controls.find((c) => c.id === 'csf-ID.AM')!.outside).toBeNull();
    const bad = await h.as('auditor').get('/api/v1/reports/compliance?framework=sox');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/Unknown framework sox/);
    expect((await h.as('auditor').get('/api/v1/reports/compliance?format=docx')).status).toBe(400);
    expect((await h.as('auditor').get('/api/v1/reports/compliance?site=Nowhere')).status).toBe(404);
  });

  it('renders HTML, CSV and PDF with their content types', async () => {
    const html = await h.as('clinical-engineer').get('/api/v1/reports/compliance?format=html');
    expect(html.headers.get('content-type')).toMatch(/^text\/html; charset=utf-8/);
    // A slip in escaping device text would otherwise run script on the dashboard's origin.
    expect(html.headers.get('content-security-policy')).toMatch(/^default-src 'none';.*sandbox$/);
    expect(html.headers.get('content-security-policy')).not.toMatch(/script-src/);
    expect(await html.text()).toMatch(/^<!DOCTYPE html>[\s\S]*<svg/);

    const csv = await h.as('auditor').get('/api/v1/reports/compliance?format=csv&table=evidence');
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(
      /attachment; filename="vigil-compliance-evidence-\d{4}-\d\d-\d\d\.csv"/,
    );
    expect((await csv.text()).split('\r\n')[0]).toBe('kind,title,status,as_of,age_days,reason,figures,gaps');

    const pdf = await h.as('security-officer').get('/api/v1/reports/compliance?format=pdf&framework=fda');
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    const bytes = Buffer.from(await pdf.arrayBuffer());
    expect(bytes.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(bytes.subarray(-6).toString('latin1')).toMatch(/%%EOF/);
  });

  it('exports the inventory as a FHIR Bundle', async () => {
    expect((await h.anonymous.get('/api/v1/export/fhir')).status).toBe(401);
    const res = await h.as('auditor').get('/api/v1/export/fhir?site=St.%20Vigil%20Medical%20Center');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/fhir\+json; fhirVersion=4\.0/);
    const b = (await res.json()) as {
      resourceType: string;
      type: string;
      entry: { resource: { resourceType: string } }[];
    };
    expect(b).toMatchObject({ resourceType: 'Bundle', type: 'collection' });
    expect(b.entry.length).toBeGreaterThan(0);
    expect(b.entry.every((e) => e.resource.resourceType === 'Device')).toBe(true);
  });
});
