/**
 * @module SQL for compliance reporting: recorded reviews (inventory, network map), and the read-only
 * figures the evidence collectors need from other areas' tables (counts, newest dates), so the
 * collectors never touch a table themselves. Every figure can be limited to some sites.
 */
import { sql } from 'kysely';
import { awaitsFirstSignIn } from './account-store.js';
import type { ComplianceReviewTable } from './schema.js';
import type { DbHandle } from './transaction.js';

export type ComplianceReviewRow = ComplianceReviewTable;

/** Limits a query on devices `d` to sites; an empty list matches nothing. */
type SiteScope = readonly string[] | undefined;
const NONE = ['\u0000'];
const inSites = (s: readonly string[]) => (s.length ? [...s] : NONE);
const num = (v: unknown) => Number(v ?? 0);

export async function insertReview(h: DbHandle, row: ComplianceReviewRow): Promise<void> {
  await h.db.insertInto('compliance_reviews').values(row).execute();
}

export async function latestReview(h: DbHandle, kind: string): Promise<ComplianceReviewRow | undefined> {
  return h.db
    .selectFrom('compliance_reviews')
    .selectAll()
    .where('kind', '=', kind)
    .orderBy('reviewed_at', 'desc')
    .limit(1)
    .executeTakeFirst();
}

export interface InventoryFigures {
  devices: number;
  unknownModel: number;
  lastChange: string | null;
}

/** Devices in service (staged or active), how many have no known model, and the newest change. */
export async function inventoryFigures(h: DbHandle, siteIds: SiteScope): Promise<InventoryFigures> {
  let q = h.db
    .selectFrom('devices as d')
    .leftJoin('device_models as m', 'm.id', 'd.model_id')
    .leftJoin('manufacturers as f', 'f.id', 'm.manufacturer_id')
    .select([
      sql<number>`cast(count(*) as integer)`.as('n'),
      sql<number>`cast(sum(case when d.model_id is null or f.name_key = 'unknown' then 1 else 0 end) as integer)`.as(
        'unknown',
      ),
      sql<string | null>`max(d.updated_at)`.as('last'),
    ])
    .where('d.state', 'in', ['staged', 'active']);
  if (siteIds) q = q.where('d.site_id', 'in', inSites(siteIds));
  const r = await q.executeTakeFirst();
  return { devices: num(r?.n), unknownModel: num(r?.unknown), lastChange: r?.last ?? null };
}

export interface SourceImportRef {
  kind: string;
  file: string;
  /** When it was imported. */
  finishedAt: string;
  /** When its newest host was seen (packet or scan time); null for imports made before it was kept. */
  observedUntil: string | null;
  /** What dates it: observedUntil (never later than finishedAt), else finishedAt. */
  at: string;
}

/** The newest finished source import of these kinds (capture, nmap, zeek, eve), by when it was seen. */
export async function latestImportOf(
  h: DbHandle,
  kinds: readonly string[],
): Promise<SourceImportRef | undefined> {
  // Newest by when the traffic or scan was seen (import stats.observedUntil), not by when it was imported:
  // a year-old scan imported today is a year old. Imports made before that was recorded use their own time,
  // and none is seen after it was imported (a sensor's clock ahead of the server's). So, newest import
  // first, a page at a time, until the imports are older than the best seen so far: a sensor importing
  // every few minutes leaves thousands of rows, and the newest few decide.
  const PAGE = 100;
  let best: SourceImportRef | undefined;
  for (let offset = 0; ; offset += PAGE) {
    const rows = await h.db
      .selectFrom('source_imports')
      .select(['kind', 'file', 'finished_at', 'stats'])
      .where('status', '=', 'done')
      .where('kind', 'in', [...kinds])
      .where('finished_at', 'is not', null)
      .orderBy('finished_at', 'desc')
      .orderBy('id')
      .limit(PAGE)
      .offset(offset)
      .execute();
    for (const row of rows) {
      const finishedAt = row.finished_at!;
      if (best && finishedAt < best.at) return best;
      const observedUntil = observedUntilOf(row.stats);
      const ref = {
        kind: row.kind,
        file: row.file,
        finishedAt,
        observedUntil,
        at: observedUntil && observedUntil < finishedAt ? observedUntil : finishedAt,
      };
      if (!best || ref.at > best.at) best = ref;
    }
    if (rows.length < PAGE) return best;
  }
}

