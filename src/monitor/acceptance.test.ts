/**
 * Monitoring acceptance (issue 6), end to end through the built binary against a temporary SQLite file
 * (the sensors as processes, the commands around them in-process with the same build):
 * a real rsyslogd (Debian `rsyslog`, started by the test on loopback, `delivery/rsyslog-harness.ts`) and a
 * webhook receiver on loopback that checks every signature are configured as alert destinations with
 * `vigil alerts destinations add`; then real captures go through the live path and the expected alerts
 * must arrive at both, parsed back field by field (RFC 5424 header and structured data, CEF):
 *
 * - standard input: `vigil sensor --read-stdin` fed test/fixtures/captures/04-hl7-mllp.pcap (cleartext
 *   HL7 with fake patients → cleartext-phi) and 07-telnet-ftp-ssh-mqtt.pcap (Telnet and FTP logins, MQTT
 *   → cleartext-credentials, insecure-protocol); the same capture again raises no new alert and delivers
 *   nothing (same ids, counts up).
 * - the capture-tool pipe: `vigil sensor --interface IF --tool tcpdump` on one end of a veth pair whose
 *   other end sits in a network namespace the test creates, where `tcpreplay` sends
 *   test/fixtures/monitor/08-nmap-scan.pcap (nmap scanning four hosts → port-scan), twice.
 *
 * The sensor runs in the host's namespace on the veth end there, because the receivers it delivers to
 * listen on the host's loopback; the traffic comes from the namespace. Needs rsyslog, rsyslog-gnutls and
 * openssl (the stdin part), and root, iproute2, tcpdump and tcpreplay (the interface part): each part is
 * skipped with a message without them, and fails when CI=true.
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../test/cli-in-process.js';
import { type WebhookReceiver, webhookReceiver } from '../../test/webhook-receiver.js';
import { parseCef } from './delivery/cef-test-parser.js';
import { parseRfc5424, sdParam } from './delivery/rfc5424-test-parser.js';
import { findRsyslogAndOpenssl } from './delivery/rsyslog-availability.js';
import { findExecutable, freePort, makeCerts, Rsyslog } from './delivery/rsyslog-harness.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/vigil.js');
const HL7 = join(root, 'test/fixtures/captures/04-hl7-mllp.pcap');
const TELNET_FTP = join(root, 'test/fixtures/captures/07-telnet-ftp-ssh-mqtt.pcap');
const NMAP = join(root, 'test/fixtures/monitor/08-nmap-scan.pcap');
const NMAP_PACKETS = 3045;
const SECRET = `acceptance-${randomBytes(16).toString('hex')}`;
const SD_ID = 'vigil@32473';

// --- what this machine has -------------------------------------------------------------------------

const tools = findRsyslogAndOpenssl();
const liveMissing = [
  process.getuid?.() === 0 ? null : 'root (network namespaces)',
  findExecutable('ip') ? null : 'ip (iproute2)',
  findExecutable('tcpdump') ? null : 'tcpdump',
  findExecutable('tcpreplay') ? null : 'tcpreplay',
].filter((m): m is string => m !== null);
if (!tools.ok) liveMissing.unshift(tools.reason);

const CI = process.env['CI'] === 'true';
if (!tools.ok && !CI)
  console.warn(
    `[vigil tests] monitoring acceptance SKIPPED: ${tools.reason} (apt-get install -y rsyslog rsyslog-gnutls openssl)`,
  );
if (tools.ok && liveMissing.length && !CI)
  console.warn(
    `[vigil tests] monitoring acceptance, capture-tool part SKIPPED: needs ${liveMissing.join(', ')} (apt-get install -y iproute2 tcpdump tcpreplay; run as root)`,
  );

// --- the binary ------------------------------------------------------------------------------------

let db = '';
const vigilEnv = () => ({ ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' });
const children: ChildProcess[] = [];

/**
 * The short commands around the sensors (destinations, test messages, alert lists) run in-process
 * (test/cli-in-process.ts: the same built CLI, without a second of start-up each); the sensors, which
 * are what this test is about, are real processes.
 */
function vigil(
  args: string[],
  input?: Buffer | string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return vigilInProcess(args, { db: `sqlite:${db}`, ...(input !== undefined ? { input } : {}) });
}

