/**
 * @module How sure the source was of each observed device fact (0–1, the fingerprint rule's or nmap's
 * confidence), so a later, weaker guess of a device's OS (a DHCP vendor class) does not replace a
 * stronger one (nmap OS detection at 98 %, an SSH banner): docs/inventory.md, "Observed values". Null for
 * declared facts (CMMS, manual) and for facts stored before this migration. Forward-only.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('device_facts').addColumn('confidence', 'double precision').execute();
}

export async function down(): Promise<void> {
  throw new Error('Vigil migrations are forward-only');
}