function observedUntilOf(stats: string): string | null {
  try {
    const v = (JSON.parse(stats) as { observedUntil?: unknown }).observedUntil;
    return typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? v : null;
  } catch {
    return null; // stats unreadable: dated by the import
  }
}

/** Stored conversations (of devices at the sites) and when the newest was last seen. */
export async function communicationFigures(
  h: DbHandle,
  siteIds: SiteScope,
): Promise<{ conversations: number; lastSeen: string | null }> {
  let q = h.db
    .selectFrom('communications as c')
    .select([
      sql<number>`cast(count(*) as integer)`.as('n'),
      sql<string | null>`max(c.last_seen)`.as('last'),
    ]);
  if (siteIds) q = q.where('c.site_id', 'in', inSites(siteIds));
  const r = await q.executeTakeFirst();
  return { conversations: num(r?.n), lastSeen: r?.last ?? null };
}

export interface AlertFigures {
  total: number;
  /** State → count. */
  byState: Record<string, number>;
  /** Alerts still `new` that were created before `staleBefore`. */
  unhandledStale: number;
  lastSeen: string | null;
}

export async function alertFigures(
  h: DbHandle,
  siteIds: SiteScope,
  staleBefore: string,
): Promise<AlertFigures> {
  let q = h.db
    .selectFrom('alerts as a')
    .select([
      'a.state',
      sql<number>`cast(count(*) as integer)`.as('n'),
      sql<number>`cast(sum(case when a.created_at < ${staleBefore} then 1 else 0 end) as integer)`.as(
        'stale',
      ),
      sql<string | null>`max(a.last_seen)`.as('last'),
    ])
    .groupBy('a.state');
  if (siteIds) q = q.where('a.site_id', 'in', inSites(siteIds));
  const rows = await q.execute();
  const byState: Record<string, number> = {};
  let total = 0;
  let unhandledStale = 0;
  let lastSeen: string | null = null;
  for (const r of rows) {
    byState[r.state] = num(r.n);
    total += num(r.n);
    if (r.state === 'new') unhandledStale = num(r.stale);
    if (r.last && (!lastSeen || r.last > lastSeen)) lastSeen = r.last;
  }
  return { total, byState, unhandledStale, lastSeen };
}

/** Enabled alert destinations by kind (syslog, webhook): where security events are collected. */
export async function alertDestinationKinds(h: DbHandle): Promise<Record<string, number>> {
  const rows = await h.db
    .selectFrom('alert_destinations')
    .select(['kind', sql<number>`cast(count(*) as integer)`.as('n')])
    .where('enabled', '=', 1)
    .groupBy('kind')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.kind, num(r.n)]));
}

export interface OpenFindingRef {
  id: string;
  type: string;
  title: string;
  assetTag: string | null;
  deviceId: string;
  siteName: string | null;
  lastSeen: string;
}

/**
 * Open or acknowledged findings of these types, and the total. At most `limit` are listed: the kinds in
 * the order given (the caller names the most serious first, e.g. patient data in cleartext before weak
 * TLS), newest first within a kind, so that a long list of lesser findings cannot push the serious ones
 * out of a report.
 */
export async function openFindingsOf(
  h: DbHandle,
  types: readonly string[],
  siteIds: SiteScope,
  limit = 50,
): Promise<{ total: number; byType: Record<string, number>; items: OpenFindingRef[] }> {
  let base = h.db
    .selectFrom('findings as x')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .where('x.type', 'in', [...types])
    .where('x.state', 'in', ['open', 'acknowledged']);
  if (siteIds) base = base.where('d.site_id', 'in', inSites(siteIds));
  const counts = await base
    .select(['x.type', sql<number>`cast(count(*) as integer)`.as('n')])
    .groupBy('x.type')
    .execute();
  const items = await base
    .leftJoin('sites as s', 's.id', 'd.site_id')
    .select(['x.id', 'x.type', 'x.title', 'x.device_id', 'x.last_seen', 'd.asset_tag', 's.name as site_name'])
    .orderBy(
      sql`case ${sql.join(
        types.map((t, i) => sql`when x.type = ${t} then ${i}`),
        sql` `,
      )} end`,
    )
    .orderBy('x.last_seen', 'desc')
    .orderBy('x.id')
    .limit(limit)
    .execute();
  const byType = Object.fromEntries(counts.map((c) => [c.type, num(c.n)]));
  return {
    total: Object.values(byType).reduce((a, b) => a + b, 0),
    byType,
    items: items.map((r) => ({
      id: r.id,
      type: r.type,
      title: r.title,
      assetTag: r.asset_tag,
      deviceId: r.device_id,
      siteName: r.site_name,
      lastSeen: r.last_seen,
    })),
  };
}

