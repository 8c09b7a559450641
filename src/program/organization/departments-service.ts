/**
 * @module Departments of a site (Intensive Care, Radiology, Biomedical Engineering): add and list.
 * A department belongs to one site; its name is unique within that site, in any case.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { conflict, notFound } from '../../errors.js';
import { parseInput } from '../../inventory/device-input.js';
import { newId, nowIso } from '../../store/ids.js';
import {
  type DepartmentView,
  departmentName,
  departmentNameKey,
  findDepartment,
  insertDepartment,
  listDepartments as listDepartmentRows,
} from '../../store/organization-store.js';
import { findSite, type SiteRow } from '../../store/site-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';

/** The Department JSON contract (docs/program.md). */
export interface Department {
  id: string;
  siteId: string;
  site: string;
  name: string;
  /** Active people in it. */
  peopleCount: number;
  createdAt: string;
  updatedAt: string;
}

export const DepartmentInputSchema = z.strictObject({
  site: z.string().trim().min(1, 'a department belongs to a site').max(200),
  name: z.string().transform(departmentName).pipe(z.string().min(1, 'a department needs a name').max(200)),
});

const toDepartment = (r: DepartmentView): Department => ({
  id: r.id,
  siteId: r.site_id,
  site: r.site_name,
  name: r.name,
  peopleCount: r.people_count,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

/** A site by id or name, within what the actor may see. */
export async function siteInScope(h: DbHandle, actor: Actor, ref: string): Promise<SiteRow> {
  const site = await findSite(h, ref.trim());
  if (!site || (actor.siteIds && !actor.siteIds.includes(site.id))) throw notFound(`Site "${ref}"`);
  return site;
}

export async function listDepartments(
  h: DbHandle,
  actor: Actor,
  query: { site?: string } = {},
): Promise<Department[]> {
  assertCan(actor, 'program:read');
  const siteIds = query.site ? [(await siteInScope(h, actor, query.site)).id] : actor.siteIds;
  return (await listDepartmentRows(h, siteIds)).map(toDepartment);
}

export async function addDepartment(h: DbHandle, actor: Actor, input: unknown): Promise<Department> {
  assertCan(actor, 'program:write');
  const v = parseInput(DepartmentInputSchema, input, 'department');
  return transaction(h, async (tx) => {
    const site = await siteInScope(tx, actor, v.site);
    // Names are unique in any case: say which one is there, as stored ("Intensive Care", not "intensive care").
    const existing = await findDepartment(tx, site.id, v.name);
    if (existing) throw conflict(`Site ${site.name} already has a department "${existing.name}"`);
    const now = nowIso();
    const row = {
      id: newId(),
      site_id: site.id,
      name: v.name,
      name_key: departmentNameKey(v.name),
      created_at: now,
      updated_at: now,
    };
    await insertDepartment(tx, row);
    await appendAudit(tx, {
      actor,
      action: 'department.create',
      target: { type: 'department', id: row.id },
      summary: { site: site.name, name: row.name },
    });
    return toDepartment({ ...row, site_name: site.name, people_count: 0 });
  });
}
