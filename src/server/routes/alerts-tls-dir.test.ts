/**
 * Syslog TLS files named over the API (POST /alert-destinations), on every dialect: only files inside the
 * operator's `alertTlsDir` are accepted. Outside it, `..` out of it and symlinks out of it get one answer
 * whether the file exists or not (no file-system oracle), and the server's other key files cannot become
 * Vigil's client key. Without `alertTlsDir` the three fields are refused, naming what to configure.
 * Certificates and keys are made by openssl (rsyslog-harness.ts makeCerts), never by Vigil.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ApiHarness, apiHarness } from '../../../test/api-harness.js';
import { DIALECTS } from '../../../test/dialects.js';
import { makeCerts, type TestCerts } from '../../monitor/delivery/rsyslog-harness.js';

let root: string;
let tlsDir: string;
/** Real PEM files inside the directory. */
let inside: TestCerts;
/** A real private key outside it: what an attacker would want presented as Vigil's client key. */
let outsideKey: string;
let missingOutside: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vigil-tls-dir-'));
  tlsDir = join(root, 'alert-tls');
  const elsewhere = join(root, 'elsewhere');
  mkdirSync(tlsDir);
  mkdirSync(elsewhere);
  inside = makeCerts(tlsDir);
  outsideKey = makeCerts(elsewhere).keyFile;
  missingOutside = join(elsewhere, 'no-such.key');
  symlinkSync(outsideKey, join(tlsDir, 'link-out.key'));
  symlinkSync(missingOutside, join(tlsDir, 'dangling.key'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const syslog = (name: string, files: Record<string, string>) => ({
  name,
  kind: 'syslog',
  transport: 'tls',
  host: '127.0.0.1',
  port: 6514,
  ...files,
});

describe.each(DIALECTS)('alert destination TLS files over the API on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect, { alertTlsDir: tlsDir });
  });
  afterAll(async () => h?.close());

  const add = async (name: string, files: Record<string, string>) => {
    const res = await h.as('security-officer').post('/api/v1/alert-destinations', syslog(name, files));
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it('accepts files inside alertTlsDir, by absolute path or by name', async () => {
    const r = await add('siem-inside', {
      caFile: inside.caFile,
      certFile: 'client.pem',
      keyFile: 'client.key',
    });
    expect(r.status).toBe(201);
    expect(r.body['config']).toMatchObject({
      caFile: inside.caFile,
      certFile: inside.clientCertFile,
      keyFile: inside.clientKeyFile,
    });
  });

  it('gives one answer for a file outside, `..` out and a symlink out, whether the file exists or not', async () => {
    const refused = `not a file in ${tlsDir} (alertTlsDir): name a file the operator put there`;
    const attempts: Record<string, string>[] = [
      { caFile: outsideKey },
      { caFile: missingOutside },
      { caFile: join(tlsDir, '..', 'elsewhere', 'client.key') },
      { caFile: join(tlsDir, '..', 'elsewhere', 'no-such.key') },
      { caFile: '../elsewhere/client.key' },
      { caFile: '../elsewhere/no-such.key' },
      { caFile: join(tlsDir, 'link-out.key') },
      { caFile: join(tlsDir, 'dangling.key') },
      { caFile: join(tlsDir, 'not-there.pem') },
      { caFile: '/etc/passwd' },
      { certFile: inside.clientCertFile, keyFile: outsideKey },
      { certFile: inside.clientCertFile, keyFile: 'link-out.key' },
    ];
    const answers = [];
    for (const [i, files] of attempts.entries()) {
      const r = await add(`refused-${i}`, files);
      expect(r.status, JSON.stringify(files)).toBe(400);
      answers.push(r.body);
    }
    for (const [i, body] of answers.entries()) {
      const field = 'keyFile' in attempts[i]! ? 'keyFile' : 'caFile';
      expect(body).toMatchObject({
        code: 'invalid_input',
        detail: 'Invalid alert destination',
        issues: [{ field, reason: refused }],
      });
    }
    // Existing and missing files outside give byte-for-byte the same answer.
    expect(answers[0]).toEqual(answers[1]);
    expect(answers[2]).toEqual(answers[3]);
    expect(answers[4]).toEqual(answers[5]);
    expect(answers[6]).toEqual(answers[7]);
    // Nothing refused was stored.
    const list = (await (await h.as('auditor').get('/api/v1/alert-destinations')).json()) as {
      items: { name: string }[];
    };
    expect(list.items.map((d) => d.name)).toEqual(['siem-inside']);
  });

  it('says when a file inside is not a PEM file', async () => {
    // The openssl extensions file makeCerts wrote beside the certificates: text, not PEM.
    const r = await add('not-pem', { caFile: 'client.ext' });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({
      issues: [{ field: 'caFile', reason: 'not a PEM file (no -----BEGIN line)' }],
    });
  });
});

describe.each(DIALECTS)('alert destination TLS files without alertTlsDir on %s', (dialect) => {
  let h: ApiHarness;
  beforeAll(async () => {
    h = await apiHarness(dialect);
  });
  afterAll(async () => h?.close());

  it('refuses caFile, certFile and keyFile, naming each field and what to configure', async () => {
    const res = await h.as('security-officer').post(
      '/api/v1/alert-destinations',
      syslog('siem', {
        caFile: inside.caFile,
        certFile: inside.clientCertFile,
        keyFile: inside.clientKeyFile,
      }),
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { detail: string; issues: { field: string; reason: string }[] };
    expect(body.detail).toContain('alertTlsDir (VIGIL_ALERT_TLS_DIR)');
    expect(body.issues.map((i) => i.field)).toEqual(['caFile', 'certFile', 'keyFile']);
    for (const i of body.issues) {
      expect(i.reason).toContain('not accepted over the API');
      expect(i.reason).toContain('alertTlsDir (VIGIL_ALERT_TLS_DIR)');
      expect(i.reason).toContain('vigil alerts destinations add');
    }
    // A TLS destination without files (the system trust store) is still fine over the API.
    const plain = await h.as('security-officer').post('/api/v1/alert-destinations', syslog('siem', {}));
    expect(plain.status).toBe(201);
  });
});
