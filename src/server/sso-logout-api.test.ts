/**
 * OpenID Connect back-channel logout against a real provider (`oidc-provider` on loopback, which signs
 * the logout token with its own key and POSTs it to Vigil over HTTP): signing out at the provider ends
 * the Vigil session that sign-in opened, and every token the specification says to refuse is refused
 * without ending anything.
 */

import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../test/api-harness.js';
import { DIALECTS, PG_URL } from '../../test/dialects.js';
import { startTestProvider, type TestProvider } from '../../test/oidc-provider.js';
import { REDIRECT, sessionOf, signIn, ssoConfig } from '../../test/sso-flow.js';
import { BACKCHANNEL_LOGOUT_EVENT } from '../accounts/sso-logout.js';
import { listAudit } from '../audit/audit-log.js';
import { loadConfig } from '../config/config.js';
import { openDatabase } from '../store/database.js';
import { createApp } from './app.js';

const LOGOUT_PATH = '/api/v1/auth/oidc/backchannel-logout';

describe.each(DIALECTS)('single sign-on back-channel logout on %s', (dialect) => {
  let op: TestProvider;
  let h: ApiHarness;
  let vigil: Server;
  let logoutUrl: string;

  beforeAll(async () => {
    // Vigil listens on a real port first: the provider is told where to send its logouts when it starts.
    vigil = createServer();
    await new Promise<void>((resolve) => vigil.listen(0, '127.0.0.1', resolve));
    logoutUrl = `http://127.0.0.1:${(vigil.address() as AddressInfo).port}${LOGOUT_PATH}`;
    op = await startTestProvider(REDIRECT, { backchannelLogoutUri: logoutUrl });
    h = await apiHarness(dialect, await ssoConfig(op));
    vigil.on('request', getRequestListener(h.app.fetch));
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => vigil?.close(() => resolve()));
    await h?.close();
    await op?.close();
  });

  const post = (token: string | undefined) =>
    fetch(logoutUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(token === undefined ? {} : { logout_token: token }),
    });

  /** A logout token as the provider would send it, with `changes` applied (undefined removes a claim). */
  const claims = (changes: Record<string, unknown> = {}) => {
    const base: Record<string, unknown> = {
      iss: op.issuer,
      aud: op.clientId,
      iat: Math.floor(Date.now() / 1000),
      jti: randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      ...changes,
    };
    for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k];
    return base;
  };

  it('ends the Vigil session opened from the provider session the person signs out of, and no other', async () => {
    const person = { sub: 'kc-5501', preferred_username: 'm.haddad', groups: ['biomed-engineering'] };
    const ward = await signIn(h, op, person); // the ward's browser: provider session 1
    const colleague = await signIn(h, op, {
      sub: 'kc-5502',
      preferred_username: 'j.lind',
      groups: ['ciso-office'],
    });
    const office = await signIn(h, op, person); // the office browser: provider session 3, which signs out
    expect((await sessionOf(h, office.session!)).status).toBe(200);

    const { backchannelErrors } = await op.signOut();
    expect(backchannelErrors).toEqual([]);
    expect((await sessionOf(h, office.session!)).status).toBe(401);
    expect((await sessionOf(h, ward.session!)).status).toBe(200);
    expect((await sessionOf(h, colleague.session!)).status).toBe(200);

    const entry = (await listAudit(h.ctx.vdb, { limit: 5 })).find((e) => e.action === 'auth.logout');
    expect(entry).toMatchObject({
      actor: 'sso',
      actorKind: 'system',
      outcome: 'success',
      summary: {
        username: 'm.haddad',
        source: 'identity provider back-channel logout',
        by: 'sid',
        sessionsEnded: 1,
      },
    });
  });

  it('ends every session of the person when the provider names only the subject', async () => {
    const person = { sub: 'kc-5601', preferred_username: 'a.costa', groups: ['ciso-office'] };
    const one = await signIn(h, op, person);
    const two = await signIn(h, op, person);
    const other = await signIn(h, op, {
      sub: 'kc-5602',
      preferred_username: 'b.diaz',
      groups: ['ciso-office'],
    });
    const res = await post(await op.sign(claims({ sub: 'kc-5601' })));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect((await sessionOf(h, one.session!)).status).toBe(401);
    expect((await sessionOf(h, two.session!)).status).toBe(401);
    expect((await sessionOf(h, other.session!)).status).toBe(200);
  });

  it('answers 200 for a person or session Vigil does not know (nothing to end)', async () => {
    expect((await post(await op.sign(claims({ sub: 'never-signed-in' })))).status).toBe(200);
    expect((await post(await op.sign(claims({ sid: 'no-such-session' })))).status).toBe(200);
  });

  it('refuses every token the specification says to refuse, and ends nothing', async () => {
    const person = { sub: 'kc-5701', preferred_username: 'c.moreau', groups: ['ciso-office'] };
    const kept = await signIn(h, op, person);
    const { privateKey: foreignKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sub = { sub: 'kc-5701' };
    const old = Math.floor(Date.now() / 1000) - 3600;
    const cases: Array<[string, Promise<string> | string, RegExp]> = [
      [
        'signed by another key',
        new SignJWT(claims(sub)).setProtectedHeader({ alg: 'RS256', kid: 'test-key' }).sign(foreignKey),
        /signature/,
      ],
      ['unsigned (alg none)', new UnsecuredJWT(claims(sub)).encode(), /alg|algorithm|JWS|Invalid/i],
      [
        'signed with the client secret (HS256)',
        new SignJWT(claims(sub))
          .setProtectedHeader({ alg: 'HS256' })
          .sign(new TextEncoder().encode(op.clientSecret)),
        /algorithm/,
      ],
      ['for another client', op.sign(claims({ ...sub, aud: 'another-app' })), /claim aud/],
      ['from another issuer', op.sign(claims({ ...sub, iss: 'https://idp.elsewhere.example' })), /claim iss/],
      ['issued an hour ago', op.sign(claims({ ...sub, iat: old })), /claim iat/],
      ['without iat', op.sign(claims({ ...sub, iat: undefined })), /iat/],
      ['without jti', op.sign(claims({ ...sub, jti: undefined })), /jti/],
      ['an ID token (nonce)', op.sign(claims({ ...sub, nonce: 'n-0S6_WzA2Mj' })), /nonce/],
      ['without the logout event', op.sign(claims({ ...sub, events: undefined })), /event/],
      [
        'with another event',
        op.sign(
          claims({
            ...sub,
            events: { 'https://schemas.openid.net/secevent/risc/event-type/account-disabled': {} },
          }),
        ),
        /event/,
      ],
      ['naming neither sub nor sid', op.sign(claims()), /neither sub nor sid/],
      ['not a JWT', 'not-a-jwt', /Invalid|JWS/i],
    ];
    for (const [what, token, reason] of cases) {
      const res = await post(await token);
      expect(res.status, what).toBe(400);
      const body = (await res.json()) as { error: string; error_description: string };
      expect(body.error, what).toBe('invalid_request');
      expect(body.error_description, what).toMatch(reason);
    }
    expect((await post(undefined)).status).toBe(400);
    expect((await sessionOf(h, kept.session!)).status).toBe(200);
  });

  it('refuses a replayed token once it has been acted on', async () => {
    const person = { sub: 'kc-5801', preferred_username: 'd.silva', groups: ['ciso-office'] };
    await signIn(h, op, person);
    const token = await op.sign(claims({ sub: 'kc-5801' }));
    expect((await post(token)).status).toBe(200);
    const again = await signIn(h, op, person);
    const replay = await post(token);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error_description: string }).error_description).toMatch(
      /already used/,
    );
    expect((await sessionOf(h, again.session!)).status).toBe(200);
  });

  it('refuses a token replayed to another Vigil instance on the same database', async () => {
    // Another `vigil serve`: its own configuration and provider (so nothing shared in memory) and, on
    // PostgreSQL, its own connection pool to the same schema (docs/scaleout.md).
    const otherDb =
      dialect === 'postgres'
        ? await openDatabase(PG_URL!, { schema: h.ctx.vdb.schema!, poolSize: 2 })
        : h.ctx.vdb;
    const config = loadConfig({
      env: {},
      flags: { db: 'sqlite::memory:', logLevel: 'silent', ...(await ssoConfig(op)) },
    });
    const other = createApp({ ...h.ctx, config, vdb: otherDb }, { webRoot: null });
    try {
      const person = { sub: 'kc-5901', preferred_username: 'e.berg', groups: ['ciso-office'] };
      await signIn(h, op, person);
      const token = await op.sign(claims({ sub: 'kc-5901' }));
      expect((await post(token)).status).toBe(200);
      const again = await signIn(h, op, person);
      const replay = await other.request(LOGOUT_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }),
      });
      expect(replay.status).toBe(400);
      expect(((await replay.json()) as { error_description: string }).error_description).toMatch(
        /already used/,
      );
      expect((await sessionOf(h, again.session!)).status).toBe(200);
      // A fresh token from the provider is still acted on by the other instance.
      const fresh = await other.request(LOGOUT_PATH, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: await op.sign(claims({ sub: 'kc-5901' })) }),
      });
      expect(fresh.status).toBe(200);
      expect((await sessionOf(h, again.session!)).status).toBe(401);
    } finally {
      if (otherDb !== h.ctx.vdb) await otherDb.close();
    }
  });
});

