/**
 * @module An IP address field of a sensor log (Zeek's `addr` cells, Suricata EVE's `src_ip`, `dest_ip` …),
 * checked where the line is read so a damaged value is that line's issue naming the field and the value
 * (left as text it became a host no address key fits, and the whole import failed), and spelled as the
 * inventory spells it: RFC 5952 IPv6 (Suricata writes every zero), IPv4-mapped IPv6 as IPv4 (so
 * `::ffff:10.1.2.3` is the host 10.1.2.3, and `::ffff:127.0.0.1` is loopback, no host). Pure.
 * @see RFC 5952 §4, RFC 4291 §2.5.5.2 (IPv4-mapped IPv6 address)
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { canonicalIp } from '../inventory/identity.js';
import { shortValue } from './short-value.js';

/** The value as the log holds it: a JSON value that is no string is shown as JSON (String() throws on some). */
const shown = (input: unknown): string =>
  typeof input === 'string'
    ? shortValue(input, 40) || '(empty)'
    : input === undefined
      ? '(missing)'
      : shortValue(JSON.stringify(input), 40);
const notAnIp = (input: unknown) => `not an IP address: ${shown(input)}`;

export const ipAddress = z
  .string({ error: (i) => notAnIp(i.input) })
  .refine((s) => isIP(s) !== 0, { error: (i) => notAnIp(i.input) })
  .transform(canonicalIp);
