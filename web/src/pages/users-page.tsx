/**
 * @module Accounts (GET /users). With users:write: create an account, disable/enable it, reset its
 * password and change its role (POST /users, /users/{u}/disable|enable|password|role). Vigil refuses to
 * disable or demote the last enabled admin and says so. API tokens have their own admin page.
 */
import { type FormEvent, useState } from 'react';
import { ROLE_NAMES } from '../../../src/accounts/permissions.js';
import { api, ok } from '../api.js';
import { DataTable } from '../components/data-table.js';
import {
  Badge,
  Dialog,
  ErrorMessage,
  formatDate,
  Loading,
  SelectField,
  TextField,
} from '../components/ui.js';
import { useLoad } from '../router.js';
import { useCan, useSession } from '../session.js';

type Editing = { kind: 'password' | 'role'; username: string; role: string } | null;

export default function UsersPage() {
  const can = useCan();
  const { session } = useSession();
  const users = useLoad(() => ok(api().users.$get()), []);
  const [error, setError] = useState<unknown>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [draft, setDraft] = useState({
    username: '',
    displayName: '',
    role: 'clinical-engineer',
    password: '',
  });
  const [editing, setEditing] = useState<Editing>(null);
  const [editValue, setEditValue] = useState('');
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [editError, setEditError] = useState<unknown>(null);

  const act = async (what: () => Promise<unknown>, done: string) => {
    setError(null);
    setMessage(null);
    try {
      await what();
      setMessage(done);
      users.reload();
      return true;
    } catch (e) {
      setError(e);
      return false;
    }
  };
  const toggle = (username: string, disabled: boolean) => {
    const p = { param: { username } };
    act(
      () =>
        ok(disabled ? api().users[':username'].enable.$post(p) : api().users[':username'].disable.$post(p)),
      `${username} ${disabled ? 'enabled' : 'disabled'}.`,
    );
  };
  // For a lost authenticator with no recovery code left: the user signs in with the password and enrols again.
  const resetMfa = (username: string) => {
    act(
      () => ok(api().users[':username'].mfa.reset.$post({ param: { username } })),
      `Two-factor authentication of ${username} removed; their sessions have ended.`,
    );
  };
  const create = async (e: FormEvent) => {
    e.preventDefault();
    const name = draft.username.trim();
    const created = await act(
      () =>
        ok(
          api().users.$post({
            json: {
              username: name,
              role: draft.role,
              password: draft.password,
              ...(draft.displayName.trim() ? { displayName: draft.displayName.trim() } : {}),
            },
          }),
        ),
      `Account ${name} created.`,
    );
    if (created) setDraft({ username: '', displayName: '', role: draft.role, password: '' });
  };
  const open = (kind: 'password' | 'role', username: string, role: string) => {
    setEditing({ kind, username, role });
    setEditValue(kind === 'role' ? role : '');
    setRevokeTokens(false);
    setEditError(null);
  };
  const save = async (e: FormEvent) => {
    e.preventDefault();
    if (!editing) return;
    const param = { username: editing.username };
    try {
      if (editing.kind === 'password') {
        const reset = await ok(
          api().users[':username'].password.$post({ param, json: { password: editValue, revokeTokens } }),
        );
        setMessage(
          `Password of ${editing.username} reset; their sessions have ended${
            revokeTokens
              ? ` and ${reset.tokensRevoked} API ${reset.tokensRevoked === 1 ? 'token was' : 'tokens were'} revoked`
              : ''
          }.`,
        );
      } else {
        await ok(api().users[':username'].role.$post({ param, json: { role: editValue } }));
        setMessage(`${editing.username} is now ${editValue}.`);
      }
      setEditing(null);
      users.reload();
    } catch (err) {
      setEditError(err);
    }
  };
  type User = NonNullable<typeof users.data>[number];

  return (
    <>
      <h1>Users</h1>
      <ErrorMessage error={error ?? users.error} />
      {message && <p role="status">{message}</p>}
      {users.data ? (
        <DataTable
          caption="Accounts"
          rows={users.data}
          rowKey={(u) => u.id}
          columns={[
            { key: 'name', label: 'Username', render: (u) => u.username },
            { key: 'display', label: 'Name', render: (u) => u.displayName ?? '—' },
            {
              key: 'role',
              label: 'Role',
              // A provisioned account's role comes from the provider's groups at its first sign-in.
              render: (u) => (u.awaitingFirstSignIn ? 'set at first sign-in' : u.role),
            },
            {
              key: 'status',
              label: 'Status',
              render: (u) =>
                u.disabled ? (
                  <>
                    <Badge tone="critical">disabled</Badge>
                    {u.disabledBy === 'scim' ? ' by the identity provider' : ''}
                  </>
                ) : u.locked ? (
                  <Badge tone="high">locked</Badge>
                ) : u.awaitingFirstSignIn ? (
                  'provisioned, not signed in yet'
                ) : (
                  'active'
                ),
            },
            { key: 'login', label: 'Last login', render: (u) => formatDate(u.lastLoginAt) },
            {
              key: 'signIn',
              label: 'Sign-in',
              render: (u) => (u.signIn === 'sso' ? 'single sign-on' : 'password'),
            },
            {
              key: 'pw',
              label: 'Password set',
              render: (u) => (u.signIn === 'sso' ? '—' : formatDate(u.passwordChangedAt)),
            },
            {
              key: 'mfa',
              label: 'Two-factor',
              render: (u) => (u.signIn === 'sso' ? 'at the provider' : u.mfaEnabled ? 'on' : 'off'),
            },
            ...(can('users:write')
              ? [
                  {
                    key: 'act',
                    label: 'Actions',
                    render: (u: User) =>
                      u.username === session.name ? (
                        '—'
                      ) : (
                        <>
                          <button type="button" onClick={() => toggle(u.username, u.disabled)}>
                            {u.disabled ? 'Enable' : 'Disable'} {u.username}
                          </button>{' '}
                          {/* A single sign-on account's password and role are the identity provider's. */}
                          {u.signIn === 'password' && (
                            <>
                              <button type="button" onClick={() => open('password', u.username, u.role)}>
                                Reset password of {u.username}
                              </button>{' '}
                              <button type="button" onClick={() => open('role', u.username, u.role)}>
                                Change role of {u.username}
                              </button>
                            </>
                          )}
                          {u.mfaEnabled && (
                            <>
                              {' '}
                              <button type="button" onClick={() => resetMfa(u.username)}>
                                Reset two-factor of {u.username}
                              </button>
                            </>
                          )}
                        </>
                      ),
                  },
                ]
              : []),
          ]}
        />
      ) : (
        !users.error && <Loading what="accounts" />
      )}

      {can('users:write') && (
        <form className="card" onSubmit={create} aria-label="Create an account">
          <h2>Create an account</h2>
          <div className="toolbar">
            <TextField
              label="Username"
              name="newUsername"
              value={draft.username}
              onChange={(v) => setDraft((d) => ({ ...d, username: v }))}
              autoComplete="off"
              required
            />
            <TextField
              label="Display name"
              name="displayName"
              value={draft.displayName}
              onChange={(v) => setDraft((d) => ({ ...d, displayName: v }))}
            />
            <SelectField
              label="Role"
              name="role"
              value={draft.role}
              onChange={(v) => setDraft((d) => ({ ...d, role: v }))}
              options={ROLE_NAMES}
            />
            <TextField
              label="Initial password"
              name="newPassword"
              type="password"
              value={draft.password}
              onChange={(v) => setDraft((d) => ({ ...d, password: v }))}
              autoComplete="new-password"
              required
            />
            <button type="submit" className="primary">
              Create account
            </button>
          </div>
        </form>
      )}

      <Dialog
        title={
          editing?.kind === 'password'
            ? `Reset the password of ${editing.username}`
            : `Change the role of ${editing?.username ?? ''}`
        }
        open={editing !== null}
        onClose={() => setEditing(null)}
      >
        <form onSubmit={save}>
          <ErrorMessage error={editError} />
          {editing?.kind === 'password' ? (
            <>
              <p className="muted">This also unlocks the account and ends its sessions.</p>
              <TextField
                label="New password"
                name="resetPassword"
                type="password"
                value={editValue}
                onChange={setEditValue}
                autoComplete="new-password"
                required
              />
              <label>
                <input
                  type="checkbox"
                  name="revokeTokens"
                  checked={revokeTokens}
                  onChange={(e) => setRevokeTokens(e.target.checked)}
                />{' '}
                Also revoke this account's API tokens (if the password may have been stolen; integrations
                using them stop)
              </label>
            </>
          ) : (
            <SelectField
              label="New role"
              name="newRole"
              value={editValue}
              onChange={setEditValue}
              options={ROLE_NAMES}
            />
          )}
          <p>
            <button type="submit" className="primary">
              {editing?.kind === 'password' ? 'Reset password' : 'Change role'}
            </button>{' '}
            <button type="button" onClick={() => setEditing(null)}>
              Cancel
            </button>
          </p>
        </form>
      </Dialog>
    </>
  );
}
