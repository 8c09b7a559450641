/**
 * @module People and departments over the API (`program:read` / `program:write`): list, show, add,
 * update, deactivate people and import an HR export (CSV body); list and add departments. Bodies are
 * validated by the domain modules, so the API and the CLI refuse the same things.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { addDepartment, listDepartments } from '../../program/organization/departments-service.js';
import { importPeople } from '../../program/organization/people-import.js';
import {
  addPerson,
  deactivatePerson,
  getPerson,
  listPeople,
  updatePerson,
} from '../../program/organization/people-service.js';
import { type AppEnv, actorOf, defineRoute, importFileName, json } from '../route.js';

const IdParam = z.object({
  id: z
    .string()
    .max(254)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'person id, email or employee id' }),
});

export const PersonSchema = z
  .object({
    id: z.string(),
    employeeId: z.string().nullable(),
    name: z.string(),
    email: z.string().nullable(),
    phone: z.string().nullable(),
    jobRole: z.string().nullable(),
    departmentId: z.string().nullable(),
    department: z.string().nullable(),
    siteId: z.string().nullable(),
    site: z.string().nullable(),
    managerId: z.string().nullable(),
    manager: z.string().nullable(),
    networkAccess: z.boolean(),
    userId: z.string().nullable(),
    username: z.string().nullable(),
    active: z.boolean(),
    activeFrom: z.string().nullable(),
    leftOn: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Person');

const DepartmentSchema = z
  .object({
    id: z.string(),
    siteId: z.string(),
    site: z.string(),
    name: z.string(),
    peopleCount: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Department');

const nullableText = z.string().max(254).nullable().optional();
// Strict like the service below it: a misspelt or read-only field (network_access, status) is a 400
// naming it, not silently dropped.
const PersonBody = z.strictObject({
  name: z.string().max(200),
  employeeId: nullableText,
  email: nullableText,
  phone: nullableText,
  jobRole: nullableText,
  site: nullableText,
  department: nullableText,
  manager: nullableText,
  networkAccess: z.boolean().optional(),
  user: nullableText,
  activeFrom: nullableText,
});

const ImportResultSchema = z
  .object({
    file: z.string(),
    dryRun: z.boolean(),
    rows: z.number().int(),
    created: z.number().int(),
    updated: z.number().int(),
    unchanged: z.number().int(),
    deactivated: z.number().int(),
    sitesCreated: z.array(z.string()),
    departmentsCreated: z.array(z.string()),
    ignoredColumns: z.array(z.string()),
  })
  .openapi('PeopleImportResult');

const bodyOf = (c: { req: { valid(t: 'json'): unknown } }) =>
  Object.fromEntries(Object.entries(c.req.valid('json') as object).filter(([, v]) => v !== undefined));

export const programPeopleRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/people',
      tags: ['program'],
      summary: 'People (active ones unless status says otherwise)',
      request: {
        query: z.object({
          site: z.string().max(200).optional(),
          department: z.string().max(200).optional(),
          status: z.enum(['active', 'left', 'all']).optional(),
          networkAccess: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          search: z.string().max(200).optional(),
        }),
      },
      responses: { 200: json(z.object({ items: z.array(PersonSchema) }), 'People') },
    }),
    async (c) => {
      const q = Object.fromEntries(Object.entries(c.req.valid('query')).filter(([, v]) => v !== undefined));
      return c.json({ items: await listPeople(c.get('ctx').vdb, actorOf(c), q) }, 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/people',
      tags: ['program'],
      summary: 'Add a person',
      request: { body: { required: true, content: { 'application/json': { schema: PersonBody } } } },
      responses: { 201: json(PersonSchema, 'Added') },
    }),
    async (c) => c.json(await addPerson(c.get('ctx').vdb, actorOf(c), bodyOf(c)), 201),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/people/import',
      tags: ['program'],
      summary: 'Import people from an HR export (CSV body); ?dryRun=true only checks',
      request: {
        query: z.object({
          file: z.string().max(200).optional(),
          fileName: z
            .string()
            .max(200)
            .optional()
            .openapi({ description: 'Alias of file (the training import spells it so)' }),
          dryRun: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
        }),
      },
      responses: { 200: json(ImportResultSchema, 'Imported') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      // The bytes (this path skips the UTF-8 body check): the importer reports a byte that is not UTF-8
      // by line and offset and keeps a real U+FFFD.
      const text = new Uint8Array(await c.req.arrayBuffer());
      return c.json(
        await importPeople(c.get('ctx').vdb, actorOf(c), {
          text,
          file: importFileName(q, 'file') ?? 'request body',
          dryRun: Boolean(q.dryRun),
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/people/{id}',
      tags: ['program'],
      summary: 'One person',
      request: { params: IdParam },
      responses: { 200: json(PersonSchema, 'Person') },
    }),
    async (c) => c.json(await getPerson(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'patch',
      path: '/people/{id}',
      tags: ['program'],
      summary: 'Change a person (null clears a field)',
      request: {
        params: IdParam,
        body: { required: true, content: { 'application/json': { schema: PersonBody.partial() } } },
      },
      responses: { 200: json(PersonSchema, 'Changed') },
    }),
    async (c) =>
      c.json(await updatePerson(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, bodyOf(c)), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/people/{id}/deactivate',
      tags: ['program'],
      summary: 'Mark a person as having left (never deleted)',
      request: {
        params: IdParam,
        body: {
          required: false,
          content: {
            'application/json': { schema: z.strictObject({ leftOn: z.string().max(40).optional() }) },
          },
        },
      },
      responses: { 200: json(PersonSchema, 'Deactivated') },
    }),
    async (c) =>
      c.json(await deactivatePerson(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id, bodyOf(c)), 200),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/departments',
      tags: ['program'],
      summary: 'Departments of every site (or one)',
      request: { query: z.object({ site: z.string().max(200).optional() }) },
      responses: { 200: json(z.object({ items: z.array(DepartmentSchema) }), 'Departments') },
    }),
    async (c) => {
      const { site } = c.req.valid('query');
      return c.json(
        { items: await listDepartments(c.get('ctx').vdb, actorOf(c), site ? { site } : {}) },
        200,
      );
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/departments',
      tags: ['program'],
      summary: 'Add a department to a site',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.strictObject({ site: z.string().max(200), name: z.string().max(200) }),
            },
          },
        },
      },
      responses: { 201: json(DepartmentSchema, 'Added') },
    }),
    async (c) => c.json(await addDepartment(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  );
