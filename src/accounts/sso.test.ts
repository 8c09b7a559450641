/**
 * The decisions single sign-on makes from an ID token's claims: which role, whether the sign-in was
 * multi-factor (RFC 8176 `amr` values), where the browser may return to; and the role map's two spellings.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { assertsMultiFactor, roleFromGroups, safeReturnPath } from './sso.js';

describe('roleFromGroups', () => {
  const map = { 'vigil-admins': 'admin', 'biomed-engineering': 'clinical-engineer', auditors: 'auditor' };
  it('takes the most privileged role any group maps to, whatever the order', () => {
    expect(roleFromGroups(['all-staff', 'auditors', 'biomed-engineering'], map)).toBe('clinical-engineer');
    expect(roleFromGroups(['biomed-engineering', 'vigil-admins'], map)).toBe('admin');
    expect(roleFromGroups(['all-staff'], map)).toBeNull();
    expect(roleFromGroups([], map)).toBeNull();
  });
  it('does not read inherited object properties as groups', () => {
    expect(roleFromGroups(['constructor', 'toString', '__proto__'], map)).toBeNull();
  });
});

describe('assertsMultiFactor', () => {
  it('takes amr "mfa" (Entra ID, Okta) or two methods one of which is not a secret the person knows', () => {
    expect(assertsMultiFactor({ amr: ['pwd', 'mfa'] }, [])).toBe(true);
    expect(assertsMultiFactor({ amr: ['pwd', 'otp'] }, [])).toBe(true);
    expect(assertsMultiFactor({ amr: ['hwk', 'pin'] }, [])).toBe(true);
    expect(assertsMultiFactor({ amr: ['pwd'] }, [])).toBe(false);
    expect(assertsMultiFactor({ amr: ['pwd', 'kba'] }, [])).toBe(false); // two things known: one factor
    expect(assertsMultiFactor({ amr: ['otp', 'otp'] }, [])).toBe(false);
    expect(assertsMultiFactor({ amr: 'mfa' }, [])).toBe(false); // amr is an array (OIDC Core §2)
    expect(assertsMultiFactor({}, [])).toBe(false);
  });
  it('takes a configured acr (Keycloak levels of assurance)', () => {
    expect(assertsMultiFactor({ acr: 'gold' }, ['gold'])).toBe(true);
    expect(assertsMultiFactor({ acr: '1' }, ['gold'])).toBe(false);
  });
});

describe('safeReturnPath', () => {
  it('keeps paths of this Vigil and nothing else', () => {
    expect(safeReturnPath('/devices?site=icu')).toBe('/devices?site=icu');
    expect(safeReturnPath('/inventory?q=infusion%20pump')).toBe('/inventory?q=infusion%20pump');
    for (const bad of [
      '//evil.example',
      'https://evil.example/',
      '/\\evil.example',
      '/\t/evil.example', // browsers drop the tab: //evil.example
      '/\n/evil.example',
      '/ /evil.example',
      'devices',
      '',
      undefined,
    ])
      expect(safeReturnPath(bad)).toBe('/');
  });
});

describe('single sign-on configuration', () => {
  const base = {
    VIGIL_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant/v2.0',
    VIGIL_OIDC_CLIENT_ID: 'vigil',
    VIGIL_OIDC_REDIRECT_URL: 'https://vigil.hospital.example/api/v1/auth/oidc/callback',
  };
  it('reads the role map as group=role pairs or as JSON', () => {
    const pairs = loadConfig({
      env: { ...base, VIGIL_OIDC_ROLE_MAP: 'CN=Vigil Admins,OU=Groups=admin; biomed=clinical-engineer' },
    });
    expect(pairs.oidcRoleMap).toEqual({ 'CN=Vigil Admins,OU=Groups': 'admin', biomed: 'clinical-engineer' });
    const json = loadConfig({ env: { ...base, VIGIL_OIDC_ROLE_MAP: '{"a1b2-c3":"auditor"}' } });
    expect(json.oidcRoleMap).toEqual({ 'a1b2-c3': 'auditor' });
  });
  it('refuses an unknown role, half a configuration, and a plain-HTTP provider elsewhere than localhost', () => {
    expect(() => loadConfig({ env: { ...base, VIGIL_OIDC_ROLE_MAP: 'biomed=engineer' } })).toThrow(
      /configuration/,
    );
    expect(() => loadConfig({ env: { VIGIL_OIDC_ISSUER: base.VIGIL_OIDC_ISSUER } })).toThrow(/configuration/);
    expect(() =>
      loadConfig({
        env: { ...base, VIGIL_OIDC_ISSUER: 'http://idp.hospital.example', VIGIL_OIDC_ROLE_MAP: 'a=admin' },
      }),
    ).toThrow(/configuration/);
    expect(
      loadConfig({
        env: { ...base, VIGIL_OIDC_ISSUER: 'http://127.0.0.1:8080/realms/h', VIGIL_OIDC_ROLE_MAP: 'a=admin' },
      }).oidcIssuer,
    ).toBe('http://127.0.0.1:8080/realms/h');
  });
});
