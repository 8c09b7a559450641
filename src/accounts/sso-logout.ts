/**
 * @module OpenID Connect Back-Channel Logout 1.0: the identity provider tells Vigil, server to server,
 * that a person's session there has ended (they signed out, an administrator ended their sessions, their
 * account was disabled), and Vigil ends the sessions that sign-in opened at once, instead of leaving them
 * open until they idle out. The logout token is a JWT signed by the provider; it is checked as the
 * specification says (§2.6): signature from the provider's published keys with an asymmetric algorithm,
 * issuer, audience, issued recently, the back-channel logout event, a subject or session id, no nonce,
 * and a token id (`jti`) not seen before.
 */

import * as jose from 'jose';
import { appendAudit } from '../audit/audit-log.js';
import * as store from '../store/account-store.js';
import { type DbHandle, transaction } from '../store/transaction.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How old a logout token may be (its `iat`), and so how long its `jti` is remembered against replay. */
const MAX_TOKEN_AGE_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 60;
/** Bound on remembered token ids: a flood of valid tokens cannot grow memory without end. */
const MAX_REMEMBERED_JTIS = 10_000;
/** Signature algorithms a logout token may use: asymmetric only (never `none`, never the client secret). */
const ASYMMETRIC = /^(RS|PS|ES)(256|384|512)$|^EdDSA$|^Ed25519$/;

/** A logout token Vigil will not act on; `message` says why, for the provider's log and Vigil's. */
export class LogoutTokenError extends Error {
  override readonly name = 'LogoutTokenError';
}

export interface ProviderKeys {
  issuer: string;
  clientId: string;
  jwksUri: string;
  /** The provider's `id_token_signing_alg_values_supported`, if it published them. */
  algorithms?: readonly string[] | undefined;
}

export interface BackchannelLogoutResult {
  /** Sessions ended, per account. */
  ended: Array<{ userId: string; username: string; sessions: number }>;
  /** Whether the token named the provider's session (`sid`) or only the person (`sub`). */
  by: 'sid' | 'sub';
}

/** Checks logout tokens from one provider: its keys are fetched once and again when a new key id appears. */
export class LogoutTokenVerifier {
  readonly #keys: ReturnType<typeof jose.createRemoteJWKSet>;
  readonly #algorithms: string[];
  /** jti → when it may be forgotten (ms); Map keeps insertion order, so the oldest go first. */
  readonly #seen = new Map<string, number>();

  constructor(readonly provider: ProviderKeys) {
    this.#keys = jose.createRemoteJWKSet(new URL(provider.jwksUri), { timeoutDuration: 10_000 });
    const published = (provider.algorithms ?? []).filter((a) => ASYMMETRIC.test(a));
    // ID tokens are RS256 unless the client registered otherwise (OpenID Connect Registration §2).
    this.#algorithms = published.length > 0 ? published : ['RS256'];
  }

  /** The token's claims when it is a logout token Vigil should act on; throws LogoutTokenError otherwise. */
  async verify(token: string, now = Date.now()): Promise<{ sub?: string; sid?: string; jti: string }> {
    let payload: jose.JWTPayload;
    try {
      ({ payload } = await jose.jwtVerify(token, this.#keys, {
        issuer: this.provider.issuer,
        audience: this.provider.clientId,
        algorithms: this.#algorithms,
        requiredClaims: ['iat', 'jti'],
        maxTokenAge: MAX_TOKEN_AGE_SECONDS,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        currentDate: new Date(now),
      }));
    } catch (e) {
      throw new LogoutTokenError(`logout token refused: ${describeJoseError(e)}`);
    }
    const events = payload['events'];
    if (
      typeof events !== 'object' ||
      events === null ||
      Array.isArray(events) ||
      typeof (events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT] !== 'object'
    )
      throw new LogoutTokenError(`logout token refused: no "${BACKCHANNEL_LOGOUT_EVENT}" event`);
    // A nonce means an ID token, which must never be accepted as a logout token (§2.6 step 6).
    if ('nonce' in payload) throw new LogoutTokenError('logout token refused: it carries a nonce');
    const sub = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : undefined;
    const sid = typeof payload['sid'] === 'string' && payload['sid'] !== '' ? payload['sid'] : undefined;
    if (!sub && !sid) throw new LogoutTokenError('logout token refused: neither sub nor sid');
    const jti = payload.jti as string;
    this.#forgetOld(now);
    if (this.#seen.has(jti)) throw new LogoutTokenError('logout token refused: already used (jti seen)');
    return { jti, ...(sub ? { sub } : {}), ...(sid ? { sid } : {}) };
  }

  /**
   * Remembers a token acted on, so that a replay is refused while the token is young enough to pass.
   * Called after its sessions have ended: a token whose logout failed may be sent again.
   */
  markUsed(jti: string, now = Date.now()): void {
    this.#seen.set(jti, now + (MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000);
    if (this.#seen.size > MAX_REMEMBERED_JTIS) this.#seen.delete(this.#seen.keys().next().value!);
  }

  #forgetOld(now: number): void {
    for (const [jti, until] of this.#seen) {
      if (until > now) break;
      this.#seen.delete(jti);
    }
  }
}

function describeJoseError(e: unknown): string {
  if (e instanceof jose.errors.JWTClaimValidationFailed || e instanceof jose.errors.JWTExpired)
    return `claim ${e.claim}: ${e.message}`;
  if (e instanceof jose.errors.JOSEAlgNotAllowed) return `signature algorithm not accepted: ${e.message}`;
  if (e instanceof jose.errors.JWKSNoMatchingKey) return "no key of the provider's matches the token";
  if (e instanceof jose.errors.JWSSignatureVerificationFailed) return 'signature does not verify';
  if (e instanceof jose.errors.JWKSTimeout) return "the provider's keys could not be fetched in time";
  return (e as Error).message.slice(0, 200);
}

/**
 * Ends the Vigil sessions a verified logout token names: those opened from the provider session `sid`
 * (of the person `sub`, if it is given too), or every session of the person `sub` when the token names
 * no session. Audited per account as `auth.logout` by the identity provider.
 */
export async function endSessionsForLogout(
  h: DbHandle,
  issuer: string,
  claims: { sub?: string; sid?: string },
): Promise<BackchannelLogoutResult> {
  return transaction(h, async (tx) => {
    const person = claims.sub ? await store.findUserByExternalId(tx, `${issuer} ${claims.sub}`) : undefined;
    let ended: Map<string, number>;
    if (claims.sid) {
      // A subject Vigil does not know has no sessions here, whatever the sid.
      if (claims.sub && !person) ended = new Map();
      else ended = await store.deleteSessionsBySsoSid(tx, claims.sid, person?.id);
    } else {
      ended = new Map();
      const n = person ? await store.deleteSessionsOfUser(tx, person.id) : 0;
      if (person && n > 0) ended.set(person.id, n);
    }
    const result: BackchannelLogoutResult = { ended: [], by: claims.sid ? 'sid' : 'sub' };
    for (const [userId, sessions] of ended) {
      const user = userId === person?.id ? person : await store.findUserById(tx, userId);
      const username = user?.username ?? userId;
      result.ended.push({ userId, username, sessions });
      await appendAudit(tx, {
        actor: { kind: 'system', name: 'sso' },
        action: 'auth.logout',
        target: { type: 'user', id: userId },
        summary: {
          username,
          method: 'sso',
          source: 'identity provider back-channel logout',
          issuer,
          by: result.by,
          sessionsEnded: sessions,
        },
      });
    }
    return result;
  });
}
