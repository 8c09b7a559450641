/**
 * @module Staff training over the API: courses (list, show, add, update), completions (list, record,
 * import a learning system's CSV export as a text/csv body), status per (person, course), compliance
 * figures and the target, and reminders. Thin: the training modules validate and decide.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { invalidInput } from '../../errors.js';
import { DATE_FORMATS } from '../../program/training/completion-csv.js';
import {
  importCompletions,
  listCompletions,
  recordCompletion,
} from '../../program/training/completions-service.js';
import { getTrainingCompliance, setComplianceTarget } from '../../program/training/compliance.js';
import { addCourse, getCourse, listCourses, updateCourse } from '../../program/training/courses-service.js';
import { TRAINING_STATES } from '../../program/training/due.js';
import { trainingReminders } from '../../program/training/reminders.js';
import { trainingStatus } from '../../program/training/status.js';
import { type AppEnv, actorOf, defineRoute, importFileName, json } from '../route.js';

const RuleSchema = z.object({
  networkAccess: z.literal(true).optional(),
  jobRole: z.string().optional(),
  departmentId: z.string().optional(),
  department: z.string().nullable().optional(),
  siteId: z.string().optional(),
  site: z.string().nullable().optional(),
  vigilRole: z.string().optional(),
});

const CourseSchema = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    recurrenceMonths: z.number().int().nullable(),
    graceDays: z.number().int(),
    requiredFrom: z.string().nullable(),
    target: z.number().nullable(),
    assignment: z.array(RuleSchema),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('TrainingCourse');

const CompletionSchema = z
  .object({
    id: z.string(),
    personId: z.string(),
    person: z.string(),
    employeeId: z.string().nullable(),
    courseId: z.string(),
    courseCode: z.string(),
    course: z.string(),
    completedOn: z.string(),
    passed: z.boolean(),
    score: z.number().nullable(),
    source: z.string(),
    sourceRef: z.string().nullable(),
    recordedBy: z.string(),
    createdAt: z.string(),
  })
  .openapi('TrainingCompletion');

const StatusSchema = z
  .object({
    personId: z.string(),
    employeeId: z.string().nullable(),
    person: z.string(),
    email: z.string().nullable(),
    departmentId: z.string().nullable(),
    department: z.string().nullable(),
    siteId: z.string().nullable(),
    site: z.string().nullable(),
    managerId: z.string().nullable(),
    courseId: z.string(),
    courseCode: z.string(),
    course: z.string(),
    lastCompleted: z.string().nullable(),
    dueOn: z.string().nullable(),
    state: z.enum(TRAINING_STATES),
    overdue: z.boolean(),
    daysLeft: z.number().int().nullable(),
  })
  .openapi('TrainingStatus');

const FigureSchema = z
  .object({
    scope: z.enum(['organization', 'site', 'department']),
    siteId: z.string().nullable(),
    siteName: z.string().nullable(),
    department: z.string().nullable(),
    required: z.number().int(),
    current: z.number().int(),
    overdue: z.number().int(),
    rate: z.number(),
    belowTarget: z.boolean(),
  })
  .openapi('TrainingComplianceFigure');

const IssueSchema = z.object({
  file: z.string().optional(),
  line: z.number().int().optional(),
  field: z.string().optional(),
  reason: z.string(),
});

const ImportResultSchema = z
  .object({
    file: z.string(),
    dryRun: z.boolean(),
    columns: z.array(z.object({ header: z.string(), field: z.string() })),
    rows: z.number().int(),
    completions: z.number().int(),
    added: z.number().int(),
    superseded: z.number().int(),
    alreadyRecorded: z.number().int(),
    duplicatesInFile: z.number().int(),
    notCompleted: z.number().int(),
    skipped: z.array(IssueSchema),
    errors: z.array(IssueSchema),
  })
  .openapi('TrainingImportResult');

const ReminderSchema = z
  .object({
    kind: z.enum(['trainee', 'manager']),
    recipient: z.object({ personId: z.string(), name: z.string(), email: z.string().nullable() }),
    key: z.string(),
    subject: z.string(),
    body: z.string(),
    items: z.array(StatusSchema),
  })
  .openapi('TrainingReminder');

const CourseParam = z.object({
  course: z
    .string()
    .max(200)
    .openapi({ param: { name: 'course', in: 'path' }, description: 'Course id, code or name' }),
});
const NowQuery = {
  now: z.string().max(40).optional().openapi({ description: 'Compute as of this ISO date (default now)' }),
};
const flag = z
  .enum(['true', 'false', '1', '0'])
  .optional()
  .transform((v) => v === 'true' || v === '1');
const body = (schema: z.ZodType) => ({
  required: true,
  content: { 'application/json': { schema } },
});

function nowOf(v: string | undefined): Date {
  if (v === undefined) return new Date();
  const d = new Date(v);
  if (Number.isNaN(d.getTime()))
    throw invalidInput('Invalid now', [{ field: 'now', reason: 'not an ISO date' }]);
  return d;
}

export const trainingRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/courses',
      tags: ['training'],
      summary: 'Training courses (active ones unless all=true)',
      request: { query: z.object({ all: flag }) },
      responses: { 200: json(z.array(CourseSchema), 'Courses') },
    }),
    async (c) =>
      c.json(await listCourses(c.get('ctx').vdb, actorOf(c), { all: c.req.valid('query').all }), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/training/courses',
      tags: ['training'],
      summary: 'Add a course (docs/training.md: recurrence, grace days, target, assignment rules)',
      request: { body: body(z.record(z.string(), z.unknown()).openapi('TrainingCourseInput')) },
      responses: { 201: json(CourseSchema, 'Added') },
    }),
    async (c) => c.json(await addCourse(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 201),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/courses/{course}',
      tags: ['training'],
      summary: 'One course',
      request: { params: CourseParam },
      responses: { 200: json(CourseSchema, 'The course') },
    }),
    async (c) => c.json(await getCourse(c.get('ctx').vdb, actorOf(c), c.req.valid('param').course), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'patch',
      path: '/training/courses/{course}',
      tags: ['training'],
      summary: 'Change a course; `assignment` replaces all its rules',
      request: { params: CourseParam, body: body(z.record(z.string(), z.unknown())) },
      responses: { 200: json(CourseSchema, 'Changed') },
    }),
    async (c) =>
      c.json(
        await updateCourse(c.get('ctx').vdb, actorOf(c), c.req.valid('param').course, c.req.valid('json')),
        200,
      ),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/completions',
      tags: ['training'],
      summary: 'Recorded completions, newest first',
      request: {
        query: z.object({
          person: z.string().max(254).optional(),
          course: z.string().max(200).optional(),
          limit: z.string().max(6).optional(),
          offset: z.string().max(12).optional(),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(CompletionSchema),
            total: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
          }),
          'Completions',
        ),
      },
    }),
    async (c) => {
      const q = Object.fromEntries(Object.entries(c.req.valid('query')).filter(([, v]) => v !== undefined));
      return c.json(await listCompletions(c.get('ctx').vdb, actorOf(c), q), 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/training/completions',
      tags: ['training'],
      summary:
        'Record a completion {person, course, date, passed?, score?, note?}; the same day again changes nothing, except a pass replacing a failure',
      request: { body: body(z.record(z.string(), z.unknown()).openapi('TrainingCompletionInput')) },
      responses: {
        201: json(
          z.object({
            completion: CompletionSchema,
            created: z.literal(true),
            superseded: z.literal(true).optional(),
          }),
          'Recorded (superseded: a pass that replaced a failure of the same day)',
        ),
        200: json(z.object({ completion: CompletionSchema, created: z.literal(false) }), 'Already recorded'),
      },
    }),
    async (c) => {
      const r = await recordCompletion(c.get('ctx').vdb, actorOf(c), c.req.valid('json'), 'api');
      return r.created
        ? c.json({ ...r, created: true as const }, 201)
        : c.json({ ...r, created: false as const }, 200);
    },
  )
  .openapi(
    defineRoute('program:write', {
      method: 'post',
      path: '/training/import',
      tags: ['training'],
      summary: "Import completions from a learning system's CSV export (text/csv body); idempotent",
      request: {
        query: z.object({
          fileName: z.string().min(1).max(200).optional().openapi({ default: 'upload.csv' }),
          file: z
            .string()
            .min(1)
            .max(200)
            .optional()
            .openapi({ description: 'Alias of fileName (the people import spells it so)' }),
          dateFormat: z.enum(DATE_FORMATS).default('iso'),
          dryRun: flag,
          mapping: z
            .union([z.string(), z.array(z.string())])
            .optional()
            .openapi({ description: "Column mapping 'Header=field' (repeatable)" }),
        }),
        body: {
          required: true,
          content: { 'text/csv': { schema: z.string().openapi({ format: 'binary' }) } },
        },
      },
      responses: { 200: json(ImportResultSchema, 'Imported (or, with dryRun, what would be)') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const type = c.req.header('content-type') ?? '';
      if (!/^(text\/csv|text\/plain|application\/octet-stream)\b/i.test(type))
        throw invalidInput('Send the CSV file as the request body with content-type text/csv', [
          { field: 'content-type', reason: `got "${type || 'none'}"` },
        ]);
      const mapping =
        q.mapping === undefined ? undefined : Array.isArray(q.mapping) ? q.mapping : [q.mapping];
      return c.json(
        await importCompletions(c.get('ctx').vdb, actorOf(c), {
          file: importFileName(q, 'fileName') ?? 'upload.csv',
          // The bytes (this path skips the UTF-8 body check): see importCompletions.
          text: new Uint8Array(await c.req.arrayBuffer()),
          dateFormat: q.dateFormat,
          dryRun: q.dryRun,
          ...(mapping ? { mapping } : {}),
        }),
        200,
      );
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/status',
      tags: ['training'],
      summary: 'Required training per (person, course): last completion, due date, state; overdue first',
      request: {
        query: z.object({
          person: z.string().max(254).optional(),
          course: z.string().max(200).optional(),
          state: z
            .preprocess(
              (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
              z.array(z.enum(TRAINING_STATES)).optional(),
            )
            .openapi({ type: 'string', description: 'Comma-separated states' }),
          overdue: z.enum(['true', 'false']).optional(),
          ...NowQuery,
        }),
      },
      responses: { 200: json(z.object({ today: z.string(), items: z.array(StatusSchema) }), 'Statuses') },
    }),
    async (c) => {
      const q = c.req.valid('query');
      return c.json(
        await trainingStatus(
          c.get('ctx').vdb,
          actorOf(c),
          {
            ...(q.person ? { person: q.person } : {}),
            ...(q.course ? { course: q.course } : {}),
            ...(q.state ? { state: q.state } : {}),
            ...(q.overdue ? { overdue: q.overdue === 'true' } : {}),
          },
          nowOf(q.now),
        ),
        200,
      );
    },
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/compliance',
      tags: ['training'],
      summary:
        'Share of required training that is current: overall, per site, per department, and the target',
      request: { query: z.object(NowQuery) },
      responses: {
        200: json(
          z
            .object({
              target: z.number(),
              overall: FigureSchema,
              bySite: z.array(FigureSchema),
              byDepartment: z.array(FigureSchema),
            })
            .openapi('TrainingCompliance'),
          'Compliance figures',
        ),
      },
    }),
    async (c) =>
      c.json(await getTrainingCompliance(c.get('ctx').vdb, actorOf(c), nowOf(c.req.valid('query').now)), 200),
  )
  .openapi(
    defineRoute('program:write', {
      method: 'put',
      path: '/training/target',
      tags: ['training'],
      summary: "Set the organization's compliance target {target: 0..1}",
      request: { body: body(z.strictObject({ target: z.number() })) },
      responses: { 200: json(z.object({ target: z.number() }), 'Set') },
    }),
    async (c) => c.json(await setComplianceTarget(c.get('ctx').vdb, actorOf(c), c.req.valid('json')), 200),
  )
  .openapi(
    defineRoute('program:read', {
      method: 'get',
      path: '/training/reminders',
      tags: ['training'],
      summary: 'Reminder messages for people due soon or overdue and for their managers (not sent)',
      request: { query: z.object(NowQuery) },
      responses: {
        200: json(z.object({ today: z.string(), reminders: z.array(ReminderSchema) }), 'Reminders'),
      },
    }),
    async (c) =>
      c.json(await trainingReminders(c.get('ctx').vdb, actorOf(c), nowOf(c.req.valid('query').now)), 200),
  );
