/**
 * @module Sign in with a username and password (POST /auth/login): the server sets the HttpOnly session
 * cookie; the CSRF token comes back with the session. An account with a second factor answers
 * `mfa_required` once the password is right: the form then asks for the authenticator's code (or a
 * recovery code) and sends all three again. Where single sign-on is configured (GET /auth/sso), a
 * "Sign in with …" link goes to the identity provider; a refused sign-in comes back as `?ssoError=CODE`.
 */
import { type FormEvent, useState } from 'react';
import { SSO_ERRORS, type SsoErrorCode } from '../../../src/accounts/sso-errors.js';
import { ApiError, api, ok } from '../api.js';
import { ErrorMessage, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';

/** The reason the identity provider's round trip gave, read once and taken out of the address bar. */
function takeSsoError(): string | null {
  const params = new URLSearchParams(window.location.search);
  const code = params.get('ssoError');
  if (code === null) return null;
  params.delete('ssoError');
  const rest = params.toString();
  window.history.replaceState(null, '', `${window.location.pathname}${rest ? `?${rest}` : ''}`);
  return Object.hasOwn(SSO_ERRORS, code) ? SSO_ERRORS[code as SsoErrorCode] : 'Single sign-on failed';
}

export function LoginPage({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [otp, setOtp] = useState('');
  const [askOtp, setAskOtp] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [ssoError] = useState(takeSsoError);
  const sso = useLoad(() => ok(api().auth.sso.$get()), []);
  const returnTo = `${window.location.pathname}${window.location.search}`;
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
      {ssoError && (
        <p className="error" role="alert">
          {ssoError}
        </p>
      )}
      {sso.data?.enabled && sso.data.loginUrl && (
        <p>
          <a
            className="button primary"
            href={`${sso.data.loginUrl}?returnTo=${encodeURIComponent(returnTo)}`}
          >
            Sign in with {sso.data.providerName}
          </a>
        </p>
      )}
      {sso.data?.enabled && <p className="muted">Or with a Vigil account:</p>}
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