/** A running `vigil sensor --json`: its status lines collected. */
function sensor(args: string[]) {
  const child = spawn(process.execPath, [bin, 'sensor', '--json', ...args], {
    env: vigilEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: Record<string, unknown>[] = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
      lines.push(JSON.parse(buf.slice(0, i)) as Record<string, unknown>);
      buf = buf.slice(i + 1);
    }
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
  const waitFor = async (pred: (l: Record<string, unknown>) => boolean, what: string, ms = 90_000) => {
    const until = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (Date.now() > until || child.exitCode !== null)
        throw new Error(
          `no ${what} from the sensor; stderr: ${stderr}; last lines: ${JSON.stringify(lines.slice(-3))}`,
        );
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, lines, exited, waitFor, stderr: () => stderr };
}

/** `vigil sensor --read-stdin` over one whole capture, to its end. */
async function sensorStdin(capture: string) {
  const s = sensor(['--read-stdin', '--flush-seconds', '1']);
  s.child.stdin!.end(readFileSync(capture));
  const code = await s.exited;
  if (code !== 0) throw new Error(`sensor exited ${code}: ${s.stderr()}`);
  return s.lines;
}

interface AlertJson {
  id: string;
  rule: string;
  subject: string;
  severity: string;
  state: string;
  deviceId: string | null;
  count: number;
}

async function alerts(): Promise<AlertJson[]> {
  const r = await vigil(['alerts', 'list', '--limit', '1000', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { items: AlertJson[] }).items;
}

const key = (a: { rule: string; subject: string }) => `${a.rule} ${a.subject}`;
const byKey = (list: AlertJson[]) => new Map(list.map((a) => [`${key(a)} ${a.deviceId}`, a]));

// --- the receivers ---------------------------------------------------------------------------------

interface Hook {
  verified: boolean;
  deliveryId: string;
  alert: { id: string; rule: string; subject: string; severity: string; deviceId: string | null };
}

/** What rsyslog wrote, each line parsed back from the raw message with the standards' parsers. */
function syslogAlerts(rsyslog: Rsyslog) {
  return rsyslog.messages('tcp').map((m) => {
    const p = parseRfc5424(m.raw);
    // rsyslog's own parse of the header agrees with ours.
    expect([m.msgid, m.app, m.procid]).toEqual([p.msgId, p.appName, p.procId]);
    expect(p.bom).toBe(true);
    const cef = parseCef(p.msg);
    return {
      rule: p.msgId,
      severity: p.severity,
      alertId: sdParam(p, SD_ID, 'alertId'),
      sdSeverity: sdParam(p, SD_ID, 'severity'),
      deviceId: sdParam(p, SD_ID, 'deviceId') ?? null,
      cef,
    };
  });
}

const SYSLOG_SEVERITY: Record<string, number> = { critical: 2, high: 3, medium: 4, low: 5, info: 6 };
const CEF_SEVERITY: Record<string, string> = { critical: '10', high: '8', medium: '5', low: '3', info: '1' };

if (!tools.ok && CI) {
  describe('monitoring acceptance', () => {
    it('needs rsyslogd, the gtls driver and openssl in CI', () => {
      throw new Error(`${tools.reason} (apt-get install -y rsyslog rsyslog-gnutls openssl)`);
    });
  });
}

describe.skipIf(!tools.ok)(
  'monitoring acceptance: captures → sensor → rules → rsyslog and webhook',
  {
    timeout: 300_000,
  },
  () => {
    let dir: string;
    let rsyslog: Rsyslog;
    let rx: WebhookReceiver<Omit<Hook, 'verified'>> | undefined;
    /** What the webhook receiver got, each with whether its signature verified. */
    const hooks = (): Hook[] =>
      (rx?.hits ?? []).map((h) => ({
        verified: h.verified,
        deliveryId: h.body.deliveryId,
        alert: h.body.alert,
      }));

    beforeAll(async () => {
      dir = mkdtempSync(join(tmpdir(), 'vigil-acceptance-'));
      db = join(dir, 'vigil.db');
      const ports = {
        udp: await freePort(),
        tcp: await freePort(),
        tls: await freePort(),
        mtls: await freePort(),
      };
      rsyslog = new Rsyslog(tools.rsyslogd!, dir, ports, makeCerts(dir));
      rsyslog.validate();
      await rsyslog.start();

      rx = await webhookReceiver(SECRET);
      const url = `${rx.origin}/vigil`;

      const syslog = await vigil([
        'alerts',
        'destinations',
        'add',
        '--name',
        'siem',
        '--kind',
        'syslog',
        '--transport',
        'tcp',
        '--host',
        '127.0.0.1',
        '--port',
        String(ports.tcp),
      ]);
      expect(syslog.stderr).toBe('');
      expect(syslog.code).toBe(0);
      const hook = await vigil(
        [
          'alerts',
          'destinations',
          'add',
          '--name',
          'soc-hook',
          '--kind',
          'webhook',
          '--url',
          url,
          '--secret-stdin',
        ],
        `${SECRET}\n`,
      );
      expect(hook.stderr).toBe('');
      expect(hook.code).toBe(0);
    }, 120_000);

    afterAll(async () => {
      for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await rsyslog?.stop();
      await rx?.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    }, 60_000);

    /** Every alert created since `before` arrived once at rsyslog and once, signed, at the webhook. */
    async function expectDelivered(created: AlertJson[], before: { syslog: number; hooks: number }) {
      const got = (await rsyslog.waitFor('tcp', before.syslog + created.length)).length;
      expect(got).toBe(before.syslog + created.length);
      const lines = syslogAlerts(rsyslog).slice(before.syslog);
      const hooksNow = hooks().slice(before.hooks);
      expect(hooksNow).toHaveLength(created.length);
      for (const a of created) {
        const line = lines.find((l) => l.alertId === a.id);
        expect(line, `syslog line for ${key(a)}`).toBeDefined();
        expect(line).toMatchObject({
          rule: a.rule,
          severity: SYSLOG_SEVERITY[a.severity],
          sdSeverity: a.severity,
          deviceId: a.deviceId,
        });
        expect(line!.cef).toMatchObject({
          vendor: 'Vigil',
          signatureId: a.rule,
          severity: CEF_SEVERITY[a.severity],
        });
        expect(line!.cef.extension).toMatchObject({ externalId: a.id, cs4: a.subject, act: 'new' });
        if (a.deviceId) expect(line!.cef.extension['cs1']).toBe(a.deviceId);
        const hook = hooksNow.filter((h) => h.alert.id === a.id);
        expect(hook, `one webhook for ${key(a)}`).toHaveLength(1);
        expect(hook[0]).toMatchObject({
          verified: true,
          alert: { rule: a.rule, subject: a.subject, severity: a.severity, deviceId: a.deviceId },
        });
      }
    }

    /** A test message through both destinations, so everything sent before it has been written. */
    async function barrier(): Promise<{ syslog: number; hooks: number }> {
      const s = rsyslog.messages('tcp').length;
      const h = hooks().length;
      const s1 = await vigil(['alerts', 'destinations', 'test', 'siem']);
      expect(s1.code, s1.stderr).toBe(0);
      const h1 = await vigil(['alerts', 'destinations', 'test', 'soc-hook']);
      expect(h1.code, h1.stderr).toBe(0);
      const all = await rsyslog.waitFor('tcp', s + 1);
      expect(all).toHaveLength(s + 1);
      expect(all.at(-1)!.msgid).toBe('test');
      expect(
        hooks()
          .slice(h)
          .map((x) => [x.alert.rule, x.verified]),
      ).toEqual([['test', true]]);
      return { syslog: s + 1, hooks: h + 1 };
    }

    it('stdin: cleartext HL7, Telnet/FTP logins and MQTT raise the expected alerts at rsyslog and the webhook; a replay duplicates nothing', async () => {
      let mark = await barrier();
      const flushes = await sensorStdin(HL7);
      expect(flushes.at(-1)).toMatchObject({ event: 'final', mode: 'stdin', packets: 78, failedFlushes: 0 });
      const afterHl7 = await alerts();
      expect(afterHl7.map(key)).toEqual(['cleartext-phi hl7:2575', 'cleartext-phi hl7:2575']);
      expect(afterHl7.every((a) => a.severity === 'high' && a.deviceId !== null && a.count === 1)).toBe(true);
      await expectDelivered(afterHl7, mark);

      mark = await barrier();
      await sensorStdin(TELNET_FTP);
      const afterTelnet = await alerts();
      const created = afterTelnet.filter((a) => !afterHl7.some((b) => b.id === a.id));
      expect(created.map(key)).toEqual(
        expect.arrayContaining([
          'cleartext-credentials telnet:23',
          'cleartext-credentials ftp:21',
          'insecure-protocol telnet:23',
          'insecure-protocol ftp:21',
          'insecure-protocol mqtt:1883',
        ]),
      );
      for (const a of created.filter((x) => x.rule === 'cleartext-credentials'))
        expect(a.severity).toBe('high');
      await expectDelivered(created, mark);

      // The same capture again: no new alert, the same ids counted up, nothing delivered again.
      mark = await barrier();
      await sensorStdin(TELNET_FTP);
      const again = await alerts();
      expect(again.map((a) => a.id).sort()).toEqual(afterTelnet.map((a) => a.id).sort());
      const before = byKey(afterTelnet);
      for (const a of again) {
        const b = before.get(`${key(a)} ${a.deviceId}`)!;
        expect(a.id).toBe(b.id);
        if (created.some((c) => c.id === a.id)) expect(a.count, key(a)).toBeGreaterThan(b.count);
        else expect(a.count, key(a)).toBe(b.count);
      }
      const next = await barrier();
      expect(next).toEqual({ syslog: mark.syslog + 1, hooks: mark.hooks + 1 });
      expect((await vigil(['alerts', 'dead-letters', '--json'])).stdout.trim()).toBe('[]');
    });

    describe.skipIf(liveMissing.length > 0 && !CI)(
      'the capture-tool pipe (tcpdump on a veth, tcpreplay)',
      () => {
        const tag = randomBytes(3).toString('hex');
        const NS = `vga-${tag}`;
        const IF_SENSOR = `vgaS${tag}`;
        const IF_REPLAY = `vgaR${tag}`;
        const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
        const cleanNamespace = () => {
          try {
            ip('link', 'del', IF_SENSOR); // also removes its peer
          } catch {}
          try {
            ip('netns', 'del', NS);
          } catch {}
        };
        afterAll(cleanNamespace);

        it('an nmap scan replayed onto the wire raises port-scan alerts at rsyslog and the webhook; a second replay duplicates nothing', async () => {
          if (liveMissing.length)
            throw new Error(`needs ${liveMissing.join(', ')} in CI (see docs/sensor.md)`);
          try {
            ip('netns', 'add', NS);
            ip('link', 'add', IF_SENSOR, 'type', 'veth', 'peer', 'name', IF_REPLAY);
            ip('link', 'set', IF_REPLAY, 'netns', NS);
            // No addresses and no IPv6 on either end: the only frames on this wire are the replayed ones.
            for (const [ns, dev] of [
              [null, IF_SENSOR],
              [NS, IF_REPLAY],
            ] as const) {
              const off = `echo 1 > /proc/sys/net/ipv6/conf/${dev}/disable_ipv6`;
              spawnSync(ns ? 'ip' : 'sh', ns ? ['netns', 'exec', ns, 'sh', '-c', off] : ['-c', off]);
              ip(...(ns ? ['-n', ns] : []), 'link', 'set', dev, 'up');
            }

            /**
             * A sensor on the veth; the scan replayed right after one of its flushes (so it lands in one
             * stored slice), then the sensor stopped (SIGTERM: ends open connections, flushes, exits 0).
             */
            const sensorSeesReplay = async () => {
              const live = sensor(['--interface', IF_SENSOR, '--tool', 'tcpdump', '--flush-seconds', '2']);
              await live.waitFor((l) => l['event'] === 'tool-start', 'tcpdump start');
              const flushed = await live.waitFor((l) => l['event'] === 'flush', 'a flush before the replay');
              const from = flushed['packets'] as number;
              const r = spawnSync(
                'ip',
                ['netns', 'exec', NS, 'tcpreplay', '-q', '--topspeed', '-i', IF_REPLAY, NMAP],
                { encoding: 'utf8', timeout: 60_000 },
              );
              expect(r.status, r.stderr).toBe(0);
              const slice = await live.waitFor(
                (l) =>
                  l['event'] === 'flush' &&
                  (l['packets'] as number) >= from + NMAP_PACKETS &&
                  (l['lastFlush'] as { stored: boolean }).stored,
                'the flush that stores the replay',
              );
              expect(slice['input']).toMatchObject({
                tool: 'tcpdump',
                interface: IF_SENSOR,
                state: 'running',
              });
              live.child.kill('SIGTERM');
              expect(await live.exited).toBe(0);
              expect(live.lines.at(-1)).toMatchObject({
                event: 'final',
                mode: 'interface',
                source: IF_SENSOR,
                failedFlushes: 0,
              });
            };

            const before = await alerts();
            let mark = await barrier();
            await sensorSeesReplay();
            const afterFirst = await alerts();
            const created = afterFirst.filter((a) => !before.some((b) => b.id === a.id));
            expect(
              created
                .filter((a) => a.rule === 'port-scan')
                .map((a) => a.subject)
                .sort(),
            ).toEqual([
              'scan:10.20.0.99→10.20.0.10',
              'scan:10.20.0.99→10.20.0.11',
              'scan:10.20.0.99→10.20.0.30',
              'scan:10.20.0.99→10.20.0.40',
            ]);
            expect(created.filter((a) => a.rule === 'port-scan').every((a) => a.severity === 'high')).toBe(
              true,
            );
            await expectDelivered(created, mark);

            // The same scan on the wire again, to a restarted sensor: counted on the same alerts, nothing
            // new delivered. (A byte-identical replay into the same running sensor would be read as
            // retransmissions: the TCP tracker remembers recently closed connections, and a SYN with the
            // same initial sequence number on one of them is a retransmitted SYN, not a new connection.)
            mark = await barrier();
            await sensorSeesReplay();
            const afterSecond = await alerts();
            expect(afterSecond.map((a) => a.id).sort()).toEqual(afterFirst.map((a) => a.id).sort());
            const prev = byKey(afterFirst);
            for (const a of afterSecond.filter((x) => x.rule === 'port-scan'))
              expect(a.count, key(a)).toBeGreaterThan(prev.get(`${key(a)} ${a.deviceId}`)!.count);
            expect(await barrier()).toEqual({ syslog: mark.syslog + 1, hooks: mark.hooks + 1 });
          } finally {
            cleanNamespace();
          }
        });
      },
    );
  },
);
