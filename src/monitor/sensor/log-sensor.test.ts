/**
 * `LogSensor` on every dialect: real Zeek logs (src/formats/zeek/fixtures, see its PROVENANCE.md) written
 * into a temporary directory in steps, as Zeek writes them: lines appended, a partial last line completed
 * later, conn.log rotated (renamed, a new file started), a restart against the same database in the middle
 * of a TSV log, and one malformed line. What the flushes store must equal one import of the same logs.
 *
 * The btest ssl.log and x509.log mask `ts` and start with btest's own `###` banner line: this test puts a
 * time back (1500000000) and leaves the banner out, so that the reference import's sniffing accepts them.
 */
import { appendFileSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import { applySourceResult } from '../../discovery/apply-source-result.js';
import { analyzeZeekPath } from '../../discovery/zeek-logs.js';
import type { VigilDatabase } from '../../store/database.js';
import type { LiveRun } from './live-analysis.js';
import { DbLogPositionState, LogSensor, logSensorStateKey } from './log-sensor.js';

const FIXTURES = join(import.meta.dirname, '../../formats/zeek/fixtures');
const lines = (set: string, file: string) => {
  const all = readFileSync(join(FIXTURES, set, file), 'utf8').split('\n');
  if (all.at(-1) === '') all.pop();
  return all;
};
const btest = (file: string) =>
  lines('btest-tls-1.2', file)
    .filter((l) => !l.startsWith('###'))
    .map((l) => l.replaceAll('XXXXXXXXXX.XXXXXX', '1500000000.000000'));
const text = (ls: string[]) => ls.map((l) => `${l}\n`).join('');

const conn = lines('rita-proxy', 'conn.log'); // 8 header lines, 20 rows, #close
const connHeader = conn.slice(0, 8);
const connRows = conn.slice(8, 28);
const dns = lines('rita-json', 'dns.log');
const BAD = '{"ts": 1517336060.0, "uid": "broken';

/** The reference: the same logs as whole files, imported once. */
function referenceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-ref-'));
  writeFileSync(join(dir, 'conn.log'), text(conn));
  writeFileSync(join(dir, 'dns.log'), text([...dns.slice(0, 6), BAD, ...dns.slice(6)]));
  writeFileSync(join(dir, 'http.log'), text(lines('rita-json', 'http.log')));
  writeFileSync(join(dir, 'dhcp.log'), text(lines('rita-proxy', 'dhcp.log')));
  writeFileSync(join(dir, 'software.log'), text(lines('rita-proxy', 'software.log')));
  writeFileSync(join(dir, 'notice.log'), text(lines('wrccdc2018', 'notice.log')));
  writeFileSync(join(dir, 'ftp.log'), text(lines('wrccdc2018', 'ftp.log')));
  writeFileSync(join(dir, 'json_streaming_ssh.log'), text(lines('wrccdc2018', 'ssh.json')));
  writeFileSync(join(dir, 'snmp.log'), text(lines('wrccdc2018', 'snmp.log')));
  writeFileSync(join(dir, 'ssl.log'), text(btest('ssl.log')));
  writeFileSync(join(dir, 'x509.log'), text(btest('x509.log')));
  return dir;
}

