/**
 * @module ArcSight Common Event Format (CEF) for one alert: the payload SIEMs expect inside a syslog
 * message. Pure: an alert in, one line of text out.
 * @see Micro Focus ArcSight Common Event Format (CEF) Implementation Standard, rev. 25 — "CEF Header",
 *   "Character Encoding" (escaping) and "ArcSight Extension Dictionary" (key names and lengths)
 */
import { isIPv4, isIPv6 } from 'node:net';
import { VERSION } from '../../version.js';
import type { AlertSeverity } from '../alert-candidate.js';
import { type DeliverableAlert, parseEvidenceConnection } from './deliverable-alert.js';

/** CEF severity 0–10 (Low 0–3, Medium 4–6, High 7–8, Very-High 9–10). */
export const CEF_SEVERITY: Record<AlertSeverity, number> = {
  info: 1,
  low: 3,
  medium: 5,
  high: 8,
  critical: 10,
};

export const CEF_VENDOR = 'Vigil';
export const CEF_PRODUCT = 'Vigil';

/** The custom-string labels SIEM content is written against; part of the contract (docs/alert-delivery.md). */
export const CEF_LABELS = {
  cs1Label: 'Vigil Device ID',
  cs2Label: 'Asset Tag',
  cs3Label: 'Vigil Site ID',
  cs4Label: 'Alert Subject',
  cs5Label: 'Device Label',
  c6a2Label: 'Source IPv6 Address',
  c6a3Label: 'Destination IPv6 Address',
} as const;

// Every character below U+0020 and DEL: the header must stay on one line, and the extension carries only
// \n and \r (escaped); other control characters could break a SIEM's line parser, so they become spaces.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
const HEADER_CONTROL = /[\u0000-\u001f\u007f]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this matches
const EXTENSION_CONTROL = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f]/g;

/** Header field: `\` → `\\`, `|` → `\|`; line breaks and other control characters become spaces. */
export function escapeCefHeader(value: string): string {
  return value.replace(HEADER_CONTROL, ' ').replace(/[\\|]/g, (c) => `\\${c}`);
}

/**
 * Extension value: `\` → `\\`, `=` → `\=`, CR/LF → `\r`/`\n`. Leading and trailing spaces are dropped:
 * receivers split `key=value` pairs on spaces and trim, so they would not survive anyway.
 */
export function escapeCefExtension(value: string): string {
  return normalizeCefExtension(value).replace(/[\\=\r\n]/g, (c) =>
    c === '\n' ? '\\n' : c === '\r' ? '\\r' : `\\${c}`,
  );
}

/** What a receiver reads back from `escapeCefExtension(value)`. */
export function normalizeCefExtension(value: string): string {
  return value.replace(EXTENSION_CONTROL, ' ').trim();
}

/** Cuts to at most `max` characters (code points), never inside a surrogate pair. */
function clip(value: string, max: number): string {
  const chars = Array.from(value);
  return chars.length <= max ? value : chars.slice(0, max).join('');
}

const millis = (iso: string): string | null => {
  const t = Date.parse(iso);
  return Number.isNaN(t) ? null : String(t);
};

export interface CefOptions {
  /** Device Version in the header; Vigil's build version by default. */
  version?: string;
}

/**
 * The CEF line for an alert: `CEF:0|Vigil|Vigil|<version>|<rule>|<title>|<0–10>|<extension>`. Extension
 * keys come in a fixed order, most important first, so a receiver that truncates keeps the identity.
 */
export function formatCef(alert: DeliverableAlert, opts: CefOptions = {}): string {
  const header = [
    'CEF:0',
    CEF_VENDOR,
    CEF_PRODUCT,
    clip(opts.version ?? VERSION, 31),
    clip(alert.rule, 1023),
    clip(alert.title, 512),
    String(CEF_SEVERITY[alert.severity]),
  ];
  const ext: [string, string | null][] = [
    ['externalId', clip(alert.id, 40)],
    ['act', alert.state],
    ['rt', millis(alert.lastSeen)],
    ['start', millis(alert.firstSeen)],
    ['end', millis(alert.lastSeen)],
    ['cnt', String(alert.count)],
  ];
  // The newest evidence that names a connection gives the addresses (the alert's latest sighting).
  const conn = alert.evidence
    .map((e) => (e.connection ? parseEvidenceConnection(e.connection) : null))
    .findLast((c) => c !== null);
  if (conn) {
    // src/dst are IPv4 by the dictionary; IPv6 goes in the c6a2/c6a3 address fields.
    if (isIPv4(conn.srcIp)) ext.push(['src', conn.srcIp]);
    else if (isIPv6(conn.srcIp)) ext.push(['c6a2', conn.srcIp], ['c6a2Label', CEF_LABELS.c6a2Label]);
    if (isIPv4(conn.dstIp)) ext.push(['dst', conn.dstIp]);
    else if (isIPv6(conn.dstIp)) ext.push(['c6a3', conn.dstIp], ['c6a3Label', CEF_LABELS.c6a3Label]);
    if (conn.srcPort !== null) ext.push(['spt', String(conn.srcPort)]);
    if (conn.dstPort !== null) ext.push(['dpt', String(conn.dstPort)]);
    ext.push(['proto', conn.transport.toUpperCase()]);
  }
  ext.push(
    ['cs1', alert.deviceId],
    ['cs1Label', alert.deviceId === null ? null : CEF_LABELS.cs1Label],
    ['cs2', alert.assetTag === null ? null : clip(alert.assetTag, 4000)],
    ['cs2Label', alert.assetTag === null ? null : CEF_LABELS.cs2Label],
    ['cs3', alert.siteId],
    ['cs3Label', alert.siteId === null ? null : CEF_LABELS.cs3Label],
    ['cs4', clip(alert.subject, 4000)],
    ['cs4Label', CEF_LABELS.cs4Label],
    ['cs5', alert.deviceLabel === null ? null : clip(alert.deviceLabel, 4000)],
    ['cs5Label', alert.deviceLabel === null ? null : CEF_LABELS.cs5Label],
    ['msg', clip(cefMessage(alert), 1023)],
  );
  const extension = ext
    .filter((kv): kv is [string, string] => kv[1] !== null && normalizeCefExtension(kv[1]) !== '')
    .map(([k, v]) => `${k}=${escapeCefExtension(v)}`)
    .join(' ');
  return `${header.map(escapeCefHeader).join('|')}|${extension}`;
}

/** `msg`: the latest evidence with where it was seen (file, packet), or the title without evidence. */
function cefMessage(alert: DeliverableAlert): string {
  const e = alert.evidence.at(-1);
  if (!e) return alert.title;
  const where = [e.file, e.packet !== undefined ? `packet ${e.packet}` : undefined].filter(Boolean).join(' ');
  return where ? `${e.summary} (${where})` : e.summary;
}
