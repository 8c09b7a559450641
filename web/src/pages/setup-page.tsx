/**
 * @module First run in the browser: while no account exists, the dashboard asks for the one-time setup
 * token that `vigil serve` printed on its console, and a name and password for the first admin
 * (POST /setup), then signs that admin in (POST /auth/login). The token proves the person at the browser
 * also sees the server's console, so a fresh install is never open to whoever reaches it first.
 */
import { type FormEvent, useState } from 'react';
import { ApiError, api, ok } from '../api.js';
import { ErrorMessage, TextField } from '../components/ui.js';

export function SetupPage(props: { onSignedIn: () => void; onAlreadySetUp: () => void }) {
  const [setupToken, setSetupToken] = useState('');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    // Checked here because the server never sees the repetition; everything else it checks itself.
    if (password !== repeat) {
      setError(new Error('The two passwords differ; type the same password twice.'));
      return;
    }
    setBusy(true);
    try {
      await ok(api().setup.$post({ json: { setupToken: setupToken.trim(), username, password } }));
    } catch (err) {
      setBusy(false);
      // Someone else finished the setup meanwhile: there is nothing left to set up, only to sign in.
      if (err instanceof ApiError && err.status === 409) return props.onAlreadySetUp();
      return setError(err);
    }
    try {
      await ok(api().auth.login.$post({ json: { username, password } }));
      setPassword('');
      setRepeat('');
      props.onSignedIn();
    } catch {
      // The account exists; should signing in fail (the server restarting, say), the ordinary login
      // form is where to try again.
      props.onAlreadySetUp();
    }
  };

  return (
    <main id="main" className="login">
      <h1>Set up Vigil</h1>
      <p className="muted">
        No account exists yet. Create the first administrator with the one-time setup token that{' '}
        <code>vigil serve</code> printed on its console (valid for 24 hours; restart the server for a new
        one).
      </p>
      <form onSubmit={submit} aria-label="Create the first administrator">
        <TextField
          label="Setup token"
          name="setupToken"
          value={setupToken}
          onChange={setSetupToken}
          autoComplete="off"
          placeholder="setup_…"
          required
        />
        <TextField
          label="Administrator username"
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
          autoComplete="new-password"
          required
        />
        <TextField
          label="Password again"
          name="repeat"
          type="password"
          value={repeat}
          onChange={setRepeat}
          autoComplete="new-password"
          required
        />
        <p className="muted">
          At least 12 characters; a passphrase of several words is best. Common and breached passwords are
          refused.
        </p>
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator and sign in'}
        </button>
      </form>
    </main>
  );
}
