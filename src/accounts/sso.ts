/**
 * @module Single sign-on with the hospital's OpenID Connect provider (Entra ID, Okta, Keycloak, AD FS,
 * Ping…). The authorization code flow with PKCE, state and nonce; `openid-client` checks the ID token
 * (signature from the provider's keys, issuer, audience, expiry, nonce). The provider's groups are mapped
 * onto Vigil's roles at every sign-in, so moving a person between groups at the provider changes their
 * role here at their next sign-in, and leaving every mapped group locks them out. An account is created on
 * first sign-in, known by the provider's issuer and subject (never by the name it shows) and has no
 * password in Vigil. Local accounts keep working beside it (the first admin: a break-glass account).
 */

import * as oidc from 'openid-client';
import { appendAudit } from '../audit/audit-log.js';
import { type Config, isLoopbackUrl } from '../config/config.js';
import { VigilError } from '../errors.js';
import { plural } from '../format-count.js';
import { openSecret, sealSecret } from '../secrets/secret-box.js';
import { secretKeyring } from '../secrets/secret-key.js';
import * as store from '../store/account-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';
import { ROLE_NAMES, type Role } from './permissions.js';
import { type LoginResult, openSession } from './sessions.js';
import { SSO_ERRORS, type SsoErrorCode } from './sso-errors.js';
import {
  type BackchannelLogoutResult,
  endSessionsForLogout,
  LogoutTokenError,
  LogoutTokenVerifier,
} from './sso-logout.js';
import { newAccountRow, SSO_PASSWORD_HASH, toUser } from './users.js';

export type SsoConfig = Pick<
  Config,
  | 'oidcIssuer'
  | 'oidcClientId'
  | 'oidcClientSecret'
  | 'oidcRedirectUrl'
  | 'oidcProviderName'
  | 'oidcScopes'
  | 'oidcUsernameClaim'
  | 'oidcGroupsClaim'
  | 'oidcRoleMap'
  | 'oidcMfaAcr'
  | 'oidcSignOutAtProvider'
  | 'oidcPostLogoutRedirectUrl'
  | 'sessionHours'
  | 'requireMfa'
>;

/** How long a sign-in may take at the provider before its flow cookie is refused. */
export const SSO_FLOW_SECONDS = 600;
export const SSO_FLOW_COOKIE = 'vigil_sso_flow';
const FLOW_ASSOCIATED = 'vigil-oidc-flow';
const ID_TOKEN_ASSOCIATED = 'vigil-oidc-id-token';

export class SsoError extends Error {
  constructor(
    readonly code: SsoErrorCode,
    /** For the audit log and the server log; never shown to the browser. */
    readonly detail: string,
  ) {
    super(`${SSO_ERRORS[code]} (${detail})`);
    this.name = 'SsoError';
  }
}

/** RFC 8176 methods that are not something the person knows: with another method, two factors. */
const NON_KNOWLEDGE_AMR = new Set([
  'otp',
  'sms',
  'tel',
  'hwk',
  'swk',
  'sc',
  'pop',
  'fpt',
  'face',
  'iris',
  'retina',
  'vbm',
  'fido',
]);

/** Whether the ID token says the person signed in with more than one factor. */
export function assertsMultiFactor(
  claims: Readonly<Record<string, unknown>>,
  mfaAcr: readonly string[],
): boolean {
  const raw = claims['amr'];
  const amr = Array.isArray(raw) ? raw.filter((m): m is string => typeof m === 'string') : [];
  if (amr.includes('mfa')) return true;
  if (new Set(amr).size >= 2 && amr.some((m) => NON_KNOWLEDGE_AMR.has(m))) return true;
  const acr = claims['acr'];
  return typeof acr === 'string' && mfaAcr.includes(acr);
}

