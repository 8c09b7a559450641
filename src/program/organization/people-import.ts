/**
 * @module Importing people from an HR export (CSV). A person is matched on employee id, then email, so
 * importing the same file again changes nothing; sites and departments named in the file are created
 * when missing; managers are found in the same file or among people already stored; a termination date
 * on or before today makes the person inactive. Every problem is reported with its line, and a file
 * with any problem changes nothing (one transaction, one audit entry).
 */

import type { Actor } from '../../accounts/actor.js';
import { assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { type InputIssue, invalidInput } from '../../errors.js';
import { plural } from '../../format-count.js';
import { shortValue } from '../../formats/short-value.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  departmentName,
  departmentNameKey,
  emailKey,
  findDepartment,
  insertDepartment,
  insertPerson,
  type PersonRow,
  peopleByEmailKeys,
  peopleByEmployeeIds,
  updatePersonRow,
} from '../../store/organization-store.js';
import { ensureSites, findSitesByKeys, siteName, siteNameKey } from '../../store/site-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import { type PersonCsvRecord, parsePeopleCsv } from './people-csv.js';

export interface PeopleImportResult {
  file: string;
  dryRun: boolean;
  rows: number;
  created: number;
  updated: number;
  unchanged: number;
  /** People the file marks as having left (termination date on or before today) in this import. */
  deactivated: number;
  sitesCreated: string[];
  departmentsCreated: string[];
  ignoredColumns: string[];
}

const FIELDS = [
  'employee_id',
  'name',
  'email',
  'email_key',
  'phone',
  'job_role',
  'site_id',
  'department_id',
  'manager_id',
  'network_access',
  'active',
  'active_from',
  'left_on',
] as const satisfies readonly (keyof PersonRow)[];

/** An HR export of a 20,000-person hospital is a few MB (about 300 bytes a person): 64 MB is generous. */
export const MAX_PEOPLE_CSV_BYTES = 64_000_000;

