/**
 * @module Sign in with a username and password (POST /auth/login): the server sets the HttpOnly session
 * cookie; the CSRF token comes back with the session.
 */
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api.js';
import { ErrorMessage, TextField } from '../components/ui.js';

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await ok(api().auth.login.$post({ json: { username, password } }));
      setPassword('');
      onLoggedIn();
    } catch (err) {
      setError(err);
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
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
