import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VigilError } from '../errors.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('has safe defaults: SQLite under ./vigil-data, loopback only', () => {
    const c = loadConfig({ env: {} });
    expect(c.db).toBe('sqlite:./vigil-data/vigil.db');
    expect(c.host).toBe('127.0.0.1');
    expect(c.port).toBe(7400);
    expect(c.auditRetentionYears).toBe(6);
  });

  it('takes file < environment < flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'vigil.json');
    writeFileSync(file, JSON.stringify({ port: 1111, host: '0.0.0.0', logLevel: 'debug' }));
    const c = loadConfig({
      env: { VIGIL_PORT: '2222', VIGIL_CONFIG: file },
      flags: { logLevel: 'warn', host: undefined },
    });
    expect(c).toMatchObject({ port: 2222, host: '0.0.0.0', logLevel: 'warn' });
  });

  it('trustProxy counts the reverse proxies in front: false none, true one, or a number', () => {
    const hops = (v: string | undefined) => loadConfig({ env: { VIGIL_TRUST_PROXY: v } }).trustProxy;
    expect(hops(undefined)).toBe(0);
    expect([hops('false'), hops('0'), hops('true'), hops('1'), hops('2'), hops(' 3 ')]).toEqual([
      0, 0, 1, 1, 2, 3,
    ]);
    // A JSON config file gives a boolean or a number.
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'vigil.json');
    writeFileSync(file, JSON.stringify({ trustProxy: true }));
    expect(loadConfig({ env: {}, file }).trustProxy).toBe(1);
    writeFileSync(file, JSON.stringify({ trustProxy: 2 }));
    expect(loadConfig({ env: {}, file }).trustProxy).toBe(2);
    for (const bad of ['17', '-1', '1.5', 'two'])
      expect(() => hops(bad)).toThrow(
        expect.objectContaining({
          issues: [
            expect.objectContaining({
              field: 'trustProxy (VIGIL_TRUST_PROXY)',
              reason: expect.stringMatching(/how many proxies/),
            }),
          ],
        }),
      );
  });

  it('refuses to start with every bad value listed', () => {
    let err: unknown;
    try {
      loadConfig({
        env: {
          VIGIL_PORT: 'eighty',
          VIGIL_DB: 'mysql://x',
          VIGIL_AUDIT_RETENTION_YEARS: '1',
          VIGIL_TRUST_PROXY: 'maybe',
        },
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VigilError);
    const e = err as VigilError;
    expect(e.code).toBe('configuration');
    expect(e.issues.map((i) => i.field ?? '').sort()).toEqual([
      'auditRetentionYears (VIGIL_AUDIT_RETENTION_YEARS)',
      'db (VIGIL_DB)',
      'port (VIGIL_PORT)',
      'trustProxy (VIGIL_TRUST_PROXY)',
    ]);
    expect(e.issues.find((i) => i.field?.startsWith('auditRetention'))?.reason).toMatch(/6 years/);
    // Each says what it read, so a typo or a unit shows; a value that may hold a secret is never repeated.
    expect(e.issues.find((i) => i.field?.startsWith('port'))?.reason).toMatch(/\(given "eighty"\)$/);
    expect(e.issues.find((i) => i.field?.startsWith('trustProxy'))?.reason).toMatch(/\(given "maybe"\)$/);
    expect(e.issues.find((i) => i.field?.startsWith('db'))?.reason).not.toContain('mysql://x');
  });

  it('takes feedAllowHosts from the file as a list or the environment comma-separated, and names a bad entry', () => {
    expect(loadConfig({ env: {} }).feedAllowHosts).toEqual([]);
    expect(
      loadConfig({ env: { VIGIL_FEED_ALLOW_HOSTS: 'mirror.hospital.local, 10.20.0.0/16' } }).feedAllowHosts,
    ).toEqual(['mirror.hospital.local', '10.20.0.0/16']);
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'vigil.json');
    writeFileSync(file, JSON.stringify({ feedAllowHosts: ['mirror.hospital.local', 'https://proxy:8080/'] }));
    let err: unknown;
    try {
      loadConfig({ env: {}, file });
    } catch (e) {
      err = e;
    }
    expect((err as VigilError).issues).toEqual([
      {
        field: 'feedAllowHosts (VIGIL_FEED_ALLOW_HOSTS)',
        reason: expect.stringContaining('"https://proxy:8080/" is not a host name, address or CIDR range'),
      },
    ]);
  });

  it('never repeats a secret it refuses', () => {
    let err: unknown;
    try {
      loadConfig({
        env: { VIGIL_SMTP_PORT: '25', VIGIL_SMTP_PASSWORD: '', VIGIL_OIDC_CLIENT_SECRET: 'x'.repeat(5000) },
      });
    } catch (e) {
      err = e;
    }
    expect((err as VigilError).issues.map((i) => i.reason).join(' ')).not.toContain('xxxx');
  });

  it('rejects unknown options in the config file and half a TLS pair', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ prot: 80 }));
    expect(() => loadConfig({ env: {}, file })).toThrow(/bad configuration/);
    expect(() => loadConfig({ env: { VIGIL_TLS_CERT: '/x.pem' } })).toThrow(VigilError);
    writeFileSync(file, '{ not json');
    expect(() => loadConfig({ env: {}, file })).toThrow(/not valid JSON/);
  });

  it('refuses a config file that is not UTF-8 at the bad byte, not with U+FFFD in a path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-config-'));
    const file = join(dir, 'vigil.json');
    // "hôpital" saved as Windows-1252: 0xF4 for ô.
    const bytes = Buffer.from('{"tlsCert": "/etc/vigil/h?pital.pem", "tlsKey": "/etc/vigil/key.pem"}');
    const at = bytes.indexOf('?');
    bytes[at] = 0xf4;
    writeFileSync(file, bytes);
    let err: unknown;
    try {
      loadConfig({ env: {}, file });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VigilError);
    expect((err as VigilError).message).toBe(`Config file ${file} is not UTF-8 text`);
    expect((err as VigilError).issues).toEqual([
      { file, offset: at, reason: `not UTF-8 text (byte 0xF4 at offset ${at})` },
    ]);
  });
});
