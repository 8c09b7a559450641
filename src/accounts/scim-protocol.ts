/**
 * @module The SCIM 2.0 wire format Vigil speaks with an identity provider's provisioning (Microsoft Entra
 * ID, Okta), pure: the error shape, the User attributes Vigil keeps read from a request (zod), the two
 * filters the providers send, PATCH operations in both providers' dialects turned into one set of
 * changes, and the resources Vigil answers with. No database, no HTTP.
 *
 * @see RFC 7643 (SCIM core schema), RFC 7644 (SCIM protocol)
 */
import { z } from 'zod';

export const SCIM_MEDIA_TYPE = 'application/scim+json';
export const USER_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
export const PATCH_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';
const SCHEMA_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:Schema';
const RESOURCE_TYPE_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType';
const SERVICE_PROVIDER_CONFIG_SCHEMA = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig';

/** Most results one page of `GET /Users` holds (announced as `filter.maxResults`). */
export const MAX_PAGE = 100;

/** @see RFC 7644 §3.12 Table 9, the `scimType` of a 400 (and 409 `uniqueness`). */
export type ScimType =
  | 'uniqueness'
  | 'invalidFilter'
  | 'invalidValue'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'mutability'
  | 'tooMany';

/** A refusal in SCIM's own terms; `message` is the `detail` the provider shows in its provisioning log. */
export class ScimError extends Error {
  override readonly name = 'ScimError';
  constructor(
    readonly status: number,
    message: string,
    readonly scimType?: ScimType,
  ) {
    super(message);
  }
}

/** @see RFC 7644 §3.12: `status` is a string in the body. */
export function scimErrorBody(e: ScimError) {
  return {
    schemas: [ERROR_SCHEMA],
    status: String(e.status),
    ...(e.scimType ? { scimType: e.scimType } : {}),
    detail: e.message,
  };
}

const invalidValue = (detail: string) => new ScimError(400, detail, 'invalidValue');

/**
 * `active` as a boolean, or as the strings Entra ID sends ("True", "False": its provisioning service
 * writes booleans as strings unless the app opts into the SCIM-compliant behaviour).
 * @see learn.microsoft.com/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility
 */
const scimBoolean = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, 'must be true or false')
    .transform((v) => v.toLowerCase() === 'true'),
]);

/** Attribute names are case-insensitive (RFC 7643 §2.1): keys are read as the names Vigil knows. */
function canonicalKeys(known: readonly string[]) {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  return (value: unknown) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[byLower.get(k.toLowerCase()) ?? k] = v;
    return out;
  };
}

const text = (max: number) => z.string().max(max, `longer than ${max} characters`);

const NameSchema = z.preprocess(
  canonicalKeys(['formatted', 'givenName', 'familyName']),
  z
    .object({
      formatted: text(256).nullish(),
      givenName: text(256).nullish(),
      familyName: text(256).nullish(),
    })
    .loose(),
);

/**
 * A User as POST and PUT send it. Vigil keeps `userName`, `displayName` (else `name`), `externalId` and
 * `active`; every other attribute (emails, title, a password Okta may send…) is read past, never stored.
 */
export const ScimUserInput = z.preprocess(
  canonicalKeys(['schemas', 'userName', 'externalId', 'displayName', 'name', 'active', 'id']),
  z
    .object({
      schemas: z.array(text(256)).max(20).optional(),
      userName: z.string().trim().min(1, 'is empty').max(256, 'longer than 256 characters'),
      externalId: text(256).nullish(),
      displayName: text(256).nullish(),
      name: NameSchema.nullish(),
      active: scimBoolean.optional(),
    })
    .loose(),
);
export type ScimUserInput = z.infer<typeof ScimUserInput>;

const PatchOperation = z.preprocess(
  canonicalKeys(['op', 'path', 'value']),
  z
    .object({
      // Entra ID writes "Replace", "Add", "Remove"; the RFC and Okta lower case.
      op: z
        .string()
        .transform((o) => o.toLowerCase())
        .pipe(z.enum(['add', 'replace', 'remove'], { error: 'op must be add, replace or remove' })),
      path: text(256).optional(),
      value: z.unknown().optional(),
    })
    .loose(),
);

/** @see RFC 7644 §3.5.2 */
export const ScimPatchInput = z.preprocess(
  canonicalKeys(['schemas', 'Operations']),
  z
    .object({
      schemas: z.array(text(256)).max(20).optional(),
      Operations: z.array(PatchOperation).min(1, 'holds no operation').max(100, 'more than 100 operations'),
    })
    .loose(),
);
export type ScimPatchInput = z.infer<typeof ScimPatchInput>;

