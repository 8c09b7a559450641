/**
 * @module Table types for Kysely. Conventions that make SQLite and PostgreSQL behave the same:
 * ids are application-generated text (time-ordered UUIDv7), timestamps are UTC ISO-8601 text,
 * booleans are integers 0/1 (null = unknown), lists and objects are JSON text, and floats are
 * `double precision`. Only the store reads these types; domain modules see the mapped objects.
 */

export type Bool = 0 | 1;

export interface SiteTable {
  id: string;
  name: string;
  name_key: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}

export interface SegmentTable {
  id: string;
  site_id: string;
  name: string;
  /** JSON array of CIDR strings. */
  cidrs: string;
  vlan: number | null;
  zone: string | null;
  created_at: string;
  updated_at: string;
}

export interface ManufacturerTable {
  id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

export interface DeviceModelTable {
  id: string;
  manufacturer_id: string;
  name: string;
  name_key: string;
  model_number: string | null;
  device_class: string;
  fda_product_code: string | null;
  fda_risk_class: string | null;
  criticality: string | null;
  ephi_stores: Bool | null;
  ephi_transmits: Bool | null;
  /** JSON array of {port, protocol, service} the manufacturer declares. */
  default_services: string;
  end_of_support: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeviceTable {
  id: string;
  model_id: string | null;
  asset_tag: string | null;
  asset_tag_key: string | null;
  serial_number: string | null;
  serial_key: string | null;
  udi: string | null;
  udi_key: string | null;
  /** One of the device classes (inventory/device.ts); the model's class is the default. */
  device_class: string;
  firmware_version: string | null;
  software_version: string | null;
  os: string | null;
  os_version: string | null;
  os_end_of_support: string | null;
  criticality: string | null;
  ephi: Bool | null;
  site_id: string | null;
  building: string | null;
  floor: string | null;
  room: string | null;
  department: string | null;
  owner: string | null;
  state: string;
  lifecycle_status: string | null;
  merged_into: string | null;
  first_seen: string | null;
  last_seen: string | null;
  created_at: string;
  updated_at: string;
}

export interface DeviceIdentifierTable {
  id: string;
  device_id: string;
  /** mac | ip | hostname */
  kind: string;
  value: string;
  source: string;
  first_seen: string;
  last_seen: string;
}

export interface DeviceFactTable {
  id: string;
  device_id: string;
  field: string;
  value: string | null;
  /** cmms | manual | capture | scanner … */
  source: string;
  /** File and line, capture and packet, user … */
  source_ref: string | null;
  first_seen: string;
  last_seen: string;
}

export interface UserTable {
  id: string;
  username: string;
  username_key: string;
  display_name: string | null;
  role: string;
  password_hash: string;
  disabled: Bool;
  failed_logins: number;
  locked_until: string | null;
  last_login_at: string | null;
  password_changed_at: string;
  created_at: string;
  updated_at: string;
}

export interface SessionTable {
  /** SHA-256 of the session secret; the secret itself lives only in the cookie. */
  id: string;
  user_id: string;
  csrf_token: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

export interface ApiTokenTable {
  id: string;
  name: string;
  /** SHA-256 of the token secret. */
  token_hash: string;
  /** First characters of the token, to recognise it in lists. */
  prefix: string;
  created_by: string;
  /** JSON array of permission names. */
  permissions: string;
  /** JSON array of site ids, or null for all sites. */
  site_ids: string | null;
  expires_at: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface AuditLogTable {
  seq: number;
  id: string;
  at: string;
  actor: string;
  actor_kind: string;
  action: string;
  outcome: string;
  target_type: string | null;
  target_id: string | null;
  ip: string | null;
  /** JSON: before/after summary, never secrets or patient data. */
  summary: string;
  prev_hash: string;
  hash: string;
}

export interface SettingTable {
  key: string;
  value: string;
  updated_at: string;
}

export interface DeviceServiceTable {
  id: string;
  device_id: string;
  port: number;
  /** tcp | udp */
  transport: string;
  protocol: string | null;
  product: string | null;
  version: string | null;
  encrypted: Bool | null;
  /** JSON array of CPE names a scanner reported. */
  cpes: string;
  source: string;
  /** JSON Evidence of the latest sighting. */
  evidence: string;
  first_seen: string;
  last_seen: string;
}

export interface DeviceProtocolTable {
  id: string;
  device_id: string;
  protocol: string;
  /** JSON: protocol details (DICOM AE titles and SOP classes, HL7 applications …), never patient data. */
  details: string;
  source: string;
  first_seen: string;
  last_seen: string;
}

export interface FindingTable {
  id: string;
  type: string;
  severity: string;
  device_id: string;
  subject: string;
  /** type + device + subject: one finding however often it is seen. */
  dedup_key: string;
  title: string;
  /** open | acknowledged | resolved | false-positive */
  state: string;
  /** JSON Evidence of the first sighting, and of the latest. */
  evidence: string;
  last_evidence: string;
  /** JSON details (protocol, port, which tags …), never secret values. */
  details: string;
  occurrences: number;
  first_seen: string;
  last_seen: string;
  created_at: string;
  updated_at: string;
}

export interface SourceImportTable {
  id: string;
  /** capture | nmap */
  kind: string;
  file: string;
  sha256: string | null;
  size: number | null;
  /** running | done | failed */
  status: string;
  /** JSON counts: packets, bytes, hosts, devices, findings, issues … */
  stats: string;
  actor: string;
  started_at: string;
  finished_at: string | null;
}

export interface FeedSourceTable {
  id: string;
  /** csaf-provider | csaf-bundle | kev | epss | nvd | cve5 | osv | csaf-files */
  kind: string;
  name: string;
  name_key: string;
  url: string | null;
  manufacturer: string | null;
  enabled: Bool;
  require_signature: Bool;
  expected_interval_hours: number;
  /** JSON: the sync client's state (ETags, per-document hashes). */
  state: string;
  last_attempt_at: string | null;
  last_success_at: string | null;
  last_error: string | null;
  created_at: string;
  updated_at: string;
}

export interface AdvisoryTable {
  id: string;
  tracking_id: string;
  title: string;
  publisher: string;
  category: string;
  version: string;
  status: string;
  initial_release: string;
  current_release: string;
  source_id: string | null;
  /** File path or URL the document came from. */
  origin: string;
  sha256: string;
  fetched_at: string;
  /** JSON array of {category, summary, url}. */
  refs: string;
  created_at: string;
  updated_at: string;
}

export interface AdvisoryProductTable {
  id: string;
  advisory_id: string;
  product_id: string;
  name: string;
  vendor: string | null;
  vendor_key: string | null;
  family: string | null;
  product_name: string | null;
  version: string | null;
  version_range: string | null;
  helpers: string | null;
  relationship: string | null;
  path: string;
}

export interface AdvisoryVulnerabilityTable {
  id: string;
  advisory_id: string;
  vuln_key: string;
  cve: string | null;
  title: string | null;
  cwe: string | null;
  ssvc: string | null;
  scores: string;
  path: string;
}

export interface AdvisoryStatusTable {
  id: string;
  advisory_id: string;
  vuln_key: string;
  product_id: string;
  status: string;
  remediations: string;
}

export interface VulnerabilityTable {
  vuln_key: string;
  cve: string | null;
  title: string | null;
  description: string | null;
  cvss_score: number | null;
  cvss_vector: string | null;
  cvss_version: string | null;
  severity: string | null;
  cwes: string;
  published: string | null;
  modified: string | null;
  created_at: string;
  updated_at: string;
  /** 0006: SsvcDecision JSON from a CVE 5 record's CISA ADP container. */
  ssvc?: string | null;
  /** 0006: JSON array of reference URLs tagged as exploits. */
  exploit_refs?: string | null;
}

export interface VulnerabilityRecordTable {
  id: string;
  vuln_key: string;
  source: string;
  record: string;
  modified: string | null;
  source_id: string | null;
  origin: string;
  fetched_at: string;
}

export interface VulnerabilityIndexTable {
  record_id: string;
  key: string;
}

export interface KevEntryTable {
  cve: string;
  vendor: string;
  product: string;
  name: string;
  date_added: string;
  due_date: string | null;
  ransomware: string;
  required_action: string;
  notes: string;
  catalog_version: string;
  source_id: string | null;
  fetched_at: string;
}

export interface EpssScoreTable {
  cve: string;
  epss: number;
  percentile: number;
  score_date: string | null;
  model_version: string | null;
  source_id: string | null;
  fetched_at: string;
}

export interface SbomTable {
  id: string;
  model_id: string;
  software_version: string | null;
  format: string;
  spec_version: string;
  serial_number: string | null;
  subject: string | null;
  file: string;
  sha256: string;
  component_count: number;
  imported_by: string;
  imported_at: string;
}

export interface SbomComponentTable {
  id: string;
  sbom_id: string;
  ref: string;
  name: string;
  version: string | null;
  supplier: string | null;
  purl: string | null;
  /** purl without version/qualifiers (`pkg:npm/lodash`), the OSV lookup key. */
  package_key: string | null;
  cpes: string;
}

export interface VexStatementTable {
  id: string;
  vuln_key: string;
  status: string;
  justification: string | null;
  impact_statement: string | null;
  action_statement: string | null;
  device_id: string | null;
  model_id: string | null;
  software_version: string | null;
  purl: string | null;
  /** The product as the statement names it, for display. */
  product: string;
  /** `document` (imported) or `hospital` (written in Vigil). */
  origin: string;
  /** Imported document: format, id and file, JSON. */
  document: string | null;
  author: string | null;
  statement_time: string | null;
  created_by: string;
  created_at: string;
}

/** One (device, vulnerability); what it says is the shared answer its fingerprint names. */
export interface VulnerabilityMatchTable {
  id: string;
  device_id: string;
  vuln_key: string;
  status: string;
  candidate: Bool;
  fingerprint: string;
  first_matched_at: string;
  /** When the matcher last changed this entry. */
  last_matched_at: string;
}

/** What a match says, once per distinct answer; the fingerprint hashes every column. */
export interface MatchAnswerTable {
  fingerprint: string;
  cve: string | null;
  advisory_ids: string;
  status: string;
  confidence: number;
  candidate: Bool;
  matched_by: string;
  explanation: string;
  fix_available: Bool;
  /** The evidence JSON: every rule, source, decision and VEX statement. */
  details: string;
}

export interface MatchDecisionTable {
  id: string;
  manufacturer_key: string;
  model_key: string;
  version: string;
  vuln_key: string;
  decision: string;
  reason: string;
  decided_by: string;
  decided_at: string;
}

// ---- Tasks (issue 5: remediation tasks, risk acceptances, campaigns; migration 0005-tasks) ----

/** One piece of remediation work on one device: a (device, vulnerability), a finding, or a campaign action. */
export interface RemediationTaskTable {
  id: string;
  /** vulnerability | finding | action */
  kind: string;
  device_id: string;
  vuln_key: string | null;
  finding_id: string | null;
  campaign_id: string | null;
  /** The risk acceptance that holds the task in `risk-accepted`. */
  acceptance_id: string | null;
  title: string;
  /** tasks/task-states.ts */
  state: string;
  due_at: string | null;
  /** due − created when the task got its due date: restarted when an acceptance expires. */
  sla_seconds: number | null;
  assignee: string | null;
  department_contacted: string | null;
  window_start: string | null;
  window_end: string | null;
  applied_by: string | null;
  applied_at: string | null;
  /** What fixes it, from the advisory's remediation (vendor_fix first) or given by hand. */
  fix: string | null;
  /** JSON array of {control, note, at, by}: segmented | service-disabled | monitored | isolated. */
  controls: string;
  verified_at: string | null;
  /** JSON: the evidence verification recorded. */
  verification: string | null;
  close_reason: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** Every change of a task: creation, moves, verification, acceptance, expiry, field updates. */
export interface TaskEventTable {
  id: string;
  task_id: string;
  at: string;
  actor: string;
  /** create | move | verify | accept | expire | revoke | update | controls */
  action: string;
  from_state: string | null;
  to_state: string;
  /** JSON: the fields of the move, evidence of a verification … */
  details: string;
}

export interface RiskAcceptanceTable {
  id: string;
  /** device | model | fleet */
  scope: string;
  vuln_key: string;
  device_id: string | null;
  model_id: string | null;
  /** Firmware or software version within the model; null = every version. */
  version: string | null;
  /** accept | reduce | avoid | transfer */
  decision: string;
  reason: string;
  /** JSON array of {control, note}. */
  controls: string;
  approver: string;
  approver_kind: string;
  expires_at: string;
  /** active | expired | revoked */
  state: string;
  ended_at: string | null;
  created_at: string;
}

/** One update or recall action across every device of a model (and version). */
export interface CampaignTable {
  id: string;
  title: string;
  /** update | recall */
  action: string;
  model_id: string;
  version: string | null;
  vuln_key: string | null;
  fix: string | null;
  due_at: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

// ---- end of tasks ----

// ---- Risk (issue 5: SSVC decision-point overrides; migration 0004-risk) ----

/** An override of one SSVC decision point for a device or a model, with reason and expiry (audited). */
export interface RiskOverrideTable {
  id: string;
  /** device | model */
  scope: string;
  device_id: string | null;
  model_id: string | null;
  /** SSVC point key: E | EXP | A | SI | MI | HI */
  point: string;
  value: string;
  reason: string;
  expires_at: string;
  created_by: string;
  created_at: string;
  revoked_at: string | null;
}

/** A model's answers to the MITRE-rubric questionnaire (0006-rubric); history is in the audit log. */
export interface ModelRubricTable {
  model_id: string;
  /** JSON object: question id → answer value */
  answers: string;
  notes: string | null;
  answered_by: string;
  answered_at: string;
}

// ---- end of risk block ----

// ---- alerts (0007-alerts) ----

export interface AlertTable {
  id: string;
  rule: string;
  severity: string;
  title: string;
  device_id: string | null;
  site_id: string | null;
  /** deviceId ?? siteId ?? '-': de-duplication and rate limits count per rule and scope. */
  scope: string;
  subject: string;
  /** rule + scope + subject: one alert however often it is raised. */
  dedupe_key: string;
  /** new | acknowledged | resolved | false-positive */
  state: string;
  first_seen: string;
  last_seen: string;
  count: number;
  /** Candidates not raised as their own alert because of the rate limit (summary alerts). */
  suppressed: number;
  /** JSON AlertEvidence[]: the first few and the latest few sightings. */
  evidence: string;
  details: string;
  state_reason: string | null;
  state_by: string | null;
  state_at: string | null;
  created_at: string;
  updated_at: string;
}

export interface AlertEventTable {
  id: string;
  alert_id: string;
  at: string;
  actor: string;
  /** created | reoccurred | reopened | state */
  action: string;
  from_state: string | null;
  to_state: string;
  reason: string | null;
  details: string;
}

export interface AlertDestinationTable {
  id: string;
  name: string;
  /** syslog | webhook */
  kind: string;
  /** JSON settings without the secret. */
  config: string;
  /** Webhook signing key; only the dispatcher reads it, never a listing. */
  secret: string | null;
  enabled: Bool;
  created_by: string;
  created_at: string;
}

export interface AlertDeliveryTable {
  id: string;
  alert_id: string;
  destination_id: string;
  /** pending | delivered | dead */
  state: string;
  attempts: number;
  last_error: string | null;
  created_at: string;
  updated_at: string;
  delivered_at: string | null;
}

// ---- end of alerts block ----

// ---- communications and baselines (0008-communications) ----

export interface CommunicationTable {
  id: string;
  site_id: string | null;
  client_ip: string;
  server_ip: string;
  client_device_id: string | null;
  server_device_id: string | null;
  port: number;
  transport: string;
  protocol: string | null;
  /** protocol, or '' when unknown (part of the unique key). */
  protocol_key: string;
  connections: number;
  packets: number;
  bytes: number;
  /** TCP: 1 once a handshake completed; 0 only refused/unanswered; null for UDP/ICMP. */
  established: Bool | null;
  /** JSON Evidence of the latest source that added to this row. */
  evidence: string;
  first_seen: string;
  last_seen: string;
}

export interface CommunicationSourceTable {
  /** `sha256:<hex>` of a source file whose flows were applied. */
  source_key: string;
  file: string;
  flows: number;
  applied_at: string;
}

export interface BaselineTable {
  id: string;
  /** device | model */
  scope: string;
  device_id: string | null;
  model_id: string | null;
  subject_key: string;
  site_id: string | null;
  /** learning | active */
  state: string;
  window_days: number;
  window_start: string;
  window_end: string;
  learned_at: string;
  learned_by: string;
  approved_by: string | null;
  approved_at: string | null;
  /** Latest communication of the device inside or after the window (device-not-seen). */
  last_seen: string | null;
  created_at: string;
  updated_at: string;
}

export interface BaselineEntryTable {
  id: string;
  baseline_id: string;
  /** peer | service | protocol | dicom-ae | hl7-receiver | volume */
  kind: string;
  value: string;
  /** allow | deny */
  effect: string;
  /** learned | manual */
  origin: string;
  /** JSON: ports, counts, volume band … */
  details: string;
  reason: string | null;
  created_by: string;
  created_at: string;
}

// ---- end of communications block ----

// ---- policy (0009-policy) ----

/** One version of a segmentation policy (issue 6). */
export interface PolicyTable {
  id: string;
  /** Site id, or '-' for the policy of every site. */
  scope: string;
  site_id: string | null;
  /** 1, 2 … per scope. */
  version: number;
  /** draft | approved | superseded */
  state: string;
  name: string;
  /** proposed | file | api */
  origin: string;
  /** JSON: the policy document (policy/policy-model.ts). */
  document: string;
  rule_count: number;
  created_by: string;
  created_at: string;
  approved_by: string | null;
  approved_at: string | null;
  superseded_at: string | null;
}

// ---- end of policy ----

export interface Database {
  sites: SiteTable;
  segments: SegmentTable;
  manufacturers: ManufacturerTable;
  device_models: DeviceModelTable;
  devices: DeviceTable;
  device_identifiers: DeviceIdentifierTable;
  device_facts: DeviceFactTable;
  users: UserTable;
  sessions: SessionTable;
  api_tokens: ApiTokenTable;
  audit_log: AuditLogTable;
  settings: SettingTable;
  device_services: DeviceServiceTable;
  device_protocols: DeviceProtocolTable;
  findings: FindingTable;
  source_imports: SourceImportTable;
  feed_sources: FeedSourceTable;
  advisories: AdvisoryTable;
  advisory_products: AdvisoryProductTable;
  advisory_vulnerabilities: AdvisoryVulnerabilityTable;
  advisory_statuses: AdvisoryStatusTable;
  vulnerabilities: VulnerabilityTable;
  vulnerability_records: VulnerabilityRecordTable;
  vulnerability_index: VulnerabilityIndexTable;
  kev_entries: KevEntryTable;
  epss_scores: EpssScoreTable;
  sboms: SbomTable;
  sbom_components: SbomComponentTable;
  vex_statements: VexStatementTable;
  vulnerability_matches: VulnerabilityMatchTable;
  match_answers: MatchAnswerTable;
  match_decisions: MatchDecisionTable;
  // risk (0004-risk)
  risk_overrides: RiskOverrideTable;
  // rubric (0006-rubric)
  model_rubrics: ModelRubricTable;
  // tasks (0005-tasks)
  remediation_tasks: RemediationTaskTable;
  task_events: TaskEventTable;
  risk_acceptances: RiskAcceptanceTable;
  campaigns: CampaignTable;
  // communications (0008-communications)
  communications: CommunicationTable;
  communication_sources: CommunicationSourceTable;
  baselines: BaselineTable;
  baseline_entries: BaselineEntryTable;
  // alerts (0007-alerts)
  alerts: AlertTable;
  alert_events: AlertEventTable;
  alert_destinations: AlertDestinationTable;
  alert_deliveries: AlertDeliveryTable;
  // policy (0009-policy)
  policies: PolicyTable;
}
