import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import type { Actor } from '../../accounts/actor.js';
import type { Permission } from '../../accounts/permissions.js';
import type { CapturePacket } from '../../capture/capture-packet.js';
import { applySourceResult } from '../../discovery/apply-source-result.js';
import { CaptureAnalyzer } from '../../discovery/capture-analyzer.js';
import { RECEIVING_ONLY_NOTE } from '../../discovery/receiving-only.js';
import { createSite } from '../../inventory/site-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { fixturePackets } from './fixture-packets.js';
import { LiveAnalysis, type LiveRun, mergeFindings, mergeFlows } from './live-analysis.js';

let telnet: CapturePacket[];
let hl7: CapturePacket[];
/** The Telnet/FTP/MQTT clients' half only, then the legacy host refusing a later Telnet SYN (RST). */
let oneway: CapturePacket[];
let refused: CapturePacket[];
let dicom: CapturePacket[];
beforeAll(async () => {
  telnet = await fixturePackets('07-telnet-ftp-ssh-mqtt.pcap');
  hl7 = await fixturePackets('04-hl7-mllp.pcap');
  const captures = '../../../../test/fixtures/captures';
  oneway = await fixturePackets(`${captures}/oneway-telnet-ftp-client.pcap`);
  refused = await fixturePackets(`${captures}/refused-telnet-23.pcap`);
  dicom = await fixturePackets(`${captures}/02-dicom-cleartext.pcap`);
});

/** What the database holds about discovery, in a form two databases can be compared by. */
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
    .select(['i.value as ip', 's.port', 's.transport', 's.protocol', 's.product', 's.encrypted'])
    .execute();
  const devices = await vdb.db.selectFrom('devices').select(['id', 'site_id']).execute();
  const sort = (rows: object[]) => rows.map((r) => JSON.stringify(r)).sort();
  return {
    findings: sort(findings.map((f) => ({ ...f, occurrences: Number(f.occurrences) }))),
    services: sort(services.map((s) => ({ ...s, port: Number(s.port) }))),
    devices: devices.length,
  };
}

async function oneShot(vdb: VigilDatabase, packets: CapturePacket[][]): Promise<void> {
  const a = new CaptureAnalyzer('whole');
  for (const ps of packets) for (const p of ps) a.packet(p);
  await applySourceResult(vdb, cliActor, a.finish(), { kind: 'capture', file: 'whole' });
}

/** Live analysis of `packets` on eth0, flushed every `every` packets and at the end; keeps each detection run. */
async function sliced(h: VigilDatabase, packets: CapturePacket[], every: number) {
  const runs: LiveRun[] = [];
  const sut = new LiveAnalysis({
    h,
    actor: cliActor,
    label: 'eth0',
    evidenceSource: 'live',
    afterApply: async (r) => {
      runs.push(r);
      return { alerts: 0 };
    },
  });
  sut.beginStream('eth0');
  let i = 0;
  for (const p of packets) {
    sut.packet(p);
    if (++i % every === 0) await sut.flush();
  }
  await sut.flush({ final: true });
  return { sut, runs };
}