/** What a request asks to change of an account, in the attributes Vigil keeps. */
export interface ScimUserChanges {
  userName?: string;
  displayName?: string | null;
  externalId?: string | null;
  active?: boolean;
}

/** The display name a POST or PUT gives: `displayName`, else the formatted name, else given + family. */
function displayNameOf(input: ScimUserInput): string | null {
  const n = input.name;
  const joined = [n?.givenName, n?.familyName].filter((p) => p?.trim()).join(' ');
  const name = input.displayName?.trim() || n?.formatted?.trim() || joined;
  return name ? name.slice(0, 128) : null;
}

/** A POST or PUT body as the changes it makes (PUT replaces: what is not sent is cleared, but `active`). */
export function userChanges(input: ScimUserInput): ScimUserChanges {
  return {
    userName: input.userName,
    displayName: displayNameOf(input),
    externalId: input.externalId?.trim() || null,
    ...(input.active !== undefined ? { active: input.active } : {}),
  };
}

const CORE_PREFIX = `${USER_SCHEMA.toLowerCase()}:`;
type Kept = 'active' | 'userName' | 'displayName' | 'externalId';
const KEPT: ReadonlyMap<string, Kept> = new Map([
  ['active', 'active'],
  ['username', 'userName'],
  ['displayname', 'displayName'],
  ['externalid', 'externalId'],
]);

/** One attribute's new value, checked for its type; null removes it. */
function assign(changes: ScimUserChanges, attribute: Kept, value: unknown): void {
  if (attribute === 'active') {
    const parsed = scimBoolean.safeParse(value);
    if (!parsed.success) throw invalidValue(`active must be true or false, not ${JSON.stringify(value)}`);
    changes.active = parsed.data;
    return;
  }
  if (value === null && attribute !== 'userName') {
    changes[attribute] = null;
    return;
  }
  if (typeof value !== 'string' || value.length > 256)
    throw invalidValue(`${attribute} must be a string of at most 256 characters`);
  const trimmed = value.trim();
  if (attribute === 'userName') {
    if (!trimmed) throw invalidValue('userName must not be empty');
    changes.userName = trimmed;
  } else
    changes[attribute] = trimmed ? (attribute === 'displayName' ? trimmed.slice(0, 128) : trimmed) : null;
}

/**
 * PATCH operations as the changes they make to what Vigil keeps, in order (a later operation on the same
 * attribute wins). Both dialects of deactivation are read:
 *   Entra ID  `{"op":"Replace","path":"active","value":"False"}`
 *   Okta      `{"op":"replace","value":{"active":false}}` (no path: the value holds the attributes)
 * Paths to attributes Vigil does not keep (`emails[type eq "work"].value`, `name.familyName`, the
 * enterprise extension…) are read past, as a PUT's would be: refusing them would stop the provider's
 * other updates of the person.
 * @see RFC 7644 §3.5.2.1–3
 */
export function patchChanges(input: ScimPatchInput): ScimUserChanges {
  const changes: ScimUserChanges = {};
  for (const [i, op] of input.Operations.entries()) {
    if (op.path === undefined || op.path.trim() === '') {
      if (op.op === 'remove') throw new ScimError(400, `Operations[${i}]: remove needs a path`, 'noTarget');
      if (typeof op.value !== 'object' || op.value === null || Array.isArray(op.value))
        throw new ScimError(
          400,
          `Operations[${i}]: without a path the value must be an object of attributes`,
          'invalidSyntax',
        );
      for (const [key, value] of Object.entries(op.value)) {
        const attribute = KEPT.get(key.toLowerCase().replace(CORE_PREFIX, ''));
        if (attribute) assign(changes, attribute, value);
      }
      continue;
    }
    const path = op.path.trim().toLowerCase();
    const attribute = KEPT.get(path.startsWith(CORE_PREFIX) ? path.slice(CORE_PREFIX.length) : path);
    if (!attribute) continue;
    if (op.op === 'remove') {
      if (attribute === 'userName' || attribute === 'active')
        throw new ScimError(400, `Operations[${i}]: ${attribute} cannot be removed`, 'mutability');
      changes[attribute] = null;
    } else assign(changes, attribute, op.value);
  }
  return changes;
}

export interface ScimFilter {
  attribute: 'userName' | 'externalId';
  value: string;
}

const FILTER = /^\s*([A-Za-z][\w:.]*)\s+([A-Za-z]+)\s+("(?:[^"\\]|\\.)*")\s*$/;

/**
 * The filters Entra ID and Okta send: `userName eq "x"` (both, before creating someone) and
 * `externalId eq "x"`. Anything else is refused with `invalidFilter`, not answered with every user.
 * @see RFC 7644 §3.4.2.2
 */
