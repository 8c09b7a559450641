/**
 * The `vigil` command line, end to end: what an operator types, against a temporary SQLite file. The
 * built binary (dist/, built once by test/global-setup.ts) runs as a child process where the process is
 * the point: help, refusing bad configuration at start-up, a password read from a real pipe, and
 * `vigil serve` as a real server on loopback (HTTP and HTTPS with a certificate made by openssl). The
 * other commands run in-process (test/cli-in-process.ts, the binary's own command tree).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { connect } from 'node:tls';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from './cli-in-process.js';
import { TEST_PASSWORD } from './factories.js';

const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin/vigil.js');
let dir: string;
let db: string;

/** The command in this process, configured by the same environment variables as the binary below. */
function vigil(args: string[], input?: string) {
  return vigilInProcess(args, {
    env: { VIGIL_DB: `sqlite:${db}` },
    ...(input !== undefined ? { input } : {}),
  });
}

/** The built binary in a child process. */
function spawnVigil(args: string[], input?: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    input,
    encoding: 'utf8',
    env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent', ...env },
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  // dist/ is built once by test/global-setup.ts.
  dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
  db = join(dir, 'vigil.db');
});

describe('vigil CLI', () => {
  it('prints help listing the command groups', () => {
    const r = spawnVigil(['--help']);
    expect(r.code).toBe(0);
    for (const cmd of ['serve', 'devices', 'users', 'tokens', 'audit', 'db']) expect(r.stdout).toContain(cmd);
  });

  it("states an option's default once in its help (commander adds '(default: …)' itself)", async () => {
    const r = await vigil(['audit', 'list', '--help']);
    expect(r.code).toBe(0);
    const limit = r.stdout.split('\n').find((l) => l.includes('--limit'));
    expect(limit).toMatch(/at most this many \(default: 50\)$/);
  });

  it('runs as an executable through its #! line', () => {
    // Found on PATH as an operator (or npm's bin link) runs it, with the Node.js that runs this test.
    const r = spawnSync(bin, ['--version'], {
      encoding: 'utf8',
      env: { ...process.env, PATH: `${dirname(process.execPath)}:${process.env.PATH}` },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('refuses bad configuration, listing every bad value, exit 78', () => {
    const r = spawnVigil(['db', 'migrate'], undefined, { VIGIL_PORT: 'x', VIGIL_DB: 'oracle://db' });
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/port \(VIGIL_PORT\)/);
    expect(r.stderr).toMatch(/db \(VIGIL_DB\)/);
  });

  it('migrates, adds users non-interactively and refuses weak passwords', async () => {
    expect((await vigil(['db', 'migrate'])).stdout).toMatch(/Applied \d+ migration/);
    expect((await vigil(['db', 'migrate'])).stdout).toMatch(/up to date/);
    const ok = spawnVigil(
      ['users', 'add', 'alice', '--role', 'admin', '--password-stdin'],
      `${TEST_PASSWORD}\n`,
    );
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    const weak = await vigil(
      ['users', 'add', 'bob', '--role', 'auditor', '--password-stdin'],
      'password1234\n',
    );
    expect(weak.code).toBe(65);
    expect(weak.stderr).toMatch(/commonly used/);
    const bad = await vigil(
      ['users', 'add', 'carol', '--role', 'superuser', '--password-stdin'],
      `${TEST_PASSWORD}\n`,
    );
    expect(bad.code).toBe(65);
    const list = JSON.parse((await vigil(['users', 'list', '--json'])).stdout) as {
      username: string;
      role: string;
    }[];
    expect(list).toEqual([expect.objectContaining({ username: 'alice', role: 'admin' })]);
  });

  it("reads a command's own --version as the command's, and --db after the command as the program's", async () => {
    // `--version` was taken by the program: `sbom import … --version 12.1.2` printed Vigil's version,
    // exit 0, and imported nothing.
    const cmms = join(root, 'test/fixtures/cmms/hospital-export.csv');
    const sbom = join(root, 'test/fixtures/sbom-vex/cyclonedx/medical-device-narrow.sbom.json');
    expect((await vigil(['devices', 'import', cmms])).code).toBe(0);
    const r = await vigil(['sbom', 'import', sbom, '--model', 'Alaris PC Unit', '--version', '12.1.2']);
    expect(r.stdout).toMatch(/Imported: cyclonedx 1\.4 SBOM for .*Alaris PC Unit 12\.1\.2: 55 components/);
    expect(r.code).toBe(0);
    const other = join(dir, 'other.db');
    const list = await vigilInProcess(['sbom', 'list', '--json', '--db', `sqlite:${other}`], {
      env: { VIGIL_DB: `sqlite:${db}` },
    });
    expect(JSON.parse(list.stdout)).toEqual([]);
    expect(JSON.parse((await vigil(['sbom', 'list', '--json'])).stdout)).toEqual([
      expect.objectContaining({ model: 'Alaris PC Unit', softwareVersion: '12.1.2' }),
    ]);
    expect(spawnVigil(['--version']).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('verifies the audit chain and names a row tampered with behind its back (exit 1)', async () => {
    await vigil(['users', 'add', 'dave', '--role', 'auditor', '--password-stdin'], `${TEST_PASSWORD}\n`);
    expect((await vigil(['audit', 'verify'])).stdout).toMatch(/intact: \d+ entries/);
    const raw = new Database(db);
    raw.exec('DROP TRIGGER audit_log_no_update');
    raw.prepare('UPDATE audit_log SET summary = \'{"username":"mallory"}\' WHERE seq = 2').run();
    raw.close();
    const r = await vigil(['audit', 'verify', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, firstBroken: { seq: 2 } });
  });
});

function startServer(
  args: string[],
  dbFile: string,
): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], {
    env: { ...process.env, VIGIL_DB: `sqlite:${dbFile}`, VIGIL_LOG_LEVEL: 'silent' },
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`server did not start: ${err}`)), 15_000);
    const check = () => {
      const m = /listening on (\S+)/.exec(err);
      if (m && (!/No accounts yet/.test(err) || /setup token[^\n]*\n\s+(setup_\S+)/.test(err))) {
        clearTimeout(timer);
        ok({ child, url: m[1]!, stderr: () => err });
      }
    };
    child.stderr!.on('data', () => setTimeout(check, 50));
    child.once('exit', (code) => fail(new Error(`server exited ${code}: ${err}`)));
  });
}

