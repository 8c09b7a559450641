/**
 * `vigil alerts …` end to end against a temporary SQLite file, in-process (test/cli-in-process.ts, the
 * built CLI's own command tree) and, for a secret read from a real pipe and a refusal's exit code, as the
 * built binary (dist/, built by test/global-setup.ts): `vigil import` of a real capture with cleartext
 * HL7 (test/fixtures/captures/04-hl7-mllp.pcap, copied unchanged from shared/data/captures, fake patient
 * data; see PROVENANCE.md) raises a cleartext-phi alert, a second import counts on it instead of
 * duplicating it, people change its state, and a webhook destination on loopback receives what a later
 * import raises.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vigilInProcess } from '../../../test/cli-in-process.js';
import { type WebhookReceiver, webhookReceiver } from '../../../test/webhook-receiver.js';
import { makeCerts } from '../../monitor/delivery/rsyslog-harness.js';

const root = resolve(import.meta.dirname, '../../..');
const bin = join(root, 'bin/vigil.js');
const CAPTURES = join(root, 'test/fixtures/captures');
const SECRET = 'cli-test-webhook-secret-0123456789abcdef';

let db: string;
/** A literal for a RegExp. */
const lit = (s: string | null) => String(s).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The command in this process. */
function vigil(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return vigilInProcess(args, { db: `sqlite:${db}`, ...(input !== undefined ? { input } : {}) });
}

/** The binary, without blocking this process, so the loopback receiver below can answer. */
function spawnVigil(
  args: string[],
  input?: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = execFile(
      process.execPath,
      [bin, ...args],
      { env: { ...process.env, VIGIL_DB: `sqlite:${db}`, VIGIL_LOG_LEVEL: 'silent' }, timeout: 60_000 },
      (err, stdout, stderr) =>
        done({
          code: err ? ((err as { code?: number }).code ?? 1) : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        }),
    );
    child.stdin?.end(input ?? '');
  });
}

interface AlertJson {
  id: string;
  rule: string;
  subject: string;
  state: string;
  count: number;
  deviceId: string | null;
  deviceLabel: string | null;
  evidence: { file: string; connection: string }[];
}

interface AlertFields {
  rule: string;
  subject: string;
  deviceId: string | null;
  deviceLabel?: string | null;
}

