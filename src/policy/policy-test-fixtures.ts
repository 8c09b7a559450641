/**
 * @module Test data for the policy: the connection attempts tshark found in four real captures
 * (`test/fixtures/policy/syn-flows.tsv`, see its PROVENANCE.md) and the simulated hospital LAN they were
 * captured on (segments and devices as the captures' README describes them), both as a pure
 * `PolicyInventory` and written into a database through the real services.
 */
import { readFileSync } from 'node:fs';
import type { Actor } from '../accounts/actor.js';
import { addDevice } from '../inventory/inventory-service.js';
import { addSegment, createSite } from '../inventory/site-service.js';
import type { DbHandle } from '../store/transaction.js';
import type { PolicyFlow } from './policy-flow.js';
import type { PolicyInventory } from './policy-inventory.js';

export const fixturePath = (name: string) =>
  new URL(`../../test/fixtures/policy/${name}`, import.meta.url).pathname;

/** One PolicyFlow per SYN tshark saw. */
export function synFlows(): PolicyFlow[] {
  return readFileSync(fixturePath('syn-flows.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [file, frame, epoch, ip4s, ip6s, ip4d, ip6d, port] = line.split('\t') as string[];
      const time = new Date(Math.round(Number(epoch) * 1000)).toISOString();
      return {
        client: ip4s || ip6s!,
        server: ip4d || ip6d!,
        port: Number(port),
        transport: 'tcp' as const,
        protocol: null,
        connections: 1,
        firstSeen: time,
        lastSeen: time,
        evidence: { file: file!, packet: Number(frame), time, summary: 'TCP SYN' },
      };
    });
}

/**
 * One PolicyFlow per packet of Zeek's trace dns/mdns.pcap (`test/fixtures/policy/mdns-link-local.tsv`):
 * UDP to its destination port, ICMPv6 as icmp, multicast ends kept as a Zeek conn.log keeps them.
 */
export function mdnsTraceFlows(): PolicyFlow[] {
  return readFileSync(fixturePath('mdns-link-local.tsv'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [file, frame, epoch, ip4s, ip6s, ip4d, ip6d, dport] = line.split('\t') as string[];
      const time = new Date(Math.round(Number(epoch) * 1000)).toISOString();
      const udp = Boolean(dport);
      return {
        client: ip4s || ip6s!,
        server: ip4d || ip6d!,
        port: udp ? Number(dport) : 0,
        transport: udp ? ('udp' as const) : ('icmp' as const),
        protocol: udp ? 'mdns' : 'icmpv6',
        connections: 1,
        firstSeen: time,
        lastSeen: time,
        evidence: { file: file!, packet: Number(frame), time },
      };
    });
}

/**
 * One PolicyFlow per LLMNR query Zeek logged in RITA's test data (`test/fixtures/policy/llmnr-zeek-dns.log`,
 * a Zeek TSV dns.log read by its `#fields` line): to the LLMNR group on 5355/udp, named `dns` as Zeek's
 * DNS analyzer named it.
 */
export function llmnrTraceFlows(): PolicyFlow[] {
  const lines = readFileSync(fixturePath('llmnr-zeek-dns.log'), 'utf8').split('\n');
  const fields = lines
    .find((l) => l.startsWith('#fields\t'))!
    .split('\t')
    .slice(1);
  return lines
    .filter((l) => l && !l.startsWith('#'))
    .map((line, i) => {
      const row = Object.fromEntries(line.split('\t').map((v, j) => [fields[j], v]));
      const time = new Date(Math.round(Number(row['ts']) * 1000)).toISOString();
      return {
        client: row['id.orig_h']!,
        server: row['id.resp_h']!,
        port: Number(row['id.resp_p']),
        transport: row['proto'] as 'udp',
        protocol: 'dns',
        connections: 1,
        firstSeen: time,
        lastSeen: time,
        evidence: { file: 'dns.log', packet: i + 1, time },
      };
    });
}

/** The LAN of the shared captures: imaging/clinical 10.20.0.0/24 + fd00:20::/64, lab 10.30.0.0/24. */
export const SGH_SEGMENTS = [
  { name: 'clinical', cidrs: ['10.20.0.0/24', 'fd00:20::/64'], zone: 'clinical' },
  { name: 'hl7', cidrs: ['10.30.0.0/24'], zone: 'integration' },
];

export const SGH_DEVICES: { assetTag: string; deviceClass: string; ips: string[] }[] = [
  { assetTag: 'PACS-1', deviceClass: 'pacs', ips: ['10.20.0.10'] },
  { assetTag: 'PACS-2', deviceClass: 'pacs', ips: ['10.20.0.11'] },
  { assetTag: 'CT-1', deviceClass: 'imaging-ct', ips: ['10.20.0.21'] },
  { assetTag: 'MR-1', deviceClass: 'imaging-mr', ips: ['10.20.0.22'] },
  { assetTag: 'ECG-1', deviceClass: 'other-medical', ips: ['10.20.0.23'] },
  { assetTag: 'WEB-1', deviceClass: 'it', ips: ['10.20.0.30', 'fd00:20::30'] },
  { assetTag: 'LEGACY-1', deviceClass: 'patient-monitor', ips: ['10.20.0.40'] },
  { assetTag: 'WS-1', deviceClass: 'medical-workstation', ips: ['10.20.0.50', 'fd00:20::50'] },
  { assetTag: 'PUMP-1', deviceClass: 'infusion-pump', ips: ['10.20.0.60'] },
  { assetTag: 'HL7-1', deviceClass: 'it', ips: ['10.30.0.5'] },
  { assetTag: 'MON-GW', deviceClass: 'patient-monitor', ips: ['10.30.0.41'] },
  { assetTag: 'ADT-1', deviceClass: 'it', ips: ['10.30.0.42'] },
];

export function sghInventory(): PolicyInventory {
  return {
    devices: SGH_DEVICES.map((d) => ({
      id: `dev-${d.assetTag}`,
      label: d.assetTag,
      deviceClass: d.deviceClass,
      siteId: 'site-sgh',
      ips: d.ips,
    })),
    segments: SGH_SEGMENTS.map((s) => ({ siteId: 'site-sgh', ...s })),
  };
}

/** The same LAN in a database: site `SGH`, its segments, its devices (active, with addresses). */
export async function seedSgh(h: DbHandle, actor: Actor): Promise<void> {
  await createSite(h, actor, { name: 'SGH' });
  for (const s of SGH_SEGMENTS) await addSegment(h, actor, 'SGH', s);
  for (const d of SGH_DEVICES) await addDevice(h, actor, { ...d, site: 'SGH' });
}
