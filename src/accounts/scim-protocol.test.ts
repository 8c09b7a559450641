/**
 * The SCIM wire format alone: filters as RFC 7644 §3.4.2.2 writes them (names without case, escaped
 * quotes, the core schema's URN before the attribute), PATCH operations of both providers, and paging.
 */
import { describe, expect, it } from 'vitest';
import {
  pageOf,
  parseFilter,
  patchChanges,
  ScimPatchInput,
  ScimUserInput,
  userChanges,
} from './scim-protocol.js';

const patch = (Operations: unknown[]) =>
  patchChanges(
    ScimPatchInput.parse({ schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations }),
  );

describe('parseFilter', () => {
  it('reads userName and externalId eq, whatever the case of the names, with escapes and the URN', () => {
    expect(parseFilter('userName eq "r.okafor@hospital.example"')).toEqual({
      attribute: 'userName',
      value: 'r.okafor@hospital.example',
    });
    expect(parseFilter('USERNAME EQ "a\\"b"')).toEqual({ attribute: 'userName', value: 'a"b' });
    expect(parseFilter('urn:ietf:params:scim:schemas:core:2.0:User:externalId eq "00u1"')).toEqual({
      attribute: 'externalId',
      value: '00u1',
    });
  });

  it('refuses everything else as invalidFilter', () => {
    for (const f of ['userName ne "x"', 'userName eq "x" and active eq true', 'userName pr', 'id eq "1"', ''])
      expect(() => parseFilter(f), f).toThrow(
        expect.objectContaining({ status: 400, scimType: 'invalidFilter' }),
      );
  });
});

describe('patchChanges', () => {
  it('reads Entra ID and Okta deactivations alike', () => {
    expect(patch([{ op: 'Replace', path: 'active', value: 'False' }])).toEqual({ active: false });
    expect(patch([{ op: 'replace', value: { active: false } }])).toEqual({ active: false });
    expect(patch([{ op: 'replace', path: 'active', value: false }])).toEqual({ active: false });
    expect(patch([{ op: 'Add', value: { Active: 'True', displayName: 'Rita Okafor' } }])).toEqual({
      active: true,
      displayName: 'Rita Okafor',
    });
  });

  it('lets a later operation win, removes what may be removed, and reads past what Vigil does not keep', () => {
    expect(
      patch([
        { op: 'replace', path: 'active', value: false },
        { op: 'replace', path: 'active', value: true },
        { op: 'remove', path: 'externalId' },
        {
          op: 'replace',
          path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department',
          value: 'ICU',
        },
        {
          op: 'replace',
          path: 'urn:ietf:params:scim:schemas:core:2.0:User:displayName',
          value: ' R. Okafor ',
        },
      ]),
    ).toEqual({ active: true, externalId: null, displayName: 'R. Okafor' });
  });
});

describe('a User body', () => {
  it('takes the display name from displayName, else the name, and never the password', () => {
    const okta = ScimUserInput.parse({
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      password: '1mz050nq',
    });
    expect(userChanges(okta)).toEqual({
      userName: 'test.user@okta.local',
      displayName: 'Test User',
      externalId: null,
    });
  });
});

describe('pageOf', () => {
  it('reads startIndex below 1 as 1 and count below 0 as 0, at most 100', () => {
    expect(pageOf(undefined, undefined)).toEqual({ startIndex: 1, count: 100 });
    expect(pageOf('0', '-5')).toEqual({ startIndex: 1, count: 0 });
    expect(pageOf('3', '1000')).toEqual({ startIndex: 3, count: 100 });
    expect(() => pageOf('1.5', '2')).toThrow(/startIndex/);
  });
});