describe.each(DIALECTS)('LiveAnalysis on %s', (dialect) => {
  const dbs: VigilDatabase[] = [];
  const fresh = async () => {
    const vdb = await freshDatabase(dialect);
    dbs.push(vdb);
    return vdb;
  };
  afterEach(async () => {
    for (const d of dbs.splice(0)) await d.close();
  });

  it('stores a capture flushed in many slices exactly as one import of it (no double counts)', {
    timeout: 60_000,
  }, async () => {
    const live = await fresh();
    const { sut, runs } = await sliced(live, [...telnet, ...hl7], 25);
    const whole = await fresh();
    await oneShot(whole, [telnet, hl7]);
    const got = await stored(live);
    expect(got.findings.length).toBeGreaterThan(3);
    expect(got).toEqual(await stored(whole));

    const st = sut.status();
    expect(st).toMatchObject({ packets: telnet.length + hl7.length, flushes: 9, failedFlushes: 0 });
    expect(st.devices).toBe(got.devices);
    // Every stored slice went to the detection hook as a live run, with the report of its import.
    expect(runs.length).toBeGreaterThan(1);
    expect(runs.every((r) => r.kind === 'live' && r.file === 'eth0' && r.report.importId)).toBe(true);
    expect(st.lastFlush).toMatchObject({ stored: true, detection: { alerts: 0 } });
    const evidence = await live.db.selectFrom('findings').select('evidence').executeTakeFirstOrThrow();
    expect(JSON.parse(evidence.evidence)).toMatchObject({ source: 'live', file: 'eth0' });
  });

  it('keeps a slice that could not be stored and stores it with the next one, counting nothing twice', {
    timeout: 60_000,
  }, async () => {
    const live = await fresh();
    const permissions = new Set<Permission>();
    const actor: Actor = { ...cliActor, permissions };
    const warnings: string[] = [];
    const sut = new LiveAnalysis({
      h: live,
      actor,
      label: 'stdin',
      evidenceSource: 'capture',
      onWarning: (m) => warnings.push(m),
    });
    const done: string[] = [];
    for (const p of telnet.slice(0, 90)) sut.packet(p);
    sut.afterApplied(async () => {
      done.push('first');
    });
    const failed = await sut.flush();
    expect(failed.stored).toBe(false);
    expect(failed.error).toMatch(/permission/);
    expect(warnings[0]).toMatch(/flush failed, will retry/);
    expect(done).toEqual([]); // not stored, so not done
    for (const p of telnet.slice(90)) sut.packet(p);
    for (const p of cliActor.permissions) permissions.add(p);
    expect((await sut.flush({ final: true })).stored).toBe(true);
    expect(done).toEqual(['first']);
    expect(sut.status()).toMatchObject({ failedFlushes: 1 });
    const whole = await fresh();
    await oneShot(whole, [telnet]);
    expect(await stored(live)).toEqual(await stored(whole));
  });

  it('a final flush that cannot store throws (the CLI exits non-zero)', { timeout: 60_000 }, async () => {
    const live = await fresh();
    const sut = new LiveAnalysis({
      h: live,
      actor: { ...cliActor, permissions: new Set() },
      label: 'stdin',
      evidenceSource: 'capture',
    });
    for (const p of telnet) sut.packet(p);
    await expect(sut.flush({ final: true })).rejects.toThrow(/permission/);
  });

  it('an empty flush stores nothing but still releases what waits for it', { timeout: 60_000 }, async () => {
    const live = await fresh();
    const sut = new LiveAnalysis({ h: live, actor: cliActor, label: 'stdin', evidenceSource: 'capture' });
    let released = false;
    sut.afterApplied(async () => {
      released = true;
    });
    const r = await sut.flush();
    expect(r).toMatchObject({ stored: false, importId: null });
    expect(released).toBe(true);
    expect(await live.db.selectFrom('source_imports').select('id').execute()).toEqual([]);
  });

  it('places devices found without a site in the sensor site, and leaves a chosen site alone', {
    timeout: 60_000,
  }, async () => {
    const live = await fresh();
    const north = await createSite(live, cliActor, { name: 'North Campus' });
    const south = await createSite(live, cliActor, { name: 'South Clinic' });
    const first = new LiveAnalysis({
      h: live,
      actor: cliActor,
      label: 'eth1',
      evidenceSource: 'live',
      siteId: south.id,
    });
    for (const p of hl7) first.packet(p);
    await first.flush({ final: true });
    const sut = new LiveAnalysis({
      h: live,
      actor: cliActor,
      label: 'eth0',
      evidenceSource: 'live',
      siteId: north.id,
    });
    for (const p of telnet) sut.packet(p);
    await sut.flush({ final: true });
    const sites = (await live.db.selectFrom('devices').select('site_id').execute()).map((d) => d.site_id);
    expect(sites.length).toBeGreaterThan(2);
    expect(sites.every((s) => s === north.id || s === south.id)).toBe(true);
    expect(sites.filter((s) => s === south.id).length).toBeGreaterThan(0);
    const audit = await live.db
      .selectFrom('audit_log')
      .select('action')
      .where('action', '=', 'sensor.devices-sited')
      .execute();
    expect(audit.length).toBe(2);
  });

  it('withdraws a listener seen only receiving once a later slice shows the server refusing its port', {
    timeout: 60_000,
  }, async () => {
    const live = await fresh();
    const sut = new LiveAnalysis({ h: live, actor: cliActor, label: 'eth0', evidenceSource: 'live' });
    sut.beginStream('eth0');
    // The later SYN ends the one-sided connections (idle for days), so this slice records the listener;
    // the server's RST to that SYN falls in the next slice.
    const [syn, rst] = refused as [CapturePacket, CapturePacket];
    for (const p of [...oneway, syn]) sut.packet(p);
    await sut.flush();
    const telnetService = (rows: Awaited<ReturnType<typeof stored>>) =>
      rows.services.filter((s) => s.includes('"ip":"10.20.0.40"') && s.includes('"port":23,'));
    expect(telnetService(await stored(live))).toHaveLength(1);
    sut.packet(rst);
    await sut.flush({ final: true });

    const whole = await fresh();
    await oneShot(whole, [oneway, refused]);
    const got = await stored(live);
    expect(telnetService(got)).toEqual([]);
    expect(got.services).toEqual((await stored(whole)).services);
    // What the whole capture never asserted is no longer asserted live; the history stays readable.
    const open = async (vdb: VigilDatabase) =>
      (await vdb.db.selectFrom('findings').select(['type', 'subject']).where('state', '=', 'open').execute())
        .map((f) => `${f.type} ${f.subject}`)
        .sort();
    expect(await open(live)).toEqual(await open(whole));
    // The login typed in cleartext stands on the client's own bytes, not on the listener: it stays.
    expect(await open(live)).toContain('cleartext-credentials telnet:23');
    // The listener's protocol row goes with it: the host never spoke Telnet in the whole capture.
    const protocols = async (vdb: VigilDatabase) =>
      (
        await vdb.db
          .selectFrom('device_protocols as p')
          .innerJoin('device_identifiers as i', (j) =>
            j.onRef('i.device_id', '=', 'p.device_id').on('i.kind', '=', 'ip'),
          )
          .select(['i.value as ip', 'p.protocol'])
          .execute()
      )
        .map((r) => `${r.ip} ${r.protocol}`)
        .sort();
    expect(await protocols(live)).not.toContain('10.20.0.40 telnet');
    expect(await protocols(live)).toEqual(await protocols(whole));
    const withdrawn = await live.db
      .selectFrom('findings')
      .selectAll()
      .where('type', '=', 'insecure-protocol')
      .where('subject', '=', 'telnet:23')
      .executeTakeFirstOrThrow();
    expect(withdrawn.state).toBe('resolved');
    expect(JSON.parse(withdrawn.evidence).summary).toContain(RECEIVING_ONLY_NOTE);
    expect(JSON.parse(withdrawn.last_evidence).summary).toMatch(/refused/);
    const audit = await live.db.selectFrom('audit_log').select('summary').execute();
    expect(audit.map((a) => a.summary).join('\n')).toMatch(/withdrawnServices/);
  });

  it('a server stored by its address while seen only receiving, then sending with its MAC, is one device', {
    timeout: 60_000,
  }, async () => {
    const identities = async (vdb: VigilDatabase) => {
      const ids = await vdb.db
        .selectFrom('device_identifiers')
        .select(['device_id', 'kind', 'value'])
        .execute();
      const byDevice = new Map<string, string[]>();
      for (const i of ids)
        byDevice.set(i.device_id, [...(byDevice.get(i.device_id) ?? []), `${i.kind} ${i.value}`]);
      return [...byDevice.values()].map((v) => v.sort().join(', ')).sort();
    };
    const [syn, rst] = refused as [CapturePacket, CapturePacket];
    const live = await fresh();
    const sut = new LiveAnalysis({ h: live, actor: cliActor, label: 'eth0', evidenceSource: 'live' });
    sut.beginStream('eth0');
    for (const p of [...oneway, syn]) sut.packet(p);
    await sut.flush();
    // The first slice knows the legacy host by its address alone: it never sent a packet.
    expect(await identities(live)).toContain('ip 10.20.0.40');
    sut.packet(rst); // its RST-ACK, from its MAC
    await sut.flush({ final: true });

    const whole = await fresh();
    await oneShot(whole, [oneway, refused]);
    const got = await identities(live);
    expect(got).toContain('ip 10.20.0.40, mac 00:a0:aa:5b:00:40');
    expect(got).toEqual(await identities(whole));
    expect(sut.status().devices).toBe(got.length);
    expect((await stored(live)).services).toEqual((await stored(whole)).services);

    // Another run's address-only record is not this run's: a MAC seen there later is another device.
    const later = await fresh();
    const first = new LiveAnalysis({ h: later, actor: cliActor, label: 'eth0', evidenceSource: 'live' });
    for (const p of [...oneway, syn]) first.packet(p);
    await first.flush({ final: true });
    const second = new LiveAnalysis({ h: later, actor: cliActor, label: 'eth0', evidenceSource: 'live' });
    second.packet(rst);
    await second.flush({ final: true });
    const ids = await identities(later);
    expect(ids).toContain('ip 10.20.0.40');
    expect(ids).toContain('ip 10.20.0.40, mac 00:a0:aa:5b:00:40');
  });

  it('hands each DICOM association to the detection hook with its slice, as one import of it would', {
    timeout: 60_000,
  }, async () => {
    // dicom-unknown-ae judges each association's AE title pair; without them it falls back to pooling a
    // peer's titles per host, which pairs titles that were never used together.
    const { runs } = await sliced(await fresh(), dicom, 40);
    const whole = new CaptureAnalyzer('whole');
    for (const p of dicom) whole.packet(p);
    const pair = (a: { callingAeTitle: string | null; calledAeTitle: string | null }) =>
      `${a.callingAeTitle} -> ${a.calledAeTitle}`;
    const expected = (whole.finish().dicomAssociations ?? []).map(pair).sort();
    expect(expected.length).toBeGreaterThan(3);
    expect(
      runs
        .flatMap((r) => r.result.dicomAssociations ?? [])
        .map(pair)
        .sort(),
    ).toEqual(expected);
  });

  it('a detection hook that fails is reported and does not undo the slice', { timeout: 60_000 }, async () => {
    const live = await fresh();
    const warnings: string[] = [];
    const sut = new LiveAnalysis({
      h: live,
      actor: cliActor,
      label: 'eth0',
      evidenceSource: 'live',
      afterApply: async () => {
        throw new Error('rule engine down');
      },
      onWarning: (m) => warnings.push(m),
    });
    for (const p of telnet) sut.packet(p);
    const r = await sut.flush({ final: true });
    expect(r.stored).toBe(true);
    expect(warnings).toEqual(['detection failed: rule engine down']);
  });
});

