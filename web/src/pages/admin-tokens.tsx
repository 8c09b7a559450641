/**
 * @module API tokens (GET /tokens): never their secrets, only the prefix. With tokens:write: create one
 * with chosen permissions (at most one's own) and an expiry, whose secret is shown once, here, right
 * after creation and never again (POST /tokens); revoke one (POST /tokens/{id}/revoke).
 */
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api.js';
import { OneTimeSecret, revokeColumn } from '../components/bearer-tokens.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan, useSession } from '../session.js';

const DAY = 24 * 3600 * 1000;

export function TokensTab() {
  const can = useCan();
  const { session } = useSession();
  const tokens = useLoad(() => ok(api().tokens.$get()), []);
  const mine = [...session.permissions].sort();
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(mine.filter((p) => p.endsWith(':read'))));
  const [secret, setSecret] = useState<{ name: string; token: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setBusy(true);
    try {
      const r = await ok(
        api().tokens.$post({
          json: { name: name.trim(), permissions: [...chosen], expiresInDays: Number(days) || 90 },
        }),
      );
      setSecret({ name: r.info.name, token: r.token });
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
      await ok(api().tokens[':id'].revoke.$post({ param: { id } }));
      tokens.reload();
    } catch (err) {
      setError(err);
    }
  };
  const toggle = (p: string) =>
    setChosen((s) => {
      const next = new Set(s);
      if (next.has(p)) next.delete(p);
      else next.add(p);
      return next;
    });
  const now = Date.now();
  type Token = NonNullable<typeof tokens.data>[number];

  return (
    <>
      <h1>API tokens</h1>
      <ErrorMessage error={error ?? tokens.error} />
      {secret && (
        <OneTimeSecret
          title={`Secret of the new token ${secret.name}`}
          notice="Copy it now: Vigil keeps only its hash and will not show it again."
          label="Secret"
          secret={secret.token}
          onDone={() => setSecret(null)}
        />
      )}
      {tokens.data ? (
        <DataTable
          caption="API tokens"
          rows={tokens.data}
          rowKey={(t) => t.id}
          empty="No API tokens."
          columns={[
            { key: 'name', label: 'Name', render: (t) => t.name },
            { key: 'prefix', label: 'Prefix', render: (t) => <code>{t.prefix}</code> },
            { key: 'owner', label: 'Owner', render: (t) => t.owner },
            { key: 'perm', label: 'Permissions', render: (t) => t.permissions.join(', ') },
            { key: 'sites', label: 'Sites', render: (t) => t.siteIds?.join(', ') ?? 'all' },
            { key: 'exp', label: 'Expires', render: (t) => formatDate(t.expiresAt) },
            { key: 'used', label: 'Last used', render: (t) => formatDate(t.lastUsedAt) },
            {
              key: 'state',
              label: 'State',
              render: (t) =>
                t.revokedAt ? (
                  <Badge tone="critical">revoked {formatDate(t.revokedAt)}</Badge>
                ) : Date.parse(t.expiresAt) <= now ? (
                  <Badge tone="high">expired</Badge>
                ) : Date.parse(t.expiresAt) - now < 14 * DAY ? (
                  <Badge tone="medium">expires soon</Badge>
                ) : (
                  'active'
                ),
            },
            ...(can('tokens:write') ? [revokeColumn<Token>(revoke)] : []),
          ]}
        />
      ) : (
        !tokens.error && <Loading what="API tokens" />
      )}
      {can('tokens:write') && (
        <form className="card" onSubmit={create} aria-label="Create an API token">
          <h2>Create a token</h2>
          <div className="toolbar">
            <TextField label="Token name" name="tokenName" value={name} onChange={setName} required />
            <TextField
              label="Expires in days"
              name="expiresInDays"
              type="number"
              value={days}
              onChange={setDays}
              required
            />
          </div>
          <fieldset className="permissions">
            <legend>Permissions (at most your own; read-only by default)</legend>
            {mine.map((p) => (
              <label key={p}>
                <input type="checkbox" checked={chosen.has(p)} onChange={() => toggle(p)} /> {p}
              </label>
            ))}
          </fieldset>
          <p>
            <button type="submit" className="primary" disabled={busy || !name.trim() || chosen.size === 0}>
              Create token
            </button>
          </p>
        </form>
      )}
    </>
  );
}
