/**
 * @module Where alerts go: the destination schema (syslog over UDP/TCP/TLS, or a signed webhook), checked
 * once with zod, and createSender(), which builds the matching AlertSender. Secrets (the webhook secret,
 * key file contents) never appear in errors or logs; URLs are shown without query or credentials.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { z } from 'zod';
import { VigilError } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import type { AlertSender } from './alert-sender.js';
import { createSyslogSender, SYSLOG_FACILITIES, type SyslogFacilityName } from './syslog.js';
import { createTcpTransport, createTlsTransport, createUdpTransport } from './syslog-transport.js';
import { createWebhookSender, safeUrl } from './webhook.js';

/** Loopback names and addresses, where plain http cannot be read by anyone else on the network. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

const name = z
  .string()
  .regex(/^[\x21-\x7e]{1,64}$/, 'printable ASCII without spaces, at most 64 characters')
  .optional();
/**
 * zod's default for a field left out reads "Invalid input: expected string, received undefined": name what
 * is missing instead, since people type these as CLI flags or JSON by hand.
 */
const required = (what: string) => ({
  error: (issue: { input?: unknown }) => (issue.input === undefined ? `required: ${what}` : undefined),
});
// Coercion turns a missing or non-numeric port into NaN before any check sees it, so one message covers all.
const PORT_RANGE = 'a port number from 1 to 65535';
const port = z.coerce.number({ error: PORT_RANGE }).int(PORT_RANGE).min(1, PORT_RANGE).max(65535, PORT_RANGE);
const file = z.string().min(1).max(4096).optional();
/** What a destination receives: alerts (the default, what every destination did before) and/or task events. */
export const DESTINATION_EVENTS = ['alerts', 'tasks'] as const;
export type DestinationEvent = (typeof DESTINATION_EVENTS)[number];
const EVENTS = 'a list of "alerts" and/or "tasks"';
const events = z
  .array(z.enum(DESTINATION_EVENTS, { error: EVENTS }), { error: EVENTS })
  .min(1, EVENTS)
  .refine((v) => new Set(v).size === v.length, 'each of "alerts" and "tasks" at most once')
  .default(['alerts']);
const FACILITY = 'a facility name (kern … local7, audit, alert) or a number from 0 to 23';
const FACILITY_NAMES = Object.keys(SYSLOG_FACILITIES) as [SyslogFacilityName, ...SyslogFacilityName[]];

export const SyslogDestinationSchema = z
  .strictObject({
    kind: z.literal('syslog'),
    name,
    transport: z.enum(['udp', 'tcp', 'tls'], required('udp, tcp or tls')),
    host: z
      .string(required("the receiver's host name or IP address"))
      .min(1)
      .max(253)
      .regex(/^[A-Za-z0-9.:_-]+$/, 'a host name or an IP address (IPv6 without brackets)'),
    port,
    /** PEM CA the receiver's certificate must chain to (TLS); the system store when absent. */
    caFile: file,
    /** PEM client certificate and key, for receivers that require mutual TLS. */
    certFile: file,
    keyFile: file,
    // A number arrives as text from `--facility 13` (the CLI) and as a number from JSON: both are the code.
    // Only digits are read as a number, so an empty string or null never becomes 0 (kern).
    facility: z
      .union(
        [
          z.enum(FACILITY_NAMES),
          z.number(FACILITY).int(FACILITY).min(0, FACILITY).max(23, FACILITY),
          z
            .string()
            .regex(/^\d{1,2}$/, FACILITY)
            .transform(Number)
            .pipe(z.number().min(0, FACILITY).max(23, FACILITY)),
        ],
        { error: FACILITY },
      )
      .default('local0'),
    appName: z
      .string()
      .regex(/^[\x21-\x7e]{1,48}$/, 'printable ASCII without spaces, at most 48 characters')
      .default('vigil'),
    events,
  })
  .superRefine((d, ctx) => {
    // A syslog line is a CEF alert for a SIEM: severity, signature and source address have no meaning
    // for a task, and a SIEM is not where work orders are made.
    if (d.events.includes('tasks'))
      ctx.addIssue({
        code: 'custom',
        path: ['events'],
        message: 'syslog destinations carry alerts only; send task events to a webhook',
      });
    if (d.transport !== 'tls') {
      for (const k of ['caFile', 'certFile', 'keyFile'] as const) {
        if (d[k] !== undefined)
          ctx.addIssue({ code: 'custom', path: [k], message: 'only for transport "tls"' });
      }
    }
    if ((d.certFile === undefined) !== (d.keyFile === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['keyFile'], message: 'certFile and keyFile go together' });
    }
  });

