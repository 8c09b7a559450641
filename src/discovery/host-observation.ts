/**
 * @module What a passive or active source learned about one network host, before it meets the inventory:
 * the shared shape that the capture analyzer, the nmap importer and (later) Zeek/Suricata readers produce,
 * and that the discovery service turns into devices, services and findings. Pure data, no I/O.
 *
 * Minimisation rule: nothing here ever holds a patient identifier value, a password, a community string
 * or any other secret. Evidence says *that* something was seen and where, never what it was.
 */
import type { InputIssue } from '../errors.js';

/**
 * Longest hint value and evidence summary kept, in UTF-16 units. What a device says about itself comes
 * from whoever sends the packets: an HTTP User-Agent may be 64 KiB, and 120 such requests from one MAC
 * put 6 MB of hints in the database and in every `devices show --json`. Real values (vendor classes,
 * banners, certificate subjects, user agents) are far shorter.
 */
export const MAX_OBSERVED_TEXT = 500;

/** `text` cut to `max` units (never inside a surrogate pair), with `…` where it was cut. */
export function capObservedText(text: string, max = MAX_OBSERVED_TEXT): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

/** Evidence as stored (JSON), its summary capped: it may quote a certificate subject or a banner. */
export function storedEvidence(e: Evidence): string {
  return JSON.stringify(
    e.summary.length > MAX_OBSERVED_TEXT ? { ...e, summary: capObservedText(e.summary) } : e,
  );
}

/** Where a fact came from: file, connection, packet and time, and one line a person can read. */
export interface Evidence {
  /** `log`: a sensor's log (Zeek, Suricata EVE); `live`: a live capture by `vigil sensor`. */
  source: 'capture' | 'scanner' | 'log' | 'live';
  /** Capture, scan or log file name (base name), or the sensor's interface for live captures. */
  file: string;
  /** `10.1.2.3:51000 → 10.1.2.9:104/tcp` */
  connection?: string;
  /** 1-based packet number in the capture. */
  packet?: number;
  /** ISO-8601 time of that packet or of the scan. */
  time?: string;
  summary: string;
}

/** An observed value with how sure the rule that produced it is (0–1) and why. */
export interface Attributed<T = string> {
  value: T;
  confidence: number;
  evidence: Evidence;
}

export type Transport = 'tcp' | 'udp';

export interface ServiceObservation {
  port: number;
  transport: Transport;
  /** Application protocol, lower case (`dicom`, `hl7`, `http`, `tls`, `ssh` …), null when unknown. */
  protocol: string | null;
  product: string | null;
  version: string | null;
  /** TLS or SSH seen on it: true; cleartext application data seen: false; unknown: null. */
  encrypted: boolean | null;
  /** nmap's CPEs, when a scanner reported them. */
  cpes?: string[];
  evidence: Evidence;
}

export interface DicomObservation {
  aeTitles: string[];
  implementationClassUid: string | null;
  implementationVersionName: string | null;
  /** SOP class UIDs proposed (as SCU) or accepted (as SCP) by this host. */
  sopClasses: string[];
  /** 'modality' | 'pacs' | 'workstation' … as the SOP classes and roles imply. */
  roles: string[];
}

export interface Hl7Observation {
  sendingApplications: string[];
  sendingFacilities: string[];
  receivingApplications: string[];
  receivingFacilities: string[];
  messageTypes: string[];
  versions: string[];
}

export type IdentityField =
  | 'manufacturer'
  | 'model'
  | 'deviceClass'
  | 'softwareVersion'
  | 'firmwareVersion'
  | 'os'
  | 'osVersion';

/** Every identity field, in the order facts and suggestions list them. */
export const IDENTITY_FIELDS: readonly IdentityField[] = [
  'manufacturer',
  'model',
  'deviceClass',
  'softwareVersion',
  'firmwareVersion',
  'os',
  'osVersion',
];

export interface HostObservation {
  macs: string[];
  ips: string[];
  hostnames: string[];
  firstSeen: string;
  lastSeen: string;
  /**
   * Captures: the first packet the host sent (its source MAC with it), the evidence of what only that
   * packet shows, such as the MAC's registry owner.
   */
  firstEvidence?: Evidence;
  /** Services this host offers (it accepted connections or a scanner found them open). */
  services: ServiceObservation[];
  /** Application protocols this host spoke, as client or server. */
  protocols: string[];
  dicom?: DicomObservation;
  hl7?: Hl7Observation;
  /** Best-supported identity values with confidence and evidence (fingerprint rules decide). */
  identity: Partial<Record<IdentityField, Attributed>>;
  /** Raw fingerprint inputs kept as evidence (DHCP vendor class, parameter list, User-Agent, SSH banner …). */
  hints: { kind: string; value: string; evidence: Evidence }[];
}

