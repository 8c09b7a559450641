/**
 * `communicationBatches` against `listCommunications` on both dialects: the same rows in the same order
 * whatever the batch size, with many ties on the leading key columns (keyset paging must compare the
 * whole unique key) and addresses whose text order differs from their numeric order.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import {
  type CommunicationRow,
  communicationBatches,
  listCommunications,
  upsertCommunications,
} from './communication-store.js';
import type { VigilDatabase } from './database.js';

const row = (client: string, server: string, port: number, transport: string, protocol: string | null) =>
  ({
    id: `${client}|${server}|${port}|${transport}|${protocol ?? ''}`,
    site_id: null,
    client_ip: client,
    server_ip: server,
    client_device_id: null,
    server_device_id: null,
    port,
    transport,
    protocol,
    protocol_key: protocol ?? '',
    connections: 1,
    packets: 2,
    bytes: 100,
    established: null,
    evidence: '{}',
    first_seen: '2026-11-29T10:00:00.000Z',
    last_seen: port % 2 ? '2026-11-29T11:00:00.000Z' : '2026-11-29T09:00:00.000Z',
  }) satisfies CommunicationRow;

const comms = fc.uniqueArray(
  fc.record({
    client: fc.constantFrom('10.0.0.9', '10.0.0.10', 'fe80::1'),
    server: fc.constantFrom('10.0.0.100', '10.0.0.99'),
    port: fc.constantFrom(104, 2575),
    transport: fc.constantFrom('tcp', 'udp'),
    protocol: fc.constantFrom(null, 'http', 'dicom', 'hl7'),
  }),
  {
    // Few values, many rows: rows that differ only in their last key columns meet at batch boundaries.
    minLength: 10,
    maxLength: 40,
    size: 'max',
    selector: (c) => `${c.client}|${c.server}|${c.port}|${c.transport}|${c.protocol ?? ''}`,
  },
);

describe.each(DIALECTS)('communication batches on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => {
    await vdb.close();
  });

  it('yields every communication once, in the order listCommunications gives, at any batch size', async () => {
    await fc.assert(
      fc.asyncProperty(comms, fc.integer({ min: 1, max: 7 }), fc.boolean(), async (cs, size, since) => {
        await vdb.db.deleteFrom('communications').execute();
        await upsertCommunications(
          vdb,
          cs.map((c) => row(c.client, c.server, c.port, c.transport, c.protocol)),
        );
        const filter = since ? { since: '2026-11-29T10:30:00.000Z' } : {};
        const all = await listCommunications(vdb, filter);
        const batches: (typeof all)[] = [];
        for await (const b of communicationBatches(vdb, filter, size)) batches.push(b);
        expect(batches.every((b) => b.length > 0 && b.length <= size)).toBe(true);
        expect(batches.flat()).toEqual(all);
      }),
      { numRuns: 40 },
    );
  });
});