async function stored(vdb: VigilDatabase) {
  const findings = await vdb.db
    .selectFrom('findings')
    .innerJoin('device_identifiers as i', (j) =>
      j.onRef('i.device_id', '=', 'findings.device_id').on('i.kind', '=', 'ip'),
    )
    .select(['findings.type', 'findings.subject', 'findings.occurrences', 'i.value as ip'])
    .execute();
  const services = await vdb.db
    .selectFrom('device_services as s')
    .innerJoin('device_identifiers as i', (j) =>
      j.onRef('i.device_id', '=', 's.device_id').on('i.kind', '=', 'ip'),
    )
    .select(['i.value as ip', 's.port', 's.transport', 's.protocol', 's.encrypted'])
    .execute();
  const devices = await vdb.db.selectFrom('devices').select('id').execute();
  const sort = (rows: object[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    findings: sort(findings.map((f) => ({ ...f, occurrences: Number(f.occurrences) }))),
    services: sort(services.map((s) => ({ ...s, port: Number(s.port) }))),
    devices: devices.length,
  };
}

/** Conversations as stored, comparable between two databases. */
async function flowsOf(h: VigilDatabase) {
  return (
    await h.db
      .selectFrom('communications')
      .select(['client_ip', 'server_ip', 'port', 'transport', 'connections', 'packets', 'bytes'])
      .execute()
  )
    .map((r) =>
      JSON.stringify({
        ...r,
        port: Number(r.port),
        connections: Number(r.connections),
        packets: Number(r.packets),
        bytes: Number(r.bytes),
      }),
    )
    .sort();
}

describe.each(DIALECTS)('LogSensor --zeek-dir on %s', (dialect) => {
  const dbs: VigilDatabase[] = [];
  const fresh = async () => {
    const vdb = await freshDatabase(dialect);
    dbs.push(vdb);
    return vdb;
  };
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.close();
  });

  it('stores growing, rotated logs across flushes and a restart exactly as one import of them', {
    timeout: 120_000,
  }, async () => {
    const vdb = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-live-'));
    const warnings: string[] = [];
    const runs: LiveRun[] = [];
    const make = () =>
      new LogSensor({
        h: vdb,
        actor: cliActor,
        kind: 'zeek',
        path: dir,
        onWarning: (m) => warnings.push(m),
        afterApply: async (r) => {
          runs.push(r);
          return { ok: true };
        },
      });
    let sut = make();

    // Step 1: conn.log starts, dns.log ends in half a line, ssl.log without its certificates yet.
    writeFileSync(join(dir, 'conn.log'), text([...connHeader, ...connRows.slice(0, 8)]));
    const partial = dns[8]!.slice(0, 40);
    writeFileSync(join(dir, 'dns.log'), text([...dns.slice(0, 6), BAD, ...dns.slice(6, 8)]) + partial);
    writeFileSync(join(dir, 'ssl.log'), text(btest('ssl.log')));
    writeFileSync(join(dir, 'http.log'), text(lines('rita-json', 'http.log')));
    expect(await sut.poll()).toBeGreaterThan(0);
    const first = await sut.flush();
    expect(first).toMatchObject({ stored: true });
    expect(warnings).toEqual([expect.stringMatching(/^dns\.log, line 7: .*\(skipped\)$/)]);
    // The half line is not read: the dns.log position stops before it.
    const p1 = sut.positions();
    expect(p1['dns.log']).toMatchObject({ line: 9 });
    expect(p1['dns.log']!.offset).toBe(
      Buffer.byteLength(text([...dns.slice(0, 6), BAD, ...dns.slice(6, 8)])),
    );

    // Step 2: the half line completed, more rows, then Zeek rotates conn.log (rename, new file) before the
    // sensor looks again; x509.log brings the certificate ssl.log pointed at.
    appendFileSync(join(dir, 'dns.log'), `${dns[8]!.slice(40)}\n${text(dns.slice(9))}`);
    appendFileSync(join(dir, 'conn.log'), text(connRows.slice(8, 14)));
    renameSync(join(dir, 'conn.log'), join(dir, 'conn.2023-01-05-18-00-00.log'));
    writeFileSync(join(dir, 'conn.log'), text([...connHeader, ...connRows.slice(14, 16)]));
    writeFileSync(join(dir, 'x509.log'), text(btest('x509.log')));
    expect(await sut.poll()).toBeGreaterThan(0);
    await sut.flush();
    expect(sut.status().input.rotations).toBe(1);
    await sut.flush({ final: true });
    await sut.close();

    // Restart while conn.log (TSV) is half read; it grows and new logs appear before the new run starts.
    appendFileSync(join(dir, 'conn.log'), text(conn.slice(24)));
    writeFileSync(join(dir, 'dhcp.log'), text(lines('rita-proxy', 'dhcp.log')));
    writeFileSync(join(dir, 'software.log'), text(lines('rita-proxy', 'software.log')));
    writeFileSync(join(dir, 'notice.log'), text(lines('wrccdc2018', 'notice.log')));
    writeFileSync(join(dir, 'ftp.log'), text(lines('wrccdc2018', 'ftp.log')));
    writeFileSync(join(dir, 'json_streaming_ssh.log'), text(lines('wrccdc2018', 'ssh.json')));
    writeFileSync(join(dir, 'snmp.log'), text(lines('wrccdc2018', 'snmp.log')));
    sut = make();
    await sut.poll();
    await sut.flush({ final: true });
    await sut.close();
    // A TSV log resumed past its header is still understood: no issue beyond the one bad line.
    expect(warnings).toHaveLength(1);

    const reference = await fresh();
    const whole = await analyzeZeekPath(referenceDir());
    expect(whole.issues).toHaveLength(1);
    await applySourceResult(reference, cliActor, whole, { kind: 'zeek', file: 'ref' });
    const got = await stored(vdb);
    expect(got.findings.length).toBeGreaterThanOrEqual(4);
    expect(got.findings.join('\n')).toMatch(/certificate-problem/);
    // ftp.log, ssh.log (json-streaming name) and snmp.log are followed too.
    expect(got.findings.join('\n')).toMatch(/"cleartext-credentials","subject":"ftp:21"/);
    expect(got.findings.join('\n')).toMatch(/"cleartext-credentials","subject":"snmp:161"/);
    expect(got.services.join('\n')).toMatch(/"port":22,"transport":"tcp","protocol":"ssh"/);
    expect(got).toEqual(await stored(reference));
    expect(await flowsOf(vdb)).toEqual(await flowsOf(reference));
    expect(runs.every((r) => r.kind === 'zeek' && r.file === dir)).toBe(true);

    // Nothing new: a third run reads nothing and stores nothing.
    const imports = await vdb.db.selectFrom('source_imports').select('id').execute();
    const third = make();
    expect(await third.poll()).toBe(0);
    expect(await third.flush({ final: true })).toMatchObject({ stored: false });
    await third.close();
    expect(await vdb.db.selectFrom('source_imports').select('id').execute()).toHaveLength(imports.length);
    expect(await stored(vdb)).toEqual(got);
  });

  it('finishes a log rotated away while the sensor was down, found by its inode, before its successor', {
    timeout: 60_000,
  }, async () => {
    const vdb = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-down-'));
    const warnings: string[] = [];
    const make = () =>
      new LogSensor({ h: vdb, actor: cliActor, kind: 'zeek', path: dir, onWarning: (m) => warnings.push(m) });
    writeFileSync(join(dir, 'conn.log'), text([...connHeader, ...connRows.slice(0, 8)]));
    let sut = make();
    expect(await sut.poll()).toBe(16);
    await sut.flush({ final: true });
    await sut.close();
    // Down: Zeek writes more, rotates, and starts a new conn.log.
    appendFileSync(join(dir, 'conn.log'), text(connRows.slice(8, 14)));
    renameSync(join(dir, 'conn.log'), join(dir, 'conn.2023-01-05-18-00-00.log'));
    writeFileSync(join(dir, 'conn.log'), text([...connHeader, ...connRows.slice(14), conn.at(-1)!]));
    sut = make();
    // 6 rows left in the rotated file, then the new file whole (8 header lines, 6 rows, #close).
    expect(await sut.poll()).toBe(6 + 15);
    await sut.flush({ final: true });
    await sut.close();
    expect(warnings).toEqual([]);

    const dirRef = mkdtempSync(join(tmpdir(), 'vigil-zeek-ref-conn-'));
    writeFileSync(join(dirRef, 'conn.log'), text(conn));
    const reference = await fresh();
    await applySourceResult(reference, cliActor, await analyzeZeekPath(dirRef), {
      kind: 'zeek',
      file: 'ref',
    });
    expect(await stored(vdb)).toEqual(await stored(reference));
    // Conversations add up across flushes and files to what one import counts.
    const liveFlows = await flowsOf(vdb);
    expect(liveFlows.length).toBeGreaterThan(2);
    expect(liveFlows).toEqual(await flowsOf(reference));
  });

  it('warns once for a #fields header that is not UTF-8, not once per row, and again on resuming past it', {
    timeout: 60_000,
  }, async () => {
    const vdb = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-bad-header-'));
    const warnings: string[] = [];
    const make = () =>
      new LogSensor({ h: vdb, actor: cliActor, kind: 'zeek', path: dir, onWarning: (m) => warnings.push(m) });
    // The real conn.log header with the "u" of "uid" in its #fields line (line 7) replaced by 0xE9.
    const header = Buffer.from(text(connHeader));
    header[header.indexOf('\tuid\t') + 1] = 0xe9;
    writeFileSync(join(dir, 'conn.log'), Buffer.concat([header, Buffer.from(text(connRows.slice(0, 8)))]));
    const reason =
      "conn.log, line 7: the #fields header line is not valid UTF-8 (byte 0xE9 at offset 11 of the line): the log's data lines under it are not read (skipped)";
    let sut = make();
    expect(await sut.poll()).toBe(16);
    await sut.flush({ final: true });
    expect(sut.status().readerIssues).toBe(1);
    await sut.close();
    expect(warnings).toEqual([reason]);
    // Restarted past the header, the header read again is still damaged: its rows are not read against it.
    appendFileSync(join(dir, 'conn.log'), text(connRows.slice(8, 14)));
    sut = make();
    expect(await sut.poll()).toBe(6);
    await sut.flush({ final: true });
    await sut.close();
    expect(warnings).toEqual([reason, reason]);
    expect(await vdb.db.selectFrom('communications').select('id').execute()).toEqual([]);
  });

  it('remembers positions in a settings row, audited', async () => {
    const vdb = await fresh();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-zeek-state-'));
    const state = new DbLogPositionState(vdb, cliActor, 'zeek', dir);
    await state.save({ 'conn.log': { offset: 10, line: 1, ino: 42 } });
    expect(await state.load()).toEqual({ 'conn.log': { offset: 10, line: 1, ino: 42 } });
    const row = await vdb.db
      .selectFrom('settings')
      .select('key')
      .where('key', '=', logSensorStateKey('zeek', dir))
      .execute();
    expect(row).toHaveLength(1);
    const audit = await vdb.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'sensor.log-positions')
      .execute();
    expect(audit).toHaveLength(1);
  });
});
