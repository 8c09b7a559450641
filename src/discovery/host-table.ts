/**
 * @module Accumulates what a capture shows about each host while packets stream past, with bounded lists,
 * and folds repeated findings into one observation with a count. At the end it resolves which MAC
 * belongs to which IP (a MAC sending from several networks is a router, not a host: see address-ownership)
 * and yields `HostObservation`s.
 */
import { isEui64Of, isLinkLocal, spansNetworks } from './address-ownership.js';
import type {
  DicomObservation,
  Evidence,
  FindingObservation,
  Hl7Observation,
  HostObservation,
  ServiceObservation,
  Transport,
} from './host-observation.js';
import { capObservedText } from './host-observation.js';
import { isReceivingOnlyEvidence } from './receiving-only.js';

/** Lists per host stay this short whatever the capture holds. */
const LIST_CAP = 50;
const HINT_CAP = 100;
/** A MAC seen as the source of more unicast IPs than this is a router or a NAT, not one host, even on one subnet. */
const ROUTER_IP_THRESHOLD = 4;

function addCapped<T>(list: T[], value: T, cap = LIST_CAP): void {
  if (list.length < cap && !list.includes(value)) list.push(value);
}

/** A host's protocols, knowing which it has only from services seen only receiving (receiving-only.ts). */
export class Protocols extends Set<string> {
  /** Protocols only a listener seen receiving gave: a refusal of its port withdraws them with it. */
  readonly heardOnly = new Set<string>();

  override add(protocol: string): this {
    this.heardOnly?.delete(protocol);
    return super.add(protocol);
  }

  /** From a service seen only receiving: kept apart unless the host has the protocol otherwise. */
  heard(protocol: string): void {
    if (this.has(protocol)) return;
    super.add(protocol);
    this.heardOnly.add(protocol);
  }
}

export class HostBuilder {
  readonly macs: string[] = [];
  readonly ips: string[] = [];
  readonly hostnames: string[] = [];
  firstSeen = Number.POSITIVE_INFINITY;
  lastSeen = 0;
  /** Captures: the first packet this host sent (`HostObservation.firstEvidence`). */
  firstEvidence: Evidence | undefined;
  /** Sent at least one packet itself (hosts that only receive, e.g. scanned addresses, are not devices). */
  talked = false;
  /** The last source MAC bound to this host's address (a number), so the binding is not redone per packet. */
  lastMac = -1;
  readonly services = new Map<string, ServiceObservation>();
  readonly protocols = new Protocols();
  dicom: DicomObservation | undefined;
  hl7: Hl7Observation | undefined;
  readonly hints: HostObservation['hints'] = [];
  private readonly hintKeys = new Set<string>();
  /** Live sensor: `stateSignature()` when the host was last handed out by `HostTable.snapshot()`. */
  snapshotSignature: string | undefined;
  /** Live sensor: capture time an idle pass first met this host that never sent a packet. */
  noticedAt: number | undefined;

  seen(time: number): void {
    if (time < this.firstSeen) this.firstSeen = time;
    if (time > this.lastSeen) this.lastSeen = time;
  }

  addHostname(name: string): void {
    const n = name.trim().toLowerCase().replace(/\.$/, '');
    if (n && n.length <= 253) addCapped(this.hostnames, n);
  }

  addHint(kind: string, raw: string, evidence: Evidence): void {
    const value = capObservedText(raw);
    const key = `${kind}\u0000${value}`;
    if (this.hints.length >= HINT_CAP || this.hintKeys.has(key) || !value) return;
    this.hintKeys.add(key);
    this.hints.push({ kind, value, evidence });
  }

  /** A service this host offers; later sightings fill in what earlier ones did not know. */
  service(
    port: number,
    transport: Transport,
    patch: Partial<Omit<ServiceObservation, 'port' | 'transport' | 'evidence'>>,
    evidence: Evidence,
  ): void {
    const key = `${transport}/${port}`;
    if (patch.protocol && isReceivingOnlyEvidence(evidence)) this.protocols.heard(patch.protocol);
    else if (patch.protocol) this.protocols.add(patch.protocol);
    const s = this.services.get(key);
    if (!s) {
      if (this.services.size >= 200) return;
      this.services.set(key, {
        port,
        transport,
        protocol: null,
        product: null,
        version: null,
        encrypted: null,
        ...patch,
        evidence,
      });
      return;
    }
    // A server seen answering outweighs a client's half alone (a live sensor sees both in turn).
    if (isReceivingOnlyEvidence(s.evidence) && !isReceivingOnlyEvidence(evidence)) s.evidence = evidence;
    if (patch.protocol && !s.protocol) s.protocol = patch.protocol;
    if (patch.product && !s.product) s.product = patch.product;
    if (patch.version && !s.version) s.version = patch.version;
    // Once encryption was seen on a service it stays encrypted; cleartext only fills an unknown.
    if (patch.encrypted === true || (patch.encrypted === false && s.encrypted === null))
      s.encrypted = patch.encrypted;
  }

