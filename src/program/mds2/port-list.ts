/**
 * @module Port lists in MDS2 notes. The HN 1-2019 form has no port table: CONN-2 only asks "Does the
 * manufacturer provide a list of network ports and protocols…?", and manufacturers write the list into the
 * note beside it in free text: `TCP 104 DICOM, 443 HTTPS`, `104/tcp (DICOM storage), 123/udp NTP`,
 * `HTTPS on port 443; UDP: 123 (NTP)`, `Port 3333 is used for HTTP, and port 3334 for HTTPS`.
 * A number counts as a port only where the words make it one (after TCP/UDP or "port(s)", before
 * `/tcp`, or continuing such a list), so `IEC 62304` or a year never becomes a port. Pure; never throws.
 */
import type { DeclaredService } from '../../policy/unnecessary-services.js';

/** Ranges wider than this are not expanded (a dynamic range is not a declaration of services). */
export const MAX_RANGE = 64;

/** Lower-case names read as protocols even when not written in capitals. */
const PROTOCOL_WORDS = new Set([
  'bootp',
  'cifs',
  'dhcp',
  'dicom',
  'dns',
  'ftp',
  'ftps',
  'hl7',
  'http',
  'https',
  'icmp',
  'ipp',
  'ldap',
  'ldaps',
  'lpd',
  'mdns',
  'mllp',
  'modbus',
  'mqtt',
  'netbios',
  'nfs',
  'ntp',
  'rdp',
  'rtsp',
  'samba',
  'sftp',
  'sip',
  'smb',
  'smtp',
  'snmp',
  'ssh',
  'syslog',
  'telnet',
  'tftp',
  'upnp',
  'vnc',
  'winrm',
]);

/** Words that neither start nor end a list ("TCP port 104 for DICOM and 2575 for HL7"). */
const CONNECTORS = new Set([
  'and',
  'or',
  'on',
  'via',
  'over',
  'using',
  'for',
  'the',
  'to',
  'number',
  'numbers',
]);

type Token =
  | { kind: 'num'; value: number; text: string; decimal: boolean }
  | { kind: 'word'; text: string }
  | { kind: 'sep'; text: string };

function tokenize(note: string): Token[] {
  const out: Token[] = [];
  const re = /(\d+)|([A-Za-z][A-Za-z0-9+_]*)|(\r?\n|[.,;:/()&\-–])|[^\S\n]+|./gsu;
  for (let m = re.exec(note); m; m = re.exec(note)) {
    if (m[1] !== undefined) {
      // 3.1, v1.2.3, 10.0.0.1: part of a version or an address, never a port.
      const before = note[m.index - 1];
      const after = note.slice(m.index + m[1].length, m.index + m[1].length + 2);
      const decimal = before === '.' || /^\.\d/.test(after);
      out.push({ kind: 'num', value: m[1].length > 6 ? -1 : Number(m[1]), text: m[1], decimal });
    } else if (m[2] !== undefined) out.push({ kind: 'word', text: m[2] });
    else if (m[3] !== undefined) out.push({ kind: 'sep', text: m[3].includes('\n') ? '\n' : m[3] });
  }
  return out;
}

/** Not a type guard on purpose: a word that is not a transport is still a word. */
const isTransport = (t: Token | undefined): boolean => t?.kind === 'word' && /^(tcp|udp)$/i.test(t.text);
const textOf = (t: Token | undefined): string => (t && t.kind !== 'num' ? t.text : '');

function isProtocolName(word: string): boolean {
  if (PROTOCOL_WORDS.has(word.toLowerCase())) return true;
  return /^[A-Z][A-Z0-9+_]+$/.test(word) && /[A-Z].*[A-Z]|[A-Z][0-9]/.test(word);
}

interface Entry {
  port: number;
  transport: 'tcp' | 'udp';
  /** The transport came from the list's context, not from a word right beside the port. */
  inherited: boolean;
  name: string[];
}

