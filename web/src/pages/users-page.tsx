/**
 * @module Accounts and API tokens (GET /users, GET /tokens). Disabling and enabling accounts needs
 * users:write and is hidden without it.
 */
import { useState } from 'react';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import { Badge, ErrorMessage, formatDate, Loading } from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan, useSession } from '../session.js';

export default function UsersPage() {
  const can = useCan();
  const { session } = useSession();
  const users = useLoad(() => ok(api().users.$get()), []);
  const tokens = useLoad(() => (can('tokens:read') ? ok(api().tokens.$get()) : Promise.resolve(null)), []);
  const [error, setError] = useState<unknown>(null);
  const toggle = async (username: string, disabled: boolean) => {
    setError(null);
    try {
      const p = { param: { username } };
      await ok(
        disabled ? api().users[':username'].enable.$post(p) : api().users[':username'].disable.$post(p),
      );
      users.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <h1>Users</h1>
      <ErrorMessage error={error ?? users.error} />
      {users.data ? (
        <DataTable
          caption="Accounts"
          rows={users.data}
          rowKey={(u) => u.id}
          columns={[
            { key: 'name', label: 'Username', render: (u) => u.username },
            { key: 'display', label: 'Name', render: (u) => u.displayName ?? '—' },
            { key: 'role', label: 'Role', render: (u) => u.role },
            {
              key: 'status',
              label: 'Status',
              render: (u) =>
                u.disabled ? (
                  <Badge tone="critical">disabled</Badge>
                ) : u.locked ? (
                  <Badge tone="high">locked</Badge>
                ) : (
                  'active'
                ),
            },
            { key: 'login', label: 'Last login', render: (u) => formatDate(u.lastLoginAt) },
            ...(can('users:write')
              ? [
                  {
                    key: 'act',
                    label: 'Actions',
                    render: (u: (typeof users.data)[number]) =>
                      u.username === session.name ? (
                        '—'
                      ) : (
                        <button type="button" onClick={() => toggle(u.username, u.disabled)}>
                          {u.disabled ? 'Enable' : 'Disable'} {u.username}
                        </button>
                      ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        <Loading what="accounts" />
      )}
      {tokens.data && (
        <>
          <h2>API tokens</h2>
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
              { key: 'exp', label: 'Expires', render: (t) => formatDate(t.expiresAt) },
              { key: 'used', label: 'Last used', render: (t) => formatDate(t.lastUsedAt) },
              { key: 'revoked', label: 'Revoked', render: (t) => formatDate(t.revokedAt) },
            ]}
          />
        </>
      )}
    </>
  );
}
