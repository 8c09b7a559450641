/**
 * @module Training completions: recorded by hand, or imported from a learning system's CSV export.
 * A completion is keyed by (person, course, completion day): recording or importing the same one again
 * adds nothing, so an import is safe to re-run; a pass on a day with a recorded failure replaces the
 * failure (a retake the same day; audited with what it replaced), in whichever order they come, also after an interrupted run (each import is one
 * transaction: it is stored whole or not at all). Rows naming an unknown person or course are reported
 * and skipped; rows with bad data are reported with their line; every valid row is kept.
 */
import { z } from 'zod';
import { type Actor, assertCan } from '../../accounts/actor.js';
import { appendAudit } from '../../audit/audit-log.js';
import { type InputIssue, invalidInput, notFound } from '../../errors.js';
import { shortValue } from '../../formats/short-value.js';
import { parseInput } from '../../inventory/device-input.js';
import { newId, nowIso } from '../../store/ids.js';
import { emailKey, findPersonRow, type PersonRow } from '../../store/organization-store.js';
import {
  type CompletionView,
  courseKey,
  failedCompletionsOn,
  insertCompletions,
  listCompletionViews,
  listCourseRows,
  listTrainees,
  supersedeCompletion,
  type TrainingCompletionRow,
  type TrainingCourseRow,
} from '../../store/training-store.js';
import { type DbHandle, transaction } from '../../store/transaction.js';
import {
  type CompletionCsvRow,
  type CompletionField,
  DATE_FORMATS,
  parseCompletionCsv,
  parseCompletionMapping,
} from './completion-csv.js';
import { courseRow } from './courses-service.js';
import { dayOf, isCalendarDate } from './due.js';

/** The TrainingCompletion JSON contract (docs/training.md). */
export interface TrainingCompletion {
  id: string;
  personId: string;
  person: string;
  employeeId: string | null;
  courseId: string;
  courseCode: string;
  course: string;
  completedOn: string;
  passed: boolean;
  score: number | null;
  source: string;
  sourceRef: string | null;
  recordedBy: string;
  createdAt: string;
}

const toCompletion = (r: CompletionView): TrainingCompletion => ({
  id: r.id,
  personId: r.person_id,
  person: r.person_name,
  employeeId: r.employee_id,
  courseId: r.course_id,
  courseCode: r.course_code,
  course: r.course_name,
  completedOn: r.completed_on,
  passed: Number(r.passed) === 1,
  score: r.score === null ? null : Number(r.score),
  source: r.source,
  sourceRef: r.source_ref,
  recordedBy: r.recorded_by,
  createdAt: r.created_at,
});

const visibleTo = (actor: Actor, siteId: string | null) =>
  !actor.siteIds || (siteId !== null && actor.siteIds.includes(siteId));

async function personFor(h: DbHandle, actor: Actor, ref: string): Promise<PersonRow> {
  const p = await findPersonRow(h, ref);
  if (!p || !visibleTo(actor, p.site_id)) throw notFound(`Person "${ref}"`);
  return p;
}

export const CompletionInputSchema = z.strictObject({
  /** Person id, email or employee id. */
  person: z.string().trim().min(1).max(254),
  /** Course id, code or name. */
  course: z.string().trim().min(1).max(200),
  /** YYYY-MM-DD. */
  date: z
    .string()
    .trim()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'a date YYYY-MM-DD')
    .refine(
      (v) => isCalendarDate(Number(v.slice(0, 4)), Number(v.slice(5, 7)), Number(v.slice(8, 10))),
      'not a date',
    ),
  passed: z.boolean().default(true),
  score: z.number().min(0).max(100).nullable().optional(),
  note: z.string().trim().min(1).max(500).optional(),
});

export interface RecordResult {
  completion: TrainingCompletion;
  /** False when the same person, course and day was already recorded (nothing changed). */
  created: boolean;
  /** True when this pass replaced a failure recorded for the same day (`created` is true too). */
  superseded?: true;
}

const dayKey = (r: Pick<TrainingCompletionRow, 'person_id' | 'course_id' | 'completed_on'>) =>
  `${r.person_id}|${r.course_id}|${r.completed_on}`;

