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
  /**
   * How sure an observing source was of the value (0–1), from 0029-fact-confidence; null for declared
   * facts and facts stored before it.
   */
  confidence: number | null;
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
  /** Sealed TOTP secret (0021-account-mfa); while `totp_enabled_at` is null, an enrolment in progress. */
  totp_secret: string | null;
  totp_enabled_at: string | null;
  /** The last accepted TOTP time step, so a code works once. */
  totp_last_step: number | null;
  /** JSON `[{hash, usedAt}]`: SHA-256 of each recovery code. */
  mfa_recovery: string | null;
  /** `local` (a password kept by Vigil) or `oidc` (single sign-on; no usable password) (0022-account-sso). */
  auth_source: string;
  /** For `oidc`: "<issuer> <subject>", the provider's own stable name for the person. */
  external_id: string | null;
  /** For `oidc`: when the provider last asserted a multi-factor sign-in (null if the last sign-in did not). */
  sso_mfa_at: string | null;
  /** Who disabled the account: `admin` (in Vigil; also null on a disabled account) or `scim` (0026-scim). */
  disabled_by: string | null;
  /** The identity provider's own id for the person, as its SCIM provisioning sent it (`externalId`). */
  scim_external_id: string | null;
  /** When the provider deleted the account through SCIM: kept, disabled; SCIM no longer shows it. */
  scim_deleted_at: string | null;
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
  /** The identity provider's session id (`sid`) of a single sign-on; null otherwise (0024). */
  sso_sid: string | null;
  /** The single sign-on's ID token, sealed (secrets/secret-box.ts), for signing out at the provider (0024). */
  sso_id_token: string | null;
}

/** A bearer token the identity provider's SCIM provisioning presents (0026-scim). */
export interface ScimTokenTable {
  id: string;
  name: string;
  /** SHA-256 of the token. */
  token_hash: string;
  prefix: string;
  created_by: string;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  /** After it the token is refused; null for tokens made before 0028 (no expiry). */
  expires_at: string | null;
}

