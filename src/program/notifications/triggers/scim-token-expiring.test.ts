/**
 * Trigger `scim-token-expiring`: a SCIM token within 30 days of its expiry is a warning, an expired one
 * (up to 30 days after) critical, each once per token and expiry; a revoked token, one far from its
 * expiry, a token made before tokens expired and one already replaced by a token in use are not notified.
 * Run through the real runner, it reaches the organization's security officer in-app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../../test/dialects.js';
import { cliActor } from '../../../../test/factories.js';
import { createScimToken, resolveScimToken, revokeScimToken } from '../../../accounts/scim-tokens.js';
import type { VigilDatabase } from '../../../store/database.js';
import { designateOfficer } from '../../officers/officers-service.js';
import { addPerson } from '../../organization/people-service.js';
import { listNotifications } from '../notifications-service.js';
import { runNotifications } from '../run-notifications.js';
import { scimTokenExpiringTrigger } from './scim-token-expiring.js';

const DAY = 86_400_000;

describe.each(DIALECTS)('scim-token-expiring notifications on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());
  const run = (daysFromNow: number) =>
    scimTokenExpiringTrigger.run({ h: vdb, now: new Date(Date.now() + daysFromNow * DAY), config: {} });

  it('says nothing of a token far from its expiry, a revoked one, or one that never expires', async () => {
    await createScimToken(vdb, cliActor, { name: 'Okta', expiresInDays: 365 });
    const revoked = await createScimToken(vdb, cliActor, { name: 'old Okta', expiresInDays: 10 });
    await revokeScimToken(vdb, cliActor, revoked.info.id);
    const legacy = await createScimToken(vdb, cliActor, { name: 'legacy' });
    await vdb.db
      .updateTable('scim_tokens')
      .set({ expires_at: null })
      .where('id', '=', legacy.info.id)
      .execute();
    expect(await run(0)).toEqual([]);
  });

  it('warns 30 days ahead, then once more, critical, when it has expired', async () => {
    const entra = await createScimToken(vdb, cliActor, { name: 'Entra ID', expiresInDays: 20 });
    expect(await resolveScimToken(vdb, entra.token)).toBeDefined();
    const [soon, ...rest] = await run(0);
    expect(rest).toEqual([]);
    expect(soon).toMatchObject({
      kind: 'scim-token-expiring',
      key: `scim-token-expiring:${entra.info.id}:${entra.info.expiresAt}:expiring`,
      severity: 'warning',
      title: 'SCIM token "Entra ID" expires in 20 days',
      siteIds: [],
      details: { code: 'expiring', tokenId: entra.info.id, name: 'Entra ID' },
    });
    expect(soon?.body).not.toContain(entra.token);
    const [gone] = await run(22);
    expect(gone).toMatchObject({
      key: `scim-token-expiring:${entra.info.id}:${entra.info.expiresAt}:expired`,
      severity: 'critical',
      title: 'SCIM token "Entra ID" expired 2 days ago: provisioning has stopped',
    });
    // An expired token is refused as a revoked one is.
    await vdb.db
      .updateTable('scim_tokens')
      .set({ expires_at: new Date(Date.now() - 1000).toISOString() })
      .where('id', '=', entra.info.id)
      .execute();
    expect(await resolveScimToken(vdb, entra.token)).toBeUndefined();
    await vdb.db
      .updateTable('scim_tokens')
      .set({ expires_at: entra.info.expiresAt })
      .where('id', '=', entra.info.id)
      .execute();
  });

  it('reaches the organization officer; a new token in use ends it', async () => {
    await addPerson(vdb, cliActor, { name: 'Grace Okafor', email: 'grace@hospital.example' });
    await designateOfficer(vdb, cliActor, {
      person: 'grace@hospital.example',
      from: new Date().toISOString().slice(0, 10),
    });
    const result = await runNotifications(vdb, { now: new Date(), config: {}, digest: false });
    expect(result.triggers.find((t) => t.name === 'scim-token-expiring')).toMatchObject({
      candidates: 1,
      error: null,
    });
    const page = await listNotifications(vdb, cliActor, {
      person: 'grace@hospital.example',
      kind: ['scim-token-expiring'],
    });
    expect(page.items.map((n) => n.title)).toEqual(['SCIM token "Entra ID" expires in 20 days']);
    // Rotated: the provider now presents a new token, the old one was not revoked.
    const next = await createScimToken(vdb, cliActor, { name: 'Entra ID 2027' });
    await vdb.db
      .updateTable('scim_tokens')
      .set({ last_used_at: new Date(Date.now() + 1000).toISOString() })
      .where('id', '=', next.info.id)
      .execute();
    expect(await run(0)).toEqual([]);
  });
});
