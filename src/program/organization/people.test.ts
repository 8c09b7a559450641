import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS, freshDatabase } from '../../../test/dialects.js';
import { cliActor } from '../../../test/factories.js';
import type { Actor } from '../../accounts/actor.js';
import { permissionsOf } from '../../accounts/permissions.js';
import { createUser } from '../../accounts/users.js';
import { VigilError } from '../../errors.js';
import { createSite } from '../../inventory/site-service.js';
import type { VigilDatabase } from '../../store/database.js';
import { addDepartment, listDepartments } from './departments-service.js';
import { importPeople } from './people-import.js';
import { addPerson, deactivatePerson, getPerson, listPeople, updatePerson } from './people-service.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../test/fixtures/program/${name}`, import.meta.url), 'utf8');

async function failure(p: Promise<unknown>): Promise<VigilError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof VigilError) return e;
    throw e;
  }
  throw new Error('expected a VigilError');
}

const auditActions = async (vdb: VigilDatabase) =>
  (await vdb.db.selectFrom('audit_log').select('action').orderBy('seq').execute()).map((r) => r.action);

describe.each(DIALECTS)('departments and people on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
    await createSite(vdb, cliActor, { name: 'North Campus' });
    await createSite(vdb, cliActor, { name: 'South Clinic' });
  });
  afterAll(async () => vdb?.close());

  it('adds departments per site, unique by name in any case', async () => {
    const icu = await addDepartment(vdb, cliActor, { site: 'north campus', name: ' Intensive  Care ' });
    expect(icu).toMatchObject({ site: 'North Campus', name: 'Intensive Care', peopleCount: 0 });
    const dup = await failure(addDepartment(vdb, cliActor, { site: 'North Campus', name: 'intensive care' }));
    // The refusal names the department as stored, not as typed.
    expect(dup.message).toBe('Site North Campus already has a department "Intensive Care"');
    expect(
      (await failure(addDepartment(vdb, cliActor, { site: 'North Campus', name: 'intensive care' }))).code,
    ).toBe('conflict');
    await addDepartment(vdb, cliActor, { site: 'South Clinic', name: 'Intensive Care' });
    expect((await failure(addDepartment(vdb, cliActor, { site: 'Nowhere', name: 'X' }))).code).toBe(
      'not_found',
    );
    expect((await listDepartments(vdb, cliActor, { site: 'South Clinic' })).map((d) => d.name)).toEqual([
      'Intensive Care',
    ]);
  });

  it('creates, updates, shows and deactivates people, audited, never deleted', async () => {
    const boss = await addPerson(vdb, cliActor, {
      name: 'Grace Okafor',
      email: 'Grace.Okafor@hospital.example',
      site: 'North Campus',
      jobRole: 'CISO',
    });
    const nurse = await addPerson(vdb, cliActor, {
      name: 'Aiko Tanaka',
      employeeId: 'E1003',
      email: 'aiko@hospital.example',
      site: 'North Campus',
      department: 'Intensive Care',
      manager: 'grace.okafor@hospital.example',
      jobRole: 'nurse',
    });
    expect(nurse).toMatchObject({
      department: 'Intensive Care',
      site: 'North Campus',
      managerId: boss.id,
      manager: 'Grace Okafor',
      networkAccess: true,
      active: true,
    });
    expect(boss.email).toBe('Grace.Okafor@hospital.example');
    expect((await getPerson(vdb, cliActor, 'E1003')).id).toBe(nurse.id);
    expect((await getPerson(vdb, cliActor, 'AIKO@hospital.example')).id).toBe(nurse.id);

    expect(
      (await failure(addPerson(vdb, cliActor, { name: 'Dup', email: 'aiko@HOSPITAL.example' }))).code,
    ).toBe('conflict');
    expect(
      (await failure(addPerson(vdb, cliActor, { name: 'X', email: 'not an email' }))).issues[0],
    ).toMatchObject({
      field: 'email',
    });
    expect((await failure(updatePerson(vdb, cliActor, nurse.id, { manager: nurse.id }))).message).toMatch(
      /own manager/,
    );

    const moved = await updatePerson(vdb, cliActor, nurse.id, { site: 'South Clinic', phone: '+1 555 0102' });
    // The old site's department does not follow the person to another site.
    expect(moved).toMatchObject({ site: 'South Clinic', department: null, phone: '+1 555 0102' });
    const withDept = await updatePerson(vdb, cliActor, nurse.id, { department: 'Intensive Care' });
    expect(withDept.department).toBe('Intensive Care');
    expect(withDept.departmentId).not.toBe(nurse.departmentId);

    const user = await createUser(vdb, cliActor, {
      username: 'aiko',
      role: 'clinical-engineer',
      password: 'correct horse battery staple 42',
    });
    expect((await updatePerson(vdb, cliActor, nurse.id, { user: 'aiko' })).userId).toBe(user.id);
    // Linking it again to the same person is no change; to a second person it is refused, by add too.
    expect((await updatePerson(vdb, cliActor, nurse.id, { user: 'aiko' })).userId).toBe(user.id);
    const taken = await failure(updatePerson(vdb, cliActor, boss.id, { user: 'aiko' }));
    expect(taken.code).toBe('conflict');
    expect(taken.message).toBe(
      'Vigil account "aiko" is already linked to Aiko Tanaka (E1003): unlink it there first (--user none)',
    );
    expect((await failure(addPerson(vdb, cliActor, { name: 'Second', user: 'aiko' }))).code).toBe('conflict');
    expect((await getPerson(vdb, cliActor, boss.id)).userId).toBeNull();

    // A departure in the future is not a deactivation now: it would end terms and training early.
    expect(await failure(deactivatePerson(vdb, cliActor, nurse.id, { leftOn: '2099-03-01' }))).toMatchObject({
      code: 'invalid_input',
      message: expect.stringMatching(/leftOn 2099-03-01 is in the future/),
    });
    expect((await getPerson(vdb, cliActor, nurse.id)).active).toBe(true);
    const gone = await deactivatePerson(vdb, cliActor, nurse.id, { leftOn: '2026-11-01' });
    expect(gone).toMatchObject({ active: false, leftOn: '2026-11-01' });
    expect((await failure(deactivatePerson(vdb, cliActor, nurse.id))).code).toBe('conflict');
    expect((await listPeople(vdb, cliActor)).map((p) => p.name)).toEqual(['Grace Okafor']);
    expect((await listPeople(vdb, cliActor, { status: 'all' })).map((p) => p.name)).toEqual([
      'Aiko Tanaka',
      'Grace Okafor',
    ]);
    expect((await listPeople(vdb, cliActor, { status: 'all', search: 'TANAKA' })).map((p) => p.id)).toEqual([
      nurse.id,
    ]);
    expect(await auditActions(vdb)).toEqual(
      expect.arrayContaining(['person.create', 'person.update', 'person.deactivate']),
    );
  });

  it('hides people of other sites from an actor limited to sites, and refuses without program:write', async () => {
    const south = (await listDepartments(vdb, cliActor, { site: 'South Clinic' }))[0]!.siteId;
    const limited: Actor = { ...cliActor, name: 'limited', siteIds: [south] };
    expect((await listPeople(vdb, limited, { status: 'all' })).map((p) => p.name)).toEqual(['Aiko Tanaka']);
    expect((await failure(getPerson(vdb, limited, 'grace.okafor@hospital.example'))).code).toBe('not_found');
    const auditor: Actor = { kind: 'user', id: 'a', name: 'auditor', permissions: permissionsOf('auditor') };
    expect((await listPeople(vdb, auditor)).length).toBe(1);
    expect((await failure(addPerson(vdb, auditor, { name: 'Nope' }))).code).toBe('forbidden');
  });
});

