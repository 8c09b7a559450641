/**
 * @module The one JSON error shape of the API (RFC 9457 problem details plus a stable `code`), and the
 * single mapping from thrown errors to it.
 */
import { z } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { ERROR_CODES, type ErrorCode, VigilError } from '../errors.js';

export const ProblemSchema = z
  .object({
    type: z.string().openapi({ example: 'https://vigil.invalid/problems/invalid_input' }),
    title: z.string(),
    status: z.number().int(),
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    detail: z.string(),
    issues: z
      .array(
        z.object({
          file: z.string().optional(),
          line: z.number().int().optional(),
          offset: z.number().int().optional(),
          field: z.string().optional(),
          reason: z.string(),
        }),
      )
      .optional(),
  })
  .openapi('Problem');

export type Problem = z.infer<typeof ProblemSchema>;

/** Hono's own refusals (a body that is not the declared media type, malformed JSON) by their status. */
const HTTP_EXCEPTION_CODES: Readonly<Record<number, ErrorCode>> = {
  400: 'invalid_input',
  401: 'authentication_required',
  403: 'forbidden',
  404: 'not_found',
  413: 'too_large',
  415: 'unsupported_media_type',
};

function asVigilError(err: unknown): VigilError {
  if (err instanceof VigilError) return err;
  const code = err instanceof HTTPException ? HTTP_EXCEPTION_CODES[err.status] : undefined;
  if (code !== undefined)
    return new VigilError(code, (err as HTTPException).message || ERROR_CODES[code].title);
  return new VigilError('internal', 'Unexpected server error');
}

export function toProblem(err: unknown): Problem {
  const e = asVigilError(err);
  const meta = ERROR_CODES[e.code];
  return {
    type: `https://vigil.invalid/problems/${e.code}`,
    title: meta.title,
    status: meta.status,
    code: e.code,
    detail: e.message,
    ...(e.issues.length ? { issues: e.issues } : {}),
  };
}

/** Standard error responses every route documents. */
export const problemResponses = {
  400: { description: 'Invalid input', content: { 'application/problem+json': { schema: ProblemSchema } } },
  401: {
    description: 'Not authenticated',
    content: { 'application/problem+json': { schema: ProblemSchema } },
  },
  403: { description: 'Forbidden', content: { 'application/problem+json': { schema: ProblemSchema } } },
} as const;
