/**
 * @module Port and service guidance from advisories and MDS2 declarations, for the segmentation proposal.
 * A careful parser reads the sentences manufacturers and CISA write in CSAF remediations and notes
 * ("close port 20/FTP and 23/TELNET", "block TCP port 443", "restrict access to port 104",
 * "disable Telnet", "UDP 161", "ports 8000-8080") into guidance items: a port range, a transport and
 * what to do (`deny`: close/block/disable; `restrict`: allow only from the zones that need it;
 * `exposure`: the advisory names the service as the way in, without an instruction). Each item keeps
 * the advisory id, the JSON path and the sentence it came from. `proposalNotes` turns the items that
 * apply to a rule's servers, and MDS2 declarations, into review notes for `proposePolicy`.
 * `loadProposalGuidance` reads the store: the advisories matched to each device (affected, needs-review
 * or under-investigation), their remediations and notes.
 * @see CSAF 2.0 §3.2.3.12 Vulnerabilities Property - Remediations; §3.1.5 Notes Type
 */
import { createHash } from 'node:crypto';
import { type CsafAdvisory, readCsafAdvisory } from '../formats/csaf/csaf-advisory.js';
import { readCappedFile } from '../read-capped-file.js';
import { advisoryByTrackingId, advisoryStatuses, advisoryVulnerabilities } from '../store/advisory-store.js';
import { streamMatches } from '../store/match-store.js';
import type { DbHandle } from '../store/transaction.js';
import { scopeDevices, scopeSegments } from './site-scope.js';
import type { Mds2ServiceProvider } from './unnecessary-services.js';

export type GuidanceAction = 'deny' | 'restrict' | 'exposure';

/** One port range an advisory sentence speaks about, and what it says to do. */
export interface PortGuidance {
  /** CSAF tracking id, upper case (`ICSMA-19-113-01`). */
  advisoryId: string;
  /** JSON path of the text (`$.vulnerabilities[1].notes[0].text`, `$.vulnerabilities[0].remediations[3].details`). */
  path: string;
  /** Remediation category (`mitigation`, `workaround`, `vendor_fix` …) or `note`. */
  source: string;
  /** The sentence, as written (whitespace collapsed). */
  sentence: string;
  action: GuidanceAction;
  /** The word that decided the action (`close`, `restrict` …); null for `exposure`. */
  verb: string | null;
  portFrom: number;
  portTo: number;
  /** null: the sentence names no transport (both TCP and UDP are meant). */
  transport: 'tcp' | 'udp' | null;
  /** Service name the sentence used (`ftp`, `telnet`), when it used one. */
  service: string | null;
}

export interface GuidanceOrigin {
  advisoryId: string;
  path: string;
  source: string;
}

/**
 * Services advisories name without a port. `exposure` marks the names that are specific enough to
 * count when a sentence only mentions them ("The device provides insecure telnet services"); common
 * words like HTTP and SSH count only with an instruction ("disable HTTP").
 */
const SERVICES: Record<string, { ports: [number, number][]; transport: 'tcp' | 'udp'; exposure: boolean }> = {
  telnet: { ports: [[23, 23]], transport: 'tcp', exposure: true },
  ftp: { ports: [[21, 21]], transport: 'tcp', exposure: true },
  'ftp-data': { ports: [[20, 20]], transport: 'tcp', exposure: true },
  tftp: { ports: [[69, 69]], transport: 'udp', exposure: true },
  snmp: { ports: [[161, 161]], transport: 'udp', exposure: true },
  slp: { ports: [[427, 427]], transport: 'udp', exposure: true },
  ssdp: { ports: [[1900, 1900]], transport: 'udp', exposure: true },
  upnp: { ports: [[1900, 1900]], transport: 'udp', exposure: true },
  rdp: { ports: [[3389, 3389]], transport: 'tcp', exposure: true },
  vnc: { ports: [[5900, 5901]], transport: 'tcp', exposure: true },
  smb: { ports: [[445, 445]], transport: 'tcp', exposure: true },
  smbv1: { ports: [[445, 445]], transport: 'tcp', exposure: true },
  netbios: { ports: [[137, 139]], transport: 'tcp', exposure: true },
  ssh: { ports: [[22, 22]], transport: 'tcp', exposure: false },
  http: { ports: [[80, 80]], transport: 'tcp', exposure: false },
  https: { ports: [[443, 443]], transport: 'tcp', exposure: false },
  dicom: { ports: [[104, 104]], transport: 'tcp', exposure: false },
};

