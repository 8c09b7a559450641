/**
 * @module Vigil's configuration: one typed object, parsed once at start-up from (lowest to highest
 * precedence) built-in defaults, an optional JSON config file, `VIGIL_*` environment variables and CLI
 * flags. Every bad value is reported together, so an operator fixes them in one go.
 */

import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { allowEntryProblem } from '../advisories/sync/feed-host-policy.js';
import { ageRecipientProblem } from '../backup/age-recipient.js';
import { VigilError } from '../errors.js';
import { plural, pluralWord } from '../format-count.js';
import { describeNotUtf8, firstNotUtf8 } from '../formats/utf8.js';

const databaseUrl = z
  .string()
  .refine((v) => v === 'sqlite::memory:' || v.startsWith('sqlite:') || /^postgres(ql)?:\/\//.test(v), {
    message: 'must be sqlite:PATH, sqlite::memory: or a postgres:// URL',
  });

const port = z.coerce.number().int().min(0).max(65535);

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);
/** Whether `url` names this machine: the one place plain HTTP to an identity provider is allowed. */
export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname);
}
/** An identity provider is reached over HTTPS; plain HTTP only on this machine (a test or a local proxy). */
const issuerUrl = z.url().refine(
  (v) => {
    const u = new URL(v);
    return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackUrl(u));
  },
  { message: 'must be an https:// URL (http:// only for localhost)' },
);
const commaList = z
  .union([z.array(z.string()), z.string()])
  .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter(Boolean));
/**
 * Identity-provider group → Vigil role. In the config file an object; in VIGIL_OIDC_ROLE_MAP either that
 * object as JSON or `group=role;group=role` (group names and ids may hold commas, not semicolons).
 */
const roleMap = z
  .union([
    z.record(z.string().min(1), z.string()),
    z.string().transform((v, ctx) => {
      const text = v.trim();
      if (text.startsWith('{')) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
          return z.NEVER;
        }
      }
      const out: Record<string, string> = {};
      for (const pair of text.split(';')) {
        if (!pair.trim()) continue;
        const at = pair.lastIndexOf('=');
        if (at <= 0) {
          ctx.addIssue({ code: 'custom', message: `"${pair.trim()}" is not group=role` });
          return z.NEVER;
        }
        out[pair.slice(0, at).trim()] = pair.slice(at + 1).trim();
      }
      return out;
    }),
  ])
  .pipe(z.record(z.string().min(1), z.enum(['admin', 'security-officer', 'clinical-engineer', 'auditor'])));
const positiveInt = z.coerce.number().int().positive();

const MAX_PROXY_HOPS = 16;
/**
 * How many reverse proxies in front of Vigil append the address they received to X-Forwarded-For:
 * false (0, none: the header is ignored), true (one) or a count, as a number or its digits.
 */
const proxyHops = z.union([z.boolean(), z.number(), z.string()]).transform((v, ctx) => {
  const asBool = typeof v === 'string' && !/^\s*\d+\s*$/.test(v) ? z.stringbool().safeParse(v) : undefined;
  const n = typeof v === 'boolean' ? Number(v) : asBool?.success ? Number(asBool.data) : Number(v);
  if (asBool?.success === false || !Number.isInteger(n) || n < 0 || n > MAX_PROXY_HOPS) {
    ctx.addIssue({
      code: 'custom',
      message: `must be true, false or how many proxies append to X-Forwarded-For (0 to ${MAX_PROXY_HOPS})`,
    });
    return z.NEVER;
  }
  return n;
});
/** An age X25519 public key (`age1…`); the message names the value, unless it is a secret key. */
const ageRecipient = z.string().check((ctx) => {
  const problem = ageRecipientProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

/** A feedAllowHosts entry: a host name, an IP address or a CIDR range (no scheme, port or path). */
const feedAllowEntry = z.string().check((ctx) => {
  const problem = allowEntryProblem(ctx.value);
  if (problem) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value });
});

