/**
 * @module What an answered SMB NEGOTIATE says, for every source that sees one (captures, Suricata EVE):
 * the server's SMB service with its dialect, and SMBv1 as `insecure-protocol` `smbv1:PORT`.
 */
import type { Evidence } from './host-observation.js';
import type { HostBuilder, HostTable } from './host-table.js';

/** The SMB2 wildcard an SMB1 NEGOTIATE can be answered with: not a dialect yet, the SMB2 NEGOTIATE names it. */
const SMB2_WILDCARD = '2.???';

export function negotiatedSmb(
  hosts: HostTable,
  server: HostBuilder,
  n: { ip: string; port: number; dialect: string; smb1: boolean; ev: (summary: string) => Evidence },
): void {
  server.service(
    n.port,
    'tcp',
    { protocol: 'smb', ...(n.dialect !== SMB2_WILDCARD ? { version: n.dialect } : {}) },
    n.ev('SMB negotiate response'),
  );
  if (n.smb1)
    hosts.finding({
      type: 'insecure-protocol',
      host: { ip: n.ip },
      subject: `smbv1:${n.port}`,
      evidence: n.ev(`SMBv1 negotiated (${n.dialect})`),
      details: { protocol: 'smb', port: n.port, dialect: n.dialect },
    });
}