describe.each(DIALECTS)('people import on %s', (dialect) => {
  let vdb: VigilDatabase;
  beforeAll(async () => {
    vdb = await freshDatabase(dialect);
  });
  afterAll(async () => vdb?.close());

  it('imports an HR export, creating sites, departments and managers, and is idempotent', async () => {
    const text = fixture('hr-export.csv');
    const dry = await importPeople(vdb, cliActor, {
      text,
      file: 'hr-export.csv',
      dryRun: true,
      today: '2026-11-29',
    });
    expect(dry).toMatchObject({ dryRun: true, created: 8 });
    expect(await listPeople(vdb, cliActor, { status: 'all' })).toEqual([]);

    const first = await importPeople(vdb, cliActor, { text, file: 'hr-export.csv', today: '2026-11-29' });
    expect(first).toMatchObject({ rows: 8, created: 8, updated: 0, unchanged: 0, deactivated: 1 });
    expect(first.sitesCreated.sort()).toEqual(['North Campus', 'South Clinic']);
    expect(first.departmentsCreated).toHaveLength(5);
    const people = await listPeople(vdb, cliActor, { status: 'all' });
    const byId = new Map(people.map((p) => [p.employeeId, p]));
    expect(byId.get('E1003')).toMatchObject({
      email: 'AIKO.TANAKA@hospital.example',
      manager: 'Fatima Haddad',
      department: 'Intensive Care',
      site: 'North Campus',
      activeFrom: '2021-01-09',
    });
    expect(byId.get('E1004')).toMatchObject({ active: false, leftOn: '2026-06-30' });
    expect(byId.get('E2003')).toMatchObject({ networkAccess: false, manager: 'Priya Raman' });
    expect(byId.get('E2002')!.jobRole).toBe('Imaging Manager (acting)');

    const again = await importPeople(vdb, cliActor, { text, file: 'hr-export.csv', today: '2026-11-29' });
    expect(again).toMatchObject({ created: 0, updated: 0, unchanged: 8, deactivated: 0 });
    expect(again.sitesCreated).toEqual([]);
    expect(again.departmentsCreated).toEqual([]);

    // A changed job title is an update matched by employee id; the email may change case freely.
    const changed = text.replace('Biomed Technician', 'Senior Biomed Technician');
    const third = await importPeople(vdb, cliActor, {
      text: changed,
      file: 'hr-export.csv',
      today: '2026-11-29',
    });
    expect(third).toMatchObject({ created: 0, updated: 1, unchanged: 7 });
    expect((await getPerson(vdb, cliActor, 'E1002')).jobRole).toBe('Senior Biomed Technician');
    expect((await auditActions(vdb)).filter((a) => a === 'people.import')).toHaveLength(3);
  });

  it('reports every bad line and imports nothing from a bad file', async () => {
    const before = (await listPeople(vdb, cliActor, { status: 'all' })).length;
    const e = await failure(
      importPeople(vdb, cliActor, { text: fixture('bad-rows.csv'), file: 'bad-rows.csv' }),
    );
    expect(e.code).toBe('invalid_input');
    expect(e.message).toMatch(/nothing was imported/);
    // One attempt names every problem, the manager found nowhere (line 9) included.
    expect(e.issues.map((i) => i.line)).toEqual([3, 4, 4, 5, 6, 7, 8, 9]);
    expect(e.issues.find((i) => i.line === 7)).toMatchObject({ field: 'employeeId' });
    expect(e.issues.at(-1)).toMatchObject({ line: 9, field: 'manager' });
    expect((await listPeople(vdb, cliActor, { status: 'all' })).length).toBe(before);
    // A manager whose own row has a problem is that row's problem, not a second one on the report.
    const badManagerRow =
      'Employee ID,Name,Email,Manager\nE9101,Ann Lead,not-an-email,\nE9102,Bo Staff,bo@hospital.example,E9101\n';
    const b = await failure(importPeople(vdb, cliActor, { text: badManagerRow, file: 'b.csv' }));
    expect(b.issues.map((i) => [i.line, i.field])).toEqual([[2, 'email']]);
    // Fixing all but the manager still fails, on that line.
    const onlyManager =
      'Employee ID,Name,Email,Manager\nE9008,Unknown Manager,unknown.mgr@hospital.example,nobody@hospital.example\n';
    const m = await failure(importPeople(vdb, cliActor, { text: onlyManager, file: 'm.csv' }));
    expect(m.issues).toEqual([
      {
        file: 'm.csv',
        line: 2,
        field: 'manager',
        reason: 'manager "nobody@hospital.example" is neither in the file nor stored',
      },
    ]);
  });

  it('refuses an export that is not UTF-8 by line, column and byte offset, and keeps the stored names', async () => {
    // hr-export.csv saved as Windows-1252 (no BOM): "Tomás" is the byte 0xE1. The CLI and the API hand
    // the importer the file's bytes, so it names the byte where a lenient decode would have made U+FFFD.
    const cp1252 = Buffer.from(fixture('hr-export.csv').replace(/^\uFEFF/, ''), 'latin1');
    const e = await failure(
      importPeople(vdb, cliActor, {
        text: cp1252,
        file: 'hr-1252.csv',
        today: '2026-11-29',
      }),
    );
    expect(e.code).toBe('invalid_input');
    expect(e.issues).toEqual([
      {
        file: 'hr-1252.csv',
        line: 3,
        field: 'firstName',
        reason: 'is not valid UTF-8 text (byte 0xE1 at offset 9 of the line; save the export as UTF-8)',
      },
    ]);
    expect((await getPerson(vdb, cliActor, 'E1002')).name).toBe('Tomás Reyes');
  });

  it('finds the bad byte after a line break inside a quoted cell, in a CRLF export', async () => {
    // Windows line ends, and a job title typed on two lines (a textarea in the HR system), quoted: the
    // record of E1001 takes lines 2-3, so "Tomás" (0xE1) is on line 4.
    const text = fixture('hr-export.csv')
      .replace(/^\uFEFF/, '')
      .replace('Chief Information Security Officer', '"Chief Information\nSecurity Officer"')
      .replace(/\n/g, '\r\n');
    const e = await failure(
      importPeople(vdb, cliActor, {
        text: Buffer.from(text, 'latin1'),
        file: 'hr-crlf.csv',
        today: '2026-11-29',
      }),
    );
    expect(e.issues).toEqual([
      {
        file: 'hr-crlf.csv',
        line: 4,
        field: 'firstName',
        reason: 'is not valid UTF-8 text (byte 0xE1 at offset 9 of the line; save the export as UTF-8)',
      },
    ]);
    expect((await getPerson(vdb, cliActor, 'E1002')).name).toBe('Tomás Reyes');
  });

  it('stores a U+FFFD the export really holds (EF BF BD) as it is', async () => {
    // An HR system that had already replaced the "á" it could not write: valid UTF-8, the name it holds.
    const bytes = Buffer.from(fixture('hr-export.csv').replace('Tomás', 'Tom\uFFFDs'), 'utf8');
    const r = await importPeople(vdb, cliActor, { text: bytes, file: 'hr.csv', today: '2026-11-29' });
    expect(r).toMatchObject({ updated: 1 });
    expect((await getPerson(vdb, cliActor, 'E1002')).name).toBe('Tom\uFFFDs Reyes');
    // Put the real name back for the tests after this one.
    await importPeople(vdb, cliActor, {
      text: readFileSync(new URL('../../../test/fixtures/program/hr-export.csv', import.meta.url)),
      file: 'hr-export.csv',
      today: '2026-11-29',
    });
    expect((await getPerson(vdb, cliActor, 'E1002')).name).toBe('Tomás Reyes');
  });

  it('refuses a row whose employee id and email name two different people', async () => {
    const text = 'Employee ID,Name,Email\nE1001,Grace Okafor,tomas.reyes@hospital.example\n';
    const e = await failure(importPeople(vdb, cliActor, { text, file: 'x.csv' }));
    expect(e.issues[0]).toMatchObject({ line: 2 });
    expect(e.issues[0]!.reason).toMatch(/Grace Okafor.*Tomás Reyes/);
  });
});
