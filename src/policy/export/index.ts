/**
 * @module The export formats by name: `vigil policy export --format …` and `GET /api/v1/policy/export`.
 */
import type { NetworkMap } from '../policy-inventory.js';
import type { Policy } from '../policy-model.js';
import { toCiscoIos } from './cisco-ios.js';
import { toIptables } from './iptables.js';
import { toJson } from './json.js';
import { toNftables } from './nftables.js';

export const EXPORT_FORMATS = ['nftables', 'iptables', 'ip6tables', 'cisco-ios', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_MEDIA_TYPES: Record<ExportFormat, string> = {
  nftables: 'text/plain; charset=utf-8',
  iptables: 'text/plain; charset=utf-8',
  ip6tables: 'text/plain; charset=utf-8',
  'cisco-ios': 'text/plain; charset=utf-8',
  json: 'application/json',
};

export function exportPolicy(format: ExportFormat, policy: Policy, map: NetworkMap): string {
  switch (format) {
    case 'nftables':
      return toNftables(policy, map);
    case 'iptables':
      return toIptables(policy, map, 4);
    case 'ip6tables':
      return toIptables(policy, map, 6);
    case 'cisco-ios':
      return toCiscoIos(policy, map);
    case 'json':
      return toJson(policy, map);
  }
}
