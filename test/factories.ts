/** Test factories for domain objects. */
import type { Actor } from '../src/accounts/actor.js';
import { ALL_PERMISSIONS } from '../src/accounts/permissions.js';

export const TEST_PASSWORD = 'correct horse battery staple 42';

/** The local operator, as the CLI acts. */
export const cliActor: Actor = {
  kind: 'cli',
  id: 'test',
  name: 'cli:test',
  permissions: new Set(ALL_PERMISSIONS),
};

/**
 * The Device JSON contract (docs/inventory.md): every field, in order. Written out here, not derived from
 * the code, so a renamed or dropped field fails the tests.
 */
export const DEVICE_JSON_FIELDS = [
  'id',
  'assetTag',
  'serialNumber',
  'udi',
  'manufacturer',
  'model',
  'modelNumber',
  'deviceClass',
  'macs',
  'ips',
  'hostnames',
  'firmwareVersion',
  'softwareVersion',
  'os',
  'osVersion',
  'osEndOfSupport',
  'criticality',
  'ephi',
  'site',
  'building',
  'floor',
  'room',
  'department',
  'owner',
  'state',
  'lifecycleStatus',
  'firstSeen',
  'lastSeen',
  'createdAt',
  'updatedAt',
  'services',
  'protocols',
  'dicom',
  'hl7',
];

/**
 * The VulnerabilityMatch JSON contract of `vigil vulns list --json` and `GET /api/v1/vulns` (issue 4,
 * docs/vulnerabilities.md): the fields the issue names, written out here so a renamed or dropped field
 * fails the tests.
 */
export const VULN_MATCH_FIELDS = [
  'deviceId',
  'advisoryIds',
  'cve',
  'status',
  'confidence',
  'matchedBy',
  'explanation',
  'fixAvailable',
  'kev',
  'epss',
];

/** The statuses a match may have, as the issue names them. */
export const VULN_MATCH_STATUSES = [
  'affected',
  'needs-review',
  'not-affected',
  'fixed',
  'under-investigation',
];
