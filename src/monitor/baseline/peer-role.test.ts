/** Peer roles: what a peer is to a baseline (docs/baseline.md §3). */
import { describe, expect, it } from 'vitest';
import { type DeviceFacts, peerRole } from './peer-role.js';

const device = (extra: Partial<DeviceFacts> = {}): DeviceFacts => ({
  id: 'dev-1',
  siteId: null,
  modelId: null,
  model: null,
  manufacturer: null,
  deviceClass: 'unknown',
  assetTag: null,
  ...extra,
});

describe('peerRole', () => {
  it('names a classified peer by its model, else its class, and a public address as the internet', () => {
    expect(peerRole(device({ modelId: 'm-1', deviceClass: 'pacs' }), '10.20.0.10')).toBe('model:m-1');
    expect(peerRole(device({ modelId: 'm-1' }), '10.20.0.10')).toBe('model:m-1');
    expect(peerRole(device({ deviceClass: 'pacs' }), '10.20.0.10')).toBe('class:pacs');
    expect(peerRole(undefined, '93.184.216.34')).toBe('internet');
    expect(peerRole(device(), '93.184.216.34')).toBe('internet');
  });

  it('gives every unclassified peer a role of its own, so one such host never vouches for another', () => {
    expect(peerRole(device({ id: 'dev-1' }), '10.20.0.60')).toBe('device:dev-1');
    expect(peerRole(device({ id: 'dev-2' }), '10.20.0.60')).toBe('device:dev-2');
    expect(peerRole(undefined, '10.20.0.60')).toBe('host:10.20.0.60');
    expect(peerRole(null, '10.20.0.61')).toBe('host:10.20.0.61');
    expect(peerRole(undefined, 'fd00:20::99')).toBe('host:fd00:20::99');
  });
});
