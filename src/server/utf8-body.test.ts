/**
 * Request bodies that are not UTF-8, as a client on Windows-1252 sends them (an "é" as the one byte
 * 0xE9), refused before any route reads them, at the byte's offset, with nothing changed or audited.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness, cliActor } from '../../test/api-harness.js';
import { DIALECTS } from '../../test/dialects.js';
import { listAudit } from '../audit/audit-log.js';
import { addDevice } from '../inventory/inventory-service.js';

const JSON_TYPE = { 'content-type': 'application/json' };

/** `text` with every "é" sent as Windows-1252 does (0xE9), the rest as UTF-8 (all ASCII here). */
const windows1252 = (text: string) => Buffer.from(text, 'latin1');

interface Problem {
  code: string;
  detail: string;
  issues: { field?: string; line?: number; offset?: number; reason: string }[];
}

describe.each(DIALECTS)('request bodies that are not UTF-8 on %s', (dialect) => {
  let h: ApiHarness;
  let deviceId: string;
  beforeAll(async () => {
    h = await apiHarness(dialect);
    deviceId = (await addDevice(h.ctx.vdb, cliActor, { assetTag: 'ICU-VENT-7', room: 'ICU 2' })).id;
  });
  afterAll(async () => h?.close());

  const auditCount = async () => (await listAudit(h.ctx.vdb, { limit: 10_000 })).length;

  it('refuses a PATCH whose JSON holds a Windows-1252 byte, at its offset, and changes nothing', async () => {
    const before = await auditCount();
    const bytes = windows1252(JSON.stringify({ room: 'Réanimation 2' }));
    const offset = bytes.indexOf(0xe9);
    const res = await h
      .as('clinical-engineer')
      .request('PATCH', `/api/v1/devices/${deviceId}`, bytes, JSON_TYPE);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await res.json()) as Problem;
    expect(problem.code).toBe('invalid_input');
    expect(problem.detail).toBe(`The request body is not UTF-8 text (byte 0xE9 at offset ${offset})`);
    expect(problem.issues).toEqual([
      { field: 'body', line: 1, offset, reason: `not UTF-8 text (byte 0xE9 at offset ${offset})` },
    ]);
    const device = (await (await h.as('auditor').get(`/api/v1/devices/${deviceId}`)).json()) as {
      room: string;
    };
    expect(device.room).toBe('ICU 2');
    expect(await auditCount()).toBe(before);
  });

  it('takes a UTF-8 body with a real "é" and a real U+FFFD, after the check has read it', async () => {
    const room = 'Réanimation \uFFFD 2';
    const bytes = Buffer.from(JSON.stringify({ room }), 'utf8');
    const res = await h
      .as('clinical-engineer')
      .request('PATCH', `/api/v1/devices/${deviceId}`, bytes, JSON_TYPE);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(((await res.json()) as { room: string }).room).toBe(room);
  });

  it('reads no body before someone signed in: a stranger gets 401, not a check of what it sent', async () => {
    const bytes = windows1252(JSON.stringify({ room: 'Réanimation 2' }));
    const res = await h.anonymous.request('PATCH', `/api/v1/devices/${deviceId}`, bytes, JSON_TYPE);
    expect(res.status).toBe(401);
  });

  it('leaves an import to its own reader, which names the line of a Windows-1252 byte', async () => {
    const csv = readFileSync(new URL('../../test/fixtures/program/hr-export.csv', import.meta.url));
    // The HR export as Excel saves it on a Windows-1252 machine: "Tomás" with "á" as the one byte 0xE1.
    const at = csv.indexOf(Buffer.from('á'));
    const bytes = Buffer.concat([csv.subarray(0, at), Buffer.from([0xe1]), csv.subarray(at + 2)]);
    const before = await auditCount();
    const res = await h
      .as('admin')
      .request('POST', '/api/v1/people/import?file=hr.csv', bytes, { 'content-type': 'text/csv' });
    expect(res.status).toBe(400);
    const problem = (await res.json()) as Problem;
    expect(problem.issues).toEqual([
      {
        file: 'hr.csv',
        line: 3,
        field: 'firstName',
        // The byte's place in its line, counted here from the file's own bytes.
        reason: `is not valid UTF-8 text (byte 0xE1 at offset ${at - (csv.lastIndexOf(0x0a, at) + 1)} of the line; save the export as UTF-8)`,
      },
    ]);
    expect(await auditCount()).toBe(before);
  });

  it('keeps the body limit in force for a body it would check', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024, 0x20);
    const res = await h
      .as('clinical-engineer')
      .request('PATCH', `/api/v1/devices/${deviceId}`, big, JSON_TYPE);
    expect(res.status).toBe(413);
  });
});