// A busy CI machine takes seconds per start of the binary.
describe('vigil alerts', { timeout: 300_000 }, () => {
  let rx: WebhookReceiver<{ alert: AlertFields }>;
  let url: string;
  /** The alerts the SOC's receiver got, each with whether its signature verified. */
  const got = () => rx.hits.map((h) => ({ verified: h.verified, ...h.body.alert }));

  beforeAll(async () => {
    db = join(mkdtempSync(join(tmpdir(), 'vigil-alerts-')), 'vigil.db');
    rx = await webhookReceiver(SECRET);
    url = `${rx.origin}/hook`;
  });
  afterAll(() => rx?.close());

  it('raises a cleartext-phi alert on import and counts a second import on it', async () => {
    const first = await vigil(['import', join(CAPTURES, '04-hl7-mllp.pcap')]);
    expect(first.code).toBe(0);
    expect(first.stderr).toMatch(/alerts: [1-9]\d* new, 0 seen again/);
    const list1 = await vigil(['alerts', 'list', '--rule', 'cleartext-phi', '--json']);
    expect(list1.code).toBe(0);
    const page1 = JSON.parse(list1.stdout) as { items: AlertJson[]; total: number };
    expect(page1.total).toBeGreaterThan(0);
    expect(page1.items.every((a) => a.count === 1 && a.state === 'new' && a.subject === 'hl7:2575')).toBe(
      true,
    );
    expect(page1.items[0]!.evidence[0]!.file).toBe('04-hl7-mllp.pcap');
    // The capture's HL7 senders have no asset tag, make or model yet: they are named by their address.
    expect(page1.items.map((a) => a.deviceLabel).sort()).toEqual(['10.30.0.41', '10.30.0.42']);
    for (const a of page1.items)
      expect(a.evidence[0]!.connection).toMatch(new RegExp(`^${lit(a.deviceLabel)}:`));

    const second = await vigil(['import', '--json', join(CAPTURES, '04-hl7-mllp.pcap')]);
    expect(second.code).toBe(0);
    const [report] = JSON.parse(second.stdout) as { alerts: { created: number; updated: number } }[];
    expect(report!.alerts).toMatchObject({ created: 0, updated: page1.total });
    const page2 = JSON.parse(
      (await vigil(['alerts', 'list', '--rule', 'cleartext-phi', '--json'])).stdout,
    ) as {
      items: AlertJson[];
      total: number;
    };
    expect(page2.total).toBe(page1.total);
    expect(page2.items.every((a) => a.count === 2)).toBe(true);

    const table = await vigil(['alerts', 'list']);
    expect(table.stdout).toMatch(/SEVERITY\s+RULE\s+SUBJECT/);
    expect(table.stdout).toContain('cleartext-phi');
    // DEVICE shows the label, not the device's UUID (the ID column is the alert's).
    for (const a of page2.items) {
      expect(table.stdout).toMatch(new RegExp(`hl7:2575\\s+${lit(a.deviceLabel)}\\s+new`));
      expect(table.stdout).not.toContain(a.deviceId);
    }

    // --device takes what the DEVICE column shows (the address), as well as the id.
    const byLabel = JSON.parse(
      (await vigil(['alerts', 'list', '--device', '10.30.0.41', '--json'])).stdout,
    ) as {
      items: AlertJson[];
    };
    const target = page2.items.find((a) => a.deviceLabel === '10.30.0.41')!;
    expect(byLabel.items.map((a) => a.id)).toContain(target.id);
    expect(byLabel.items.every((a) => a.deviceId === target.deviceId)).toBe(true);
    const byId = JSON.parse((await vigil(['alerts', 'list', '--device', target.deviceId!, '--json'])).stdout);
    expect(byId.items.map((a: AlertJson) => a.id)).toEqual(byLabel.items.map((a) => a.id));
    // A device or site that does not exist is an error, not an empty table.
    const noDevice = await vigil(['alerts', 'list', '--device', '10.99.99.99']);
    expect(noDevice.code).toBe(66);
    expect(noDevice.stderr).toMatch(/Device "10\.99\.99\.99" not found/);
    const noSite = await vigil(['alerts', 'list', '--site', 'Nowhere']);
    expect(noSite.code).toBe(66);
    expect(noSite.stderr).toMatch(/Site Nowhere not found/);
  });

  it('acknowledges, resolves, refuses a dismissal without a reason, and shows the history', async () => {
    const page = JSON.parse((await vigil(['alerts', 'list', '--json'])).stdout) as { items: AlertJson[] };
    const { id, deviceId, deviceLabel } = page.items[0]!;
    const ack = await vigil(['alerts', 'ack', id, '--reason', 'biomed informed']);
    expect(ack.code).toBe(0);
    expect(ack.stdout).toMatch(/is acknowledged/);
    expect(ack.stdout).toContain(`(cleartext-phi hl7:2575 on ${deviceLabel})`);
    const fp = await spawnVigil(['alerts', 'false-positive', id]);
    expect(fp.code).toBe(65);
    expect(fp.stderr).toContain('Say why it is a false positive: give --reason TEXT');
    expect((await vigil(['alerts', 'resolve', id, '--reason', 'moved to TLS'])).code).toBe(0);
    const wrong = await vigil(['alerts', 'ack', id]);
    expect(wrong.code).toBe(65);
    expect(wrong.stderr).toMatch(/resolved cannot become acknowledged/);
    expect((await vigil(['alerts', 'reopen', id, '--reason', 'seen on the ward'])).code).toBe(0);
    const show = JSON.parse((await vigil(['alerts', 'show', id, '--json'])).stdout) as {
      state: string;
      events: { action: string; toState: string }[];
    };
    expect(show.state).toBe('new');
    expect(show.events.map((e) => `${e.action}:${e.toState}`)).toEqual([
      'created:new',
      'reoccurred:new',
      'state:acknowledged',
      'state:resolved',
      'state:new',
    ]);
    const text = await vigil(['alerts', 'show', id]);
    expect(text.stdout).toMatch(/^evidence$/m);
    expect(text.stdout).toMatch(new RegExp(`^device +${lit(deviceLabel)} \\(${deviceId}\\) +site -$`, 'm'));
    expect((await vigil(['alerts', 'show', 'no-such-id'])).code).toBe(66);
  });

  it('tells how to give a webhook secret when none was given', async () => {
    const r = await vigil([
      'alerts',
      'destinations',
      'add',
      '--name',
      'nosecret',
      '--kind',
      'webhook',
      '--url',
      url,
    ]);
    expect(r.code).toBe(65);
    expect(r.stderr).toMatch(/--secret-stdin or --secret-file/);
    expect((await vigil(['alerts', 'destinations', 'list', '--json'])).stdout).not.toContain('nosecret');
  });

  it('manages a webhook destination and delivers what the next import raises', async () => {
    const add = await spawnVigil(
      ['alerts', 'destinations', 'add', '--name', 'soc', '--kind', 'webhook', '--url', url, '--secret-stdin'],
      `${SECRET}\n`,
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const list = await vigil(['alerts', 'destinations', 'list', '--json']);
    expect(list.stdout).not.toContain(SECRET);
    expect(JSON.parse(list.stdout)).toMatchObject([{ name: 'soc', kind: 'webhook', hasSecret: true }]);
    const test = await vigil(['alerts', 'destinations', 'test', 'soc']);
    expect(test.code).toBe(0);
    expect(got().at(-1)).toMatchObject({ verified: true, rule: 'test', deviceLabel: null });

    const before = got().length;
    const imp = await vigil(['import', '--json', join(CAPTURES, '07-telnet-ftp-ssh-mqtt.pcap')]);
    expect(imp.code).toBe(0);
    const [report] = JSON.parse(imp.stdout) as { alerts: { created: number } }[];
    const delivered = got().slice(before);
    // Every alert the import created was delivered once, signed; the dissectors may find more than these.
    expect(delivered).toHaveLength(report!.alerts.created);
    expect(delivered.every((g) => g.verified)).toBe(true);
    // Each delivered alert names its device for the SOC: the capture's hosts by address (no asset tags).
    for (const g of delivered.filter((d) => d.deviceId))
      expect(g.deviceLabel).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(delivered.map((g) => `${g.rule} ${g.subject}`)).toEqual(
      expect.arrayContaining([
        'cleartext-credentials ftp:21',
        'cleartext-credentials telnet:23',
        'insecure-protocol ftp:21',
        'insecure-protocol telnet:23',
      ]),
    );
    const dead = await vigil(['alerts', 'dead-letters', '--json']);
    expect(JSON.parse(dead.stdout)).toEqual([]);
    expect((await vigil(['alerts', 'retry', 'no-such-delivery'])).code).toBe(66);
    expect((await vigil(['alerts', 'destinations', 'remove', 'soc'])).code).toBe(0);
  });

  it('takes a TLS file anywhere on the server from its operator, alertTlsDir or not', async () => {
    // The API takes only files in alertTlsDir (server/routes/alerts-tls-dir.test.ts); the CLI runs on the
    // host as its operator, who may read any file anyway.
    const elsewhere = mkdtempSync(join(tmpdir(), 'vigil-cli-tls-'));
    const certs = makeCerts(elsewhere);
    const tlsDir = mkdtempSync(join(tmpdir(), 'vigil-cli-tls-dir-'));
    const add = await vigilInProcess(
      [
        'alerts',
        'destinations',
        'add',
        '--name',
        'siem-tls',
        '--kind',
        'syslog',
        '--transport',
        'tls',
        '--host',
        '127.0.0.1',
        '--port',
        '6514',
        '--ca-file',
        certs.caFile,
        '--cert-file',
        certs.clientCertFile,
        '--key-file',
        certs.clientKeyFile,
        '--json',
      ],
      { db: `sqlite:${db}`, env: { VIGIL_ALERT_TLS_DIR: tlsDir } },
    );
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    expect(JSON.parse(add.stdout)).toMatchObject({
      name: 'siem-tls',
      config: { caFile: certs.caFile, certFile: certs.clientCertFile, keyFile: certs.clientKeyFile },
    });
    expect((await vigil(['alerts', 'destinations', 'remove', 'siem-tls'])).code).toBe(0);
  });
});