describe('vigil serve', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
  });

  it('on an empty database prints a one-time setup token and serves nothing unauthenticated', async () => {
    const s = await startServer([], join(dir, 'fresh.db'));
    children.push(s.child);
    const token = /(setup_\S+)/.exec(s.stderr())![1]!;
    expect((await fetch(`${s.url}/api/v1/health`)).status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/users`)).status).toBe(401);
    const setup = await fetch(`${s.url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ setupToken: token, username: 'first.admin', password: TEST_PASSWORD }),
    });
    expect(setup.status).toBe(201);
    const login = await fetch(`${s.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'first.admin', password: TEST_PASSWORD }),
    });
    expect(login.status).toBe(200);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const users = await fetch(`${s.url}/api/v1/users`, { headers: { cookie } });
    expect(((await users.json()) as unknown[]).length).toBe(1);
  });

  it('serves HTTPS with TLS 1.2+ only when given a certificate', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '2',
        '-subj',
        '/CN=localhost',
      ],
      { stdio: 'ignore' },
    );
    const s = await startServer(['--tls-cert', cert, '--tls-key', key], db);
    children.push(s.child);
    expect(s.url).toMatch(/^https:\/\//);
    const port = Number(new URL(s.url).port);
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((ok) => {
        const sock = connect({
          host: '127.0.0.1',
          port,
          maxVersion,
          minVersion: 'TLSv1',
          rejectUnauthorized: false,
          ciphers: 'DEFAULT:@SECLEVEL=0',
        });
        sock.once('secureConnect', () => {
          ok(sock.getProtocol() ?? 'unknown');
          sock.end();
        });
        sock.once('error', () => ok('refused'));
      });
    expect(await handshake('TLSv1.3')).toBe('TLSv1.3');
    expect(await handshake('TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.1')).toBe('refused');
  });
});

describe('vigil analyze / import', () => {
  const capture = (name: string) => join(root, 'test/fixtures/captures', name);

  it('analyze --json prints devices and findings in their documented shape', async () => {
    const r = await vigil(['analyze', '--json', capture('04-hl7-mllp.pcap')]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      devices: {
        macs: string[];
        hl7: { sendingApplications: string[] } | null;
        services: { port: number; protocol: string }[];
      }[];
      findings: {
        type: string;
        severity: string;
        deviceId: string;
        evidence: { connection: string; packet: number; time: string; summary: string };
      }[];
      sources: { file: string; kind: string }[];
    };
    const monitor = out.devices.find((d) => d.macs.includes('00:09:5c:41:00:41'));
    expect(monitor?.hl7?.sendingApplications).toEqual(['MONITOR_GW']);
    const phi = out.findings.find((f) => f.type === 'cleartext-phi');
    expect(phi).toMatchObject({
      severity: 'high',
      evidence: { connection: expect.stringContaining(':2575/tcp'), packet: expect.any(Number) },
    });
    expect(out.sources).toEqual([expect.objectContaining({ file: '04-hl7-mllp.pcap', kind: 'capture' })]);
    expect(r.stdout).not.toContain('HARTMANN');
  });

  it('import names a file that is not a capture and still imports the others (exit 65)', async () => {
    const bad = join(dir, 'notes.pcap');
    writeFileSync(bad, 'not a capture at all');
    // A real scan's XML cut off inside its first host record, as a scan killed mid-write leaves it.
    const cut = join(dir, 'cut-scan.xml');
    const scan = readFileSync(join(root, 'test/fixtures/nmap/sgh-medical-lan.xml'), 'utf8');
    writeFileSync(cut, scan.split('\n').slice(0, 12).join('\n'));
    const r = await vigil(['import', '--quiet', bad, cut, capture('07-telnet-ftp-ssh-mqtt.pcap')]);
    expect(r.code).toBe(65);
    // Each bad file is named with where and what is wrong, even though another file was imported.
    expect(r.stderr).toMatch(/notes\.pcap, offset 0: unknown capture format/);
    // What else was tried, and how to say what the file is when detection cannot tell.
    expect(r.stderr).toMatch(/nor nmap XML, a Zeek log or Suricata EVE JSON .*--format nmap\|zeek\|eve/);
    expect(r.stderr).toMatch(/cut-scan\.xml, line 12(, offset \d+)?: /);
    const findings = JSON.parse((await vigil(['findings', 'list', '--json'])).stdout) as {
      subject: string;
    }[];
    expect(findings.map((f) => f.subject)).toEqual(expect.arrayContaining(['telnet:23']));
  });

  it('import of a UTF-16 text says to save it as UTF-8, not to name its format', async () => {
    // tshark's packet list saved as "Unicode" (fixtures PROVENANCE.md): --format zeek would not read it either.
    const r = await vigil(['import', '--quiet', capture('zeek-linuxsll-arp.packet-list.utf16.txt')]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(
      /offset 0: UTF-16 \(little-endian, with a byte order mark\) text, not a capture/,
    );
    expect(r.stderr).not.toContain('--format');
  });

  it('import of nothing but bad files says each problem once, and names each file once', async () => {
    const cut = join(dir, 'only-cut.xml');
    const scan = readFileSync(join(root, 'test/fixtures/nmap/sgh-medical-lan.xml'), 'utf8');
    writeFileSync(cut, scan.split('\n').slice(0, 12).join('\n'));
    const r = await vigil(['import', cut]);
    expect(r.code).toBe(65);
    const problem = r.stderr.split('\n').filter((l) => /only-cut\.xml, line 12/.test(l));
    expect(problem).toHaveLength(1);
    expect(r.stderr).not.toMatch(/only-cut\.xml: only-cut\.xml/);
    expect(r.stderr).toMatch(/^vigil: Nothing was imported \(1 file, problems above\)$/m);
    // JSON callers, who saw nothing printed, get the problems in the error.
    const json = await vigil(['import', '--json', cut]);
    expect(json.code).toBe(65);
    expect(json.stderr).toMatch(/only-cut\.xml, line 12/);
  });
});

const ageMissing = ['age', 'age-keygen'].filter(
  (t) => spawnSync(t, ['--version'], { stdio: 'ignore' }).status !== 0,
);
if (ageMissing.length && process.env['CI'] === 'true')
  throw new Error(`the encrypted backup CLI test needs ${ageMissing.join(', ')} in CI (Debian package age)`);
if (ageMissing.length)
  console.warn(`[vigil tests] encrypted backup CLI test SKIPPED: needs ${ageMissing.join(', ')}`);

describe.skipIf(ageMissing.length > 0)('vigil db backup / verify-backup / restore, encrypted', () => {
  it('encrypts to --recipient; verify-backup checks the content only with --identity; restore needs it', async () => {
    // A database of its own: the audit test above leaves the shared one's chain broken on purpose.
    const own = join(mkdtempSync(join(tmpdir(), 'vigil-cli-enc-')), 'vigil.db');
    const vigil = (args: string[]) => vigilInProcess(args, { env: { VIGIL_DB: `sqlite:${own}` } });
    await vigil(['db', 'migrate']);
    const keys = mkdtempSync(join(tmpdir(), 'vigil-cli-key-'));
    const keyFile = join(keys, 'key.txt');
    execFileSync('age-keygen', ['-o', keyFile], { stdio: 'ignore' });
    const recipient = execFileSync('age-keygen', ['-y', keyFile], { encoding: 'utf8' }).trim();
    const backups = join(dirname(own), 'backups');

    const bad = await vigil(['db', 'backup', '--dir', backups, '--recipient', 'age1nope']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('--recipient: "age1nope" is not an age public key');

    const made = await vigil(['db', 'backup', '--dir', backups, '--recipient', recipient, '--json']);
    expect(made.code, made.stderr).toBe(0);
    const { file } = JSON.parse(made.stdout) as { file: string };
    expect(file).toMatch(/-manual\.db\.age$/);

    const bare = await vigil(['db', 'verify-backup', file]);
    expect(bare.code).toBe(0);
    expect(bare.stdout).toContain(
      `${file}: intact, content not checked (encrypted: give --identity KEYFILE) (sqlite, encrypted with age,`,
    );
    const full = await vigil(['db', 'verify-backup', file, '--identity', keyFile]);
    expect(full.code).toBe(0);
    expect(full.stdout).toContain(`${file}: good (sqlite, encrypted with age,`);
    // Decrypted in the backup directory's private workspace, which the next backup or server start
    // cleans, not in the system's temporary directory (a kill there leaves plaintext nobody removes):
    // with TMPDIR unusable the check still runs.
    const noTmp = spawnVigil(['db', 'verify-backup', file, '--identity', keyFile], undefined, {
      VIGIL_DB: `sqlite:${own}`,
      TMPDIR: join(keys, 'no-such-directory'),
    });
    expect(noTmp.code, noTmp.stderr).toBe(0);
    expect(noTmp.stdout).toContain(`${file}: good (sqlite, encrypted with age,`);

    const refused = await vigil(['db', 'restore', file, '--yes', '--dir', backups]);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain(`Backup ${file} is encrypted: give the age identity`);
    const restored = await vigil(['db', 'restore', file, '--identity', keyFile, '--yes', '--dir', backups]);
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain(`from ${file}`);
    expect(restored.stdout).toContain('decrypted with the identity given');
    expect(restored.stdout).not.toContain('AGE-SECRET-KEY');
  });
});
