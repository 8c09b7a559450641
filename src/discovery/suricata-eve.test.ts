import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../test/dialects.js';
import { cliActor } from '../../test/factories.js';
import { listAudit } from '../audit/audit-log.js';
import { showDevice } from '../inventory/inventory-service.js';
import type { VigilDatabase } from '../store/database.js';
import { applySourceResult } from './apply-source-result.js';
import type { FindingObservation, HostObservation, SourceResult } from './host-observation.js';
import { analyzeEve, analyzeEvePath, rfc4514 } from './suricata-eve.js';

// Real Suricata 7.0.10 output over the shared hospital-LAN captures (see fixtures/PROVENANCE.md).
const path = fileURLToPath(new URL('../formats/suricata/fixtures/eve.json', import.meta.url));

const host = (r: SourceResult, ip: string): HostObservation => {
  const h = r.hosts.find((x) => x.ips.includes(ip));
  if (!h) throw new Error(`no host ${ip}`);
  return h;
};
const finding = (r: SourceResult, type: FindingObservation['type'], subject: string) =>
  r.findings.find((f) => f.type === type && f.subject === subject);

describe('Suricata EVE as a discovery source', async () => {
  const r = await analyzeEvePath(path);

  it('reads the file and says what it skipped', () => {
    expect(r.issues).toEqual([]);
    expect(r.stats.logs).toEqual([
      expect.objectContaining({ file: 'eve.json', lines: 102, records: 99, skipped: { ssh: 2, stats: 1 } }),
    ]);
  });

  it('dhcp: the CT and the ECG by MAC, leased address and host name', () => {
    const ct = host(r, '10.20.0.21');
    expect(ct.macs).toEqual(['44:4b:5d:c7:21:01']);
    expect(ct.hostnames).toContain('ct-rhapsode-01');
    expect(ct.hints).toContainEqual(
      expect.objectContaining({ kind: 'dhcp.hostname', value: 'CT-RHAPSODE-01' }),
    );
    expect(host(r, '10.20.0.23').macs).toEqual(['00:0f:82:ec:60:23']);
    expect(host(r, '10.20.0.1').services).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ port: 53, transport: 'udp', protocol: 'dns' }),
        expect.objectContaining({ port: 67, transport: 'udp', protocol: 'dhcp' }),
      ]),
    );
  });

  it('dns: names of addresses, CNAME targets under their own name, IPv6 canonical', () => {
    expect(host(r, '10.20.0.10').hostnames).toContain('pacs.sgh.example');
    expect(host(r, '10.20.0.11').hostnames).toContain('orthanc.sgh.example');
    expect(host(r, '10.20.0.11').hostnames).not.toContain('worklist.sgh.example');
  });

  it('flow: the legacy device’s listening services, Telnet and FTP as findings', () => {
    const legacy = host(r, '10.20.0.40');
    expect(legacy.services.map((s) => `${s.port}/${s.transport} ${s.protocol}`)).toEqual([
      '21/tcp ftp',
      '22/tcp ssh',
      '23/tcp telnet',
      '1883/tcp mqtt',
      '30002/tcp ftp-data',
    ]);
    expect(finding(r, 'insecure-protocol', 'telnet:23')).toMatchObject({
      host: { ip: '10.20.0.40' },
      evidence: { source: 'log', file: 'eve.json', connection: expect.stringContaining('10.20.0.40:23') },
    });
    expect(finding(r, 'insecure-protocol', 'ftp:21')).toBeDefined();
  });

  it('flow: folded conversations (numbers as in the EVE flow event)', () => {
    expect(r.flows?.find((f) => f.server === '10.20.0.40' && f.port === 23)).toMatchObject({
      client: '10.20.0.50',
      transport: 'tcp',
      protocol: 'telnet',
      connections: 1,
      packets: 18 + 14,
      bytes: 1359 + 1074,
      established: true,
      firstSeen: '2026-11-28T23:55:20.401Z',
    });
  });

  it('tls: TLS 1.0 on 4433 is weak-tls; self-signed certificates; SNI and subject hints', () => {
    expect(finding(r, 'weak-tls', 'tls:4433:TLSv1.0')).toMatchObject({
      host: { ip: '10.20.0.30' },
      details: { protocol: 'tls', port: 4433, version: 'TLS 1.0' },
      evidence: { packet: 50 },
    });
    expect(finding(r, 'certificate-problem', 'cert:8443')?.details).toMatchObject({
      problems: ['self-signed'],
    });
    const web = host(r, '10.20.0.30');
    expect(web.hints).toContainEqual(expect.objectContaining({ kind: 'tls.sni', value: 'pacs.sgh.example' }));
    expect(web.hints).toContainEqual(
      expect.objectContaining({
        kind: 'tls.certSubject',
        value: 'CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital',
      }),
    );
    // TLS 1.3 on 443 and 2762 is not weak.
    expect(r.findings.filter((f) => f.type === 'weak-tls')).toHaveLength(1);
  });

  it('http: User-Agent hints and the Orthanc patient query in cleartext, without its query string', () => {
    expect(host(r, '10.20.0.50').hints).toContainEqual(
      expect.objectContaining({
        kind: 'http.userAgent',
        value: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) SGH-Workstation',
      }),
    );
    expect(finding(r, 'cleartext-phi', 'http:8042')).toMatchObject({
      host: { ip: '10.20.0.11' },
      details: { protocol: 'http', port: 8042, path: '/patients' },
    });
    expect(JSON.stringify(r)).not.toContain('?expand');
    expect(host(r, 'fd00:20::30').services).toContainEqual(
      expect.objectContaining({ port: 80, protocol: 'http' }),
    );
  });

  it('alert: signatures are hints on the targeted host', () => {
    expect(host(r, '10.20.0.40').hints).toContainEqual(
      expect.objectContaining({
        kind: 'suricata.alert',
        value: '9000001 VIGIL-TEST Telnet connection to port 23',
      }),
    );
  });
});

