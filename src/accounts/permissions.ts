/**
 * @module Named permissions and the roles built from them. This list is a contract: SSO group
 * mappings, API tokens and the docs (docs/roles.md) refer to these exact names. Every API route
 * declares exactly one permission (see `server/route.ts`); a test walks every route × role.
 */

export const PERMISSIONS = {
  'devices:read': 'List, show and export devices, models, manufacturers',
  'devices:write': 'Add, update, confirm, merge and retire devices',
  'devices:import': 'Import device inventories (CMMS CSV) and other sources',
  'findings:read': 'List and show findings (cleartext PHI, weak TLS, insecure protocols …) with evidence',
  'findings:write': 'Acknowledge, resolve or dismiss findings',
  'advisories:read': 'List and show advisories, vulnerability records, feeds, subscriptions, SBOMs and VEX',
  'advisories:write': 'Import and sync advisories, SBOMs and VEX; manage feed subscriptions',
  'vulns:read': 'List and show which vulnerabilities affect which devices, and why',
  'vulns:write': 'Run matching, confirm or reject candidate matches, write VEX statements',
  'risk:read': 'See risk scores, SSVC decisions and the prioritized work queue',
  'risk:write': 'Override SSVC decision points and answer the risk questionnaire for a model or device',
  'risk:accept': 'Approve risk acceptances (accept, reduce, avoid, transfer) with an expiry',
  'tasks:read': 'List and show remediation tasks and campaigns',
  'tasks:write': 'Create and move remediation tasks and campaigns through their states',
  'sites:read': 'List sites and network segments',
  'sites:write': 'Create and change sites and network segments',
  'users:read': 'List accounts',
  'users:write': 'Create, disable and reset accounts; change roles',
  'tokens:read': 'List API tokens',
  'tokens:write': 'Create and revoke API tokens',
  'audit:read': 'Read, export and verify the audit log',
  'system:read': 'Read system status and configuration (without secrets)',
  'monitor:read': 'See communications, device peers and communication baselines',
  'monitor:write': 'Learn, edit (allow/deny entries) and approve communication baselines',
  'policy:read': 'See segmentation policies, simulate flows against them and export firewall rules',
  'policy:write': 'Propose, save and approve segmentation policies',
  'alerts:read': 'List and show alerts with evidence, alert destinations and dead letters',
  'alerts:write':
    'Acknowledge, resolve, dismiss or re-open alerts; manage alert destinations; retry dead letters',
  'program:read':
    'See the security program: departments, people, security officers, training, manufacturers, documents and requests',
  'program:write':
    'Keep the security program: designate officers, manage people, courses and completions, manufacturers and requests',
  'recalls:read':
    'See FDA recalls, enforcement reports, product classifications and UDI records, and their device matches',
  'recalls:write':
    'Import FDA recall, classification and GUDID data; match recalls to devices and open recall campaigns',
  'reports:read': 'Generate compliance reports (HTML, PDF, JSON, CSV) and the FHIR device export',
  'notifications:read': "Read and dismiss one's own in-app notifications",
} as const;

export type Permission = keyof typeof PERMISSIONS;

export const ALL_PERMISSIONS = Object.keys(PERMISSIONS) as Permission[];

/** Permissions that only read. API tokens get these unless given more. */
export const READ_PERMISSIONS = ALL_PERMISSIONS.filter((p) => p.endsWith(':read'));

export const ROLES = {
  admin: {
    description: 'Runs the Vigil installation: accounts, tokens, everything else',
    permissions: ALL_PERMISSIONS,
  },
  'security-officer': {
    description: "The hospital's designated security officer: inventory, sites, tokens, audit",
    permissions: ALL_PERMISSIONS.filter((p) => p !== 'users:write'),
  },
  'clinical-engineer': {
    description: 'Keeps the device inventory and works its findings: imports, edits, retires devices',
    permissions: [
      'devices:read',
      'devices:write',
      'devices:import',
      'findings:read',
      'findings:write',
      'advisories:read',
      'advisories:write',
      'vulns:read',
      'vulns:write',
      'risk:read',
      'tasks:read',
      'tasks:write',
      'sites:read',
      'system:read',
      'monitor:read',
      'policy:read',
      'alerts:read',
      'alerts:write',
      'program:read',
      'recalls:read',
      'recalls:write',
      'reports:read',
      'notifications:read',
    ] as Permission[],
  },
  auditor: {
    description: 'Read-only, including the audit log',
    permissions: READ_PERMISSIONS,
  },
} as const satisfies Record<string, { description: string; permissions: readonly Permission[] }>;

export type Role = keyof typeof ROLES;

export const ROLE_NAMES = Object.keys(ROLES) as Role[];

export function isRole(value: string): value is Role {
  return Object.hasOwn(ROLES, value);
}

export function isPermission(value: string): value is Permission {
  return Object.hasOwn(PERMISSIONS, value);
}

export function permissionsOf(role: Role): ReadonlySet<Permission> {
  return new Set(ROLES[role].permissions);
}
