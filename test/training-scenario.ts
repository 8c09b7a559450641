/**
 * @module Test scenario for training (used by the service and API tests, not by the application): two
 * sites, three departments, six people (one left, one without network access but with a
 * clinical-engineer account) and two courses, built through the real services.
 */
import type { Actor } from '../src/accounts/actor.js';
import { createUser } from '../src/accounts/users.js';
import { createSite } from '../src/inventory/site-service.js';
import { addDepartment } from '../src/program/organization/departments-service.js';
import { addPerson, deactivatePerson } from '../src/program/organization/people-service.js';
import { addCourse } from '../src/program/training/courses-service.js';
import type { DbHandle } from '../src/store/transaction.js';

export const SCENARIO_PASSWORD = 'correct horse battery staple 42';

export async function buildTrainingScenario(h: DbHandle, actor: Actor): Promise<void> {
  await createSite(h, actor, { name: 'North Campus' });
  await createSite(h, actor, { name: 'South Campus' });
  await addDepartment(h, actor, { site: 'North Campus', name: 'ICU' });
  await addDepartment(h, actor, { site: 'North Campus', name: 'Radiology' });
  await addDepartment(h, actor, { site: 'South Campus', name: 'Clinical Engineering' });
  await createUser(h, actor, { username: 'dana', role: 'clinical-engineer', password: SCENARIO_PASSWORD });
  const common = { site: 'North Campus', networkAccess: true, activeFrom: '2025-01-01' };
  await addPerson(h, actor, {
    ...common,
    name: 'Maya Patel',
    employeeId: 'E1000',
    email: 'maya.patel@example-hospital.org',
    jobRole: 'ICU manager',
    department: 'ICU',
  });
  for (const [name, employeeId, email, jobRole, department] of [
    ['Ana Rivera', 'E1001', 'ana.rivera@example-hospital.org', 'Nurse', 'ICU'],
    ['Ben Okafor', 'E1002', 'ben.okafor@example-hospital.org', 'nurse', 'ICU'],
    ['Chen Li', 'E1003', 'chen.li@example-hospital.org', 'Radiographer', 'Radiology'],
  ] as const)
    await addPerson(h, actor, {
      ...common,
      name,
      employeeId,
      email,
      jobRole,
      department,
      ...(department === 'ICU' ? { manager: 'E1000' } : {}),
    });
  await addPerson(h, actor, {
    name: 'Dana Smith',
    employeeId: 'E1004',
    email: 'dana.smith@example-hospital.org',
    jobRole: 'Biomed Technician',
    site: 'South Campus',
    department: 'Clinical Engineering',
    networkAccess: false,
    user: 'dana',
    activeFrom: '2025-01-01',
  });
  await addPerson(h, actor, {
    ...common,
    name: 'Ed Gone',
    employeeId: 'E1005',
    email: 'ed.gone@example-hospital.org',
    department: 'ICU',
  });
  await deactivatePerson(h, actor, 'E1005', { leftOn: '2025-06-30' });
  await addCourse(h, actor, {
    code: 'SEC-101',
    name: 'Cybersecurity Awareness',
    description: 'Annual awareness training for everyone with network access',
  });
  await addCourse(h, actor, {
    code: 'MED-200',
    name: 'Medical Device Security for Clinical Engineers',
    recurrenceMonths: 24,
    graceDays: 60,
    target: 1,
    assignment: [{ vigilRole: 'clinical-engineer' }, { jobRole: 'biomed technician' }],
  });
}