export function parseFilter(filter: string): ScimFilter {
  const refuse = () =>
    new ScimError(400, 'Vigil filters Users only by userName eq "…" or externalId eq "…"', 'invalidFilter');
  const m = FILTER.exec(filter);
  if (!m) throw refuse();
  const name = m[1]!.toLowerCase();
  const attribute = name.startsWith(CORE_PREFIX) ? name.slice(CORE_PREFIX.length) : name;
  if (m[2]!.toLowerCase() !== 'eq') throw refuse();
  let value: unknown;
  try {
    value = JSON.parse(m[3]!);
  } catch {
    throw refuse();
  }
  if (typeof value !== 'string') throw refuse();
  if (attribute === 'username') return { attribute: 'userName', value };
  if (attribute === 'externalid') return { attribute: 'externalId', value };
  throw refuse();
}

/** `startIndex` and `count` as RFC 7644 §3.4.2.4 reads them: below 1 is 1, below 0 is 0, at most MAX_PAGE. */
export function pageOf(startIndex: string | undefined, count: string | undefined) {
  const int = (v: string | undefined, name: string, fallback: number) => {
    if (v === undefined || v === '') return fallback;
    if (!/^-?\d{1,9}$/.test(v)) throw invalidValue(`${name} must be a whole number`);
    return Number(v);
  };
  return {
    startIndex: Math.max(1, int(startIndex, 'startIndex', 1)),
    count: Math.min(MAX_PAGE, Math.max(0, int(count, 'count', MAX_PAGE))),
  };
}

/** What a SCIM User resource shows of an account. */
export interface ScimAccount {
  id: string;
  username: string;
  display_name: string | null;
  scim_external_id: string | null;
  disabled: number;
  created_at: string;
  updated_at: string;
}

/** @see RFC 7643 §4.1 */
export function userResource(a: ScimAccount, baseUrl: string) {
  return {
    schemas: [USER_SCHEMA],
    id: a.id,
    ...(a.scim_external_id !== null ? { externalId: a.scim_external_id } : {}),
    userName: a.username,
    ...(a.display_name !== null ? { displayName: a.display_name } : {}),
    active: a.disabled === 0,
    meta: {
      resourceType: 'User',
      created: a.created_at,
      lastModified: a.updated_at,
      location: `${baseUrl}/Users/${a.id}`,
    },
  };
}

/** @see RFC 7644 §3.4.2 */
export function listResponse(resources: unknown[], totalResults: number, startIndex: number) {
  return {
    schemas: [LIST_SCHEMA],
    totalResults,
    startIndex,
    itemsPerPage: resources.length,
    Resources: resources,
  };
}

/** @see RFC 7643 §5; groups are not provisioned (roles come from the groups claim at sign-in). */
export function serviceProviderConfig(baseUrl: string) {
  return {
    schemas: [SERVICE_PROVIDER_CONFIG_SCHEMA],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_PAGE },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [
      {
        type: 'oauthbearertoken',
        name: 'Bearer token',
        description:
          'A token made with `vigil scim token create`. Users only: Vigil takes no Groups, roles come from the groups claim at each single sign-on.',
        primary: true,
      },
    ],
    meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl}/ServiceProviderConfig` },
  };
}

const attribute = (name: string, description: string, extra: Record<string, unknown> = {}) => ({
  name,
  type: 'string',
  multiValued: false,
  description,
  required: false,
  caseExact: false,
  mutability: 'readWrite',
  returned: 'default',
  uniqueness: 'none',
  ...extra,
});

/** The User schema as far as Vigil keeps it. @see RFC 7643 §7, §8.7.1 */
export function userSchema(baseUrl: string) {
  return {
    schemas: [SCHEMA_SCHEMA],
    id: USER_SCHEMA,
    name: 'User',
    description: 'A single sign-on account of Vigil (other attributes are accepted and not kept)',
    attributes: [
      attribute('userName', 'The sign-in name; links the account at its first single sign-on', {
        required: true,
        uniqueness: 'server',
      }),
      attribute('displayName', 'The name shown in Vigil'),
      attribute('active', 'False disables the account and ends its sessions at once', { type: 'boolean' }),
    ],
    meta: { resourceType: 'Schema', location: `${baseUrl}/Schemas/${USER_SCHEMA}` },
  };
}

/** @see RFC 7643 §6 */
export function userResourceType(baseUrl: string) {
  return {
    schemas: [RESOURCE_TYPE_SCHEMA],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    description: 'Single sign-on accounts',
    schema: USER_SCHEMA,
    schemaExtensions: [],
    meta: { resourceType: 'ResourceType', location: `${baseUrl}/ResourceTypes/User` },
  };
}
