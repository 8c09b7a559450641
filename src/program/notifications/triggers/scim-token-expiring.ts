/**
 * @module Trigger: a SCIM provisioning token expires within 30 days, or has expired in the last 30
 * (docs/sso.md, "Provisioning (SCIM)"). When it does, the identity provider's requests are refused and
 * leavers are no longer disabled in Vigil until someone gives the provider a new token, so the officers
 * hear of it ahead. A token already replaced (another active token used since its own last use, the
 * rotation done but the old one not revoked) is not notified. Once per token and expiry date while
 * expiring, once more when it has expired; organization-wide (a token is not a site's).
 */
import { listScimTokens } from '../../../store/scim-store.js';
import type { NotificationCandidate, NotificationTrigger } from '../candidate.js';

/** How far ahead an expiring token is announced, and how long after its expiry an expired one still is. */
export const SCIM_TOKEN_NOTICE_DAYS = 30;
const DAY_MS = 86_400_000;

export const scimTokenExpiringTrigger: NotificationTrigger = {
  name: 'scim-token-expiring',
  async run({ h, now }) {
    const at = now.toISOString();
    const tokens = (await listScimTokens(h)).filter((t) => !t.revoked_at);
    const live = tokens.filter((t) => !t.expires_at || t.expires_at > at);
    const out: NotificationCandidate[] = [];
    for (const t of tokens) {
      if (!t.expires_at) continue;
      const left = Date.parse(t.expires_at) - now.getTime();
      if (left > SCIM_TOKEN_NOTICE_DAYS * DAY_MS || left < -SCIM_TOKEN_NOTICE_DAYS * DAY_MS) continue;
      const replaced = live.some(
        (o) => o.id !== t.id && o.last_used_at && (!t.last_used_at || o.last_used_at > t.last_used_at),
      );
      if (replaced) continue;
      const expired = left <= 0;
      // Whole days: still to go, rounded up; gone by, rounded down.
      const days = Math.max(1, expired ? Math.floor(-left / DAY_MS) : Math.ceil(left / DAY_MS));
      const when = days === 1 ? '1 day' : `${days} days`;
      const used = t.last_used_at ? `last used ${t.last_used_at.slice(0, 10)}` : 'never used';
      out.push({
        kind: 'scim-token-expiring',
        key: `scim-token-expiring:${t.id}:${t.expires_at}:${expired ? 'expired' : 'expiring'}`,
        severity: expired ? 'critical' : 'warning',
        title: expired
          ? `SCIM token "${t.name}" expired ${when} ago: provisioning has stopped`
          : `SCIM token "${t.name}" expires in ${when}`,
        body: [
          `The SCIM provisioning token "${t.name}" (${t.prefix}…, ${used}) ${expired ? 'expired' : 'expires'} ${t.expires_at}.`,
          expired
            ? 'The identity provider’s requests with it are refused: people who leave are not disabled in Vigil until the provider has a new token.'
            : 'Then the identity provider’s requests with it are refused, and people who leave are no longer disabled in Vigil.',
          'Make a new one (vigil scim token create, or Admin → Provisioning (SCIM)), paste it into the provider, then revoke this one.',
        ].join('\n'),
        siteIds: [],
        details: {
          code: expired ? 'expired' : 'expiring',
          tokenId: t.id,
          name: t.name,
          prefix: t.prefix,
          expires: t.expires_at,
          lastUsedAt: t.last_used_at,
        },
      });
    }
    return out;
  },
};