  /** Whether `service()` has recorded this port already (so a caller can skip building evidence). */
  hasService(port: number, transport: Transport): boolean {
    return this.services.has(`${transport}/${port}`);
  }

  /**
   * Forgets a service that stood only on a client's half (receiving-only.ts); false if it stands on more
   * (the server was seen answering). A host forgotten since (idle) knows no better: true.
   */
  withdrawReceivingOnly(port: number, transport: Transport): boolean {
    const key = `${transport}/${port}`;
    const s = this.services.get(key);
    if (s && !isReceivingOnlyEvidence(s.evidence)) return false;
    this.services.delete(key);
    // Its protocol goes too when nothing else gave the host it (as a capture with the refusal shows it).
    const p = s?.protocol;
    if (p && this.protocols.heardOnly.has(p) && ![...this.services.values()].some((o) => o.protocol === p)) {
      this.protocols.delete(p);
      this.protocols.heardOnly.delete(p);
    }
    return true;
  }

  dicomProfile(): DicomObservation {
    this.dicom ??= {
      aeTitles: [],
      implementationClassUid: null,
      implementationVersionName: null,
      sopClasses: [],
      roles: [],
    };
    return this.dicom;
  }

  hl7Profile(): Hl7Observation {
    this.hl7 ??= {
      sendingApplications: [],
      sendingFacilities: [],
      receivingApplications: [],
      receivingFacilities: [],
      messageTypes: [],
      versions: [],
    };
    return this.hl7;
  }

  static addTo(list: string[], value: string | undefined | null): void {
    if (value) addCapped(list, value);
  }

  /**
   * Changes whenever what this host would report changes. Everything a builder holds only grows (lists
   * are appended to, unknown service fields filled in, encryption goes null → false → true), so the last
   * time seen and a count of what is known are enough; no observation has to be built to compare.
   */
  stateSignature(): string {
    let n =
      this.macs.length + this.ips.length + this.hostnames.length + this.protocols.size + this.hints.length;
    for (const s of this.services.values())
      n +=
        1 +
        (s.protocol ? 1 : 0) +
        (s.product ? 1 : 0) +
        (s.version ? 1 : 0) +
        (s.encrypted === null ? 0 : s.encrypted ? 2 : 1);
    const d = this.dicom;
    if (d)
      n +=
        1 +
        d.aeTitles.length +
        d.sopClasses.length +
        d.roles.length +
        (d.implementationClassUid ? 1 : 0) +
        (d.implementationVersionName ? 1 : 0);
    const h = this.hl7;
    if (h)
      n +=
        1 +
        h.sendingApplications.length +
        h.sendingFacilities.length +
        h.receivingApplications.length +
        h.receivingFacilities.length +
        h.messageTypes.length +
        h.versions.length;
    return `${this.lastSeen}|${this.talked ? 1 : 0}|${n}`;
  }
}

interface FoldedFinding {
  finding: FindingObservation;
  count: number;
  last: Evidence;
}

let lastSecond = Number.NaN;
let lastPrefix = '';
let lastMs = Number.NaN;
let lastIso = '';
/**
 * ISO-8601 of a capture time, truncated to the millisecond as Wireshark does (…:03.122697 is .122, not .123).
 * Float seconds are a little off the exact time (±½ unit in the last place, about 0.1 µs today): the bit
 * added before truncating covers that, so .371 held as .37099999… stays .371, and is smaller than the
 * microsecond a capture's time goes by (until 2038; far out, where floats hold no milliseconds, it rounds).
 * Evidence is made often, several times per packet: the last result is reused for the same millisecond, and
 * the date-time part within a second.
 */