export async function importPeople(
  h: DbHandle,
  actor: Actor,
  /** `text`: the export's bytes as read (a byte that is not UTF-8 is then refused by line and offset), or its text. */
  input: { text: string | Uint8Array; file: string; dryRun?: boolean; today?: string },
): Promise<PeopleImportResult> {
  assertCan(actor, 'program:write');
  const { file } = input;
  const today = input.today ?? nowIso().slice(0, 10);
  const parsed = parsePeopleCsv(input.text, file);
  const issues: InputIssue[] = [...parsed.issues];
  const recs = parsed.records;

  // The same person twice in one file is a mistake in the export, not two people.
  const seen = new Map<string, number>();
  for (const r of recs) {
    for (const k of [r.employeeId ? `id:${r.employeeId}` : '', r.email ? `email:${emailKey(r.email)}` : '']) {
      if (!k) continue;
      const first = seen.get(k);
      if (first !== undefined)
        issues.push({
          file,
          line: r.line,
          field: k.startsWith('id:') ? 'employeeId' : 'email',
          reason: `the same ${k.split(':')[0]} as line ${first}: ${shortValue(k.slice(k.indexOf(':') + 1))}`,
        });
      else seen.set(k, r.line);
    }
  }
  // Every later check still runs on the good rows (its writes are rolled back with the refusal), so one
  // attempt names every problem of the file instead of one kind per attempt.
  const rejected = new Set(parsed.rejectedKeys.flatMap((k) => [k, emailKey(k)]));

  const run = async (tx: DbHandle): Promise<PeopleImportResult> => {
    const now = nowIso();
    const result: PeopleImportResult = {
      file,
      dryRun: Boolean(input.dryRun),
      rows: recs.length,
      created: 0,
      updated: 0,
      unchanged: 0,
      deactivated: 0,
      sitesCreated: [],
      departmentsCreated: [],
      ignoredColumns: parsed.ignoredColumns,
    };
    // Sites: an account limited to sites may name only those, and creates none.
    const siteNames = [...new Set(recs.flatMap((r) => (r.site ? [siteName(r.site)] : [])))];
    const siteIds = new Map<string, string>();
    if (actor.siteIds) {
      for (const s of await findSitesByKeys(tx, siteNames.map(siteNameKey)))
        if (actor.siteIds.includes(s.id)) siteIds.set(s.name_key, s.id);
      for (const r of recs)
        if (!r.site || !siteIds.has(siteNameKey(r.site)))
          issues.push({
            file,
            line: r.line,
            field: 'site',
            reason: `site "${shortValue(r.site ?? '')}" is not one this account may change`,
          });
    } else {
      const ensured = await ensureSites(tx, siteNames, now);
      for (const [k, v] of ensured.ids) siteIds.set(k, v);
      result.sitesCreated = ensured.created;
    }
    // Departments: found or created per site.
    const deptIds = new Map<string, string>();
    for (const r of recs) {
      if (!r.department || !r.site) continue;
      const siteId = siteIds.get(siteNameKey(r.site));
      if (!siteId) continue;
      const key = `${siteId}|${departmentNameKey(r.department)}`;
      if (deptIds.has(key)) continue;
      const found = await findDepartment(tx, siteId, departmentName(r.department));
      if (found) deptIds.set(key, found.id);
      else {
        const id = newId();
        await insertDepartment(tx, {
          id,
          site_id: siteId,
          name: departmentName(r.department),
          name_key: departmentNameKey(r.department),
          created_at: now,
          updated_at: now,
        });
        deptIds.set(key, id);
        result.departmentsCreated.push(`${siteName(r.site)} / ${departmentName(r.department)}`);
      }
    }
    // Existing people: employee id first, then email.
    const byEmployee = new Map(
      (
        await peopleByEmployeeIds(
          tx,
          recs.flatMap((r) => (r.employeeId ? [r.employeeId] : [])),
        )
      ).map((p) => [p.employee_id!, p]),
    );
    const byEmail = new Map(
      (
        await peopleByEmailKeys(
          tx,
          recs.flatMap((r) => (r.email ? [emailKey(r.email)] : [])),
        )
      ).map((p) => [p.email_key!, p]),
    );
    const matched = new Map<PersonCsvRecord, PersonRow | undefined>();
    for (const r of recs) {
      const a = r.employeeId ? byEmployee.get(r.employeeId) : undefined;
      const b = r.email ? byEmail.get(emailKey(r.email)) : undefined;
      if (a && b && a.id !== b.id) {
        issues.push({
          file,
          line: r.line,
          reason: `employee id ${shortValue(r.employeeId ?? '')} is ${shortValue(a.name)} but email ${shortValue(r.email ?? '')} is ${shortValue(b.name)}`,
        });
        continue;
      }
      const p = a ?? b;
      if (p && actor.siteIds && !(p.site_id && actor.siteIds.includes(p.site_id)))
        issues.push({
          file,
          line: r.line,
          reason: `${p.name} belongs to a site this account may not change`,
        });
      matched.set(r, p);
    }

    // People first, managers second: a manager may come later in the file.
    const idOf = new Map<PersonCsvRecord, string>();
    const rowsAfter = new Map<string, PersonRow>();
    for (const r of recs) {
      const siteId = r.site ? (siteIds.get(siteNameKey(r.site)) ?? null) : null;
      const deptId =
        r.department && siteId ? (deptIds.get(`${siteId}|${departmentNameKey(r.department)}`) ?? null) : null;
      const left = r.leftOn !== null && r.leftOn <= today;
      const before = matched.get(r);
      const next: PersonRow = {
        id: before?.id ?? newId(),
        employee_id: r.employeeId ?? before?.employee_id ?? null,
        name: r.name,
        email: r.email ?? before?.email ?? null,
        email_key: r.email ? emailKey(r.email) : (before?.email_key ?? null),
        phone: r.phone ?? before?.phone ?? null,
        job_role: r.jobRole ?? before?.job_role ?? null,
        site_id: siteId ?? before?.site_id ?? null,
        department_id:
          deptId ?? (siteId && siteId !== before?.site_id ? null : (before?.department_id ?? null)),
        manager_id: before?.manager_id ?? null,
        network_access: r.networkAccess === null ? (before?.network_access ?? 1) : r.networkAccess ? 1 : 0,
        user_id: before?.user_id ?? null,
        active: left ? 0 : 1,
        active_from: r.activeFrom ?? before?.active_from ?? null,
        left_on: r.leftOn,
        created_at: before?.created_at ?? now,
        updated_at: now,
      };
      idOf.set(r, next.id);
      rowsAfter.set(next.id, next);
    }
    const refIndex = new Map<string, string>();
    for (const [r, id] of idOf) {
      if (r.employeeId) refIndex.set(r.employeeId, id);
      if (r.email) refIndex.set(emailKey(r.email), id);
    }
    const managerRefs = recs.flatMap((r) =>
      r.manager && !refIndex.has(r.manager) && !refIndex.has(emailKey(r.manager)) ? [r.manager] : [],
    );
    for (const p of await peopleByEmployeeIds(tx, managerRefs)) refIndex.set(p.employee_id!, p.id);
    for (const p of await peopleByEmailKeys(tx, managerRefs.map(emailKey))) refIndex.set(p.email_key!, p.id);
    for (const r of recs) {
      if (!r.manager) continue;
      const m = refIndex.get(r.manager) ?? refIndex.get(emailKey(r.manager));
      const self = idOf.get(r)!;
      // A manager whose own row was refused is reported on that row already.
      if (!m && (rejected.has(r.manager) || rejected.has(emailKey(r.manager)))) continue;
      if (!m)
        issues.push({
          file,
          line: r.line,
          field: 'manager',
          reason: `manager "${shortValue(r.manager ?? '')}" is neither in the file nor stored`,
        });
      else if (m === self)
        issues.push({ file, line: r.line, field: 'manager', reason: 'a person cannot be their own manager' });
      else rowsAfter.get(self)!.manager_id = m;
    }
    if (issues.length) throw refused(file, issues);

    const managersOfNew: [string, string][] = [];
    const updates: [string, Partial<PersonRow>][] = [];
    for (const r of recs) {
      const next = rowsAfter.get(idOf.get(r)!)!;
      const before = matched.get(r);
      if (!before) {
        result.created++;
        if (!next.active) result.deactivated++;
        // Managers are set once everyone is stored: a manager may come later in the file.
        if (!input.dryRun) await insertPerson(tx, { ...next, manager_id: null });
        if (next.manager_id) managersOfNew.push([next.id, next.manager_id]);
        continue;
      }
      const patch: Partial<PersonRow> = {};
      for (const f of FIELDS) if (!same(next[f], before[f])) (patch as Record<string, unknown>)[f] = next[f];
      if (!Object.keys(patch).length) {
        result.unchanged++;
        continue;
      }
      result.updated++;
      if (Number(before.active) === 1 && next.active === 0) result.deactivated++;
      updates.push([before.id, { ...patch, updated_at: now }]);
    }
    if (!input.dryRun) {
      for (const [id, manager] of managersOfNew) await updatePersonRow(tx, id, { manager_id: manager });
      for (const [id, patch] of updates) await updatePersonRow(tx, id, patch);
    }
    if (!input.dryRun)
      await appendAudit(tx, {
        actor,
        action: 'people.import',
        target: { type: 'people-import', id: file },
        summary: {
          file,
          rows: result.rows,
          created: result.created,
          updated: result.updated,
          unchanged: result.unchanged,
          deactivated: result.deactivated,
          sitesCreated: result.sitesCreated.length,
          departmentsCreated: result.departmentsCreated.length,
        },
      });
    return result;
  };

  if (!input.dryRun) return transaction(h, run);
  // A dry run does everything inside a transaction that is then rolled back.
  let out: PeopleImportResult | undefined;
  try {
    await transaction(h, async (tx) => {
      out = await run(tx);
      throw new DryRunRollback();
    });
  } catch (e) {
    if (!(e instanceof DryRunRollback)) throw e;
  }
  return out!;
}

class DryRunRollback extends Error {}

/** Every problem, in line order; nothing of the file is kept. */
const refused = (file: string, issues: InputIssue[]) =>
  invalidInput(
    `${plural(issues.length, 'problem')} in ${file}; nothing was imported`,
    [...issues].sort((a, b) => (a.line ?? 0) - (b.line ?? 0)),
  );

/** 0/1 flags may come back from a driver as numbers or numeric strings. */
const same = (a: unknown, b: unknown) =>
  a === b || (typeof a === 'number' && b !== null && b !== undefined && Number(b) === a);
