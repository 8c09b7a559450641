/**
 * Alert delivery to a real rsyslog (Debian `rsyslog`, `rsyslog-gnutls`) started by the test on loopback:
 * UDP, TCP (octet counting) and TLS (server verified, optional client certificate), a receiver that is
 * down and comes up later, and one that never does.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCef } from './cef-test-parser.js';
import { DeliveryQueue, type DeliveryQueueOptions } from './delivery-queue.js';
import { MemoryDeadLetterSink, makeAlert } from './delivery-test-fixtures.js';
import { createSender, type DestinationInput, parseDestination } from './destination.js';
import { parseRfc5424, sdParam } from './rfc5424-test-parser.js';
import { findRsyslogAndOpenssl } from './rsyslog-availability.js';
import { freePort, makeCerts, Rsyslog, type RsyslogPorts, type TestCerts } from './rsyslog-harness.js';
import { createTcpTransport } from './syslog-transport.js';

const tools = findRsyslogAndOpenssl();
const FAST: DeliveryQueueOptions = { initialDelayMs: 50, maxDelayMs: 200, maxAttempts: 200 };

function queue(d: DestinationInput, opts: DeliveryQueueOptions = FAST) {
  const sink = new MemoryDeadLetterSink();
  const sut = new DeliveryQueue(
    createSender(parseDestination(d), { connectTimeoutMs: 2000, hostname: 'vigil-test' }),
    sink,
    opts,
  );
  return { sut, sink };
}

if (!tools.ok && process.env.CI === 'true') {
  describe('syslog delivery to rsyslog', () => {
    it('needs rsyslogd, the gtls driver and openssl in CI', () => {
      throw new Error(`${tools.reason} (apt-get install -y rsyslog rsyslog-gnutls openssl)`);
    });
  });
} else if (!tools.ok) {
  console.warn(
    `Skipping the rsyslog delivery tests: ${tools.reason} (apt-get install -y rsyslog rsyslog-gnutls openssl)`,
  );
}

describe.skipIf(!tools.ok)('syslog delivery to a real rsyslog', () => {
  let dir: string;
  let ports: RsyslogPorts;
  let certs: TestCerts;
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
    ports = { udp: await freePort(), tcp: await freePort(), tls: await freePort(), mtls: await freePort() };
    certs = makeCerts(dir);
    rsyslog = new Rsyslog(tools.rsyslogd!, dir, ports, certs);
    rsyslog.validate();
    await rsyslog.start();
  });

  afterAll(async () => {
    await rsyslog?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Each received message parsed back; rsyslog's own parse of the header must agree with ours. */
  function check(
    received: { pri: string; msgid: string; app: string; procid: string; hostname: string; raw: string }[],
  ) {
    return received.map((r) => {
      const p = parseRfc5424(r.raw);
      expect([r.pri, r.msgid, r.app, r.procid, r.hostname]).toEqual([
        String(p.pri),
        p.msgId,
        p.appName,
        p.procId,
        p.hostname,
      ]);
      expect(p.bom).toBe(true);
      return { p, cef: parseCef(p.msg) };
    });
  }

  it('UDP: one datagram per alert, RFC 5424 with the CEF payload', async () => {
    const { sut, sink } = queue({
      kind: 'syslog',
      transport: 'udp',
      host: '127.0.0.1',
      port: ports.udp,
      facility: 'local3',
    });
    const alerts = [makeAlert(), makeAlert({ severity: 'critical', rule: 'internet-connection' })];
    for (const a of alerts) sut.enqueue(a);
    await sut.drain();
    const got = check(await rsyslog.waitFor('udp', 2));
    expect(
      got.map(({ p }) => [sdParam(p, 'vigil@32473', 'alertId'), p.facility, p.severity, p.msgId]),
    ).toEqual([
      [alerts[0]!.id, 19, 3, 'cleartext-login'],
      [alerts[1]!.id, 19, 2, 'internet-connection'],
    ]);
    expect(got[0]!.cef.extension).toMatchObject({
      externalId: alerts[0]!.id,
      src: '10.20.0.50',
      dpt: '23',
      cs2: 'PUMP-0042',
    });
    expect(got[0]!.p).toMatchObject({ hostname: 'vigil-test', appName: 'vigil' });
    expect(sink.letters).toEqual([]);
    await sut.close();
  });

  it('TCP: octet-counted frames on one connection, split by rsyslog exactly as sent', async () => {
    const { sut, sink } = queue({ kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port: ports.tcp });
    const alerts = [makeAlert(), makeAlert({ subject: 'ü'.repeat(4000) }), makeAlert()];
    for (const a of alerts) sut.enqueue(a);
    await sut.drain();
    const got = check(await rsyslog.waitFor('tcp', 3));
    expect(got.map(({ p }) => sdParam(p, 'vigil@32473', 'alertId'))).toEqual(alerts.map((a) => a.id));
    // The long one was cut to the 8192-byte cap at a character boundary, not split into two messages.
    const long = Buffer.byteLength(rsyslog.messages('tcp')[1]!.raw);
    expect(long).toBeGreaterThan(8000);
    expect(long).toBeLessThanOrEqual(8192);
    expect(got[1]!.cef.extension.cs4).toMatch(/^ü{3000,}$/);
    expect(sink.letters).toEqual([]);
    await sut.close();
  });

  it('TCP framing is octet counting, not line feeds: a message with a raw LF arrives as one', async () => {
    const t = createTcpTransport({ host: '127.0.0.1', port: ports.tcp });
    const before = rsyslog.messages('tcp').length;
    await t.send(Buffer.from('<134>1 2026-11-29T06:00:00Z h app - lf-test - first line\nsecond line'));
    await t.send(Buffer.from('<134>1 2026-11-29T06:00:01Z h app - lf-test-2 - after'));
    const got = (await rsyslog.waitFor('tcp', before + 2)).slice(before);
    expect(got.map((m) => m.msgid)).toEqual(['lf-test', 'lf-test-2']);
    expect(got[0]!.raw).toMatch(/first line(\n|#012)second line$/);
    await t.close();
  });

  it('TLS: verifies rsyslog’s certificate against the given CA and delivers', async () => {
    for (const host of ['127.0.0.1', 'localhost']) {
      const { sut, sink } = queue({
        kind: 'syslog',
        transport: 'tls',
        host,
        port: ports.tls,
        caFile: certs.caFile,
      });
      const alert = makeAlert({ title: `over TLS to ${host}` });
      const before = rsyslog.messages('tls').length;
      sut.enqueue(alert);
      await sut.drain();
      const [got] = check((await rsyslog.waitFor('tls', before + 1)).slice(before));
      expect(got!.cef.name).toBe(`over TLS to ${host}`);
      expect(sink.letters).toEqual([]);
      await sut.close();
    }
  });

  it('TLS: a server certificate from another CA is never trusted: retried, then dead-lettered', async () => {
    const { sut, sink } = queue(
      { kind: 'syslog', transport: 'tls', host: '127.0.0.1', port: ports.tls, caFile: certs.otherCaFile },
      { initialDelayMs: 10, maxAttempts: 2 },
    );
    const before = rsyslog.messages('tls').length;
    sut.enqueue(makeAlert());
    await sut.drain();
    expect(sink.letters).toMatchObject([{ reason: 'failed', attempts: 2 }]);
    expect(sink.letters[0]!.lastError).toMatch(/^syslog\+tls:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    expect(rsyslog.messages('tls')).toHaveLength(before);
    await sut.close();
  });

  it('mutual TLS: delivers with the client certificate; without it rsyslog refuses and the alert is dead-lettered', async () => {
    const base = {
      kind: 'syslog',
      transport: 'tls',
      host: 'localhost',
      port: ports.mtls,
      caFile: certs.caFile,
    } as const;
    const withCert = queue({ ...base, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile });
    const alert = makeAlert();
    withCert.sut.enqueue(alert);
    await withCert.sut.drain();
    const [got] = check(await rsyslog.waitFor('mtls', 1));
    expect(got!.cef.extension.externalId).toBe(alert.id);
    await withCert.sut.close();

    const without = queue(base, { initialDelayMs: 10, maxAttempts: 2 });
    without.sut.enqueue(makeAlert());
    await without.sut.drain();
    // rsyslog checks the client certificate after the handshake and then closes: caught before any write.
    expect(without.sink.letters).toMatchObject([{ reason: 'failed', attempts: 2 }]);
    expect(without.sink.letters[0]!.lastError).toMatch(/closed the connection right after accepting it/);
    expect(without.sut.stats().sent).toBe(0);
    expect(rsyslog.messages('mtls')).toHaveLength(1);
    await without.sut.close();
  });
});

describe.skipIf(!tools.ok)('syslog delivery while rsyslog is down', () => {
  let dir: string;
  let ports: RsyslogPorts;
  let rsyslog: Rsyslog;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vigil-rsyslog-'));
    ports = { udp: await freePort(), tcp: await freePort(), tls: await freePort(), mtls: await freePort() };
    const certs = makeCerts(dir);
    rsyslog = new Rsyslog(tools.rsyslogd!, dir, ports, certs);
  });

  afterAll(async () => {
    await rsyslog?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('alerts wait and retry while the receiver is down, then arrive when rsyslog starts', async () => {
    const tcp = queue({ kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port: ports.tcp });
    const tls = queue({
      kind: 'syslog',
      transport: 'tls',
      host: '127.0.0.1',
      port: ports.tls,
      caFile: join(dir, 'test-ca.pem'),
    });
    const alerts = [makeAlert(), makeAlert(), makeAlert()];
    for (const a of alerts) {
      tcp.sut.enqueue(a);
      tls.sut.enqueue(a);
    }
    while (tcp.sut.stats().retried < 3 || tls.sut.stats().retried < 3)
      await new Promise((r) => setTimeout(r, 20));
    expect(tcp.sut.stats()).toMatchObject({ sent: 0, queued: 3, deadLettered: 0 });
    expect(tcp.sut.stats().lastError).toMatch(/ECONNREFUSED/);

    await rsyslog.start();
    await Promise.all([tcp.sut.drain(), tls.sut.drain()]);
    for (const input of ['tcp', 'tls'] as const) {
      const got = await rsyslog.waitFor(input, 3);
      expect(got.map((m) => sdParam(parseRfc5424(m.raw), 'vigil@32473', 'alertId'))).toEqual(
        alerts.map((a) => a.id),
      );
    }
    expect([...tcp.sink.letters, ...tls.sink.letters]).toEqual([]);

    // rsyslog restarts: the next alert goes over a new connection.
    await rsyslog.stop();
    await rsyslog.start();
    const after = makeAlert();
    tcp.sut.enqueue(after);
    await tcp.sut.drain();
    const got = await rsyslog.waitFor('tcp', 4);
    expect(sdParam(parseRfc5424(got[3]!.raw), 'vigil@32473', 'alertId')).toBe(after.id);
    await Promise.all([tcp.sut.close(), tls.sut.close()]);
  });
});

describe('syslog delivery to a receiver that never comes', () => {
  it('a closed port: retried, then handed to the dead-letter sink with the last error', async () => {
    const port = await freePort();
    const { sut, sink } = queue(
      { kind: 'syslog', transport: 'tcp', host: '127.0.0.1', port },
      { initialDelayMs: 10, maxDelayMs: 20, maxAttempts: 4 },
    );
    const alert = makeAlert();
    sut.enqueue(alert);
    await sut.drain();
    expect(sink.letters).toMatchObject([{ message: { id: alert.id }, reason: 'failed', attempts: 4 }]);
    expect(sink.letters[0]!.lastError).toBe(
      `syslog+tcp://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
    expect(sut.stats()).toMatchObject({ sent: 0, retried: 3, deadLettered: 1, queued: 0 });
    await sut.close();
  });

  it('a TLS receiver that accepts but never answers the handshake: connect times out, then dead letter', async () => {
    const accepted: Socket[] = [];
    const silent: Server = createServer((s) => accepted.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as { port: number }).port;
    const sink = new MemoryDeadLetterSink();
    const sender = createSender(
      parseDestination({ kind: 'syslog', transport: 'tls', host: '127.0.0.1', port }),
      {
        connectTimeoutMs: 150,
      },
    );
    const sut = new DeliveryQueue(sender, sink, { initialDelayMs: 10, maxAttempts: 2 });
    sut.enqueue(makeAlert());
    await sut.drain();
    expect(sink.letters).toMatchObject([
      {
        reason: 'failed',
        attempts: 2,
        lastError: `syslog+tls://127.0.0.1:${port}: connect timed out after 150 ms`,
      },
    ]);
    await sut.close();
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  });
});