export const iso = (t: number) => {
  const slack = Math.abs(t) * 2.3e-13;
  const ms = slack < 0.5 ? Math.floor(t * 1000 + slack) : Math.round(t * 1000);
  if (ms === lastMs) return lastIso;
  const second = Math.floor(ms / 1000);
  if (second !== lastSecond) {
    lastSecond = second;
    const text = new Date(second * 1000).toISOString();
    lastPrefix = text.slice(0, text.length - 4); // up to the '.', whatever the year's width
  }
  const milli = ms - second * 1000;
  lastMs = ms;
  lastIso = `${lastPrefix}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  return lastIso;
};

export class HostTable {
  /** By IP text. */
  private readonly byIp = new Map<string, HostBuilder>();
  /** Hosts known only by MAC so far (a DHCP client before its address), by MAC. */
  private readonly byMac = new Map<string, HostBuilder>();
  /** MAC → unicast source IPs seen with it while they could all be its own (one subnet, a handful). */
  private readonly macIps = new Map<string, Set<string>>();
  /** MACs seen sending from several networks or too many addresses: they forward, none of those is theirs. */
  private readonly forwarders = new Set<string>();
  /** Addresses only one MAC sends from, whatever else it forwards: link-local, EUI-64, ND's own option. */
  private readonly ownAddresses = new Map<string, string>();
  /** DHCP says so: the address handed to this MAC. */
  private readonly leases = new Map<string, string>();
  private readonly findings = new Map<string, FoldedFinding>();

  get size(): number {
    return this.byIp.size + this.byMac.size;
  }

  ip(ip: string): HostBuilder {
    let h = this.byIp.get(ip);
    if (!h) {
      h = new HostBuilder();
      h.ips.push(ip);
      this.byIp.set(ip, h);
    }
    return h;
  }

  mac(mac: string): HostBuilder {
    let h = this.byMac.get(mac);
    if (!h) {
      h = new HostBuilder();
      h.macs.push(mac);
      this.byMac.set(mac, h);
    }
    return h;
  }

  /**
   * A frame from this MAC carried this source IP; `own` when the protocol says the address is the MAC's
   * (an ND source link-layer address option: ND is never forwarded, RFC 4861 §6.1).
   */
  bind(mac: string, ip: string, own = false): void {
    if (own || isLinkLocal(ip) || isEui64Of(ip, mac)) {
      this.ownAddresses.set(ip, mac);
      return;
    }
    if (this.forwarders.has(mac)) return;
    let ips = this.macIps.get(mac);
    if (!ips) {
      ips = new Set();
      this.macIps.set(mac, ips);
    }
    ips.add(ip);
    if (ips.size > ROUTER_IP_THRESHOLD || spansNetworks(ips)) {
      this.forwarders.add(mac);
      this.macIps.delete(mac);
    }
  }

  lease(mac: string, ip: string): void {
    this.leases.set(mac, ip);
  }

  /**
   * The client refused the address (DHCPDECLINE, RFC 2131 §4.4.1: another host answers on it): it was never
   * the client's, so the lease binding and the address the ACK gave its MAC-only host go. `ip` is the
   * declined address (option 50); without it, the address last leased. Returns the address dropped.
   */
  decline(mac: string, ip: string | undefined): string | undefined {
    const leased = this.leases.get(mac);
    const declined = ip ?? leased;
    if (!declined) return undefined;
    if (leased === declined) this.leases.delete(mac);
    const client = this.byMac.get(mac);
    const i = client ? client.ips.indexOf(declined) : -1;
    if (client && i >= 0) client.ips.splice(i, 1);
    return declined;
  }

  /** A finding; one that already counts several sightings (failed logins) brings its count and last evidence. */
  finding(f: FindingObservation): void {
    const key = `${f.type}|${f.host.mac ?? ''}|${f.host.ip ?? ''}|${f.subject}`;
    const prev = this.findings.get(key);
    const n = f.occurrences ?? 1;
    const last = f.lastEvidence ?? f.evidence;
    if (prev) {
      prev.count += n;
      prev.last = last;
    } else if (this.findings.size < 100_000) {
      this.findings.set(key, { finding: f, count: n, last });
    }
  }

  /** The hosts that talked, with MACs attached where the evidence is unambiguous, and the folded findings. */
  finish(): { hosts: HostObservation[]; findings: FindingObservation[] } {
    const { hosts, findings } = this.collect();
    return { hosts: hosts.map(([, o]) => o), findings };
  }

  /**
   * Live sensor, at each flush: the hosts whose state changed since the last snapshot (every host with
   * `all`, e.g. after a flush that failed), and the findings seen since the last snapshot. Findings start
   * counting again from zero, so occurrences are never stored twice. May be called any number of times.
   */
  snapshot(all = false): { hosts: HostObservation[]; findings: FindingObservation[] } {
    const { hosts, findings } = this.collect();
    this.findings.clear();
    // A finding is stored against the device of a host in the same result, so its host goes along.
    const named = new Set<string>();
    for (const f of findings) {
      if (f.host.ip) named.add(f.host.ip);
      if (f.host.mac) named.add(f.host.mac);
    }
    const changed: HostObservation[] = [];
    for (const [b, o] of hosts) {
      if (all || b.snapshotSignature !== b.stateSignature() || o.ips.some((ip) => named.has(ip)))
        changed.push(o);
      else if (o.macs.some((m) => named.has(m))) changed.push(o);
    }
    for (const b of [...this.byIp.values(), ...this.byMac.values()]) b.snapshotSignature = b.stateSignature();
    return { hosts: changed, findings };
  }

  /**
   * Live sensor, after a flush stored its snapshot: forgets hosts last seen before `before` (capture
   * seconds) that have not changed since that snapshot, and hosts that never sent a packet (names from DNS,
   * scanned addresses) first met by an idle pass before `before`. A sensor running for days keeps only the
   * recently active part of the network in memory; a host that comes back is simply learned again.
   */
  evictIdle(before: number, now: number): number {
    const gone = new Set<HostBuilder>();
    for (const table of [this.byIp, this.byMac]) {
      for (const [key, h] of table) {
        if (!h.talked) {
          h.noticedAt ??= now;
          if (h.noticedAt >= before) continue;
        } else if (h.lastSeen >= before || h.snapshotSignature !== h.stateSignature()) continue;
        table.delete(key);
        gone.add(h);
      }
    }
    if (gone.size === 0) return 0;
    const ips = new Set<string>();
    const macs = new Set<string>();
    for (const h of gone) {
      for (const ip of h.ips) ips.add(ip);
      for (const m of h.macs) macs.add(m);
    }
    // A router stays a router (`forwarders` keeps it); a host's binding goes with it.
    for (const [mac, set] of this.macIps) {
      for (const ip of set) if (ips.has(ip)) set.delete(ip);
      if (set.size === 0 || macs.has(mac)) this.macIps.delete(mac);
    }
    for (const [ip, mac] of this.ownAddresses) if (ips.has(ip) || macs.has(mac)) this.ownAddresses.delete(ip);
    for (const [mac, ip] of this.leases) if (macs.has(mac) || ips.has(ip)) this.leases.delete(mac);
    return gone.size;
  }

  /** Hosts that talked, each with the builder it came from, and the folded findings. */
  private collect(): { hosts: [HostBuilder, HostObservation][]; findings: FindingObservation[] } {
    const ipOwner = new Map<string, string>();
    for (const [mac, ips] of this.macIps) for (const ip of ips) ipOwner.set(ip, mac);
    for (const [ip, mac] of this.ownAddresses) ipOwner.set(ip, mac);
    for (const [mac, ip] of this.leases) if (!ipOwner.has(ip)) ipOwner.set(ip, mac);

    for (const [ip, h] of this.byIp) {
      const mac = ipOwner.get(ip);
      if (!mac) continue;
      if (!h.macs.includes(mac)) h.macs.push(mac);
      const macOnly = this.byMac.get(mac);
      if (macOnly) {
        merge(h, macOnly);
        this.byMac.delete(mac);
      }
    }
    const hosts: [HostBuilder, HostObservation][] = [];
    for (const h of [...this.byIp.values(), ...this.byMac.values()]) {
      if (!h.talked) continue;
      // A link-local IPv6 address without a MAC names no device we could find again (every host has one).
      if (h.macs.length === 0 && h.ips.every((ip) => /^fe[89ab]/i.test(ip))) continue;
      hosts.push([
        h,
        {
          macs: h.macs,
          ips: h.ips,
          hostnames: h.hostnames,
          firstSeen: iso(h.firstSeen),
          lastSeen: iso(h.lastSeen),
          ...(h.firstEvidence ? { firstEvidence: h.firstEvidence } : {}),
          services: [...h.services.values()].sort(
            (a, b) => a.transport.localeCompare(b.transport) || a.port - b.port,
          ),
          protocols: [...h.protocols].sort(),
          ...(h.dicom ? { dicom: h.dicom } : {}),
          ...(h.hl7 ? { hl7: h.hl7 } : {}),
          identity: {},
          hints: h.hints,
        },
      ]);
    }
    const findings = [...this.findings.values()].map(({ finding, count, last }) => ({
      ...finding,
      // Findings were recorded by IP; a host with a MAC is found by it too.
      host: {
        ...finding.host,
        ...(finding.host.ip && ipOwner.get(finding.host.ip) ? { mac: ipOwner.get(finding.host.ip) } : {}),
      },
      occurrences: count,
      ...(count > 1 ? { lastEvidence: last } : {}),
    }));
    return { hosts, findings };
  }
}

function merge(into: HostBuilder, from: HostBuilder): void {
  for (const n of from.hostnames) into.addHostname(n);
  // A MAC-only host may hold addresses DHCPv6 assigned to it.
  for (const ip of from.ips) addCapped(into.ips, ip);
  // A builder never seen (firstSeen still +∞) must not make the other's lastSeen +∞.
  if (from.firstSeen <= from.lastSeen) {
    into.seen(from.firstSeen);
    into.seen(from.lastSeen);
  }
  into.talked ||= from.talked;
  const first = from.firstEvidence;
  if (first && (!into.firstEvidence || (first.time ?? '') < (into.firstEvidence.time ?? '')))
    into.firstEvidence = first;
  for (const p of from.protocols)
    if (from.protocols.heardOnly.has(p)) into.protocols.heard(p);
    else into.protocols.add(p);
  for (const h of from.hints) into.addHint(h.kind, h.value, h.evidence);
  for (const s of from.services.values()) into.service(s.port, s.transport, s, s.evidence);
}