export interface TaskTimelineRow {
  id: string;
  title: string;
  state: string;
  createdAt: string;
  dueAt: string | null;
  deviceId: string;
  /** The vulnerability the task remediates (null for a finding's task). */
  vulnKey: string | null;
  assetTag: string | null;
  siteName: string | null;
  department: string | null;
}

export interface TaskTimelineEvent {
  taskId: string;
  at: string;
  toState: string;
}

/** Every remediation task (of devices at the sites) with its state changes: charts and time-to-patch. */
export async function taskTimeline(
  h: DbHandle,
  siteIds: SiteScope,
): Promise<{ tasks: TaskTimelineRow[]; events: TaskTimelineEvent[] }> {
  let q = h.db
    .selectFrom('remediation_tasks as t')
    .innerJoin('devices as d', 'd.id', 't.device_id')
    .leftJoin('sites as s', 's.id', 'd.site_id')
    .select([
      't.id',
      't.title',
      't.state',
      't.created_at',
      't.due_at',
      't.device_id',
      't.vuln_key',
      'd.asset_tag',
      's.name as site_name',
      'd.department',
    ]);
  if (siteIds) q = q.where('d.site_id', 'in', inSites(siteIds));
  const tasks = (await q.orderBy('t.id').execute()).map((r) => ({
    id: r.id,
    title: r.title,
    state: r.state,
    createdAt: r.created_at,
    dueAt: r.due_at,
    deviceId: r.device_id,
    vulnKey: r.vuln_key,
    assetTag: r.asset_tag,
    siteName: r.site_name,
    department: r.department,
  }));
  let eq = h.db
    .selectFrom('task_events as e')
    .innerJoin('remediation_tasks as t', 't.id', 'e.task_id')
    .innerJoin('devices as d', 'd.id', 't.device_id')
    .select(['e.task_id', 'e.at', 'e.to_state']);
  if (siteIds) eq = eq.where('d.site_id', 'in', inSites(siteIds));
  const events = (await eq.orderBy('e.at').orderBy('e.id').execute()).map((r) => ({
    taskId: r.task_id,
    at: r.at,
    toState: r.to_state,
  }));
  return { tasks, events };
}

export interface RiskFigures {
  /** Devices with at least one affected or needs-review vulnerability match. */
  devicesWithMatches: number;
  /** Of those, devices where every such match has a task or a risk acceptance (a decision). */
  devicesDecided: number;
  /** Open findings (any type) on devices at the sites. */
  openFindings: number;
  lastMatchAt: string | null;
}

export async function riskFigures(h: DbHandle, siteIds: SiteScope): Promise<RiskFigures> {
  const scoped = siteIds
    ? sql`and d.site_id in (${sql.join(inSites(siteIds).map((s) => sql`${s}`))})`
    : sql``;
  const r = await sql<{ matched: number; decided: number; last: string | null }>`
    select
      cast(count(distinct v.device_id) as integer) as matched,
      cast(count(distinct case when not exists (
        select 1 from vulnerability_matches w
        where w.device_id = v.device_id and w.status in ('affected', 'needs-review')
          and not exists (select 1 from remediation_tasks t where t.device_id = w.device_id and t.vuln_key = w.vuln_key)
          and not exists (select 1 from risk_acceptances a where a.vuln_key = w.vuln_key and a.state = 'active'
            and ((a.scope = 'device' and a.device_id = w.device_id) or a.scope = 'fleet'
              or (a.scope = 'model' and a.model_id = (select dm.model_id from devices dm where dm.id = w.device_id))))
      ) then v.device_id end) as integer) as decided,
      max(v.last_matched_at) as last
    from vulnerability_matches v join devices d on d.id = v.device_id
    where v.status in ('affected', 'needs-review') and d.state <> 'merged' ${scoped}`.execute(h.db);
  let fq = h.db
    .selectFrom('findings as x')
    .innerJoin('devices as d', 'd.id', 'x.device_id')
    .select(sql<number>`cast(count(*) as integer)`.as('n'))
    .where('x.state', 'in', ['open', 'acknowledged']);
  if (siteIds) fq = fq.where('d.site_id', 'in', inSites(siteIds));
  const f = await fq.executeTakeFirst();
  const row = r.rows[0];
  return {
    devicesWithMatches: num(row?.matched),
    devicesDecided: num(row?.decided),
    openFindings: num(f?.n),
    lastMatchAt: row?.last ?? null,
  };
}