/** Each option: its schema, its environment variable and what it means (docs/configuration.md mirrors this). */
export const CONFIG_OPTIONS = {
  db: {
    env: 'VIGIL_DB',
    schema: databaseUrl.default('sqlite:./vigil-data/vigil.db'),
    doc: 'Database: sqlite:PATH, sqlite::memory: or postgres://user@host:port/db',
  },
  host: {
    env: 'VIGIL_HOST',
    schema: z.string().min(1).default('127.0.0.1'),
    doc: 'Address the API listens on (loopback by default; set 0.0.0.0 to expose it)',
  },
  port: { env: 'VIGIL_PORT', schema: port.default(7400), doc: 'TCP port of the API' },
  logLevel: {
    env: 'VIGIL_LOG_LEVEL',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    doc: 'Log level',
  },
  tlsCert: {
    env: 'VIGIL_TLS_CERT',
    schema: z.string().min(1).optional(),
    doc: 'PEM certificate file; with tlsKey serves HTTPS (TLS 1.2+ only)',
  },
  tlsKey: {
    env: 'VIGIL_TLS_KEY',
    schema: z.string().min(1).optional(),
    doc: 'PEM private key file for tlsCert',
  },
  sessionHours: {
    env: 'VIGIL_SESSION_HOURS',
    schema: positiveInt.max(24 * 30).default(12),
    doc: 'Absolute lifetime of a login session, hours',
  },
  sessionIdleMinutes: {
    env: 'VIGIL_SESSION_IDLE_MINUTES',
    schema: positiveInt.default(30),
    doc: 'A session unused this long expires',
  },
  loginMaxFailures: {
    env: 'VIGIL_LOGIN_MAX_FAILURES',
    schema: positiveInt.max(100).default(5),
    doc: 'Failed logins in a row before the account is locked',
  },
  lockoutMinutes: {
    env: 'VIGIL_LOCKOUT_MINUTES',
    schema: positiveInt.default(15),
    doc: 'How long a locked account stays locked',
  },
  requireMfa: {
    env: 'VIGIL_REQUIRE_MFA',
    schema: z.stringbool().default(false),
    doc: 'Every account must sign in with a second factor (TOTP); one without it may only enrol one',
  },
  oidcIssuer: {
    env: 'VIGIL_OIDC_ISSUER',
    schema: issuerUrl.optional(),
    doc: 'Single sign-on: the OpenID Connect issuer (e.g. https://login.microsoftonline.com/TENANT/v2.0); unset turns SSO off',
  },
  oidcClientId: {
    env: 'VIGIL_OIDC_CLIENT_ID',
    schema: z.string().min(1).max(512).optional(),
    doc: "Single sign-on: Vigil's client id at the identity provider",
  },
  oidcClientSecret: {
    env: 'VIGIL_OIDC_CLIENT_SECRET',
    schema: z.string().min(1).max(4096).optional(),
    doc: "Single sign-on: Vigil's client secret (never logged); unset for a public client (PKCE only)",
  },
  oidcRedirectUrl: {
    env: 'VIGIL_OIDC_REDIRECT_URL',
    schema: z.url().optional(),
    doc: 'Single sign-on: the callback registered at the provider, https://VIGIL-HOST/api/v1/auth/oidc/callback',
  },
  oidcProviderName: {
    env: 'VIGIL_OIDC_PROVIDER_NAME',
    schema: z.string().min(1).max(64).default('single sign-on'),
    doc: 'Single sign-on: the name on the sign-in button ("Sign in with …")',
  },
  oidcScopes: {
    env: 'VIGIL_OIDC_SCOPES',
    schema: z.string().min(1).default('openid profile email'),
    doc: 'Single sign-on: scopes asked for (openid is always added)',
  },
  oidcUsernameClaim: {
    env: 'VIGIL_OIDC_USERNAME_CLAIM',
    schema: z.string().min(1).default('preferred_username'),
    doc: 'Single sign-on: the ID token claim that becomes the Vigil user name (e.g. preferred_username, email, upn)',
  },
  oidcGroupsClaim: {
    env: 'VIGIL_OIDC_GROUPS_CLAIM',
    schema: z.string().min(1).default('groups'),
    doc: 'Single sign-on: the ID token claim listing the groups (or app roles) mapped to Vigil roles',
  },
  oidcRoleMap: {
    env: 'VIGIL_OIDC_ROLE_MAP',
    schema: roleMap.optional(),
    doc: 'Single sign-on: group → role, `group=role;group=role` or a JSON object; a person in none of these groups cannot sign in',
  },
  oidcMfaAcr: {
    env: 'VIGIL_OIDC_MFA_ACR',
    schema: commaList.optional(),
    doc: "Single sign-on: acr values the provider uses for a multi-factor sign-in (besides amr 'mfa', 'otp', 'hwk', 'sc', 'fido')",
  },
  oidcSignOutAtProvider: {
    env: 'VIGIL_OIDC_SIGN_OUT_AT_PROVIDER',
    schema: z.stringbool().default(false),
    doc: 'Single sign-on: signing out of Vigil also signs the person out at the provider (for shared workstations)',
  },
  oidcPostLogoutRedirectUrl: {
    env: 'VIGIL_OIDC_POST_LOGOUT_REDIRECT_URL',
    schema: z.url().optional(),
    doc: "Single sign-on: where the provider sends the browser after signing out there (register it); default Vigil's sign-in page",
  },
  publicUrl: {
    env: 'VIGIL_PUBLIC_URL',
    schema: z
      .url()
      .refine((v) => /^https?:\/\//.test(v), 'an http:// or https:// URL')
      .optional(),
    doc: 'Where people open Vigil (https://vigil.hospital.example): links to tasks in the task events sent to ticketing systems',
  },
  trustProxy: {
    env: 'VIGIL_TRUST_PROXY',
    schema: proxyHops.default(0),
    doc: 'Take the client address from X-Forwarded-For, counting this many reverse proxies you run from its right end (true: one; false: ignore the header)',
  },
  auditRetentionYears: {
    env: 'VIGIL_AUDIT_RETENTION_YEARS',
    schema: z.coerce
      .number()
      .int()
      .min(6, 'at least 6: HIPAA documentation is kept 6 years (45 CFR 164.316(b)(2)(i))')
      .default(6),
    doc: 'Minimum age before audit entries may ever be pruned (HIPAA documentation: 6 years, 45 CFR 164.316(b)(2)(i))',
  },
  backupDir: {
    env: 'VIGIL_BACKUP_DIR',
    schema: z.string().min(1).optional(),
    doc: "Where Vigil's own backups go (default: backups/ beside the SQLite database; ./vigil-data/backups for PostgreSQL). Best on another disk",
  },
  backupIntervalHours: {
    env: 'VIGIL_BACKUP_INTERVAL_HOURS',
    schema: z.coerce
      .number()
      .int()
      .min(0)
      .max(24 * 7)
      .default(0),
    doc: 'vigil serve backs the database up this often, hours (0: only by hand, vigil db backup)',
  },
  backupKeep: {
    env: 'VIGIL_BACKUP_KEEP',
    schema: positiveInt.max(1000).default(14),
    doc: 'Scheduled backups kept in backupDir (older ones are deleted; backups taken by hand are never deleted)',
  },
  backupRecipients: {
    env: 'VIGIL_BACKUP_RECIPIENTS',
    schema: commaList.pipe(z.array(ageRecipient)).default([]),
    doc: 'Encrypt backups to these age public keys (age1…, comma-separated; made with age-keygen on another machine): the key that decrypts them is not on this server',
  },
  feedAllowHosts: {
    env: 'VIGIL_FEED_ALLOW_HOSTS',
    schema: commaList.pipe(z.array(feedAllowEntry)).default([]),
    doc: 'Advisory feeds: internal hosts a feed may be fetched from (host names, addresses, CIDR ranges, comma-separated), e.g. a mirror; by default feeds reach only public addresses over https',
  },
  slaImmediateHours: {
    env: 'VIGIL_SLA_IMMEDIATE_HOURS',
    schema: positiveInt.max(24 * 30).default(72),
    doc: 'Time allowed for an Immediate (CISA Act) item, hours',
  },
  slaOutOfCycleDays: {
    env: 'VIGIL_SLA_OUT_OF_CYCLE_DAYS',
    schema: positiveInt.max(365).default(14),
    doc: 'Time allowed for an Out-of-Cycle (CISA Attend) item, days',
  },
  slaScheduledDays: {
    env: 'VIGIL_SLA_SCHEDULED_DAYS',
    schema: positiveInt.max(730).default(90),
    doc: 'Time allowed for a Scheduled item (the next maintenance window), days',
  },
  slaDeferDays: {
    env: 'VIGIL_SLA_DEFER_DAYS',
    schema: positiveInt.max(3650).optional(),
    doc: 'Time allowed for a Defer item, days (unset: no deadline)',
  },
  epssThreshold: {
    env: 'VIGIL_EPSS_THRESHOLD',
    schema: z.coerce.number().min(0).max(1).default(0.1),
    doc: 'EPSS probability at or above which a vulnerability counts as having a public proof of concept',
  },
  safetyFloor: {
    env: 'VIGIL_SAFETY_FLOOR',
    schema: z.stringbool().default(true),
    doc: 'Handle every vulnerability on a device whose failure can kill or gravely injure a patient at least out-of-cycle',
  },
  prevalenceUnits: {
    env: 'VIGIL_PREVALENCE_UNITS',
    schema: positiveInt.default(25),
    doc: 'Active devices of one model from which the model counts as widespread (SSVC Mission Prevalence)',
  },
  // Email notifications to security officers (issue 7): unset smtpHost = in-app notifications only.
  smtpHost: {
    env: 'VIGIL_SMTP_HOST',
    schema: z.string().min(1).optional(),
    doc: 'SMTP server for email notifications (unset: in-app notifications only)',
  },
  smtpPort: {
    env: 'VIGIL_SMTP_PORT',
    schema: port.optional(),
    doc: 'SMTP port (default 465 for tls, else 587)',
  },
  smtpSecurity: {
    env: 'VIGIL_SMTP_SECURITY',
    schema: z.enum(['starttls', 'tls', 'none']).default('starttls'),
    doc: 'starttls (upgrade required), tls (implicit TLS) or none (a relay on a trusted network only)',
  },
  smtpUser: { env: 'VIGIL_SMTP_USER', schema: z.string().min(1).optional(), doc: 'SMTP user name' },
  smtpPassword: {
    env: 'VIGIL_SMTP_PASSWORD',
    schema: z.string().min(1).optional(),
    doc: 'SMTP password (never logged)',
  },
  smtpFrom: {
    env: 'VIGIL_SMTP_FROM',
    schema: z.string().min(3).max(254).optional(),
    doc: 'From address of notification emails, e.g. "Vigil <vigil@hospital.example>"',
  },
  alertRateLimitPerHour: {
    env: 'VIGIL_ALERT_RATE_LIMIT_PER_HOUR',
    schema: positiveInt.max(100_000).default(20),
    doc: 'New alerts per detection rule per device (or site) per hour; beyond it they fold into one rate-limited summary alert',
  },
  alertTlsDir: {
    env: 'VIGIL_ALERT_TLS_DIR',
    schema: z.string().min(1).optional(),
    doc: 'Directory of TLS files (CA, client certificate and key) that syslog alert destinations added over the API or dashboard may name; unset: the API refuses caFile, certFile and keyFile (the CLI on the server takes any path)',
  },
  captureUploadMaxBytes: {
    env: 'VIGIL_CAPTURE_UPLOAD_MAX_BYTES',
    schema: positiveInt.optional(),
    doc: 'Largest capture accepted by POST /api/v1/captures/import, bytes (default 2 GiB; larger gets 413)',
  },
  secretKeyFile: {
    env: 'VIGIL_SECRET_KEY_FILE',
    schema: z.string().min(1).optional(),
    doc: 'Key file sealing secrets stored in the database (default: secret.key beside the SQLite database, ./vigil-data/secret.key for PostgreSQL); VIGIL_SECRET_KEY (base64) replaces it',
  },
} as const;

type Options = typeof CONFIG_OPTIONS;
export type Config = { [K in keyof Options]: z.output<Options[K]['schema']> };
export type ConfigInput = Partial<Record<keyof Options, unknown>>;

const configSchema = z.strictObject(
  Object.fromEntries(Object.entries(CONFIG_OPTIONS).map(([k, v]) => [k, v.schema])) as {
    [K in keyof Options]: Options[K]['schema'];
  },
);

export interface ConfigSources {
  /** Values from CLI flags (undefined entries are ignored). */
  flags?: ConfigInput;
  env?: NodeJS.ProcessEnv;
  /** Path of a JSON config file; defaults to $VIGIL_CONFIG. */
  file?: string | undefined;
}

/** Options whose value may hold a secret (a password, a URL with one): never repeated in an error. */
const NEVER_REPEATED = new Set<string>([
  'db',
  'oidcClientSecret',
  'smtpPassword',
  'smtpUser',
  'backupRecipients',
]);

/** ` (given "abc")`, so the person sees what was read (a typo, a unit, a stray quote); '' for secrets. */
function givenValue(key: string, value: unknown): string {
  if (NEVER_REPEATED.has(key) || !(key in CONFIG_OPTIONS)) return '';
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') return '';
  const text = String(value);
  return ` (given ${JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text)})`;
}

export function loadConfig(sources: ConfigSources = {}): Config {
  const env = sources.env ?? process.env;
  const merged: Record<string, unknown> = {};
  const filePath = sources.file ?? env['VIGIL_CONFIG'];
  if (filePath) Object.assign(merged, readConfigFile(filePath));
  for (const [key, opt] of Object.entries(CONFIG_OPTIONS)) {
    const v = env[opt.env];
    if (v !== undefined && v !== '') merged[key] = v;
  }
  for (const [key, v] of Object.entries(sources.flags ?? {})) if (v !== undefined) merged[key] = v;

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? '');
      const opt = CONFIG_OPTIONS[key as keyof Options];
      const name = opt ? `${key} (${opt.env})` : key || 'config';
      return {
        field: name,
        reason:
          i.code === 'unrecognized_keys'
            ? `unknown ${pluralWord(i.keys.length, 'option')}: ${i.keys.join(', ')}`
            : `${i.message}${givenValue(key, merged[key])}`,
      };
    });
    throw new VigilError(
      'configuration',
      `Vigil cannot start: ${plural(issues.length, 'bad configuration value')}`,
      {
        issues,
      },
    );
  }
  const config = parsed.data as Config;
  if (Boolean(config.tlsCert) !== Boolean(config.tlsKey)) {
    throw new VigilError('configuration', 'Vigil cannot start: bad configuration', {
      issues: [{ field: 'tlsCert/tlsKey', reason: 'give both the certificate and the key, or neither' }],
    });
  }
  const oidc = [config.oidcIssuer, config.oidcClientId, config.oidcRedirectUrl, config.oidcRoleMap];
  if (oidc.some((v) => v !== undefined) && !oidc.every((v) => v !== undefined)) {
    throw new VigilError('configuration', 'Vigil cannot start: bad configuration', {
      issues: [
        {
          field: 'oidcIssuer/oidcClientId/oidcRedirectUrl/oidcRoleMap',
          reason:
            'single sign-on needs all four: the issuer, the client id, the redirect URL and the role map',
        },
      ],
    });
  }
  if (config.oidcRoleMap && Object.keys(config.oidcRoleMap).length === 0) {
    throw new VigilError('configuration', 'Vigil cannot start: bad configuration', {
      issues: [{ field: 'oidcRoleMap (VIGIL_OIDC_ROLE_MAP)', reason: 'maps no group to a role' }],
    });
  }
  return config;
}

function readConfigFile(path: string): Record<string, unknown> {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    throw new VigilError('configuration', `Cannot read config file ${path}: ${(e as Error).message}`);
  }
  const text = bytes.toString('utf8');
  // A path, host or address with U+FFFD in place of a byte would fail later under another name.
  const bad = firstNotUtf8(bytes, text);
  if (bad)
    throw new VigilError('configuration', `Config file ${path} is not UTF-8 text`, {
      issues: [{ file: path, offset: bad.offset, reason: `not UTF-8 text (${describeNotUtf8(bad)})` }],
    });
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      throw new Error('top level must be an object');
    return value as Record<string, unknown>;
  } catch (e) {
    throw new VigilError('configuration', `Config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
}
