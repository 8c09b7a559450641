/**
 * @module Sign in with a username and password (POST /auth/login): the server sets the HttpOnly session
 * cookie; the CSRF token comes back with the session. An account with a second factor answers
 * `mfa_required` once the password is right: the form then asks for the authenticator's code (or a
 * recovery code) and sends all three again.
 */
import { type FormEvent, useState } from 'react';
import { ApiError, api, ok } from '../api.js';
import { ErrorMessage, TextField } from '../components/ui.js';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [askOtp, setAskOtp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await ok(api().auth.login.$post({ json: { username, password, ...(askOtp ? { otp } : {}) } }));
      setPassword('');
      setOtp('');
      onLoggedIn();
    } catch (err) {
      if (err instanceof ApiError && err.code === 'mfa_required') setAskOtp(true);
      else setError(err);
      setOtp('');
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" className="login">
      <h1>Vigil</h1>
      <p className="muted">Medical device security. Sign in to continue.</p>
      <form onSubmit={submit} aria-label="Sign in">
        <TextField
          label="Username"
          name="username"
          value={username}
          onChange={setUsername}
          autoComplete="username"
          required
        />
        <TextField
          label="Password"
          name="password"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
          required
        />
        {askOtp && (
          <>
            <p className="muted" role="status">
              This account has a second factor: enter the code your authenticator app shows now, or one of
              your recovery codes.
            </p>
            <TextField
              label="Authentication code"
              name="otp"
              value={otp}
              onChange={setOtp}
              autoComplete="one-time-code"
              required
            />
          </>
        )}
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