export interface AccessFigures {
  users: number;
  disabled: number;
  byRole: Record<string, number>;
  /** Enabled accounts that never logged in or not for 90 days. */
  dormant: number;
  /** Enabled accounts that sign in with a second factor (TOTP, or single sign-on that asserted one). */
  withMfa: number;
  /**
   * Enabled accounts the identity provider's provisioning (SCIM) made that nobody has signed in to yet:
   * no role of their own (it comes from the groups at that sign-in) and no second factor to judge yet.
   */
  awaitingFirstSignIn: number;
  activeTokens: number;
  /** SCIM provisioning tokens not revoked: still valid; of those, made before tokens expired; expired. */
  scimTokens: { live: number; withoutExpiry: number; expired: number };
  lastPasswordChange: string | null;
}

export async function accessFigures(h: DbHandle, now: string, dormantBefore: string): Promise<AccessFigures> {
  const users = await h.db
    .selectFrom('users')
    .select([
      'role',
      'disabled',
      'last_login_at',
      'created_at',
      'password_changed_at',
      'totp_enabled_at',
      'auth_source',
      'sso_mfa_at',
      'external_id',
      'scim_deleted_at',
    ])
    .execute();
  const tokens = await h.db
    .selectFrom('api_tokens')
    .select(sql<number>`cast(count(*) as integer)`.as('n'))
    .where('revoked_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  const scim = await h.db
    .selectFrom('scim_tokens')
    .select(['expires_at'])
    .where('revoked_at', 'is', null)
    .execute();
  const scimTokens = {
    live: scim.filter((t) => t.expires_at === null || t.expires_at > now).length,
    withoutExpiry: scim.filter((t) => t.expires_at === null).length,
    expired: scim.filter((t) => t.expires_at !== null && t.expires_at <= now).length,
  };
  const byRole: Record<string, number> = {};
  let disabled = 0;
  let dormant = 0;
  let withMfa = 0;
  let awaitingFirstSignIn = 0;
  let lastPasswordChange: string | null = null;
  for (const u of users) {
    if (Number(u.disabled) === 1) {
      disabled++;
      continue;
    }
    const seen = u.last_login_at ?? u.created_at;
    // Unused access all the same: still dormant after 90 days.
    if (seen < dormantBefore) dormant++;
    if (awaitsFirstSignIn(u)) {
      awaitingFirstSignIn++;
      continue;
    }
    byRole[u.role] = (byRole[u.role] ?? 0) + 1;
    // A single sign-on account counts when its provider asserted more than one factor at the last sign-in.
    if (u.totp_enabled_at !== null || (u.auth_source === 'oidc' && u.sso_mfa_at !== null)) withMfa++;
    if (!lastPasswordChange || u.password_changed_at > lastPasswordChange)
      lastPasswordChange = u.password_changed_at;
  }
  return {
    users: users.length,
    disabled,
    byRole,
    dormant,
    withMfa,
    awaitingFirstSignIn,
    activeTokens: num(tokens?.n),
    scimTokens,
    lastPasswordChange,
  };
}

/** Site ids and names (all, or only these). */
export async function siteNames(h: DbHandle, siteIds: SiteScope): Promise<{ id: string; name: string }[]> {
  let q = h.db.selectFrom('sites').select(['id', 'name']).orderBy('name_key');
  if (siteIds) q = q.where('id', 'in', inSites(siteIds));
  return q.execute();
}

/** When the newest training completion was recorded (of people at these sites, or of everyone). */
export async function newestTrainingRecord(h: DbHandle, siteIds: SiteScope): Promise<string | null> {
  let q = h.db
    .selectFrom('training_completions as c')
    .innerJoin('people as p', 'p.id', 'c.person_id')
    .select(sql<string | null>`max(c.created_at)`.as('t'));
  if (siteIds) q = q.where('p.site_id', 'in', inSites(siteIds));
  return (await q.executeTakeFirst())?.t ?? null;
}