describe('bad EVE lines', () => {
  it('are reported with file and line; the other events still count', async () => {
    const lines = readFileSync(path, 'utf8').split('\n');
    lines[0] = lines[0]!.slice(0, 60);
    async function* src() {
      yield* lines;
    }
    const r = await analyzeEve([{ file: 'eve.json', lines: src() }]);
    expect(r.issues).toEqual([{ file: 'eve.json', line: 1, reason: expect.stringMatching(/^not JSON/) }]);
    // The CT's DHCP ACK was line 1; the ECG's (line 2) still gives its lease.
    expect(host(r, '10.20.0.23').macs).toEqual(['00:0f:82:ec:60:23']);
    expect(r.hosts.some((h) => h.macs.includes('44:4b:5d:c7:21:01'))).toBe(false);
  });
});

describe('rfc4514', () => {
  it('turns OpenSSL one-line order into RFC 4514 order', () => {
    expect(rfc4514('O=Springfield General Hospital, OU=Radiology, CN=pacs.sgh.example')).toBe(
      'CN=pacs.sgh.example,OU=Radiology,O=Springfield General Hospital',
    );
    expect(rfc4514('CN=a, b')).toBe('CN=a, b');
  });
});

describe.each(DIALECTS)('EVE into the inventory on %s', (dialect) => {
  let vdb: VigilDatabase;
  afterEach(async () => vdb?.close());

  it('stages the devices with services and findings, recorded as an eve import', async () => {
    vdb = await freshDatabase(dialect);
    const r = await analyzeEvePath(path);
    const report = await applySourceResult(vdb, cliActor, r, {
      kind: 'eve',
      file: 'eve.json',
      stats: r.stats,
    });
    expect(report.unresolved).toEqual([]);
    const ct = await showDevice(vdb, cliActor, '44:4b:5d:c7:21:01');
    expect(ct).toMatchObject({
      state: 'staged',
      ips: ['10.20.0.21'],
      hostnames: ['ct-rhapsode-01', 'ct-rhapsode-01.sgh.example'],
    });
    const services = await vdb.db
      .selectFrom('device_services')
      .select(['port', 'transport', 'protocol', 'source'])
      .where('port', '=', 23)
      .execute();
    expect(services).toEqual([{ port: 23, transport: 'tcp', protocol: 'telnet', source: 'capture' }]);
    const findings = await vdb.db.selectFrom('findings').select(['type', 'subject']).execute();
    expect(findings).toContainEqual({ type: 'weak-tls', subject: 'tls:4433:TLSv1.0' });
    const [imp] = await vdb.db.selectFrom('source_imports').selectAll().execute();
    expect(imp).toMatchObject({ kind: 'eve', file: 'eve.json', status: 'done' });
    expect(JSON.parse(imp!.stats).logs[0]).toMatchObject({ file: 'eve.json', records: 99 });
    const [audit] = await listAudit(vdb, { action: 'eve.import' });
    expect(audit?.summary).toMatchObject({ file: 'eve.json' });
  });
});
