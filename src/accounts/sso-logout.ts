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
import { hashSecret } from './secrets.js';

export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** How old a logout token may be (its `iat`), and so how long its `jti` is remembered against replay. */
const MAX_TOKEN_AGE_SECONDS = 600;
const CLOCK_TOLERANCE_SECONDS = 60;
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

/** What a verified logout token says: whom to log out, and its id and time for the replay check. */
export interface LogoutClaims {
  sub?: string;
  sid?: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
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

  constructor(readonly provider: ProviderKeys) {
    this.#keys = jose.createRemoteJWKSet(new URL(provider.jwksUri), { timeoutDuration: 10_000 });
    const published = (provider.algorithms ?? []).filter((a) => ASYMMETRIC.test(a));
    // ID tokens are RS256 unless the client registered otherwise (OpenID Connect Registration §2).
    this.#algorithms = published.length > 0 ? published : ['RS256'];
  }

  /**
   * The token's claims when it is a logout token Vigil should act on; throws LogoutTokenError otherwise.
   * Whether its `jti` was used before is checked where the sessions end (`endSessionsForLogout`), in the
   * database every instance shares.
   */
  async verify(token: string, now = Date.now()): Promise<LogoutClaims> {
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
    return {
      jti: payload.jti as string,
      iat: payload.iat as number,
      ...(sub ? { sub } : {}),
      ...(sid ? { sid } : {}),
    };
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
 * no session. Audited per account as `auth.logout` by the identity provider. A token already acted on,
 * by this instance or another on the same database, is refused (LogoutTokenError); one whose logout
 * fails stays unused, so the provider may send it again.
 */
export async function endSessionsForLogout(
  h: DbHandle,
  issuer: string,
  claims: LogoutClaims,
  now = Date.now(),
): Promise<BackchannelLogoutResult> {
  return transaction(h, async (tx) => {
    // Remembered while the token could still pass the age check in verify(), and no longer.
    const forgetAt = new Date((claims.iat + MAX_TOKEN_AGE_SECONDS + CLOCK_TOLERANCE_SECONDS) * 1000);
    const fresh = await store.claimLogoutToken(
      tx,
      hashSecret(`${issuer} ${claims.jti}`),
      new Date(Math.max(forgetAt.getTime(), now)).toISOString(),
      new Date(now).toISOString(),
    );
    if (!fresh) throw new LogoutTokenError('logout token refused: already used (jti seen)');
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