/** POST /auth/logout from a browser holding `cookie` (its CSRF token read from the session first). */
async function logOut(h: ApiHarness, cookie: string) {
  const csrf = ((await sessionOf(h, cookie)).body as unknown as { csrfToken: string }).csrfToken;
  return h.anonymous.request('POST', '/api/v1/auth/logout', undefined, { cookie, 'x-csrf-token': csrf });
}

describe.each(DIALECTS)('signing out of Vigil at the identity provider too, on %s', (dialect) => {
  let op: TestProvider;
  let h: ApiHarness;
  let off: ApiHarness;
  beforeAll(async () => {
    op = await startTestProvider(REDIRECT);
    h = await apiHarness(dialect, await ssoConfig(op, { oidcSignOutAtProvider: 'true' }));
    off = await apiHarness(dialect, await ssoConfig(op));
  });
  afterAll(async () => {
    await h?.close();
    await off?.close();
    await op?.close();
  });

  it("sends the browser to the provider's end-session page with the sign-in's ID token, and back to Vigil", async () => {
    const r = await signIn(h, op, { sub: 'kc-6001', preferred_username: 'e.kim', groups: ['ciso-office'] });
    // The ID token is kept sealed (it names the person), never as the token itself.
    const stored = await h.ctx.vdb.db.selectFrom('sessions').select('sso_id_token').execute();
    expect(stored.some((row) => row.sso_id_token !== null)).toBe(true);
    for (const row of stored) expect(row.sso_id_token ?? '').not.toMatch(/^eyJ|\.eyJ/);

    const res = await logOut(h, r.session!);
    expect(res.status).toBe(200);
    const { providerLogoutUrl } = (await res.json()) as { providerLogoutUrl: string };
    const url = new URL(providerLogoutUrl);
    expect(url.origin).toBe(op.issuer);
    expect(url.searchParams.get('post_logout_redirect_uri')).toBe('http://vigil.test/');
    expect(url.searchParams.get('id_token_hint')).toMatch(/^eyJ/);
    expect((await sessionOf(h, r.session!)).status).toBe(401);
    // The provider accepts the hint, signs the person out and sends the browser back to Vigil's page.
    const { location } = await op.signOut(providerLogoutUrl);
    expect(location).toBe('http://vigil.test/');
  });

  it('answers 204 as before for a password session, and by default for single sign-on', async () => {
    expect((await h.as('auditor').post('/api/v1/auth/logout')).status).toBe(204);
    const r = await signIn(off, op, { sub: 'kc-6002', preferred_username: 'f.ng', groups: ['ciso-office'] });
    const res = await logOut(off, r.session!);
    expect(res.status).toBe(204);
    expect((await sessionOf(off, r.session!)).status).toBe(401);
    const stored = await off.ctx.vdb.db.selectFrom('sessions').select('sso_id_token').execute();
    expect(stored.every((row) => row.sso_id_token === null)).toBe(true);
  });
});

describe('back-channel logout without single sign-on', () => {
  it('answers 404', async () => {
    const h = await apiHarness('sqlite');
    try {
      const res = await h.anonymous.request('POST', LOGOUT_PATH, 'logout_token=x', {
        'content-type': 'application/x-www-form-urlencoded',
      });
      expect(res.status).toBe(404);
    } finally {
      await h.close();
    }
  });
});