/** The most privileged role any of the person's groups maps to (roles are listed most privileged first). */
export function roleFromGroups(
  groups: readonly string[],
  roleMap: Readonly<Record<string, string>>,
): Role | null {
  let best: number | null = null;
  for (const g of groups) {
    const role = Object.hasOwn(roleMap, g) ? roleMap[g] : undefined;
    const rank = role === undefined ? -1 : ROLE_NAMES.indexOf(role as Role);
    if (rank >= 0 && (best === null || rank < best)) best = rank;
  }
  return best === null ? null : ROLE_NAMES[best]!;
}

function groupsOf(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((g): g is string => typeof g === 'string');
  if (typeof claim === 'string') return [claim];
  return [];
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{1,63}$/;

/** Only a path of this Vigil may be returned to after signing in (no open redirect). */
export function safeReturnPath(value: string | undefined): string {
  if (!value?.startsWith('/') || value.includes('\\')) return '/';
  // Browsers drop tabs, newlines and leading spaces from URLs: "/<TAB>/evil.example" is "//evil.example".
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return '/';
  }
  if (value.replace(/\s/g, '').startsWith('//')) return '/';
  return value.slice(0, 512);
}

/** What the browser brought back to the callback. */
export interface SsoCallback {
  /** The query string the provider sent back (`?code=…&state=…` or `?error=…`). */
  search: string;
  flowCookie: string | undefined;
  ip?: string | undefined;
  userAgent?: string | undefined;
}

interface Flow {
  state: string;
  nonce: string;
  verifier: string;
  returnTo: string;
  expires: number;
}

/** One provider's discovered configuration, fetched once and again after a failure. */
export class SsoProvider {
  #configuration: Promise<oidc.Configuration> | undefined;
  #logoutVerifier: LogoutTokenVerifier | undefined;

  constructor(
    readonly config: SsoConfig & { oidcIssuer: string; oidcClientId: string; oidcRedirectUrl: string },
  ) {}

  get name(): string {
    return this.config.oidcProviderName;
  }

  configuration(): Promise<oidc.Configuration> {
    if (!this.#configuration) {
      const issuer = new URL(this.config.oidcIssuer);
      const secret = this.config.oidcClientSecret;
      this.#configuration = oidc
        .discovery(
          issuer,
          this.config.oidcClientId,
          secret ? { client_secret: secret } : undefined,
          secret ? oidc.ClientSecretBasic(secret) : oidc.None(),
          // The config refuses http:// but for this machine (a test provider or a local proxy).
          { timeout: 10, ...(isLoopbackUrl(issuer) ? { execute: [oidc.allowInsecureRequests] } : {}) },
        )
        .catch((e: unknown) => {
          this.#configuration = undefined;
          throw new SsoError('unavailable', `discovery at ${issuer.href} failed: ${(e as Error).message}`);
        });
    }
    return this.#configuration;
  }

  /**
   * The provider's back-channel logout (sso-logout.ts): verifies the logout token and ends the sessions
   * it names. Throws LogoutTokenError when the token is not one to act on.
   */
  async backchannelLogout(
    h: DbHandle,
    logoutToken: string,
    now = Date.now(),
  ): Promise<BackchannelLogoutResult> {
    const verifier = await this.#verifier();
    const claims = await verifier.verify(logoutToken, now);
    return endSessionsForLogout(h, verifier.provider.issuer, claims, now);
  }

  /**
   * Where to send the browser so that signing out of Vigil signs the person out at the provider too
   * (RP-Initiated Logout 1.0), when `oidcSignOutAtProvider` is on and the provider has an end-session
   * endpoint; null otherwise, or when the provider cannot be reached (the Vigil session is ended anyway).
   */
  async signOutUrl(sealedIdToken: string | null): Promise<string | null> {
    if (!this.config.oidcSignOutAtProvider) return null;
    let configuration: oidc.Configuration;
    try {
      configuration = await this.configuration();
    } catch {
      return null;
    }
    if (!configuration.serverMetadata().end_session_endpoint) return null;
    let hint: string | undefined;
    if (sealedIdToken) {
      try {
        hint = openSecret(secretKeyring().openingKeys(), sealedIdToken, ID_TOKEN_ASSOCIATED);
      } catch {
        hint = undefined; // sealed with a key Vigil no longer has: sign out without the hint
      }
    }
    const postLogout =
      this.config.oidcPostLogoutRedirectUrl ?? new URL('/', this.config.oidcRedirectUrl).href;
    return oidc.buildEndSessionUrl(configuration, {
      post_logout_redirect_uri: postLogout,
      // Without the hint the provider needs the client id to know where it may send the browser back.
      ...(hint ? { id_token_hint: hint } : { client_id: this.config.oidcClientId }),
    }).href;
  }

