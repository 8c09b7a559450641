/**
 * @module CIDR blocks of network segments: parsed, checked and written canonically (network address,
 * IPv6 compressed per RFC 5952), so `10.20.30.0/24` is stored one way however it was typed.
 * @see RFC 4632 §3.1 (prefix notation), RFC 5952 §4
 */
import { isIP } from 'node:net';
import type { Parsed } from './device.js';
import { compressIpv6, ipv6Groups } from './identity.js';

function v4ToInt(ip: string): number {
  return ip.split('.').reduce((n, o) => n * 256 + Number(o), 0);
}

function intToV4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

function v6ToBigInt(ip: string): bigint {
  return ipv6Groups(ip).reduce((n, g) => (n << 16n) | BigInt(g), 0n);
}

function bigIntToV6(n: bigint): string {
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((n >> BigInt(i * 16)) & 0xffffn));
  return compressIpv6(groups);
}

/** `10.20.30.0/24` or `2001:db8:10::/48`; refuses host bits after the prefix, and says which network was meant. */
export function parseCidr(input: string): Parsed<string> {
  const s = input.trim();
  const m = /^([^/]+)\/(\d{1,3})$/.exec(s);
  if (!m)
    return { ok: false, reason: `"${input}" is not CIDR notation (address/prefix, e.g. 10.20.30.0/24)` };
  const [, addr, lenText] = m as unknown as [string, string, string];
  const version = isIP(addr);
  const len = Number(lenText);
  if (version === 4) {
    if (len > 32) return { ok: false, reason: `"${input}": an IPv4 prefix is at most /32` };
    const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
    const ip = v4ToInt(addr);
    const net = (ip & mask) >>> 0;
    if (net !== ip)
      return { ok: false, reason: `"${input}" has host bits set; did you mean ${intToV4(net)}/${len}?` };
    return { ok: true, value: `${intToV4(net)}/${len}` };
  }
  if (version === 6) {
    if (len > 128) return { ok: false, reason: `"${input}": an IPv6 prefix is at most /128` };
    const ip = v6ToBigInt(addr);
    const mask = len === 0 ? 0n : ((1n << 128n) - 1n) ^ ((1n << BigInt(128 - len)) - 1n);
    const net = ip & mask;
    if (net !== ip)
      return { ok: false, reason: `"${input}" has host bits set; did you mean ${bigIntToV6(net)}/${len}?` };
    return { ok: true, value: `${bigIntToV6(net)}/${len}` };
  }
  return { ok: false, reason: `"${input}": "${addr}" is not an IP address` };
}