/** The services a note declares, in the order written, one per port and transport. */
export function parsePortList(note: string | null | undefined): DeclaredService[] {
  if (!note) return [];
  const tokens = tokenize(note.slice(0, 20_000));
  const entries: Entry[] = [];
  let transports: ('tcp' | 'udp')[] | null = null;
  let listMode = false;
  let pendingName: string | null = null;
  let depth = 0;
  /** Entries added by the latest number (or range), while the tokens after it may still name it. */
  let last: Entry[] = [];
  /** The paren depth at which `last` may still collect words into its name. */
  let nameDepth = -1;

  const add = (port: number, explicit: 'tcp' | 'udp' | null) => {
    const list: ('tcp' | 'udp')[] = explicit ? [explicit] : (transports ?? ['tcp']);
    const added: Entry[] = [];
    for (const transport of list) {
      const e: Entry = { port, transport, inherited: !explicit, name: pendingName ? [pendingName] : [] };
      entries.push(e);
      added.push(e);
    }
    return added;
  };

  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.kind === 'sep') {
      if (t.text === '(') depth++;
      else if (t.text === ')') {
        depth = Math.max(0, depth - 1);
        if (depth < nameDepth) nameDepth = -1;
      } else if (t.text === '.' || t.text === '\n') {
        listMode = false;
        transports = null;
        pendingName = null;
        last = [];
      } else if (t.text === ',' || t.text === ';' || t.text === '&') {
        // A comma ends the name of the port before it, but not the list.
        if (depth === 0) {
          last = [];
          pendingName = null;
        }
      }
      continue;
    }
    if (t.kind === 'word') {
      const lw = t.text.toLowerCase();
      if (isTransport(t)) {
        const tr = lw as 'tcp' | 'udp';
        // "104/tcp", "104 tcp", "104 (tcp)": the word belongs to the port just before it.
        const prev = tokens[i - 1];
        const prev2 = tokens[i - 2];
        const postfix =
          last.length > 0 &&
          (prev?.kind === 'num' ||
            (prev?.kind === 'sep' && (prev.text === '/' || prev.text === '(') && prev2?.kind === 'num'));
        if (postfix) {
          for (const e of last) if (e.inherited) e.transport = tr;
          for (const e of last) e.inherited = false;
        }
        // "tcp/udp 5353": both.
        if (prev?.kind === 'sep' && prev.text === '/' && isTransport(prev2) && !postfix)
          transports = [textOf(prev2).toLowerCase() as 'tcp' | 'udp', tr].filter(
            (x, k, a) => a.indexOf(x) === k,
          );
        else transports = [tr];
        listMode = true;
        continue;
      }
      if (lw === 'port' || lw === 'ports') {
        listMode = true;
        last = [];
        continue;
      }
      // A name right after the port, or the words inside the parentheses after it.
      if (last.length && (depth > 0 ? depth === nameDepth || nameDepth === -1 : isProtocolName(t.text))) {
        if (depth > 0 && nameDepth === -1) nameDepth = depth;
        for (const e of last) if (e.name.length < 4) e.name.push(t.text);
        if (depth === 0) last = [];
        continue;
      }
      if (CONNECTORS.has(lw)) continue;
      if (isProtocolName(t.text)) {
        pendingName = t.text;
        continue;
      }
      if (depth === 0) {
        listMode = false;
        pendingName = null;
        last = [];
      }
      continue;
    }
    // A number.
    if (t.decimal || t.value < 0) {
      last = [];
      continue;
    }
    let hi = t.value;
    let consumed = 0;
    const dash = tokens[i + 1];
    const end = tokens[i + 2];
    if (
      dash?.kind === 'sep' &&
      (dash.text === '-' || dash.text === '–') &&
      end?.kind === 'num' &&
      !end.decimal
    ) {
      hi = end.value;
      consumed = 2;
    }
    const after = tokens[i + 1 + consumed];
    const afterSlash = tokens[i + 2 + consumed];
    const postfixTransport = isTransport(after)
      ? after
      : after?.kind === 'sep' && (after.text === '/' || after.text === '(') && isTransport(afterSlash)
        ? afterSlash
        : undefined;
    const isPort = listMode || postfixTransport !== undefined;
    i += consumed;
    if (!isPort || t.value < 1 || hi > 65_535 || hi < t.value || hi - t.value > MAX_RANGE) {
      last = [];
      continue;
    }
    last = [];
    nameDepth = -1;
    for (let p = t.value; p <= hi; p++) last.push(...add(p, null));
    pendingName = null;
    listMode = true;
  }

  const seen = new Set<string>();
  const out: DeclaredService[] = [];
  for (const e of entries) {
    const key = `${e.port}/${e.transport}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const service = e.name.length ? e.name.join(' ') : null;
    const first = e.name[0]?.toLowerCase();
    out.push({
      port: e.port,
      transport: e.transport,
      protocol: first && PROTOCOL_WORDS.has(first) ? first : null,
      service,
    });
  }
  return out;
}
