/**
 * @module Test harness: a real rsyslogd (Debian `rsyslog` + `rsyslog-gnutls`) started by the test on free
 * loopback ports with its own configuration in a temporary directory — UDP, TCP, TLS and mutual-TLS
 * inputs, each writing what it received (rsyslog's own RFC 5424 fields and the raw message) as JSON lines
 * to its own file — and the certificates it needs, made with `openssl`. Not used by production code.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

/** The path of an executable on PATH (or in the sbin directories, where Debian puts rsyslogd), or null. */
export function findExecutable(name: string): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return null;
}

/** A loopback port nobody listens on right now (TCP and UDP checked). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.on('error', reject);
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.on('error', () => resolve(false));
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

export interface TestCerts {
  caFile: string;
  certFile: string;
  keyFile: string;
  clientCertFile: string;
  clientKeyFile: string;
  /** A CA that signed nothing here: verifying the server with it must fail. */
  otherCaFile: string;
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate, with openssl. */
export function makeCerts(dir: string): TestCerts {
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const ca = (name: string) =>
    openssl(
      'req',
      '-x509',
      ...ec,
      '-days',
      '2',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.pem`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
  ca('test-ca');
  ca('other-ca');
  const leaf = (name: string, ext: string) => {
    openssl('req', '-new', ...ec, '-subj', `/CN=${name}`, '-keyout', `${name}.key`, '-out', `${name}.csr`);
    writeFileSync(join(dir, `${name}.ext`), ext);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'test-ca.pem',
      '-CAkey',
      'test-ca.key',
      '-days',
      '2',
      '-set_serial',
      `0x${randomBytes(8).toString('hex')}`,
      '-extfile',
      `${name}.ext`,
      '-out',
      `${name}.pem`,
    );
  };
  leaf(
    'server',
    'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  leaf('client', 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  return {
    caFile: join(dir, 'test-ca.pem'),
    certFile: join(dir, 'server.pem'),
    keyFile: join(dir, 'server.key'),
    clientCertFile: join(dir, 'client.pem'),
    clientKeyFile: join(dir, 'client.key'),
    otherCaFile: join(dir, 'other-ca.pem'),
  };
}

export interface RsyslogPorts {
  udp: number;
  tcp: number;
  tls: number;
  /** TLS that requires a client certificate signed by the test CA. */
  mtls: number;
}

/** One message as rsyslog wrote it: its own parse of the RFC 5424 fields, and the raw message. */
export interface ReceivedMessage {
  pri: string;
  hostname: string;
  app: string;
  procid: string;
  msgid: string;
  sd: string;
  msg: string;
  raw: string;
}

export type Input = keyof RsyslogPorts;

export function rsyslogConfig(dir: string, ports: RsyslogPorts, certs: TestCerts): string {
  const json = (p: string) =>
    `"${p}":"%${p === 'app' ? 'app-name' : p === 'sd' ? 'structured-data' : p === 'raw' ? 'rawmsg' : p}:::json%"`;
  const fields = ['pri', 'hostname', 'app', 'procid', 'msgid', 'sd', 'msg', 'raw'].map(json).join(',');
  const inputs = (Object.keys(ports) as Input[]).map((name) => {
    const tls =
      name === 'tls'
        ? ' StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="anon"'
        : name === 'mtls'
          ? ' StreamDriver.Name="gtls" StreamDriver.Mode="1" StreamDriver.AuthMode="x509/certvalid"'
          : '';
    const type = name === 'udp' ? 'imudp' : 'imtcp';
    return [
      `ruleset(name="${name}") { action(type="omfile" file="${join(dir, `${name}.jsonl`)}" template="vigilJson") }`,
      `input(type="${type}" address="127.0.0.1" port="${ports[name]}" ruleset="${name}"${tls})`,
    ].join('\n');
  });
  return [
    `global(workDirectory="${dir}" maxMessageSize="64k"`,
    `  DefaultNetstreamDriverCAFile="${certs.caFile}"`,
    `  DefaultNetstreamDriverCertFile="${certs.certFile}"`,
    `  DefaultNetstreamDriverKeyFile="${certs.keyFile}")`,
    'module(load="imudp")',
    'module(load="imtcp")',
    `template(name="vigilJson" type="string" string="{${fields.replaceAll('"', '\\"')}}\\n")`,
    ...inputs,
    '',
  ].join('\n');
}

/** rsyslogd started by the test; stop() ends it (only this child, by its pid). */
export class Rsyslog {
  #child: ChildProcess | null = null;
  #stderr = '';

  constructor(
    readonly rsyslogd: string,
    readonly dir: string,
    readonly ports: RsyslogPorts,
    readonly certs: TestCerts,
  ) {
    writeFileSync(join(dir, 'rsyslog.conf'), rsyslogConfig(dir, ports, certs));
  }

  /** Checks the configuration with `rsyslogd -N1` (loads the modules, so a missing gtls shows here). */
  validate(): void {
    execFileSync(this.rsyslogd, ['-N1', '-f', join(this.dir, 'rsyslog.conf')], { stdio: 'pipe' });
  }

  async start(): Promise<void> {
    const child = spawn(
      this.rsyslogd,
      ['-n', '-f', join(this.dir, 'rsyslog.conf'), '-i', join(this.dir, 'rsyslogd.pid')],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    child.stderr!.on('data', (c: Buffer) => {
      this.#stderr += c.toString('utf8');
    });
    this.#child = child;
    const deadline = Date.now() + 15_000;
    for (const port of [this.ports.tcp, this.ports.tls, this.ports.mtls]) {
      while (!(await accepts(port))) {
        if (child.exitCode !== null) throw new Error(`rsyslogd exited (${child.exitCode}): ${this.#stderr}`);
        if (Date.now() > deadline) throw new Error(`rsyslogd did not listen on ${port}: ${this.#stderr}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    this.#child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    await exited;
  }

  /** What the input has written so far. */
  messages(input: Input): ReceivedMessage[] {
    const f = join(this.dir, `${input}.jsonl`);
    if (!existsSync(f)) return [];
    return readFileSync(f, 'utf8')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as ReceivedMessage);
  }

  /** Waits (up to 10 s) until the input has written at least `n` messages. */
  async waitFor(input: Input, n: number): Promise<ReceivedMessage[]> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const m = this.messages(input);
      if (m.length >= n) return m;
      if (Date.now() > deadline)
        throw new Error(`${input}: ${m.length} of ${n} messages arrived; stderr: ${this.#stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}
