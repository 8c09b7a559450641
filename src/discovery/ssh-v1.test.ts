/**
 * `insecure-protocol` `ssh-v1:PORT` for an SSH server whose identification says it accepts SSH protocol 1
 * (`SSH-1.99-`, RFC 4253 §5.1), on Zeek's public test traces (test/fixtures/captures/PROVENANCE.md;
 * tshark `-Y ssh.protocol`).
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeCapture } from './capture-analyzer.js';

const fixture = (name: string) => join(import.meta.dirname, '../../test/fixtures/captures', name);

describe('SSH protocol 1 on a server', () => {
  it('single-conn: frame 4, SSH-1.99-OpenSSH_3.9p1 from 131.159.14.23:22', async () => {
    const r = await analyzeCapture(fixture('zeek-ssh-single-conn.pcap'), { file: 'single-conn.pcap' });
    const f = r.findings.filter((x) => x.subject.startsWith('ssh-v1:'));
    expect(f.map((x) => [x.type, x.host.ip, x.subject, x.evidence.packet])).toEqual([
      ['insecure-protocol', '131.159.14.23', 'ssh-v1:22', 4],
    ]);
    expect(f[0]!.details).toEqual({ protocol: 'ssh', port: 22, protoVersion: '1.99' });
  });

  it("ssh_version_199: the client's SSH-1.99 to an SSH-2.0 server raises nothing", async () => {
    const r = await analyzeCapture(fixture('zeek-ssh-version-199.pcap'), { file: 'ssh_version_199.pcap' });
    expect(r.findings.filter((x) => x.subject.startsWith('ssh-v1:'))).toEqual([]);
  });
});
