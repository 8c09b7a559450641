/**
 * What nmap itself reported about the scan in `test/fixtures/monitor/08-nmap-scan.pcap`: its own `-oX`
 * output of that run (`test/fixtures/nmap/sgh-medical-lan.xml`, see the PROVENANCE.md there). Read with a
 * regular expression, not Vigil's nmap importer, so that tests of the capture path have an oracle of
 * their own.
 */
import { readFileSync } from 'node:fs';

const XML = new URL('./fixtures/nmap/sgh-medical-lan.xml', import.meta.url);

/** Per scanned host: IPv4 address, MAC (lower case) and the TCP ports nmap found in `state`. */
export function nmapScanPorts(state: 'open' | 'closed'): { ip: string; mac: string; ports: number[] }[] {
  return readFileSync(XML, 'utf8')
    .split('<host ')
    .slice(1)
    .map((host) => ({
      ip: /<address addr="([^"]+)" addrtype="ipv4"/.exec(host)![1]!,
      mac: /<address addr="([^"]+)" addrtype="mac"/.exec(host)![1]!.toLowerCase(),
      ports: [...host.matchAll(/<port protocol="tcp" portid="(\d+)"><state state="([a-z]+)"/g)]
        .filter((m) => m[2] === state)
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b),
    }));
}

/** `ip:port` of every TCP port nmap found in `state`. */
export const nmapScanEndpoints = (state: 'open' | 'closed'): Set<string> =>
  new Set(nmapScanPorts(state).flatMap((h) => h.ports.map((p) => `${h.ip}:${p}`)));