/**
 * Stores completions, at most one per (person, course, day): new ones are inserted; a pass on a day
 * whose recorded completion is a failure replaces it (a retake: the person is trained), with an audit
 * entry of what it replaced; anything else already recorded stays as it is (re-runs change nothing).
 */
async function storeCompletions(
  tx: DbHandle,
  actor: Actor,
  rows: readonly TrainingCompletionRow[],
): Promise<{ added: number; superseded: number }> {
  const passes = rows.filter((r) => Number(r.passed) === 1);
  const failed = new Map(
    (passes.length
      ? await failedCompletionsOn(
          tx,
          passes.map((r) => r.completed_on),
        )
      : []
    ).map((r) => [dayKey(r), r]),
  );
  const fresh: TrainingCompletionRow[] = [];
  let superseded = 0;
  for (const r of rows) {
    const was = Number(r.passed) === 1 ? failed.get(dayKey(r)) : undefined;
    if (!was) {
      fresh.push(r);
      continue;
    }
    const by = {
      score: r.score,
      source: r.source,
      source_ref: r.source_ref,
      recorded_by: r.recorded_by,
      created_at: r.created_at,
    };
    await supersedeCompletion(tx, was.id, by);
    superseded++;
    await appendAudit(tx, {
      actor,
      action: 'training.completion.supersede',
      target: { type: 'training-completion', id: was.id },
      summary: {
        personId: r.person_id,
        courseId: r.course_id,
        completedOn: r.completed_on,
        before: {
          passed: false,
          score: was.score === null ? null : Number(was.score),
          source: was.source,
          sourceRef: was.source_ref,
          recordedBy: was.recorded_by,
        },
        after: { passed: true, score: r.score, source: r.source, sourceRef: r.source_ref },
      },
    });
  }
  return { added: await insertCompletions(tx, fresh), superseded };
}

export async function recordCompletion(
  h: DbHandle,
  actor: Actor,
  input: unknown,
  source: 'manual' | 'api' = 'manual',
): Promise<RecordResult> {
  assertCan(actor, 'program:write');
  const v = parseInput(CompletionInputSchema, input, 'completion');
  // A day after today (UTC) allows for time zones; later than that is a typo.
  if (v.date > dayOf(new Date(Date.now() + 86_400_000)))
    throw invalidInput('Invalid completion', [{ field: 'date', reason: `${v.date} is in the future` }]);
  return transaction(h, async (tx) => {
    const person = await personFor(tx, actor, v.person);
    const course = await courseRow(tx, v.course);
    const row: TrainingCompletionRow = {
      id: newId(),
      person_id: person.id,
      course_id: course.id,
      completed_on: v.date,
      passed: v.passed ? 1 : 0,
      score: v.score ?? null,
      source,
      source_ref: v.note ?? null,
      recorded_by: actor.name,
      created_at: nowIso(),
    };
    const stored1 = await storeCompletions(tx, actor, [row]);
    const created = stored1.added === 1;
    if (created)
      await appendAudit(tx, {
        actor,
        action: 'training.completion.add',
        target: { type: 'training-completion', id: row.id },
        summary: { personId: person.id, course: course.code, completedOn: v.date, passed: v.passed },
      });
    const stored = await listCompletionViews(tx, {
      personId: person.id,
      courseId: course.id,
      limit: 1000,
      offset: 0,
    });
    const view = stored.rows.find((r) => r.completed_on === v.date)!;
    if (stored1.superseded) return { completion: toCompletion(view), created: true, superseded: true };
    return { completion: toCompletion(view), created };
  });
}

export const CompletionQuerySchema = z.strictObject({
  person: z.string().trim().min(1).max(254).optional(),
  course: z.string().trim().min(1).max(200).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});