export const WebhookDestinationSchema = z.strictObject({
  kind: z.literal('webhook'),
  name,
  // The value is never echoed back: a URL may carry a token in its query.
  url: z.string(required("the receiver's https:// URL")).superRefine((v, ctx) => {
    let u: URL;
    try {
      u = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'not a valid URL' });
      return;
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:') {
      ctx.addIssue({ code: 'custom', message: 'must be an https:// URL' });
    } else if (u.protocol === 'http:' && !isLoopbackHost(u.hostname)) {
      ctx.addIssue({ code: 'custom', message: 'must use https:// (plain http only to a loopback address)' });
    }
    if (u.username || u.password) {
      ctx.addIssue({ code: 'custom', message: 'must not contain credentials (the signature authenticates)' });
    }
  }),
  secret: z
    .string(required('the signing secret (32–1024 characters)'))
    .min(32, 'at least 32 characters')
    .max(1024, 'at most 1024 characters'),
  timeoutMs: z.coerce.number().int().min(100).max(120_000).optional(),
  events,
});

export const DestinationSchema = z.discriminatedUnion('kind', [
  SyslogDestinationSchema,
  WebhookDestinationSchema,
]);
export type DestinationInput = z.input<typeof DestinationSchema>;
export type Destination = z.output<typeof DestinationSchema>;
export type SyslogDestination = z.output<typeof SyslogDestinationSchema>;
export type WebhookDestination = z.output<typeof WebhookDestinationSchema>;

/** What a destination receives; stored configurations from before `events` existed receive alerts. */
export function eventsOf(config: { events?: unknown }): DestinationEvent[] {
  const parsed = events.safeParse(config.events);
  return parsed.success ? parsed.data : ['alerts'];
}

/** Validates a destination, or throws invalid_input listing each bad field (never the secret's value). */
export function parseDestination(input: unknown): Destination {
  return parseInput(DestinationSchema, input, 'alert destination');
}

/** Where a destination sends, safe to log: `syslog+tls://siem.example:6514`, `webhook https://x/hook`. */
export function describeDestination(d: Destination): string {
  if (d.name) return d.name;
  if (d.kind === 'webhook') return `webhook ${safeUrl(d.url)}`;
  const host = isIP(d.host) === 6 ? `[${d.host}]` : d.host;
  return `syslog+${d.transport}://${host}:${d.port}`;
}

export interface SenderOptions {
  connectTimeoutMs?: number;
  /** TCP/TLS: how long a new connection must stay open before the first write (syslog-transport.ts). */
  connectionCheckMs?: number;
  /** HOSTNAME in syslog messages; this machine's name by default. */
  hostname?: string;
}

/**
 * The sender for a validated destination. TLS files are read now, so a missing or unreadable file is a
 * configuration error at start-up rather than a delivery failure later.
 */
export function createSender(destination: Destination, opts: SenderOptions = {}): AlertSender {
  const d = destination;
  if (d.kind === 'webhook') {
    const sender = createWebhookSender({ url: d.url, secret: d.secret, timeoutMs: d.timeoutMs });
    return d.name ? { ...sender, destination: d.name } : sender;
  }
  const base = {
    host: d.host,
    port: d.port,
    connectTimeoutMs: opts.connectTimeoutMs,
    connectionCheckMs: opts.connectionCheckMs,
  };
  const transport =
    d.transport === 'udp'
      ? createUdpTransport(base)
      : d.transport === 'tcp'
        ? createTcpTransport(base)
        : createTlsTransport({
            ...base,
            ca: readPem(d.caFile, 'caFile'),
            cert: readPem(d.certFile, 'certFile'),
            key: readPem(d.keyFile, 'keyFile'),
          });
  const sender = createSyslogSender(transport, {
    facility: typeof d.facility === 'number' ? d.facility : SYSLOG_FACILITIES[d.facility],
    appName: d.appName,
    hostname: opts.hostname,
  });
  return d.name ? { ...sender, destination: d.name } : sender;
}

function readPem(path: string | undefined, field: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'unreadable';
    // The path only: the contents of a key file must never reach a message.
    throw new VigilError('configuration', `Alert destination ${field} ${path}: ${code}`, { cause: err });
  }
}