describe('merging slices that could not be stored', () => {
  const ev = (time: string) => ({ source: 'live' as const, file: 'eth0', time, summary: 's' });
  it('adds occurrences and keeps the first and the last evidence', () => {
    const f = (time: string, occurrences?: number) => ({
      type: 'insecure-protocol' as const,
      host: { ip: '10.0.0.5' },
      subject: 'telnet:23',
      evidence: ev(time),
      details: {},
      ...(occurrences ? { occurrences } : {}),
    });
    const [m, ...rest] = mergeFindings(
      [f('2026-01-01T00:00:05Z', 3)],
      [f('2026-01-01T00:00:01Z'), f('2026-01-01T00:00:09Z')],
    );
    expect(rest).toEqual([]);
    expect(m).toMatchObject({
      occurrences: 5,
      evidence: { time: '2026-01-01T00:00:01Z' },
      lastEvidence: { time: '2026-01-01T00:00:09Z' },
    });
  });
  it('adds conversation counters and widens the time span', () => {
    const flow = (first: string, last: string, established: boolean) => ({
      client: '10.0.0.1',
      server: '10.0.0.2',
      port: 104,
      transport: 'tcp' as const,
      protocol: null,
      connections: 1,
      packets: 10,
      bytes: 100,
      firstSeen: first,
      lastSeen: last,
      established,
      evidence: ev(first),
    });
    expect(mergeFlows([flow('b', 'c', false)], [flow('a', 'b', true)])).toEqual([
      { ...flow('b', 'c', true), connections: 2, packets: 20, bytes: 200, firstSeen: 'a', lastSeen: 'c' },
    ]);
  });
});