export async function listCompletions(
  h: DbHandle,
  actor: Actor,
  query: unknown = {},
): Promise<{ items: TrainingCompletion[]; total: number; limit: number; offset: number }> {
  assertCan(actor, 'program:read');
  const q = parseInput(CompletionQuerySchema, query, 'completion query');
  const person = q.person ? await personFor(h, actor, q.person) : undefined;
  const course = q.course ? await courseRow(h, q.course) : undefined;
  const page = await listCompletionViews(h, {
    ...(person ? { personId: person.id } : {}),
    ...(course ? { courseId: course.id } : {}),
    ...(actor.siteIds ? { siteIds: actor.siteIds } : {}),
    limit: q.limit,
    offset: q.offset,
  });
  return { items: page.rows.map(toCompletion), total: page.total, limit: q.limit, offset: q.offset };
}

export const ImportOptionsSchema = z.strictObject({
  file: z.string().trim().min(1).max(200),
  /** The export's bytes as read (a byte that is not UTF-8 is then refused by line and offset), or its text. */
  text: z.union([
    z.string().max(256 * 1024 * 1024),
    z.instanceof(Uint8Array).refine((b) => b.length <= 256 * 1024 * 1024, 'larger than 256 MiB'),
  ]),
  /** `Header=field` entries. */
  mapping: z.array(z.string().max(300)).max(20).optional(),
  dateFormat: z.enum(DATE_FORMATS).default('iso'),
  dryRun: z.boolean().default(false),
});

/** What an import did (docs/training.md "Import result"). */
export interface TrainingImportResult {
  file: string;
  dryRun: boolean;
  columns: { header: string; field: CompletionField }[];
  /** Data rows in the file. */
  rows: number;
  /** Valid completions found (after skipping unknown people and courses and in-file repeats). */
  completions: number;
  /** Newly stored (with dryRun: would be). */
  added: number;
  /** Passes that replaced a failure recorded before for the same person, course and day. */
  superseded: number;
  /** Already recorded before this import (nothing changed). */
  alreadyRecorded: number;
  /** Rows repeating an earlier row of the same file (a pass among them is the one kept). */
  duplicatesInFile: number;
  /** Rows whose status says not completed (in progress, not started …). */
  notCompleted: number;
  /** Rows naming a person or course Vigil does not know: reported, skipped. */
  skipped: InputIssue[];
  /** Rows with bad data (dates, scores, statuses, missing values), by line. */
  errors: InputIssue[];
}

interface PeopleIndex {
  byEmployeeId: Map<string, { id: string; site_id: string | null }>;
  byEmail: Map<string, { id: string; site_id: string | null }>;
}

function courseIndex(courses: TrainingCourseRow[]) {
  const byCode = new Map(courses.map((c) => [c.code_key, c]));
  const byName = new Map<string, TrainingCourseRow[]>();
  for (const c of courses) byName.set(c.name_key, [...(byName.get(c.name_key) ?? []), c]);
  return (value: string | null): TrainingCourseRow | 'ambiguous' | undefined => {
    if (!value) return undefined;
    const k = courseKey(value);
    const code = byCode.get(k);
    if (code) return code;
    const named = byName.get(k) ?? [];
    return named.length > 1 ? 'ambiguous' : named[0];
  };
}

function personOf(idx: PeopleIndex, row: CompletionCsvRow) {
  const id = row.employeeId;
  return (
    (id
      ? (idx.byEmployeeId.get(id) ?? (id.includes('@') ? idx.byEmail.get(emailKey(id)) : undefined))
      : undefined) ?? (row.email ? idx.byEmail.get(emailKey(row.email)) : undefined)
  );
}

/**
 * An LMS transcript of every completion of 20,000 staff over ten years (about 2 million rows of ~120
 * bytes) is about 250 MB; more is not one hospital's export.
 */
export const MAX_COMPLETIONS_CSV_BYTES = 256_000_000;