  async #verifier(): Promise<LogoutTokenVerifier> {
    let configuration: oidc.Configuration;
    try {
      configuration = await this.configuration();
    } catch (e) {
      throw new LogoutTokenError(`logout token not checked: ${(e as Error).message}`);
    }
    const server = configuration.serverMetadata();
    if (this.#logoutVerifier?.provider.issuer !== server.issuer) {
      if (!server.jwks_uri)
        throw new LogoutTokenError('logout token not checked: the provider publishes no jwks_uri');
      const registered = configuration.clientMetadata().id_token_signed_response_alg;
      this.#logoutVerifier = new LogoutTokenVerifier({
        issuer: server.issuer,
        clientId: this.config.oidcClientId,
        jwksUri: server.jwks_uri,
        algorithms:
          typeof registered === 'string' ? [registered] : server.id_token_signing_alg_values_supported,
      });
    }
    return this.#logoutVerifier;
  }

  /** Where to send the browser, and the sealed cookie that ties the answer to this browser. */
  async start(returnTo: string | undefined, now = Date.now()): Promise<{ url: string; flowCookie: string }> {
    const configuration = await this.configuration();
    const flow: Flow = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      returnTo: safeReturnPath(returnTo),
      expires: now + SSO_FLOW_SECONDS * 1000,
    };
    const scopes = new Set(['openid', ...this.config.oidcScopes.split(/\s+/).filter(Boolean)]);
    const url = oidc.buildAuthorizationUrl(configuration, {
      redirect_uri: this.config.oidcRedirectUrl,
      scope: [...scopes].join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(flow.verifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
    });
    const flowCookie = sealSecret(secretKeyring().current().key, JSON.stringify(flow), FLOW_ASSOCIATED);
    return { url: url.href, flowCookie };
  }

  /**
   * The provider sent the browser back: check the answer against the flow cookie, exchange the code,
   * verify the ID token, find or create the account, apply the role mapping and open a session.
   */
  async finish(
    h: DbHandle,
    input: SsoCallback,
    now = new Date(),
  ): Promise<LoginResult & { returnTo: string }> {
    try {
      return await this.#finish(h, input, now);
    } catch (e) {
      // Refusals about a person are audited where they are decided; an answer that could not be trusted
      // (no flow cookie, a swapped state, a bad token) is a failed sign-in by someone unknown.
      if (e instanceof SsoError && (e.code === 'expired' || e.code === 'denied' || e.code === 'token'))
        await transaction(h, (tx) =>
          appendAudit(tx, {
            actor: { kind: 'user', name: 'single sign-on', ip: input.ip },
            action: 'auth.login',
            outcome: 'failure',
            target: { type: 'user' },
            summary: { method: 'sso', reason: e.code, detail: e.detail },
          }),
        );
      throw e;
    }
  }

  async #finish(h: DbHandle, input: SsoCallback, now: Date): Promise<LoginResult & { returnTo: string }> {
    const flow = this.#openFlow(input.flowCookie, now.getTime());
    const configuration = await this.configuration();
    // The registered redirect URL, not the URL this request reached (a reverse proxy may stand between).
    const callback = new URL(this.config.oidcRedirectUrl);
    callback.search = input.search;
    const providerError = callback.searchParams.get('error');
    if (providerError) {
      const description = callback.searchParams.get('error_description') ?? '';
      throw new SsoError('denied', `${providerError.slice(0, 64)} ${description.slice(0, 200)}`.trim());
    }
    let claims: oidc.IDToken;
    let idToken: string | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(configuration, callback, {
        pkceCodeVerifier: flow.verifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      const idClaims = tokens.claims();
      if (!idClaims) throw new Error('no ID token');
      claims = idClaims;
      idToken = tokens.id_token;
    } catch (e) {
      if (e instanceof SsoError) throw e;
      throw new SsoError('token', (e as Error).message.slice(0, 300));
    }
    const result = await this.#signIn(h, claims, idToken, input, now);
    return { ...result, returnTo: flow.returnTo };
  }

  #openFlow(cookie: string | undefined, now: number): Flow {
    if (!cookie) throw new SsoError('expired', 'no flow cookie: started elsewhere, or cookies blocked');
    let flow: Flow;
    try {
      flow = JSON.parse(openSecret(secretKeyring().openingKeys(), cookie, FLOW_ASSOCIATED)) as Flow;
    } catch (e) {
      throw new SsoError('expired', `flow cookie unreadable: ${(e as Error).message}`);
    }
    if (!(flow.expires > now)) throw new SsoError('expired', 'flow cookie expired');
    return flow;
  }

  async #signIn(
    h: DbHandle,
    claims: oidc.IDToken,
    idToken: string | undefined,
    meta: { ip?: string | undefined; userAgent?: string | undefined },
    now: Date,
  ): Promise<LoginResult> {
    const c = this.config;
    const externalId = `${claims.iss} ${claims.sub}`;
    const claimedName = claims[c.oidcUsernameClaim];
    const username = typeof claimedName === 'string' ? claimedName.trim() : '';
    const groups = groupsOf(claims[c.oidcGroupsClaim]);
    const role = roleFromGroups(groups, c.oidcRoleMap ?? {});
    const multiFactor = assertsMultiFactor(claims, c.oidcMfaAcr ?? []);
    const displayName = typeof claims['name'] === 'string' ? claims['name'].slice(0, 128) : null;
    const nowS = now.toISOString();
    const attempt = { kind: 'user' as const, name: (username || claims.sub).slice(0, 64), ip: meta.ip };

    const refuse = async (code: SsoErrorCode, detail: string, userId?: string): Promise<never> => {
      await transaction(h, (tx) =>
        appendAudit(tx, {
          actor: attempt,
          action: 'auth.login',
          outcome: 'failure',
          target: { type: 'user', id: userId },
          summary: { method: 'sso', reason: code, detail },
        }),
      );
      throw new SsoError(code, detail);
    };

    let existing = await store.findUserByExternalId(h, externalId);
    // An account the provider's provisioning made before this first sign-in (SCIM POST, scim-users.ts)
    // is linked by its user name: both the name and this sign-in come from the same provider over
    // authenticated channels. Only such an account, never a local one or one already linked to another
    // subject; from then on it is found by issuer and subject as any other.
    let provisioned = false;
    if (!existing && USERNAME.test(username)) {
      const holder = await store.findUserByName(h, username);
      if (holder && store.awaitsFirstSignIn(holder)) {
        existing = holder;
        provisioned = true;
      }
    }
    if (existing?.disabled === 1)
      return refuse(
        'disabled',
        existing.disabled_by === 'scim'
          ? 'account deactivated by the identity provider (SCIM)'
          : 'account disabled in Vigil',
        existing.id,
      );
    if (!role)
      return refuse(
        'no-role',
        `groups claim "${c.oidcGroupsClaim}" holds ${plural(groups.length, 'group')}, none in the role map`,
        existing?.id,
      );
    if (c.requireMfa && !multiFactor)
      return refuse(
        'mfa-required',
        `amr ${JSON.stringify(claims.amr ?? null)}, acr ${JSON.stringify(claims.acr ?? null)}`,
        existing?.id,
      );
    if (!existing && !USERNAME.test(username))
      return refuse(
        'no-username',
        `claim "${c.oidcUsernameClaim}" is ${username ? 'not a valid user name' : 'missing'}`,
      );
    if (!existing) {
      const holder = await store.findUserByName(h, username);
      if (holder) return refuse('name-taken', `"${username}" is a ${holder.auth_source} account`, holder.id);
    }

    return transaction(h, async (tx) => {
      let row: store.UserRow;
      if (existing) {
        // Two first sign-ins at once must not both take a provisioned account: only one links it.
        if (provisioned && !(await store.linkExternalId(tx, existing.id, externalId)))
          throw new SsoError('name-taken', `"${username}" was linked to another subject meanwhile`);
        if (provisioned)
          await appendAudit(tx, {
            actor: { kind: 'system', name: 'sso' },
            action: 'user.link',
            target: { type: 'user', id: existing.id },
            summary: {
              username: existing.username,
              source: 'identity provider',
              issuer: claims.iss,
              provisionedBy: 'scim',
            },
          });
        row = {
          ...existing,
          external_id: externalId,
          role,
          display_name: displayName ?? existing.display_name,
          last_login_at: nowS,
          sso_mfa_at: multiFactor ? nowS : null,
          updated_at: nowS,
        };
        await store.updateUser(tx, existing.id, {
          role,
          display_name: row.display_name,
          last_login_at: nowS,
          sso_mfa_at: row.sso_mfa_at,
          updated_at: nowS,
        });
        if (existing.role !== role)
          await appendAudit(tx, {
            actor: { kind: 'system', name: 'sso' },
            action: 'user.set-role',
            target: { type: 'user', id: existing.id },
            summary: {
              username: existing.username,
              before: { role: existing.role },
              after: { role },
              source: 'identity provider groups',
            },
          });
      } else {
        row = newAccountRow(
          {
            username,
            display_name: displayName,
            role,
            password_hash: SSO_PASSWORD_HASH,
            auth_source: 'oidc',
            external_id: externalId,
            last_login_at: nowS,
            sso_mfa_at: multiFactor ? nowS : null,
          },
          nowS,
        );
        await store.insertUser(tx, row);
        await appendAudit(tx, {
          actor: { kind: 'system', name: 'sso' },
          action: 'user.create',
          target: { type: 'user', id: row.id },
          summary: { username, role, source: 'identity provider', issuer: claims.iss },
        });
      }
      const sid = claims['sid'];
      const session = await openSession(tx, c, row.id, {
        ...meta,
        now,
        ...(typeof sid === 'string' && sid !== '' ? { ssoSid: sid } : {}),
        // Kept only to sign out at the provider with it; sealed, as it names the person.
        ...(idToken && c.oidcSignOutAtProvider
          ? { ssoIdToken: sealSecret(secretKeyring().current().key, idToken, ID_TOKEN_ASSOCIATED) }
          : {}),
      });
      await appendAudit(tx, {
        actor: { ...attempt, name: row.username },
        action: 'auth.login',
        target: { type: 'user', id: row.id },
        summary: { method: 'sso', issuer: claims.iss, multiFactor },
      });
      return { ...session, user: toUser(row, nowS) };
    });
  }
}

const providers = new WeakMap<SsoConfig, SsoProvider>();

/** The configured provider (one per loaded configuration, so discovery is cached), or null when SSO is off. */
export function ssoProviderFor(config: SsoConfig): SsoProvider | null {
  const { oidcIssuer, oidcClientId, oidcRedirectUrl } = config;
  if (!oidcIssuer || !oidcClientId || !oidcRedirectUrl || !config.oidcRoleMap) return null;
  let p = providers.get(config);
  if (!p) {
    p = new SsoProvider({ ...config, oidcIssuer, oidcClientId, oidcRedirectUrl });
    providers.set(config, p);
  }
  return p;
}

/** A VigilError for an API caller (the browser gets a redirect instead). */
export function ssoUnavailable(): VigilError {
  return new VigilError('not_found', 'Single sign-on is not configured on this Vigil');
}
