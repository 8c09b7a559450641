/**
 * @module System Exposure (SSVC deployer EXP: small | controlled | open) from what the network shows:
 * a public address on the device, an internet host seen connecting to it (stored conversations), or a
 * segment zoned for the internet, DMZ, guests or the public → open; outbound-only internet traffic is
 * said but stays controlled (a device behind NAT that calls its vendor's cloud is not reachable); a segment with any other zone (clinical, biomed, imaging …) → controlled; no information →
 * controlled, with "unknown" said out loud. Compensating controls recorded on a remediation task still
 * in force (segmented, device isolated) lower it to small.
 */
import { BlockList, isIP } from 'node:net';
import { type Evidence, evidence } from './evidence.js';

export type Exposure = 'small' | 'controlled' | 'open';

export interface SegmentInfo {
  name: string;
  cidrs: string[];
  zone: string | null;
}

/** Zones (free text on segments, compared case-insensitively, word-wise) that mean "open". */
export const OPEN_ZONES = ['internet', 'dmz', 'guest', 'public', 'external', 'wan'] as const;

/** Controls that make the exposure small (the SSVC "small": local service or highly controlled network). */
export type CompensatingControl = 'segmented' | 'isolated' | 'service-disabled' | 'monitored';
const SMALLING: readonly CompensatingControl[] = ['segmented', 'isolated'];

const NON_PUBLIC = new BlockList();
for (const [net, len] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
] as const)
  NON_PUBLIC.addSubnet(net, len, 'ipv4');
for (const [net, len] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const)
  NON_PUBLIC.addSubnet(net, len, 'ipv6');

/** A globally routable address: not RFC 1918, CGNAT, loopback, link-local, ULA, multicast or reserved. */
export function isPublicIp(ip: string): boolean {
  const v = isIP(ip);
  if (v === 0) return false;
  return !NON_PUBLIC.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

function inCidr(ip: string, cidr: string): boolean {
  const m = /^(.+)\/(\d+)$/.exec(cidr);
  const v = isIP(ip);
  if (!m || v === 0 || isIP(m[1]!) !== v) return false;
  const list = new BlockList();
  list.addSubnet(m[1]!, Number(m[2]), v === 4 ? 'ipv4' : 'ipv6');
  return list.check(ip, v === 4 ? 'ipv4' : 'ipv6');
}

function isOpenZone(zone: string): boolean {
  const words = zone.toLowerCase().split(/[^a-z0-9]+/);
  return OPEN_ZONES.some((z) => words.includes(z));
}

export function exposureEvidence(input: {
  ips: readonly string[];
  /** Segments of the device's site (or every segment when the device has no site). */
  segments: readonly SegmentInfo[];
  /** Compensating controls in force, with where they were recorded (a remediation task). */
  controls?: readonly (CompensatingControl | { control: CompensatingControl; where: string })[];
  /** Traffic with a public internet address seen in stored conversations (captures, sensors, logs). */
  internet?: {
    peer: string;
    port: number;
    transport: string;
    inbound: boolean;
    established: boolean | null;
    lastSeen: string;
  } | null;
}): Evidence<Exposure> {
  const controls = (input.controls ?? [])
    .map((c) => (typeof c === 'string' ? { control: c, where: '' } : c))
    .filter((c) => SMALLING.includes(c.control));
  if (controls.length > 0)
    return evidence(
      'exposure',
      'small',
      'policy',
      `compensating control recorded: ${controls.map((c) => `${c.control}${c.where ? ` (${c.where})` : ''}`).join(', ')} (highly controlled network)`,
    );
  const publicIp = input.ips.find(isPublicIp);
  if (publicIp)
    return evidence('exposure', 'open', 'network', `the device has the public address ${publicIp}`);
  const net = input.internet;
  if (net?.inbound && net.established !== false)
    return evidence(
      'exposure',
      'open',
      'network',
      `internet host ${net.peer} connected to it on ${net.port}/${net.transport} (last seen ${net.lastSeen.slice(0, 10)})`,
    );
  const outbound = !net
    ? ''
    : net.inbound
      ? `; internet host ${net.peer} tried ${net.port}/${net.transport} but was not answered (last seen ${net.lastSeen.slice(0, 10)})`
      : `; it talks to the internet (${net.peer}:${net.port}/${net.transport}, outbound only, last seen ${net.lastSeen.slice(0, 10)})`;
  const placed = input.segments.flatMap((s) =>
    input.ips.filter((ip) => s.cidrs.some((c) => inCidr(ip, c))).map((ip) => ({ s, ip })),
  );
  const open = placed.find(({ s }) => s.zone && isOpenZone(s.zone));
  if (open)
    return evidence(
      'exposure',
      'open',
      'network',
      `${open.ip} is in segment "${open.s.name}", zone "${open.s.zone}"`,
    );
  const zoned = placed.find(({ s }) => s.zone);
  if (zoned)
    return evidence(
      'exposure',
      'controlled',
      'network',
      `${zoned.ip} is in segment "${zoned.s.name}", zone "${zoned.s.zone}" (a managed internal network)${outbound}`,
    );
  const why =
    input.ips.length === 0
      ? 'no address known for the device'
      : placed.length > 0
        ? `${placed[0]!.ip} is in segment "${placed[0]!.s.name}", which has no zone`
        : `${input.ips.join(', ')} in no known segment`;
  if (net)
    return evidence(
      'exposure',
      'controlled',
      'network',
      `${why}${outbound}: routed, not reachable from outside`,
    );
  return evidence('exposure', 'controlled', 'default', `exposure unknown: ${why}; assumed controlled`);
}