export async function importCompletions(
  h: DbHandle,
  actor: Actor,
  input: unknown,
): Promise<TrainingImportResult> {
  assertCan(actor, 'program:write');
  const o = parseInput(ImportOptionsSchema, input, 'import options');
  const mapped = parseCompletionMapping(o.mapping ?? []);
  if (mapped.issues.length) throw invalidInput('Invalid column mapping', mapped.issues);
  const parsed = parseCompletionCsv(o.text, {
    file: o.file,
    dateFormat: o.dateFormat,
    ...(mapped.mapping.size ? { mapping: mapped.mapping } : {}),
  });
  if (parsed.fatal) throw invalidInput(`Cannot import ${o.file}`, parsed.issues);

  const run = async (tx: DbHandle): Promise<TrainingImportResult> => {
    const trainees = await listTrainees(tx);
    const idx: PeopleIndex = { byEmployeeId: new Map(), byEmail: new Map() };
    for (const p of trainees) {
      const ref = { id: p.id, site_id: p.site_id };
      if (p.employee_id) idx.byEmployeeId.set(p.employee_id, ref);
      if (p.email) idx.byEmail.set(emailKey(p.email), ref);
    }
    const findCourse = courseIndex(await listCourseRows(tx));
    const skipped: InputIssue[] = [];
    // (person, course, day) → its index in rows: one completion per day, a pass preferred to a failure.
    const seen = new Map<string, number>();
    let duplicatesInFile = 0;
    const rows: TrainingCompletionRow[] = [];
    const createdAt = nowIso();
    for (const r of parsed.rows) {
      const person = personOf(idx, r);
      if (!person || !visibleTo(actor, person.site_id)) {
        skipped.push({
          file: o.file,
          line: r.line,
          reason: `no person with ${[r.employeeId && `employee id '${shortValue(r.employeeId)}'`, r.email && `email '${shortValue(r.email)}'`].filter(Boolean).join(' or ')}`,
        });
        continue;
      }
      const course = findCourse(r.courseCode) ?? findCourse(r.courseName);
      if (!course || course === 'ambiguous') {
        const named = [
          r.courseCode && `'${shortValue(r.courseCode)}'`,
          r.courseName && `'${shortValue(r.courseName)}'`,
        ]
          .filter(Boolean)
          .join(' / ');
        skipped.push({
          file: o.file,
          line: r.line,
          reason: course === 'ambiguous' ? `course ${named} names several courses` : `no course ${named}`,
        });
        continue;
      }
      const key = `${person.id}|${course.id}|${r.completedOn}`;
      const earlier = seen.get(key);
      if (earlier !== undefined) {
        duplicatesInFile++;
        if (r.passed && rows[earlier]!.passed === 0)
          rows[earlier] = {
            ...rows[earlier]!,
            passed: 1,
            score: r.score,
            source_ref: `${o.file} line ${r.line}`,
          };
        continue;
      }
      seen.set(key, rows.length);
      rows.push({
        id: newId(),
        person_id: person.id,
        course_id: course.id,
        completed_on: r.completedOn,
        passed: r.passed ? 1 : 0,
        score: r.score,
        source: 'import',
        source_ref: `${o.file} line ${r.line}`,
        recorded_by: actor.name,
        created_at: createdAt,
      });
    }
    const { added, superseded } = await storeCompletions(tx, actor, rows);
    const result: TrainingImportResult = {
      file: o.file,
      dryRun: o.dryRun,
      columns: parsed.columns,
      rows: parsed.dataRows,
      completions: rows.length,
      added,
      superseded,
      alreadyRecorded: rows.length - added - superseded,
      duplicatesInFile,
      notCompleted: parsed.notCompleted,
      skipped,
      errors: parsed.issues,
    };
    await appendAudit(tx, {
      actor,
      action: 'training.import',
      target: { type: 'training-import', id: o.file },
      summary: {
        rows: result.rows,
        added,
        superseded,
        alreadyRecorded: result.alreadyRecorded,
        skipped: skipped.length,
        errors: parsed.issues.length,
      },
    });
    return result;
  };

  if (!o.dryRun) return transaction(h, run);
  // A dry run does the same work and rolls it back, so its counts are exactly what an import would do.
  const rollback = new Error('dry run');
  let out: TrainingImportResult | undefined;
  await transaction(h, async (tx) => {
    out = await run(tx);
    throw rollback;
  }).catch((e) => {
    if (e !== rollback) throw e;
  });
  return out!;
}
