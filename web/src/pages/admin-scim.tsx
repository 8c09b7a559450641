/**
 * @module Provisioning (SCIM): what an admin pastes into Entra ID or Okta so the provider can disable
 * leavers in Vigil: the SCIM base URL and a bearer token (GET /scim-tokens, never the tokens
 * themselves). "Make a token" shows the new one once, here, and never again (POST /scim-tokens);
 * "Revoke token …" stops the provider's requests with it (POST /scim-tokens/{id}/revoke). The tab is
 * linked only with users:write (admin-page.tsx): a SCIM token disables accounts.
 */
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api.js';
import { OneTimeSecret, revokeColumn } from '../components/bearer-tokens.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan } from '../session.js';

/**
 * Where the provider sends its requests, as the server's SCIM answers name themselves: where people open
 * Vigil (`publicUrl`), else the single sign-on redirect URL's origin, else this Vigil as the admin's
 * browser reaches it.
 */
const scimBaseUrl = (configured: unknown) =>
  `${typeof configured === 'string' && configured ? new URL(configured).origin : window.location.origin}/scim/v2`;

const DAY = 86_400_000;
/** Within this many days of its expiry a token is shown as expiring soon (as the notification says, 30). */
const SOON_DAYS = 30;

export function ScimTab() {
  const now = Date.now();
  const can = useCan();
  const tokens = useLoad(() => ok(api()['scim-tokens'].$get()), []);
  const system = useLoad(() => ok(api().system.$get()), []);
  const setting = (key: string) => system.data?.configuration.find((o) => o.key === key)?.value;
  const publicUrl = setting('publicUrl') || setting('oidcRedirectUrl');
  const [name, setName] = useState('');
  const [days, setDays] = useState('365');
  const [made, setMade] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const make = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      // No name: the server's default ("identity provider").
      const json = {
        ...(name.trim() ? { name: name.trim() } : {}),
        expiresInDays: Number(days) || 365,
      };
      const r = await ok(api()['scim-tokens'].$post({ json }));
      setMade({ name: r.info.name, token: r.token });
      setName('');
      tokens.reload();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (id: string) => {
    setError(null);
    try {
      await ok(api()['scim-tokens'][':id'].revoke.$post({ param: { id } }));
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  type Token = NonNullable<typeof tokens.data>[number];

  return (
    <>
      <h1>Provisioning (SCIM)</h1>
      <p>
        Microsoft Entra ID or Okta provisioning tells Vigil when someone leaves: Vigil disables the single
        sign-on account and ends its sessions at once. In the provider's provisioning settings, enter the URL
        below as the tenant URL (Entra ID) or SCIM connector base URL (Okta), and a token made here as the
        secret token (Entra ID) or API token (Okta).
      </p>
      <p>
        SCIM base URL: <code className="scim-url">{scimBaseUrl(publicUrl)}</code>
      </p>
      <ErrorMessage error={error ?? tokens.error} />
      {made && (
        <OneTimeSecret
          title={`The new SCIM token ${made.name}`}
          notice="It is shown only now: copy it into the provider. Vigil keeps only its hash and will not show it again."
          label="Token"
          secret={made.token}
          onDone={() => setMade(null)}
        />
      )}
      {tokens.data ? (
        <DataTable
          caption="SCIM tokens"
          rows={tokens.data}
          rowKey={(t) => t.id}
          empty="No SCIM token: provisioning is off (every request is refused)."
          columns={[
            { key: 'name', label: 'Name', render: (t) => t.name },
            { key: 'prefix', label: 'Prefix', render: (t) => <code>{t.prefix}</code> },
            { key: 'created', label: 'Created', render: (t) => formatDate(t.createdAt) },
            { key: 'by', label: 'By', render: (t) => t.createdBy },
            {
              key: 'used',
              label: 'Last used',
              render: (t) => (t.lastUsedAt ? formatDate(t.lastUsedAt) : 'never'),
            },
            {
              key: 'exp',
              label: 'Expires',
              render: (t) => (t.expiresAt ? formatDate(t.expiresAt) : 'never'),
            },
            {
              key: 'state',
              label: 'State',
              render: (t) =>
                t.revokedAt ? (
                  <Badge tone="critical">revoked {formatDate(t.revokedAt)}</Badge>
                ) : !t.expiresAt ? (
                  <Badge tone="medium">active, no expiry</Badge>
                ) : Date.parse(t.expiresAt) <= now ? (
                  <Badge tone="high">expired</Badge>
                ) : Date.parse(t.expiresAt) - now < SOON_DAYS * DAY ? (
                  <Badge tone="medium">expires soon</Badge>
                ) : (
                  'active'
                ),
            },
            ...(can('users:write') ? [revokeColumn<Token>(revoke)] : []),
          ]}
        />
      ) : (
        !tokens.error && <Loading what="SCIM tokens" />
      )}
      {can('users:write') && (
        <form className="card" onSubmit={make} aria-label="Make a SCIM token">
          <h2>Make a token</h2>
          <p>
            To rotate one, make a new token, paste it into the provider, then revoke the old one. A token
            stops working when it expires (a year by default, two at most): provisioning then stops until the
            provider is given a new one.
          </p>
          <div className="toolbar">
            <TextField
              label="Token name"
              name="scimTokenName"
              value={name}
              onChange={setName}
              placeholder="identity provider"
            />
            <TextField
              label="Expires in days"
              name="scimTokenExpiresInDays"
              type="number"
              value={days}
              onChange={setDays}
              required
            />
          </div>
          <p>
            <button type="submit" className="primary" disabled={busy}>
              Make a token
            </button>
          </p>
        </form>
      )}
    </>
  );
}