export const FINDING_TYPES = [
  'cleartext-phi',
  'cleartext-credentials',
  'insecure-protocol',
  'weak-tls',
  'certificate-problem',
  'failed-login',
  'default-credentials',
  'unnecessary-service',
] as const;
export type FindingType = (typeof FINDING_TYPES)[number];

export interface FindingObservation {
  type: FindingType;
  /** The host the finding is about: one of its MACs or IPs, as in its HostObservation. */
  host: { mac?: string; ip?: string };
  /** What exactly, stable for de-duplication: `telnet:23`, `hl7:PID`, `tls:TLSv1.0` … */
  subject: string;
  evidence: Evidence;
  /** Extra facts for people (protocol, port, which tags/segments …), never secret values. */
  details: Record<string, string | number | boolean | string[]>;
  /** Sightings this observation stands for (a source may fold repeats into one), default 1. */
  occurrences?: number;
  /** The latest of those sightings, when there were several. */
  lastEvidence?: Evidence;
}

/**
 * An FTP data connection: announced on an FTP control connection (PASV, EPSV, PORT, EPRT), to an
 * ephemeral port that changes with every transfer. It belongs to the FTP session: a new port is no new
 * service, no rule of its own, and ten transfers in a minute are no port scan.
 */
export const isFtpData = (f: { protocol: string | null }): boolean => f.protocol === 'ftp-data';

/**
 * One conversation, folded: every connection (TCP) or flow (UDP, ICMP) from `client` to `server:port`
 * seen by one source run. The monitoring baseline, the detection rules, the network map and the
 * segmentation policy are built from these. Never carries payload.
 */
export interface FlowSummary {
  /** IP of the side that opened the connection (TCP SYN sender; UDP: the side not on the service port). */
  client: string;
  server: string;
  /** Server port; 0 for ICMP. */
  port: number;
  transport: 'tcp' | 'udp' | 'icmp';
  /** Application protocol, lower case (`dicom`, `hl7`, `http`, `tls` …), null when unknown. */
  protocol: string | null;
  /** Connections (TCP) or flows (UDP/ICMP) folded into this summary. */
  connections: number;
  packets: number;
  bytes: number;
  firstSeen: string;
  lastSeen: string;
  /** TCP: the server accepted at least once (SYN-ACK seen); false: only refused or unanswered attempts. */
  established?: boolean;
  evidence: Evidence;
}

/**
 * One DICOM association as its A-ASSOCIATE-RQ named it (PS3.8 §9.3.2): who asked whom, under which AE
 * titles, and how the acceptor answered. Rules judge the pair, not the hosts' pooled titles.
 */
export interface DicomAssociationObservation {
  /** Requestor (TCP client) and acceptor (server) addresses, the acceptor's port. */
  client: string;
  server: string;
  port: number;
  callingAeTitle: string;
  calledAeTitle: string;
  /** `unanswered`: no A-ASSOCIATE-AC or -RJ was seen (yet). */
  outcome: 'accepted' | 'rejected' | 'unanswered';
  /** The A-ASSOCIATE-RQ packet. */
  evidence: Evidence;
}

/**
 * A service an earlier result of the same live sensor asserted only from a client's half of the traffic
 * (`Evidence.summary` says "seen only receiving"), that the server has since been seen refusing. The
 * inventory stops asserting it; the history stays (docs/discovery.md "Captures with one direction only").
 */
export interface WithdrawnService {
  host: { ip: string };
  port: number;
  transport: Transport;
  protocol: string;
  /** The refusal. */
  evidence: Evidence;
}

/** What one source run produced. */
export interface SourceResult {
  hosts: HostObservation[];
  findings: FindingObservation[];
  /** Live sensor slices only: receiving-only services an earlier slice stored, withdrawn by this one. */
  withdrawnServices?: WithdrawnService[];
  /** Conversations seen, when the source has them (captures, Zeek conn.log, EVE flow). */
  flows?: FlowSummary[];
  /** DICOM associations seen (captures), in the order they were requested. */
  dicomAssociations?: DicomAssociationObservation[];
  /** Problems in the input that did not stop the run (a truncated file: what came before it is above). */
  issues?: InputIssue[];
}
