/**
 * The findings a compliance report lists: real captures give a DICOM study sent in the clear
 * (dicom-ct-store.pcap, cleartext-phi) and, seen later, weak TLS and certificate problems
 * (06-http-tls.pcapng).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { importCaptureFile } from '../../test/import-capture.js';
import { CLEARTEXT_TYPES, WEAK_TYPES } from '../compliance/evidence/encryption.js';
import { openFindingsOf } from './compliance-store.js';
import type { VigilDatabase } from './database.js';

const captures = join(import.meta.dirname, '../../test/fixtures/captures');

describe.each(DIALECTS)('open findings for the compliance report on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await importCaptureFile(vdb, join(captures, 'dicom-ct-store.pcap'));
    await importCaptureFile(vdb, join(captures, '06-http-tls.pcapng'));
  });
  afterAll(async () => vdb?.close());

  it('lists the most serious kind first, however much newer the lesser findings are', async () => {
    const all = await openFindingsOf(vdb, [...CLEARTEXT_TYPES, ...WEAK_TYPES], undefined, 50);
    const newest = [...all.items].sort((a, b) => b.lastSeen.localeCompare(a.lastSeen))[0]!;
    // The premise: a weak-TLS or certificate finding is the newest of them.
    expect(WEAK_TYPES).toContain(newest.type);
    const one = await openFindingsOf(vdb, [...CLEARTEXT_TYPES, ...WEAK_TYPES], undefined, 1);
    expect(one.items.map((f) => f.type)).toEqual(['cleartext-phi']);
    expect(one.total).toBe(all.total);
    // In the order given: weak kinds first when asked so.
    const weakFirst = await openFindingsOf(vdb, [...WEAK_TYPES, ...CLEARTEXT_TYPES], undefined, all.total);
    const kinds = weakFirst.items.map((f) => (WEAK_TYPES as readonly string[]).includes(f.type));
    expect(kinds).toEqual([...kinds].sort((a, b) => Number(b) - Number(a)));
  });
});
