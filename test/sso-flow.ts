/**
 * The browser's side of single sign-on in API tests: Vigil's login route, the provider's pages (played by
 * test/oidc-provider.ts) and Vigil's callback, with the cookies a browser would carry between them.
 */
import { expect } from 'vitest';
import type { ApiHarness } from './api-harness.js';
import type { TestIdentity, TestProvider } from './oidc-provider.js';

export const REDIRECT = 'http://vigil.test/api/v1/auth/oidc/callback';
export const ROLE_MAP = {
  'vigil-admins': 'admin',
  'biomed-engineering': 'clinical-engineer',
  'ciso-office': 'auditor',
};

export function cookieOf(res: Response, name: string): string | undefined {
  for (const c of res.headers.getSetCookie()) {
    const pair = c.split(';')[0]!;
    if (pair.startsWith(`${name}=`) && pair.length > name.length + 1) return pair;
  }
  return undefined;
}

export async function ssoConfig(op: TestProvider, extra: Record<string, unknown> = {}) {
  return {
    oidcIssuer: op.issuer,
    oidcClientId: op.clientId,
    oidcClientSecret: op.clientSecret,
    oidcRedirectUrl: op.redirectUrl,
    oidcProviderName: 'Hospital Entra ID',
    oidcRoleMap: ROLE_MAP,
    ...extra,
  };
}

/** The browser's round trip: Vigil → provider (signs in as `identity`) → Vigil's callback. */
export async function signIn(h: ApiHarness, op: TestProvider, identity: TestIdentity, returnTo = '/devices') {
  op.signInAs(identity);
  const start = await h.anonymous.get(`/api/v1/auth/oidc/login?returnTo=${encodeURIComponent(returnTo)}`);
  expect(start.status).toBe(302);
  const flow = cookieOf(start, 'vigil_sso_flow');
  expect(flow).toBeDefined();
  const back = await op.browse(start.headers.get('location')!);
  expect(back.origin + back.pathname).toBe(REDIRECT);
  const done = await h.anonymous.request('GET', back.pathname + back.search, undefined, { cookie: flow! });
  expect(done.status).toBe(302);
  return {
    done,
    location: done.headers.get('location')!,
    session: cookieOf(done, 'vigil_session'),
    back,
    flow,
  };
}

export async function sessionOf(h: ApiHarness, cookie: string) {
  const res = await h.anonymous.request('GET', '/api/v1/auth/session', undefined, { cookie });
  return { status: res.status, body: (await res.json()) as { actor: Record<string, unknown> } };
}
