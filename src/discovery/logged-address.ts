/**
 * @module Which addresses in a sensor log (Zeek, Suricata EVE) name a host: one rule for both readers.
 */
import { normaliseIp } from '../inventory/identity.js';
import { isHostAddress as isWireHostAddress } from './capture-analyzer.js';

/**
 * An address a host can be keyed by. The capture analyzer's test only looks at the first octet and lets
 * through what the inventory refuses (`1.2.3.999` in a DNS answer, `::ffff:127.0.0.1`, `0:0:0:0:0:0:0:1`):
 * a host keyed only by such an address had no key, and its import failed whole.
 */
export function isLoggedHostAddress(ip: string): boolean {
  return isWireHostAddress(ip) && normaliseIp(ip) !== null;
}

/** Text shaped like an address (a DNS answer's data, where names and addresses mix); not proof it is one. */
export function looksLikeIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));
}
