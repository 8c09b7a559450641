/**
 * @module RFC 5424 syslog messages for alerts: header, one `vigil@32473` structured-data element and a CEF
 * payload after a UTF-8 BOM, capped in size; and the syslog AlertSender that hands them to a transport
 * (syslog-transport.ts: UDP, TCP or TLS). Formatting is pure.
 * @see RFC 5424 §6 (syslog message format), §6.1 (truncation), §6.2.1 (PRI), §6.3 (STRUCTURED-DATA)
 */
import { hostname as osHostname } from 'node:os';
import type { AlertSeverity } from '../alert-candidate.js';
import { type AlertSender, type DeliveryAttempt, DeliveryError } from './alert-sender.js';
import { type CefOptions, formatCef } from './cef.js';
import type { DeliverableAlert } from './deliverable-alert.js';
import type { SyslogTransport } from './syslog-transport.js';

/** RFC 5424 §6.2.1 Table 1. */
export const SYSLOG_FACILITIES = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  audit: 13,
  alert: 14,
  clock: 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
} as const;
export type SyslogFacilityName = keyof typeof SYSLOG_FACILITIES;

/** Alert severity → RFC 5424 severity (Table 2): critical 2 Critical … info 6 Informational. */
export const SYSLOG_SEVERITY: Record<AlertSeverity, number> = {
  critical: 2,
  high: 3,
  medium: 4,
  low: 5,
  info: 6,
};

/** IANA Private Enterprise Number in the SD-ID (32473 is the one RFC 5612 reserves for documentation). */
export const SD_ID = 'vigil@32473';
export const BOM = '\uFEFF';
/** RFC 5424 §6.1: every receiver must take 480 octets; 2048 is what it should take. */
export const MIN_MESSAGE_BYTES = 480;
export const DEFAULT_MESSAGE_BYTES = 2048;

export interface SyslogHeader {
  facility: number;
  severity: number;
  timestamp: Date;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
}

/**
 * A header field: PRINTUSASCII only (anything else becomes `_`), at most `max` octets, `-` (NILVALUE)
 * when empty.
 */
export function headerField(value: string, max: number): string {
  const v = value.replace(/[^\x21-\x7e]/g, '_').slice(0, max);
  return v === '' ? '-' : v;
}

/** PARAM-VALUE: `"`, `\` and `]` escaped (§6.3.3); control characters, which receivers mangle, become spaces. */
export function escapeSdValue(value: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
  return value.replace(/[\u0000-\u001f\u007f]/g, ' ').replace(/["\\\]]/g, (c) => `\\${c}`);
}

/** `[vigil@32473 k="v" …]`; null values are left out. */
export function structuredData(params: [string, string | number | null][]): string {
  const body = params
    .filter((p): p is [string, string | number] => p[1] !== null)
    .map(([k, v]) => ` ${k}="${escapeSdValue(String(v))}"`)
    .join('');
  return `[${SD_ID}${body}]`;
}

/**
 * One RFC 5424 message as bytes: `<PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID SD BOM MSG`. When it
 * would exceed `maxBytes` the MSG is cut at a character boundary (§6.1), never the header or SD.
 */
export function formatSyslogMessage(
  h: SyslogHeader,
  sd: string,
  msg: string,
  maxBytes: number = DEFAULT_MESSAGE_BYTES,
): Buffer {
  const pri = h.facility * 8 + h.severity;
  const head = [
    `<${pri}>1`,
    h.timestamp.toISOString(),
    headerField(h.hostname, 255),
    headerField(h.appName, 48),
    headerField(h.procId, 128),
    headerField(h.msgId, 32),
    sd,
  ].join(' ');
  const prefix = Buffer.from(`${head} ${BOM}`, 'utf8');
  if (prefix.length > maxBytes) {
    throw new DeliveryError(`syslog header and structured data alone exceed ${maxBytes} bytes`, {
      retryable: false,
    });
  }
  let body: Buffer = Buffer.from(msg, 'utf8');
  if (prefix.length + body.length > maxBytes) body = cutUtf8(body, maxBytes - prefix.length);
  return Buffer.concat([prefix, body]);
}

/**
 * The first `max` bytes of UTF-8 text, backed off to a character start; a trailing odd backslash (half of a
 * CEF escape) is dropped too.
 */
function cutUtf8(buf: Buffer, max: number): Buffer {
  let end = max;
  // Continuation bytes are 10xxxxxx: step back to the lead byte of the character that was cut.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  let slashes = 0;
  while (end - slashes > 0 && buf[end - 1 - slashes] === 0x5c) slashes++;
  if (slashes % 2 === 1) end--;
  return buf.subarray(0, end);
}

export interface AlertSyslogOptions extends CefOptions {
  facility?: number;
  hostname?: string;
  appName?: string;
  procId?: string;
  maxBytes?: number;
  now?: () => Date;
}

/** The syslog message for an alert: MSGID = rule, SD = identity and state, MSG = the CEF line. */
export function alertSyslogMessage(alert: DeliverableAlert, opts: AlertSyslogOptions = {}): Buffer {
  const header: SyslogHeader = {
    facility: opts.facility ?? SYSLOG_FACILITIES.local0,
    severity: SYSLOG_SEVERITY[alert.severity],
    timestamp: (opts.now ?? (() => new Date()))(),
    hostname: opts.hostname ?? osHostname(),
    appName: opts.appName ?? 'vigil',
    procId: opts.procId ?? String(process.pid),
    msgId: alert.rule,
  };
  const clip = (v: string | null) => (v === null ? null : v.slice(0, 128));
  const sd = structuredData([
    ['alertId', clip(alert.id)],
    ['severity', alert.severity],
    ['state', alert.state],
    ['count', alert.count],
    ['deviceId', clip(alert.deviceId)],
    ['assetTag', clip(alert.assetTag)],
    ['deviceLabel', clip(alert.deviceLabel)],
    ['siteId', clip(alert.siteId)],
  ]);
  return formatSyslogMessage(header, sd, formatCef(alert, opts), opts.maxBytes);
}

/** Sends each alert as one RFC 5424 message over the given transport. */
export function createSyslogSender(
  transport: SyslogTransport,
  opts: Omit<AlertSyslogOptions, 'maxBytes'> = {},
): AlertSender {
  return {
    destination: transport.destination,
    send: (alert: DeliverableAlert, _attempt: DeliveryAttempt) =>
      transport.send(alertSyslogMessage(alert, { ...opts, maxBytes: transport.maxMessageBytes })),
    close: () => transport.close(),
  };
}
