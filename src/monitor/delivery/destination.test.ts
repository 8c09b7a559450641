import { describe, expect, it } from 'vitest';
import { VigilError } from '../../errors.js';
import {
  createSender,
  describeDestination,
  eventsOf,
  isLoopbackHost,
  parseDestination,
} from './destination.js';

const SECRET = 'a-webhook-secret-of-at-least-32-characters!';

function issues(input: unknown): { field?: string; reason: string }[] {
  try {
    parseDestination(input);
  } catch (e) {
    expect(e).toBeInstanceOf(VigilError);
    expect((e as VigilError).code).toBe('invalid_input');
    return (e as VigilError).issues;
  }
  throw new Error('expected the destination to be refused');
}

describe('parseDestination', () => {
  it('takes what a destination receives: alerts by default, task events only on webhooks', () => {
    const hook = { kind: 'webhook', url: 'https://hooks.example.org/vigil', secret: SECRET };
    expect(parseDestination(hook)).toMatchObject({ events: ['alerts'] });
    expect(parseDestination({ ...hook, events: ['tasks'] })).toMatchObject({ events: ['tasks'] });
    expect(parseDestination({ ...hook, events: ['alerts', 'tasks'] })).toMatchObject({
      events: ['alerts', 'tasks'],
    });
    for (const events of [[], 'tasks', ['tasks', 'tasks']])
      expect(issues({ ...hook, events }).map((i) => i.field)).toEqual(['events']);
    expect(issues({ ...hook, events: ['alerts', 'tickets'] })).toEqual([
      { field: 'events.1', reason: 'a list of "alerts" and/or "tasks"' },
    ]);
    expect(issues({ kind: 'syslog', transport: 'udp', host: 'h', port: 514, events: ['tasks'] })).toEqual([
      { field: 'events', reason: 'syslog destinations carry alerts only; send task events to a webhook' },
    ]);
    // A configuration stored before `events` existed keeps receiving alerts.
    expect(eventsOf({})).toEqual(['alerts']);
    expect(eventsOf({ events: ['tasks'] })).toEqual(['tasks']);
  });

  it('accepts syslog over each transport, with defaults for facility and app name', () => {
    expect(parseDestination({ kind: 'syslog', transport: 'udp', host: '10.0.0.5', port: 514 })).toEqual({
      kind: 'syslog',
      transport: 'udp',
      host: '10.0.0.5',
      port: 514,
      facility: 'local0',
      appName: 'vigil',
      events: ['alerts'],
    });
    expect(
      parseDestination({
        kind: 'syslog',
        name: 'siem',
        transport: 'tls',
        host: 'siem.hospital.example',
        port: '6514',
        caFile: '/etc/vigil/siem-ca.pem',
        certFile: '/etc/vigil/client.pem',
        keyFile: '/etc/vigil/client.key',
        facility: 13,
        appName: 'vigil-east',
      }),
    ).toMatchObject({ port: 6514, facility: 13, name: 'siem' });
    // `vigil alerts destinations add --facility 13` passes the number as text.
    expect(
      parseDestination({ kind: 'syslog', transport: 'udp', host: 'h', port: '514', facility: '13' }),
    ).toMatchObject({ facility: 13 });
    for (const facility of ['', null, true])
      expect(issues({ kind: 'syslog', transport: 'udp', host: 'h', port: 514, facility })).toEqual([
        {
          field: 'facility',
          reason: 'a facility name (kern … local7, audit, alert) or a number from 0 to 23',
        },
      ]);
    expect(issues({ kind: 'syslog', transport: 'udp', host: 'h', port: 514, facility: '24' })).toEqual([
      { field: 'facility', reason: 'a facility name (kern … local7, audit, alert) or a number from 0 to 23' },
    ]);
  });

  it('refuses TLS files on plain transports, a certificate without its key, bad ports and unknown fields', () => {
    expect(
      issues({
        kind: 'syslog',
        transport: 'tcp',
        host: 'h',
        port: 0,
        caFile: '/x',
        certFile: '/c',
        extra: 1,
      }),
    ).toEqual(
      expect.arrayContaining([
        { field: 'port', reason: 'a port number from 1 to 65535' },
        { reason: 'unknown field: extra' },
      ]),
    );
    expect(issues({ kind: 'syslog', transport: 'tcp', host: 'h', port: 1, caFile: '/x' })).toEqual([
      { field: 'caFile', reason: 'only for transport "tls"' },
    ]);
    expect(issues({ kind: 'syslog', transport: 'tls', host: 'h', port: 1, certFile: '/c' })).toEqual([
      { field: 'keyFile', reason: 'certFile and keyFile go together' },
    ]);
    expect(
      issues({ kind: 'syslog', transport: 'tls', host: 'h h', port: 1, facility: 'local9' }).map(
        (i) => i.field,
      ),
    ).toEqual(['host', 'facility']);
    expect(issues({ kind: 'smtp' })[0]!.field).toBe('kind');
  });

  it('says which fields are missing instead of "expected string, received undefined"', () => {
    expect(issues({ kind: 'syslog' })).toEqual([
      { field: 'transport', reason: 'required: udp, tcp or tls' },
      { field: 'host', reason: "required: the receiver's host name or IP address" },
      { field: 'port', reason: 'a port number from 1 to 65535' },
    ]);
    expect(issues({ kind: 'syslog', transport: 'udp', host: 'h', port: 'syslog' })).toEqual([
      { field: 'port', reason: 'a port number from 1 to 65535' },
    ]);
    expect(issues({ kind: 'webhook' })).toEqual([
      { field: 'url', reason: "required: the receiver's https:// URL" },
      { field: 'secret', reason: 'required: the signing secret (32–1024 characters)' },
    ]);
  });

  it('accepts https webhooks, and plain http only to loopback', () => {
    expect(
      parseDestination({ kind: 'webhook', url: 'https://soar.hospital.example/hooks/vigil', secret: SECRET }),
    ).toMatchObject({
      kind: 'webhook',
    });
    expect(
      parseDestination({ kind: 'webhook', url: 'http://127.0.0.1:8080/hook', secret: SECRET }).kind,
    ).toBe('webhook');
    expect(parseDestination({ kind: 'webhook', url: 'http://[::1]:8080/hook', secret: SECRET }).kind).toBe(
      'webhook',
    );
    expect(issues({ kind: 'webhook', url: 'http://soar.hospital.example/hook', secret: SECRET })).toEqual([
      { field: 'url', reason: 'must use https:// (plain http only to a loopback address)' },
    ]);
    expect(issues({ kind: 'webhook', url: 'ftp://x/', secret: SECRET })[0]!.reason).toBe(
      'must be an https:// URL',
    );
    expect(issues({ kind: 'webhook', url: 'https://u:p@x/', secret: SECRET })[0]!.reason).toMatch(
      /credentials/,
    );
  });

  it('never repeats the secret (or a token in the URL) in its complaints', () => {
    const short = 'short-secret-value';
    const e = issues({ kind: 'webhook', url: 'http://soar.example/?token=tok-123456', secret: short });
    expect(e).toEqual([
      { field: 'url', reason: expect.any(String) },
      { field: 'secret', reason: 'at least 32 characters' },
    ]);
    expect(JSON.stringify(e)).not.toContain(short);
    expect(JSON.stringify(e)).not.toContain('tok-123456');
  });

  it('knows loopback hosts', () => {
    expect(['localhost', 'a.localhost', '127.0.0.1', '127.9.9.9', '::1', '[::1]'].every(isLoopbackHost)).toBe(
      true,
    );
    expect(['10.0.0.1', 'example.com', '::2', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('createSender', () => {
  it('builds the sender for each kind, described without secrets', () => {
    const cases = [
      [{ kind: 'syslog', transport: 'udp', host: '::1', port: 514 }, 'syslog+udp://[::1]:514'],
      [
        { kind: 'syslog', transport: 'tcp', host: 'siem.example', port: 601 },
        'syslog+tcp://siem.example:601',
      ],
      [
        { kind: 'syslog', transport: 'tls', host: 'siem.example', port: 6514 },
        'syslog+tls://siem.example:6514',
      ],
      [
        { kind: 'webhook', url: `https://x.example/h?token=${SECRET}`, secret: SECRET },
        'webhook https://x.example/h',
      ],
      [{ kind: 'webhook', name: 'soar', url: 'https://x.example/h', secret: SECRET }, 'soar'],
    ] as const;
    for (const [input, described] of cases) {
      const d = parseDestination(input);
      expect(describeDestination(d)).toBe(described);
      const sender = createSender(d);
      expect(sender.destination).toBe(described);
      void sender.close();
    }
  });

  it('a missing TLS file is a configuration error naming the field and path', () => {
    const d = parseDestination({
      kind: 'syslog',
      transport: 'tls',
      host: 'h',
      port: 1,
      caFile: '/nonexistent/ca.pem',
    });
    expect(() => createSender(d)).toThrow(
      expect.objectContaining({
        code: 'configuration',
        message: 'Alert destination caFile /nonexistent/ca.pem: ENOENT',
      }),
    );
  });
});
