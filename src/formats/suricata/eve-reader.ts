/**
 * @module Reads Suricata EVE JSON (one event per line) into typed records. The caller hands over lines (a
 * whole file, or lines as a followed file grows); a line that is not an EVE event becomes one issue naming
 * the file and line and is skipped; event types Vigil does not use (`stats`, `fileinfo`, `anomaly`, `ftp_data` …)
 * are counted per type. Pure; never throws.
 * @see https://docs.suricata.io/en/suricata-7.0.10/output/eve/eve-json-output.html
 */

import type { CredentialCheck } from '../../dissect/credential-check.js';
import type { InputIssue } from '../../errors.js';
import { type NotUtf8, notUtf8LineReason } from '../utf8.js';
import { EVE_SCHEMAS, type EveFtp, type EveRecord, isEveEventType } from './eve-records.js';

export const MAX_ISSUES_PER_FILE = 200;

/** FTP connections whose USER is remembered until their PASS; the oldest are forgotten first. */
const MAX_FTP_USERS = 10_000;

export interface EveReaderOptions {
  /**
   * Compares each FTP login (USER, then PASS on the same flow) and MQTT CONNECT against known default
   * credentials while the password is in memory; the matching entry id is set on the PASS or CONNECT
   * record (`defaultCredential`).
   */
  credentialCheck?: CredentialCheck;
}

export interface EveLine {
  record: EveRecord;
  /** 1-based line in the file. */
  line: number;
}

export class EveReader {
  readonly issues: InputIssue[] = [];
  moreIssues = 0;
  /** Events of types Vigil does not read, by event_type. */
  readonly skipped = new Map<string, number>();
  records = 0;
  /** flow_id → the user name its USER sent, until PASS (only with a credential check). */
  private readonly ftpUsers = new Map<number, string>();

  constructor(
    readonly file: string,
    private readonly opts: EveReaderOptions = {},
  ) {}

  line(raw: string, lineNo: number): EveLine | null {
    const text = raw.trim();
    if (text.length === 0) return null;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      return this.issue(lineNo, `not JSON: ${(e as Error).message.slice(0, 100)}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      return this.issue(lineNo, 'an EVE line must be a JSON object');
    const type = (parsed as { event_type?: unknown }).event_type;
    if (typeof type !== 'string') return this.issue(lineNo, 'no event_type');
    if (!isEveEventType(type)) {
      this.skipped.set(type, (this.skipped.get(type) ?? 0) + 1);
      return null;
    }
    const r = EVE_SCHEMAS[type].safeParse(parsed);
    if (!r.success) {
      const reasons = r.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`)
        .join('; ');
      return this.issue(lineNo, `${type} event: ${reasons}`);
    }
    this.records++;
    if (r.data.event === 'ftp' && this.opts.credentialCheck) this.checkLogin(r.data, parsed);
    if (r.data.event === 'mqtt' && this.opts.credentialCheck && r.data.connect?.passwordSent) {
      const c = (parsed as { mqtt?: { connect?: { username?: unknown; password?: unknown } } }).mqtt?.connect;
      if (typeof c?.password === 'string')
        r.data.defaultCredential =
          this.opts.credentialCheck(
            typeof c.username === 'string' ? c.username : undefined,
            new TextEncoder().encode(c.password),
          ) ?? null;
    }
    return { record: r.data, line: lineNo };
  }

  private checkLogin(record: EveFtp, parsed: object): void {
    const flow = record.flowId;
    const data = (parsed as { ftp?: { command_data?: unknown } }).ftp?.command_data;
    if (flow === null || typeof data !== 'string') return;
    if (record.command === 'USER') {
      this.ftpUsers.delete(flow);
      if (this.ftpUsers.size >= MAX_FTP_USERS) this.ftpUsers.delete(this.ftpUsers.keys().next().value!);
      this.ftpUsers.set(flow, data);
    } else if (record.command === 'PASS') {
      const user = this.ftpUsers.get(flow);
      this.ftpUsers.delete(flow);
      record.defaultCredential = this.opts.credentialCheck!(user, new TextEncoder().encode(data)) ?? null;
    }
  }

  /** A line the caller found not to be UTF-8: one issue, and skipped (each event stands alone). */
  notUtf8Line(_text: string, line: number, bad: NotUtf8): null {
    return this.issue(line, notUtf8LineReason(bad));
  }

  /** Reports a line that cannot be read. */
  issue(line: number, reason: string): null {
    if (this.issues.length < MAX_ISSUES_PER_FILE) this.issues.push({ file: this.file, line, reason });
    else this.moreIssues++;
    return null;
  }
}

export interface EveRead {
  lines: EveLine[];
  issues: InputIssue[];
  skipped: Record<string, number>;
}

/** A whole EVE file held in memory (tests, small files). */
export function readEve(text: string, file: string): EveRead {
  const reader = new EveReader(file);
  const lines: EveLine[] = [];
  const all = text.split('\n');
  if (all.at(-1) === '') all.pop();
  all.forEach((l, i) => {
    const r = reader.line(l, i + 1);
    if (r) lines.push(r);
  });
  const issues = [...reader.issues];
  if (reader.moreIssues) issues.push({ file, reason: `${reader.moreIssues} further bad lines not listed` });
  return { lines, issues, skipped: Object.fromEntries(reader.skipped) };
}

/** EVE JSON, by its first line: a JSON object with `event_type` and `timestamp`. */
export function looksLikeEve(head: string): boolean {
  const t = head.replace(/^\uFEFF/, '');
  const nl = t.indexOf('\n');
  const first = (nl >= 0 ? t.slice(0, nl) : t).trim();
  return first.startsWith('{') && /"event_type"\s*:/.test(first) && /"timestamp"\s*:/.test(first);
}