/** A back-channel logout token Vigil acted on, remembered against replay until it is too old to pass (0025). */
export interface SsoLogoutTokenTable {
  /** SHA-256 (hex) of "<issuer> <jti>". */
  token_key: string;
  forget_at: string;
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

/** One of Vigil's own backups, good or failed (0023-backups). */
export interface BackupTable {
  id: string;
  /** manual | scheduled | before-restore */
  trigger: string;
  started_at: string;
  finished_at: string;
  /** ok | failed */
  status: string;
  file: string | null;
  bytes: number | null;
  sha256: string | null;
  schema_version: string | null;
  audit_entries: number | null;
  audit_head_hash: string | null;
  error: string | null;
  actor: string;
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
  /** create | move | verify | accept | expire | revoke | update | controls | supersede (a merge closed it) */
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
  /**
   * A webhook URL's query (and fragment), sealed like the secret (0030-webhook-url-query): it may carry
   * a token, so `config.url` holds the URL without it. Null when the URL has none.
   */
  url_query: string | null;
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

/** One task event × webhook destination (0027-task-deliveries): the outbox row, then the delivery record. */
export interface TaskDeliveryTable {
  id: string;
  event_id: string;
  /** vigil.task.created … (tasks/task-events.ts TASK_EVENT_TYPES) */
  type: string;
  subject_id: string;
  task_event_id: string | null;
  destination_id: string;
  occurred_at: string;
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

// ---- Organization, officers, notifications (issue 7, first part; migration 0010-organization) ----

/** A department of a site (e.g. "Intensive Care"); found by name case-insensitively within its site. */
export interface DepartmentTable {
  id: string;
  site_id: string;
  name: string;
  name_key: string;
  created_at: string;
  updated_at: string;
}

/** Staff who access network resources, with or without a Vigil account. Never deleted: history refers to them. */
export interface PersonTable {
  id: string;
  /** HR's employee id; with the email, what an HR import matches on. */
  employee_id: string | null;
  name: string;
  email: string | null;
  /** Lower-cased email: unique among people. */
  email_key: string | null;
  phone: string | null;
  /** Free text: "nurse", "biomed technician". */
  job_role: string | null;
  department_id: string | null;
  site_id: string | null;
  manager_id: string | null;
  network_access: Bool;
  /** The person's Vigil account, when they have one. */
  user_id: string | null;
  active: Bool;
  /** ISO dates (YYYY-MM-DD). */
  active_from: string | null;
  left_on: string | null;
  created_at: string;
  updated_at: string;
}

/** A security officer designation: organization-wide (site_id null) or for one site, primary or deputy. */
export interface SecurityOfficerTable {
  id: string;
  person_id: string;
  site_id: string | null;
  /** primary | deputy */
  role: string;
  /** ISO dates (YYYY-MM-DD), both inclusive; no end = open-ended. */
  term_start: string;
  term_end: string | null;
  ended_at: string | null;
  ended_by: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** One notification to one person: the in-app copy, and the state of its email delivery. */
export interface NotificationTable {
  id: string;
  person_id: string;
  /** The trigger that produced it (act-immediate, overdue-update, new-advisory, …, digest). */
  kind: string;
  severity: string;
  title: string;
  body: string;
  /** Stable per item: unique per person, so a trigger fires once per item. */
  dedupe_key: string;
  site_id: string | null;
  /** JSON object: ids of what it is about. */
  details: string;
  read_at: string | null;
  /** pending | sent | failed | skipped */
  email_state: string;
  email_attempts: number;
  email_error: string | null;
  emailed_at: string | null;
  created_at: string;
  updated_at: string;
}

// ---- end of organization ----

// ---- Manufacturers, documents on file, requests, MDS2 (issue 7, manufacturers part; 0012-manufacturers) ----

/** Contacts of a manufacturer, beside the foundation's `manufacturers` row. */
export interface ManufacturerProfileTable {
  manufacturer_id: string;
  psirt_email: string | null;
  psirt_url: string | null;
  psirt_phone: string | null;
  account_name: string | null;
  account_email: string | null;
  account_phone: string | null;
  support_portal: string | null;
  notes: string | null;
  created_at: string;
  updated_at: string;
}

/** A CSAF feed subscription (`feed_sources`) that follows a manufacturer. */
export interface ManufacturerFeedTable {
  manufacturer_id: string;
  feed_source_id: string;
  created_by: string;
  created_at: string;
}

/** Support dates of a model beyond `device_models.end_of_support`; ISO dates. */
export interface ModelSupportTable {
  model_id: string;
  end_of_sale: string | null;
  end_of_life: string | null;
  updated_at: string;
}

/** A document on file for a model: mds2 | sbom | security-white-paper | patch-validation | other. */
export interface ModelDocumentTable {
  id: string;
  model_id: string;
  kind: string;
  title: string;
  document_date: string | null;
  received_date: string | null;
  /** The file's base name and SHA-256 (the file itself is not copied; docs/manufacturers.md). */
  file_name: string | null;
  file_sha256: string | null;
  file_size: number | null;
  notes: string | null;
  created_by: string;
  created_at: string;
  updated_at: string;
}

/** When a kind of document was last requested for a model. */
export interface ModelDocumentRequestTable {
  model_id: string;
  kind: string;
  last_requested: string;
  request_id: string | null;
}

export interface ManufacturerRequestTable {
  id: string;
  manufacturer_id: string;
  /** patch-validation | sbom | mds2 | vulnerability-question | other */
  kind: string;
  subject: string;
  requested_date: string;
  requested_by: string;
  due_date: string | null;
  answered_date: string | null;
  answer: string | null;
  /** open | answered | closed */
  status: string;
  created_at: string;
  updated_at: string;
}

export interface ManufacturerRequestModelTable {
  request_id: string;
  model_id: string;
}

export interface ManufacturerRequestEventTable {
  id: string;
  request_id: string;
  at: string;
  actor: string;
  action: string;
  note: string | null;
}

/** An imported MDS2 form for one model; `current` = 1 for the one in force, older ones are history. */
export interface Mds2FormTable {
  id: string;
  model_id: string;
  document_id: string | null;
  manufacturer_name: string | null;
  model_name: string | null;
  form_id: string | null;
  release_date: string | null;
  file_name: string;
  file_sha256: string;
  sheet: string;
  answer_count: number;
  /** JSON: Mds2Capabilities. */
  capabilities: string;
  current: Bool;
  imported_by: string;
  imported_at: string;
  superseded_at: string | null;
}

export interface Mds2AnswerTable {
  form_id: string;
  question_id: string;
  section: string;
  question: string | null;
  answer: string | null;
  value: string | null;
  note: string | null;
  row: number;
}

// ---- end of manufacturers ----

// ---- compliance reporting (issue 7, H5; 0014-compliance) ----

/** A recorded sign-off that the asset inventory or the network map was reviewed. */
export interface ComplianceReviewTable {
  id: string;
  /** inventory | network-map */
  kind: string;
  note: string | null;
  reviewed_by: string;
  reviewed_at: string;
}

/** A device's ePHI sanitized before disposal or re-use (0019-device-sanitizations). */
export interface DeviceSanitizationTable {
  id: string;
  device_id: string;
  /** clear | purge | destroy (NIST SP 800-88 Rev. 1) */
  method: string;
  /** YYYY-MM-DD */
  performed_on: string;
  performed_by: string;
  reference: string | null;
  recorded_by: string;
  created_at: string;
}

// ---- end of compliance ----

/** What a device said about itself, as fingerprint rules read it: one row per kind and value (0020-fingerprint-evidence). */
export interface DeviceHintTable {
  device_id: string;
  kind: string;
  value: string;
  source: string;
  source_ref: string;
  /** JSON Evidence of the first sighting */
  evidence: string;
  first_seen: string;
  last_seen: string;
}

/** The best identity value fingerprinting suggested below the fact threshold, per field (0020-fingerprint-evidence). */
export interface DeviceSuggestionTable {
  device_id: string;
  field: string;
  value: string;
  confidence: number;
  source: string;
  source_ref: string;
  /** JSON Evidence */
  evidence: string;
  updated_at: string;
}

// Issue 9, multi-site scale-out: sensor health and applied observation messages (0015-sensors).
export interface SensorTable {
  /** `<site>/<sensor>` */
  id: string;
  site: string;
  sensor: string;
  version: string | null;
  source: string | null;
  started_at: string | null;
  /** When the centre last heard the sensor (receive time). */
  last_seen: string;
  /** The sensor's own time of that message. */
  sensor_at: string | null;
  lag_ms: number;
  packets: number;
  capture_drops: number;
  spool_bytes: number;
  spool_dropped_low: number;
  spool_dropped_high: number;
  messages: number;
  /** 1 while the sensor-silent alert stands for it. */
  silent: Bool;
  created_at: string;
  updated_at: string;
}

export interface SensorMessageTable {
  site: string;
  msg_id: string;
  stream_seq: number;
  applied_at: string;
}

/** Devices an ingest batch changed, waiting for the match role (migration 0017-match-queue). */
export interface MatchQueueTable {
  id: string;
  device_id: string;
  queued_at: string;
}

// ---- Training (issue 7, training part; migration 0011-training) ----

export interface TrainingCourseTable {
  id: string;
  code: string;
  code_key: string;
  name: string;
  name_key: string;
  description: string | null;
  /** Months a completion stays valid; null for a course taken once. */
  recurrence_months: number | null;
  grace_days: number;
  /** YYYY-MM-DD; first due dates count from no earlier than this. */
  required_from: string | null;
  /** Compliance target 0..1 for this course; null = the organization's. */
  target: number | null;
  /** JSON array of assignment rules. */
  assignment: string;
  active: Bool;
  created_by: string;
  created_at: string;
  updated_at: string;
}

export interface TrainingCompletionTable {
  id: string;
  person_id: string;
  course_id: string;
  /** YYYY-MM-DD. */
  completed_on: string;
  passed: Bool;
  score: number | null;
  /** manual | import | api */
  source: string;
  source_ref: string | null;
  recorded_by: string;
  created_at: string;
}

// ---- recalls and device identity (issue 7, recalls part; 0013-recalls) ----

export interface FdaRecallTable {
  id: string;
  /** `recall:<res_event_number>:<product_res_number>` or `enforcement:<recall_number>`. */
  natural_key: string;
  /** recall | enforcement */
  source: string;
  event_number: string | null;
  recall_number: string;
  product_code: string | null;
  /** JSON array of 510(k) numbers. */
  k_numbers: string;
  /** JSON array of PMA numbers. */
  pma_numbers: string;
  product_description: string | null;
  code_info: string | null;
  recalling_firm: string | null;
  reason: string | null;
  root_cause: string | null;
  action: string | null;
  classification: string | null;
  status: string | null;
  initiated: string | null;
  posted: string | null;
  terminated: string | null;
  product_quantity: string | null;
  device_name: string | null;
  medical_specialty: string | null;
  device_class: string | null;
  regulation_number: string | null;
  cyber: Bool;
  /** JSON array of the cybersecurity words found. */
  cyber_terms: string;
  source_file: string | null;
  created_at: string;
  updated_at: string;
}

export interface FdaProductCodeTable {
  product_code: string;
  device_name: string | null;
  device_class: string | null;
  medical_specialty: string | null;
  medical_specialty_description: string | null;
  regulation_number: string | null;
  definition: string | null;
  implant: Bool | null;
  life_sustaining: Bool | null;
  source_file: string | null;
  updated_at: string;
}

export interface GudidDeviceTable {
  record_key: string;
  primary_di: string;
  issuing_agency: string | null;
  brand_name: string | null;
  model_number: string | null;
  model_key: string | null;
  catalog_number: string | null;
  catalog_key: string | null;
  company_name: string | null;
  description: string | null;
  distribution_status: string | null;
  /** JSON arrays. */
  product_codes: string;
  submissions: string;
  identifiers: string;
  source_file: string | null;
  updated_at: string;
}

export interface GudidIdentifierTable {
  di: string;
  record_key: string;
  type: string;
  issuing_agency: string | null;
}

export interface RecallMatchTable {
  id: string;
  recall_id: string;
  device_id: string;
  model_id: string | null;
  /** udi | 510k | product-code | firm-model (+ lot/serial noted in evidence) */
  basis: string;
  /** high | medium | low */
  confidence: string;
  /** matched | candidate | confirmed | rejected */
  state: string;
  explanation: string;
  /** JSON object: what matched. */
  evidence: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_reason: string | null;
  created_at: string;
  updated_at: string;
}

/** A dashboard page's named filter set (0016-saved-views). */
export interface SavedViewTable {
  id: string;
  owner: string;
  /** inventory | queue | tasks | alerts | vulnerabilities | audit */
  page: string;
  name: string;
  /** The URL query without the leading '?'. */
  query: string;
  shared: Bool;
  created_at: string;
}

/** A capture-import job and its progress, answered by any API process (0018-import-jobs). */
export interface ImportJobTable {
  id: string;
  /** capture | advisory */
  kind: string;
  file_name: string;
  /** `kind:id` of the actor that started it. */
  owner: string;
  /** running | done | failed */
  state: string;
  bytes_total: number;
  bytes_done: number;
  packets: number;
  devices_found: number;
  started_at: string;
  finished_at: string | null;
  /** Last sign of life of the process running it (progress, or its timer). */
  heartbeat_at: string;
  /** JSON of CaptureImportResult. */
  result: string | null;
  error: string | null;
}

export interface RecallCampaignTable {
  id: string;
  recall_id: string;
  model_id: string;
  campaign_id: string;
  created_by: string;
  created_at: string;
}

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
  sso_logout_tokens: SsoLogoutTokenTable;
  scim_tokens: ScimTokenTable;
  api_tokens: ApiTokenTable;
  backups: BackupTable;
  audit_log: AuditLogTable;
  settings: SettingTable;
  device_services: DeviceServiceTable;
  device_protocols: DeviceProtocolTable;
  findings: FindingTable;
  source_imports: SourceImportTable;
  feed_sources: FeedSourceTable;
  // recalls (0013-recalls)
  fda_recalls: FdaRecallTable;
  fda_product_codes: FdaProductCodeTable;
  gudid_devices: GudidDeviceTable;
  gudid_identifiers: GudidIdentifierTable;
  recall_matches: RecallMatchTable;
  recall_campaigns: RecallCampaignTable;
  training_courses: TrainingCourseTable;
  training_completions: TrainingCompletionTable;
  sensors: SensorTable;
  sensor_messages: SensorMessageTable;
  match_queue: MatchQueueTable;
  saved_views: SavedViewTable;
  import_jobs: ImportJobTable;
  compliance_reviews: ComplianceReviewTable;
  device_sanitizations: DeviceSanitizationTable;
  device_suggestions: DeviceSuggestionTable;
  device_hints: DeviceHintTable;
  // manufacturers, documents, requests, MDS2 (0012-manufacturers)
  manufacturer_profiles: ManufacturerProfileTable;
  manufacturer_feeds: ManufacturerFeedTable;
  model_support: ModelSupportTable;
  model_documents: ModelDocumentTable;
  model_document_requests: ModelDocumentRequestTable;
  manufacturer_requests: ManufacturerRequestTable;
  manufacturer_request_models: ManufacturerRequestModelTable;
  manufacturer_request_events: ManufacturerRequestEventTable;
  mds2_forms: Mds2FormTable;
  mds2_answers: Mds2AnswerTable;
  // organization, officers, notifications (0010-organization)
  departments: DepartmentTable;
  people: PersonTable;
  security_officers: SecurityOfficerTable;
  notifications: NotificationTable;
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
  task_deliveries: TaskDeliveryTable;
  // policy (0009-policy)
  policies: PolicyTable;
}
