/**
 * @module The account page's two-factor section (GET/POST /auth/mfa…): set up an authenticator app
 * (password again → QR code and key → first code → recovery codes, shown once), or, once on, new
 * recovery codes or turning it off (password and a current code). `onChanged` lets the app re-read the
 * session, which matters when this Vigil requires a second factor before anything else.
 */
import { type FormEvent, useState } from 'react';
import { api, ok } from '../api.js';
import { QrCode } from '../components/qr-code.js';
import { ErrorMessage, formatDate, Loading, TextField } from '../components/ui.js';
import { useLoad } from '../router.js';

type Step =
  | { kind: 'idle' }
  | { kind: 'password' }
  | { kind: 'scan'; secret: string; otpauthUri: string }
  | { kind: 'codes'; codes: string[]; what: string };

/** The base32 key in groups of four, as authenticator apps ask for it when typed by hand. */
const grouped = (secret: string) => secret.match(/.{1,4}/g)?.join(' ') ?? secret;

export function TwoFactor({ onChanged }: { onChanged: () => void }) {
  const status = useLoad(() => ok(api().auth.mfa.$get()), []);
  const [step, setStep] = useState<Step>({ kind: 'idle' });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<void>) => {
    setError(null);
    setBusy(true);
    try {
      await work();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const start = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api().auth.mfa.totp.$post({ json: { currentPassword: password } }));
      setPassword('');
      setStep({ kind: 'scan', ...r });
    });
  };
  const confirm = (e: FormEvent) => {
    e.preventDefault();
    void run(async () => {
      const r = await ok(api().auth.mfa.totp.confirm.$post({ json: { code } }));
      setCode('');
      setStep({ kind: 'codes', codes: r.recoveryCodes, what: 'Two-factor authentication is on.' });
    });
  };
  const renew = () =>
    run(async () => {
      const r = await ok(
        api().auth.mfa['recovery-codes'].$post({ json: { currentPassword: password, code } }),
      );
      setPassword('');
      setCode('');
      setStep({
        kind: 'codes',
        codes: r.recoveryCodes,
        what: 'New recovery codes; the old ones no longer work.',
      });
    });
  const turnOff = () =>
    run(async () => {
      await ok(api().auth.mfa.disable.$post({ json: { currentPassword: password, code } }));
      setPassword('');
      setCode('');
      setStep({ kind: 'idle' });
      status.reload();
      onChanged();
    });
  const done = () => {
    setStep({ kind: 'idle' });
    status.reload();
    onChanged();
  };

  if (status.error) return <ErrorMessage error={status.error} />;
  const s = status.data;
  if (!s) return <Loading what="the second factor" />;

  if (step.kind === 'codes')
    return (
      <section className="card narrow-form" aria-label="Recovery codes">
        <p role="status">{step.what}</p>
        <p>
          Keep these recovery codes somewhere safe, away from your phone (printed, or in a password manager).
          Each signs you in once if the phone is lost. <strong>They are shown only now.</strong>
        </p>
        <ul className="recovery-codes">
          {step.codes.map((c) => (
            <li key={c}>
              <code>{c}</code>
            </li>
          ))}
        </ul>
        <button type="button" className="primary" onClick={done}>
          I have saved the recovery codes
        </button>
      </section>
    );

  if (s.enabled)
    return (
      <form
        className="card narrow-form"
        aria-label="Two-factor authentication"
        onSubmit={(e) => e.preventDefault()}
      >
        <p>
          <strong>On</strong> since {formatDate(s.enabledAt)}: signing in asks for the code of your
          authenticator app. {s.recoveryCodesLeft} of 10 recovery codes left.
        </p>
        <p className="muted">
          To get new recovery codes or turn it off, confirm with your password and a code.
        </p>
        <TextField
          label="Current password"
          name="mfaPassword"
          type="password"
          value={password}
          onChange={setPassword}
          autoComplete="current-password"
        />
        <TextField
          label="Authentication code"
          name="mfaCode"
          value={code}
          onChange={setCode}
          autoComplete="one-time-code"
        />
        <ErrorMessage error={error} />
        <div className="inline-form">
          <button type="button" disabled={busy} onClick={() => void renew()}>
            New recovery codes
          </button>
          <button
            type="button"
            disabled={busy || s.required}
            title={s.required ? 'This Vigil requires a second factor for every account' : undefined}
            onClick={() => void turnOff()}
          >
            Turn off two-factor authentication
          </button>
        </div>
      </form>
    );

  if (step.kind === 'scan')
    return (
      <form className="card narrow-form" aria-label="Set up an authenticator app" onSubmit={confirm}>
        <p>
          Scan this code with an authenticator app (Microsoft or Google Authenticator, FreeOTP, a password
          manager with one-time codes), or type the key by hand. Then enter the six-digit code it shows.
        </p>
        <QrCode text={step.otpauthUri} label="QR code of the authenticator key" />
        <p>
          Key: <code className="totp-key">{grouped(step.secret)}</code> (time-based, 6 digits, 30 seconds)
        </p>
        <TextField
          label="Code from the app"
          name="confirmCode"
          value={code}
          onChange={setCode}
          autoComplete="one-time-code"
          required
        />
        <ErrorMessage error={error} />
        <button type="submit" className="primary" disabled={busy}>
          Turn on two-factor authentication
        </button>
      </form>
    );

  return (
    <div className="card narrow-form">
      <p>
        <strong>Off</strong>: your password alone signs you in.
        {s.required
          ? ' This Vigil requires a second factor: set one up to continue.'
          : ' A second factor keeps the account safe when the password leaks.'}
      </p>
      {step.kind === 'password' ? (
        <form onSubmit={start} aria-label="Confirm your password" className="narrow-form">
          <TextField
            label="Current password"
            name="enrolPassword"
            type="password"
            value={password}
            onChange={setPassword}
            autoComplete="current-password"
            required
          />
          <ErrorMessage error={error} />
          <button type="submit" className="primary" disabled={busy}>
            Continue
          </button>
        </form>
      ) : (
        <button type="button" className="primary" onClick={() => setStep({ kind: 'password' })}>
          Set up an authenticator app
        </button>
      )}
    </div>
  );
}
