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