/** Spellings advisories use for the names above. */
const ALIASES: Record<string, string> = {
  'remote desktop': 'rdp',
  'service location protocol': 'slp',
  'universal plug and play': 'upnp',
};

/** Verbs, longest first inside each alternative so `disabling` is not read as `disable` + rest. */
const DENY_VERBS =
  /\b(clos(?:e|es|ed|ing)|block(?:s|ed|ing)?|disabl(?:e|es|ed|ing)|deactivat(?:e|es|ed|ing)|turn(?:s|ed|ing)? off|shut(?:s|ting)? down|den(?:y|ies|ied|ying))\b/gi;
const RESTRICT_VERBS =
  /\b(restrict(?:s|ed|ing|ion|ions)?|limit(?:s|ed|ing)?|allow(?:s|ed|ing)? only|only allow(?:s|ed|ing)?|permit(?:s|ted|ting)? only|only permit(?:s|ted|ting)?|whitelist(?:s|ed|ing)?|allowlist(?:s|ed|ing)?)\b/gi;
/** "does not restrict", "cannot be disabled", "never closed": a verb that is negated is no instruction. */
const NEGATION = /\b(not|n't|never|cannot|unable to|no longer|without)\s+(?:\w+\s+){0,2}$/i;

/** At most this much text per field is read: advisories are paragraphs, not books. */
const MAX_TEXT = 100_000;
/** A sentence longer than this is kept cut (the path still points at the whole text). */
const MAX_SENTENCE = 2000;

/** Splits on sentence ends (a full stop followed by space, not the dot inside `1.6.1`), semicolons and lines. */
export function sentences(text: string): string[] {
  return text
    .slice(0, MAX_TEXT)
    .split(/(?<=[.!?;:])\s+(?=[A-Z0-9"'(•\-*])|\n+|\s+[•·]\s+/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s.length > 0);
}

interface Mention {
  at: number;
  portFrom: number;
  portTo: number;
  transport: 'tcp' | 'udp' | null;
  service: string | null;
  /** A named service without a port: counts without a verb only when the name is specific. */
  nameOnly: boolean;
  exposure: boolean;
}

const validPort = (n: number) => Number.isInteger(n) && n >= 1 && n <= 65_535;

function transportWord(w: string | undefined): 'tcp' | 'udp' | null {
  const t = w?.toLowerCase();
  return t === 'tcp' || t === 'udp' ? t : null;
}

/** `20/FTP`, `9201/TCP/IP`, `427/UDP`: the word after the slash is a transport or a service name. */
function suffix(word: string | undefined): { transport: 'tcp' | 'udp' | null; service: string | null } {
  if (!word) return { transport: null, service: null };
  const t = transportWord(word);
  if (t) return { transport: t, service: null };
  const name = word.toLowerCase();
  const s = SERVICES[name];
  return s ? { transport: s.transport, service: name } : { transport: null, service: null };
}

const NUM = String.raw`(\d{1,5})(?!\d)(?:\s*(?:-|–|—|to|through)\s*(\d{1,5})(?!\d))?(?:\/([A-Za-z][A-Za-z0-9-]*))?`;
const SEP = String.raw`(?:\s*,\s*(?:and\s+|or\s+)?|\s+and\s+|\s+or\s+|\s*&\s*)`;
const LIST = String.raw`((?:port\s+)?${NUM}(?:${SEP}(?:port\s+)?${NUM})*)`;
/** `port 23`, `ports 20/FTP and 23/TELNET`, `TCP port 443`, `TCP ports 80, 443`, `port 4840/TCP`, `ports 8000-8080`. */
const PORT_LIST = new RegExp(String.raw`\b(?:(tcp|udp)\s+)?ports?\s*(?:numbers?\s*)?(?:#\s*)?${LIST}`, 'gi');
/** `UDP 161`, `TCP 443 and 8443`. */
const TRANSPORT_LIST = new RegExp(String.raw`\b(tcp|udp)\s+${LIST}`, 'gi');
/** Bare `23/tcp`, `161/UDP`, `20/FTP` anywhere. */
const SLASHED = /\b(\d{1,5})\/(tcp|udp|[a-z][a-z0-9-]*)\b/gi;
const ONE = new RegExp(NUM, 'gi');

function portMentions(s: string): Mention[] {
  const out: Mention[] = [];
  const covered: [number, number][] = [];
  const lists = [...s.matchAll(PORT_LIST), ...s.matchAll(TRANSPORT_LIST)];
  for (const m of lists) {
    const at0 = m.index ?? 0;
    if (covered.some(([a, b]) => at0 >= a && at0 < b)) continue;
    const list = m[2] ?? '';
    const before = transportWord(m[1]);
    const listAt = (m.index ?? 0) + m[0].length - list.length;
    for (const p of list.matchAll(ONE)) {
      const from = Number(p[1]);
      const to = p[2] ? Number(p[2]) : from;
      if (!validPort(from) || !validPort(to) || to < from) continue;
      const sfx = suffix(p[3]);
      // "TCP port 443" names the transport before; "port 4840/TCP" after; a service name implies it.
      const after = /^\s*\/?\s*(tcp|udp)\b/i.exec(s.slice(listAt + (p.index ?? 0) + p[0].length));
      out.push({
        at: listAt + (p.index ?? 0),
        portFrom: from,
        portTo: to,
        transport: sfx.transport ?? before ?? transportWord(after?.[1]),
        service: sfx.service,
        nameOnly: false,
        exposure: true,
      });
    }
    covered.push([m.index ?? 0, (m.index ?? 0) + m[0].length]);
  }
  for (const m of s.matchAll(SLASHED)) {
    const at = m.index ?? 0;
    if (covered.some(([a, b]) => at >= a && at < b)) continue;
    const port = Number(m[1]);
    const sfx = suffix(m[2]);
    // `1.6/Beta` or `24/7` are not ports: only a transport or a known service after the slash counts.
    if (!validPort(port) || (!sfx.transport && !sfx.service)) continue;
    out.push({
      at,
      portFrom: port,
      portTo: port,
      transport: sfx.transport,
      service: sfx.service,
      nameOnly: false,
      exposure: true,
    });
    covered.push([at, at + m[0].length]);
  }
  const names = [...Object.keys(SERVICES), ...Object.keys(ALIASES)].sort((a, b) => b.length - a.length);
  const nameRe = new RegExp(
    String.raw`\b(${names.map((n) => n.replace(/[-]/g, '\\-')).join('|')})\b(?![.-]\w)`,
    'gi',
  );
  for (const m of s.matchAll(nameRe)) {
    const at = m.index ?? 0;
    if (covered.some(([a, b]) => at >= a && at < b)) continue;
    // `20/FTP` was read with its port; `FTP` right after a number and slash is the same mention.
    if (/\d\s*\/\s*$/.test(s.slice(Math.max(0, at - 8), at))) continue;
    const key = ALIASES[m[1]!.toLowerCase()] ?? m[1]!.toLowerCase();
    const svc = SERVICES[key]!;
    for (const [from, to] of svc.ports)
      out.push({
        at,
        portFrom: from,
        portTo: to,
        transport: svc.transport,
        service: key,
        nameOnly: true,
        exposure: svc.exposure,
      });
  }
  return out.sort((a, b) => a.at - b.at);
}

interface Verb {
  at: number;
  end: number;
  word: string;
  action: 'deny' | 'restrict';
}

function verbs(s: string): Verb[] {
  const out: Verb[] = [];
  for (const [re, action] of [
    [DENY_VERBS, 'deny'],
    [RESTRICT_VERBS, 'restrict'],
  ] as const) {
    for (const m of s.matchAll(re)) {
      const at = m.index ?? 0;
      if (NEGATION.test(s.slice(Math.max(0, at - 40), at))) continue;
      out.push({ at, end: at + m[0].length, word: m[0].toLowerCase(), action });
    }
  }
  // "restrict" inside "allow only" spans etc. do not overlap in practice; earlier verbs first.
  return out.sort((a, b) => a.at - b.at);
}

/** URLs, e-mail addresses and host names carry words like `ftp` that are no service. */
function withoutAddresses(s: string): string {
  return s.replace(
    /\b[a-z][a-z0-9+.-]*:\/\/\S+|\bwww\.\S+|\S+@\S+\.\S+|\b[\w-]+(?:\.[\w-]+)+\.(?:com|org|net|gov|edu|io)\b\S*/gi,
    (x) => ' '.repeat(x.length),
  );
}

/**
 * The port guidance in one text (a remediation's details or a note). Each service mention takes the
 * nearest instruction before it in the same sentence ("close port 20 and 23": both closed; "disable
 * Telnet and restrict port 443": Telnet denied, 443 restricted), else the nearest after it ("port 23
 * should be closed"); a negated verb ("does not restrict") is no instruction. A port number or a
 * specific service name without an instruction is `exposure`. Never throws.
 */
export function extractPortGuidance(text: string, origin: GuidanceOrigin): PortGuidance[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const out: PortGuidance[] = [];
  const seen = new Set<string>();
  for (const sentence of sentences(text)) {
    const clean = withoutAddresses(sentence);
    const mentions = portMentions(clean);
    if (mentions.length === 0) continue;
    const vs = verbs(clean);
    for (const m of mentions) {
      const before = vs.filter((v) => v.end <= m.at).at(-1);
      // A verb after the service instructs only in the passive ("port 23 should be closed"); "the
      // impact is limited to the module" describes.
      const after = vs.find(
        (v) => v.at >= m.at && /\bbe\s+$/i.test(clean.slice(Math.max(0, v.at - 10), v.at)),
      );
      const verb = before ?? after;
      if (!verb && (m.nameOnly ? !m.exposure : false)) continue;
      const action: GuidanceAction = verb ? verb.action : 'exposure';
      const key = `${action}|${m.portFrom}-${m.portTo}|${m.transport}|${sentence}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({
        advisoryId: origin.advisoryId,
        path: origin.path,
        source: origin.source,
        sentence: sentence.length > MAX_SENTENCE ? `${sentence.slice(0, MAX_SENTENCE)}…` : sentence,
        action,
        verb: verb?.word ?? null,
        portFrom: m.portFrom,
        portTo: m.portTo,
        transport: m.transport,
        service: m.service,
      });
    }
  }
  return out;
}

/**
 * Every port guidance item of a parsed CSAF advisory: document notes, vulnerability notes and
 * remediations (each remediation once, though it applies to several products). Legal disclaimers are
 * skipped.
 */
export function guidanceOfCsafAdvisory(advisory: CsafAdvisory): PortGuidance[] {
  const out: PortGuidance[] = [];
  const advisoryId = advisory.advisoryId;
  advisory.notes.forEach((n, i) => {
    if (n.category === 'legal_disclaimer') return;
    out.push(
      ...extractPortGuidance(n.text, { advisoryId, path: `$.document.notes[${i}].text`, source: 'note' }),
    );
  });
  for (const v of advisory.vulnerabilities) {
    v.notes.forEach((n, i) => {
      if (n.category === 'legal_disclaimer') return;
      out.push(
        ...extractPortGuidance(n.text, { advisoryId, path: `${v.path}.notes[${i}].text`, source: 'note' }),
      );
    });
    const done = new Set<string>();
    for (const p of v.products)
      for (const r of p.remediations) {
        if (done.has(r.path)) continue;
        done.add(r.path);
        out.push(
          ...extractPortGuidance(r.details, { advisoryId, path: `${r.path}.details`, source: r.category }),
        );
      }
  }
  return out;
}

// ---- feeding the proposal -----------------------------------------------------------------------

/** What the proposal knows about each device: its model and the advisory guidance matched to it. */
export interface ProposalGuidance {
  /** Guidance items per device id (advisories matched to the device). */
  byDevice: ReadonlyMap<string, readonly PortGuidance[]>;
  /** Device id → model id, for MDS2 declarations. */
  modelOf: ReadonlyMap<string, string>;
  mds2: Mds2ServiceProvider;
}

/** The default MDS2 provider: nothing declared (issue 7 provides a real one). */
export const NO_MDS2: Mds2ServiceProvider = { servicesOf: () => undefined };

/** One piece of guidance a proposed rule carries (the rule's `guidance[]`). */
export interface RuleGuidance {
  source: 'advisory' | 'mds2';
  advisoryId: string | null;
  path: string | null;
  action: GuidanceAction | 'undeclared';
  sentence: string;
  /** Whether it flagged the rule for review. */
  review: boolean;
}

const covers = (g: PortGuidance, port: number, transport: 'tcp' | 'udp') =>
  port >= g.portFrom && port <= g.portTo && (g.transport === null || g.transport === transport);

/**
 * The guidance that applies to an allow rule to `servers` on `port/transport`: an advisory saying to
 * close it or naming it as the way in flags the rule for review; one saying to restrict it flags it
 * only when the client side is not a known device (the internet, or an address no device has), since
 * the proposal already allows only the zones that were seen; a port the server's model does not
 * declare in its MDS2 form flags it too. Sorted and de-duplicated, so proposals stay deterministic.
 */
export function proposalNotes(
  guidance: ProposalGuidance | undefined,
  servers: Iterable<string>,
  port: number,
  transport: 'tcp' | 'udp' | 'icmp',
  clientKnown: boolean,
): RuleGuidance[] {
  if (!guidance || transport === 'icmp') return [];
  const out = new Map<string, RuleGuidance>();
  for (const id of servers) {
    for (const g of guidance.byDevice.get(id) ?? []) {
      if (!covers(g, port, transport)) continue;
      const review = g.action !== 'restrict' || !clientKnown;
      const key = `advisory|${g.advisoryId}|${g.path}|${g.action}|${g.sentence}`;
      const prev = out.get(key);
      out.set(key, {
        source: 'advisory',
        advisoryId: g.advisoryId,
        path: g.path,
        action: g.action,
        sentence: g.sentence,
        review: review || (prev?.review ?? false),
      });
    }
    const model = guidance.modelOf.get(id);
    const declared = model ? guidance.mds2.servicesOf(model) : undefined;
    if (declared?.length && !declared.some((d) => d.port === port && d.transport === transport)) {
      out.set(`mds2|${model}`, {
        source: 'mds2',
        advisoryId: null,
        path: null,
        action: 'undeclared',
        sentence: `${port}/${transport} is not among the services the model's MDS2 declaration lists`,
        review: true,
      });
    }
  }
  return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** The review text a rule's reason gets for its guidance. */
export function guidanceReason(g: RuleGuidance): string {
  if (g.source === 'mds2') return g.sentence;
  const what =
    g.action === 'deny'
      ? 'says to close this port'
      : g.action === 'restrict'
        ? 'says to restrict this port to the zones that need it'
        : 'names this port as the way in';
  return `advisory ${g.advisoryId} ${what} (${g.path}: "${g.sentence.slice(0, 200)}")`;
}

// ---- the store ----------------------------------------------------------------------------------

/** Match statuses whose advisories' guidance applies to the device. */
const GUIDED_STATUSES = ['affected', 'needs-review', 'under-investigation'];

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * Real CSAF documents are a few MB and the feed sync takes none over 32 MiB; the file at an advisory's
 * origin is read again here, so a larger one (replaced since, or a device) is not read whole.
 */
const MAX_CSAF_REREAD_BYTES = 32 * 1024 * 1024;

/**
 * The advisory's guidance with exact JSON paths and notes, from its original file when the advisory
 * was imported from one that is still there unchanged (same SHA-256); else from the remediations the
 * store keeps (notes are not stored; the path then selects the vulnerability's remediations of that
 * category).
 */
async function advisoryGuidance(
  h: DbHandle,
  advisoryId: string,
): Promise<{ items: PortGuidance[]; vulnPaths: Map<string, string> }> {
  const row = await advisoryByTrackingId(h, advisoryId);
  if (!row) return { items: [], vulnPaths: new Map() };
  const vulns = await advisoryVulnerabilities(h, [row.id]);
  const vulnPaths = new Map(vulns.map((v) => [v.path, v.vuln_key]));
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(row.origin)) {
    try {
      const bytes = await readCappedFile(row.origin, {
        what: 'a CSAF advisory',
        maxBytes: MAX_CSAF_REREAD_BYTES,
      });
      if (sha256(bytes) === row.sha256) {
        const read = readCsafAdvisory(JSON.parse(bytes.toString('utf8')), row.origin);
        if (read.ok) return { items: guidanceOfCsafAdvisory(read.advisory), vulnPaths };
      }
    } catch {
      // Moved, changed or unreadable: the stored remediations below.
    }
  }
  const items: PortGuidance[] = [];
  const pathOf = new Map(vulns.map((v) => [v.vuln_key, v.path]));
  const done = new Set<string>();
  for (const s of await advisoryStatuses(h, [row.id])) {
    const vulnPath = pathOf.get(s.vuln_key) ?? '$.vulnerabilities[*]';
    for (const r of JSON.parse(s.remediations) as { category: string; details: string }[]) {
      const path = `${vulnPath}.remediations[?(@.category=='${r.category}')].details`;
      const key = `${path}|${r.details}`;
      if (done.has(key)) continue;
      done.add(key);
      items.push(...extractPortGuidance(r.details, { advisoryId, path, source: r.category }));
    }
  }
  return { items, vulnPaths };
}

/**
 * Guidance for the devices of a scope: for each device, the port guidance of the advisories matched
 * to it (document-wide notes, and the notes and remediations of the matched vulnerabilities), its
 * model for MDS2 declarations, and the MDS2 provider (none by default).
 */
export async function loadProposalGuidance(
  h: DbHandle,
  siteId: string | null,
  opts: { mds2?: Mds2ServiceProvider } = {},
): Promise<ProposalGuidance> {
  const { rows: devices } = await scopeDevices(h, siteId, await scopeSegments(h, siteId));
  const modelOf = new Map<string, string>();
  for (const d of devices) if (d.model_id) modelOf.set(d.id, d.model_id);
  const wanted = new Set(devices.map((d) => d.id));
  const matched = new Map<string, Set<string>>();
  for await (const m of streamMatches(h, { status: GUIDED_STATUSES })) {
    if (!wanted.has(m.device_id)) continue;
    const set = matched.get(m.device_id) ?? new Set<string>();
    for (const a of JSON.parse(m.advisory_ids) as string[]) set.add(`${a}\u0000${m.vuln_key}`);
    matched.set(m.device_id, set);
  }
  const cache = new Map<string, Awaited<ReturnType<typeof advisoryGuidance>>>();
  const byDevice = new Map<string, PortGuidance[]>();
  for (const [deviceId, pairs] of matched) {
    const items = new Map<string, PortGuidance>();
    for (const pair of [...pairs].sort()) {
      const [advisoryId, vulnKey] = pair.split('\u0000') as [string, string];
      let adv = cache.get(advisoryId);
      if (!adv) {
        adv = await advisoryGuidance(h, advisoryId);
        cache.set(advisoryId, adv);
      }
      for (const g of adv.items) {
        // Document-wide text applies to every matched vulnerability; a vulnerability's own text to it.
        const vulnPath = /^\$\.vulnerabilities\[\d+\]/.exec(g.path)?.[0];
        if (vulnPath && adv.vulnPaths.has(vulnPath) && adv.vulnPaths.get(vulnPath) !== vulnKey) continue;
        items.set(
          `${g.advisoryId}|${g.path}|${g.action}|${g.portFrom}-${g.portTo}|${g.transport}|${g.sentence}`,
          g,
        );
      }
    }
    if (items.size) byDevice.set(deviceId, [...items.values()]);
  }
  return { byDevice, modelOf, mds2: opts.mds2 ?? NO_MDS2 };
}
