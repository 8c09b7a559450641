/**
 * @module The signed-in account: who, which role, what it may do, when the session ends, its second
 * factor (account-mfa.tsx), and changing one's own password (POST /auth/password: the current password
 * again, the new one twice). Every account can use it, whatever its role; the server ends the account's
 * other sessions.
 */
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api.js';
import { ErrorMessage, formatDate, TextField } from '../components/ui.js';
import { useSession } from '../session.js';
import { TwoFactor } from './account-mfa.js';

export default function AccountPage() {
  const { session, logout, refresh } = useSession();
  return (
    <>
      <h1>Your account</h1>
      {session.mfaEnrolmentRequired && (
        <div className="notice" role="status">
          <p>
            This Vigil requires two-factor authentication for every account. Set up an authenticator app below
            to continue; nothing else is available until then.
          </p>
          <button type="button" onClick={logout}>
            Log out
          </button>
        </div>
      )}
      <section className="card" aria-label="Account">
        <dl className="facts">
          <div>
            <dt>Username</dt>
            <dd>{session.name}</dd>
          </div>
          <div>
            <dt>Role</dt>
            <dd>{session.role ?? 'none'}</dd>
          </div>
          <div>
            <dt>Session ends</dt>
            <dd>{session.expiresAt ? formatDate(session.expiresAt) : 'not a session'}</dd>
          </div>
        </dl>
      </section>
      {session.signIn === 'sso' ? (
        <>
          <h2>Password and two-factor authentication</h2>
          <p className="muted">
            You sign in through your organization's identity provider (single sign-on): your password and
            second factor are kept there, not in Vigil. Your role follows your groups there and is updated
            each time you sign in.
          </p>
        </>
      ) : (
        <>
          <h2>Two-factor authentication</h2>
          <TwoFactor onChanged={refresh} />
          <h2>Change password</h2>
          <ChangePassword />
        </>
      )}
      <h2>Permissions</h2>
      <p className="muted">What your role allows; an administrator changes roles (Admin, Users).</p>
      <ul className="inline-list">
        {[...session.permissions].sort().map((p) => (
          <li key={p}>
            <code>{p}</code>
          </li>
        ))}
      </ul>
    </>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (next !== repeat) {
      setError(new Error('The two new passwords differ; type the same password twice.'));
      return;
    }
    setBusy(true);
    try {
      await ok(api().auth.password.$post({ json: { currentPassword: current, newPassword: next } }));
      setDone('Password changed. Your other sessions (other browsers and devices) have been signed out.');
      setCurrent('');
      setNext('');
      setRepeat('');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={submit} aria-label="Change password" className="card narrow-form">
      <TextField
        label="Current password"
        name="currentPassword"
        type="password"
        value={current}
        onChange={setCurrent}
        autoComplete="current-password"
        required
      />
      <TextField
        label="New password"
        name="newPassword"
        type="password"
        value={next}
        onChange={setNext}
        autoComplete="new-password"
        required
      />
      <TextField
        label="New password again"
        name="repeatPassword"
        type="password"
        value={repeat}
        onChange={setRepeat}
        autoComplete="new-password"
        required
      />
      <p className="muted">
        At least 12 characters; a passphrase of several words is best. Common and breached passwords, and ones
        containing your username, are refused. Several wrong current passwords lock the account as failed
        logins do.
      </p>
      <ErrorMessage error={error} />
      {done && <p role="status">{done}</p>}
      <button type="submit" className="primary" disabled={busy}>
        {busy ? 'Changing…' : 'Change password'}
      </button>
    </form>
  );
}
