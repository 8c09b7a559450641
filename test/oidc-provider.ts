/**
 * A real OpenID Connect provider for tests: `oidc-provider` (the certified Node.js implementation by the
 * author of `openid-client`) on a loopback port, with one confidential client for Vigil and a sign-in
 * step a test answers itself (`signInAs`): which account, and which authentication methods (`amr`).
 * The browser is played by `browse`, which follows the provider's redirects and keeps its cookies.
 * With `backchannelLogoutUri` the provider also sends OpenID Connect back-channel logouts there, signed
 * with its own key, when the person signs out at it (`signOut`) or an administrator ends their session
 * (`endSession`).
 */

import { generateKeyPairSync } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT } from 'jose';
import Provider from 'oidc-provider';

export interface TestIdentity {
  sub: string;
  preferred_username?: string;
  name?: string;
  groups?: string[];
  /** Authentication methods the provider reports (RFC 8176), e.g. ['pwd', 'mfa']. */
  amr?: string[];
}

export interface TestProvider {
  issuer: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** Who signs in at the provider's next interaction. */
  signInAs(identity: TestIdentity): void;
  /**
   * Follows redirects from `url` while they stay at the provider, keeping its cookies like a browser;
   * returns the first URL outside it (Vigil's callback, with code and state).
   */
  browse(url: string): Promise<URL>;
  /**
   * The person of the last sign-in signs out at the provider: its end-session page (`url`, e.g. the one
   * Vigil sends the browser to; by default the bare page), confirmed, which sends the back-channel logout
   * before it answers. Resolves with the errors the provider met sending it (Vigil's refusals; empty when
   * Vigil answered 200) and where the provider sent the browser afterwards.
   */
  signOut(url?: string): Promise<{ backchannelErrors: string[]; location: string | null }>;
  /** As an administrator ending one person's provider session: a back-channel logout naming sub and sid. */
  endSession(sub: string, sid: string): Promise<void>;
  /** Signs any claims as a logout token with the provider's key (for tokens the provider would not send). */
  sign(claims: Record<string, unknown>, header?: Record<string, unknown>): Promise<string>;
  close(): Promise<void>;
}

export async function startTestProvider(
  redirectUrl: string,
  options: { backchannelLogoutUri?: string } = {},
): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), alg: 'RS256', use: 'sig', kid: 'test-key' };
  const identities = new Map<string, TestIdentity>();
  let next: TestIdentity | undefined;
  const clientId = 'vigil';
  const clientSecret = 'a-long-test-client-secret-for-vigil-0123456789';

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUrl],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
        // Vigil's sign-in page, where the provider may send the browser after signing out there.
        post_logout_redirect_uris: [new URL('/', redirectUrl).href],
        ...(options.backchannelLogoutUri
          ? {
              backchannel_logout_uri: options.backchannelLogoutUri,
              backchannel_logout_session_required: true,
            }
          : {}),
      },
    ],
    jwks: { keys: [jwk] },
    cookies: { keys: ['test-cookie-key-0123456789abcdef'] },
    // amr in every ID token, as Entra ID and Okta send it (oidc-provider releases it only on request).
    claims: {
      amr: null,
      openid: ['sub', 'amr'],
      profile: ['preferred_username', 'name', 'groups'],
      email: ['email'],
    },
    // Scope claims in the ID token too, as Entra ID and Keycloak send them.
    conformIdTokenClaims: false,
    // oidc-provider refuses to call loopback and private addresses (SSRF protection, through its own
    // dispatcher); Vigil listens on 127.0.0.1 in these tests, so its back-channel logouts go without it.
    fetch: (url, init) => {
      const { dispatcher: _ssrfGuard, ...rest } = (init ?? {}) as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(url, rest);
    },
    features: {
      devInteractions: { enabled: false },
      ...(options.backchannelLogoutUri ? { backchannelLogout: { enabled: true } } : {}),
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: (_ctx, id) => {
      const identity = identities.get(id);
      if (!identity) return undefined;
      return {
        accountId: id,
        claims: () => {
          const { amr: _amr, ...claims } = identity;
          return claims;
        },
      };
    },
    // Consent is the provider administrator's business (admin consent at Entra ID): grant what is asked.
    loadExistingGrant: async (ctx) => {
      const grant = new ctx.oidc.provider.Grant({
        clientId: ctx.oidc.client!.clientId,
        accountId: ctx.oidc.session!.accountId!,
      });
      grant.addOIDCScope('openid profile email');
      await grant.save();
      return grant;
    },
  });

  const callback = provider.callback();
  server.on('request', (req, res) => {
    if (!req.url?.startsWith('/interaction/')) return callback(req, res);
    void (async () => {
      await provider.interactionDetails(req, res);
      const identity = next;
      if (!identity) throw new Error('test provider: signInAs() was not called before the sign-in');
      identities.set(identity.sub, identity);
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: identity.sub, ...(identity.amr ? { amr: identity.amr } : {}) } },
        { mergeWithLastSubmission: false },
      );
    })().catch((e: unknown) => {
      res.statusCode = 500;
      res.end(String(e));
    });
  });

  const backchannelErrors: string[] = [];
  provider.on('backchannel.error', (_ctx, err: Error) => backchannelErrors.push(err.message));

  const jar = new Map<string, string>();
  const cookieHeader = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  const keepCookies = (res: Response) => {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const at = pair!.indexOf('=');
      jar.set(pair!.slice(0, at), pair!.slice(at + 1));
    }
  };
  const browse = async (start: string): Promise<URL> => {
    let url = new URL(start);
    for (let hop = 0; hop < 10; hop++) {
      if (url.origin !== issuer) return url;
      const res = await fetch(url, { redirect: 'manual', headers: { cookie: cookieHeader() } });
      keepCookies(res);
      const location = res.headers.get('location');
      if (!location)
        throw new Error(`test provider answered ${res.status} at ${url.pathname}: ${await res.text()}`);
      url = new URL(location, url);
    }
    throw new Error('test provider: too many redirects');
  };

  return {
    issuer,
    clientId,
    clientSecret,
    redirectUrl,
    signInAs: (identity) => {
      next = identity;
      jar.clear(); // a new browser: no provider session from an earlier sign-in
    },
    browse,
    signOut: async (url = `${issuer}/session/end`) => {
      const page = await fetch(url, { headers: { cookie: cookieHeader() } });
      if (!page.ok)
        throw new Error(`test provider: end-session page answered ${page.status}: ${await page.text()}`);
      keepCookies(page);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.text())?.[1];
      if (!xsrf) throw new Error('test provider: no sign-out form (no provider session?)');
      backchannelErrors.length = 0;
      const done = await fetch(`${issuer}/session/end/confirm`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie: cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf, logout: 'yes' }),
      });
      if (done.status >= 400) throw new Error(`test provider: sign-out answered ${done.status}`);
      return { backchannelErrors: [...backchannelErrors], location: done.headers.get('location') };
    },
    endSession: async (sub, sid) => {
      // The provider's own sending code (Client#backchannelLogout), which @types/oidc-provider omits.
      const client = (await provider.Client.find(clientId)) as unknown as {
        backchannelLogout(sub: string, sid: string): Promise<void>;
      };
      await client.backchannelLogout(sub, sid);
    },
    sign: (claims, header = {}) =>
      new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'test-key', ...header }).sign(privateKey),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
