/**
 * @module The closed set of errors Vigil raises on purpose. Each has a stable machine code, an HTTP
 * status for the API and an exit code for the CLI; both surfaces map them in exactly one place
 * (`server/problem.ts`, `cli/run-command.ts`).
 */

export const ERROR_CODES = {
  invalid_input: { status: 400, exit: 65, title: 'Invalid input' },
  authentication_required: { status: 401, exit: 77, title: 'Authentication required' },
  mfa_required: { status: 401, exit: 77, title: 'Second factor required' },
  forbidden: { status: 403, exit: 77, title: 'Forbidden' },
  mfa_enrolment_required: { status: 403, exit: 77, title: 'Second factor enrolment required' },
  not_found: { status: 404, exit: 66, title: 'Not found' },
  conflict: { status: 409, exit: 65, title: 'Conflict' },
  too_large: { status: 413, exit: 65, title: 'Request too large' },
  unsupported_media_type: { status: 415, exit: 65, title: 'Unsupported media type' },
  rate_limited: { status: 429, exit: 75, title: 'Too many requests' },
  configuration: { status: 500, exit: 78, title: 'Configuration error' },
  internal: { status: 500, exit: 70, title: 'Internal error' },
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One problem found in an input: which file/line/field and what is wrong with it. */
export interface InputIssue {
  file?: string;
  line?: number;
  offset?: number;
  field?: string;
  reason: string;
}

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly issues: InputIssue[];
  /** Seconds a client should wait before retrying (rate_limited only). */
  readonly retryAfter: number | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    opts: { issues?: InputIssue[]; cause?: unknown; retryAfter?: number } = {},
  ) {
    super(message, { cause: opts.cause });
    this.name = 'VigilError';
    this.code = code;
    this.issues = opts.issues ?? [];
    this.retryAfter = opts.retryAfter;
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }

  get exitCode(): number {
    return ERROR_CODES[this.code].exit;
  }
}

export const invalidInput = (message: string, issues: InputIssue[] = []) =>
  new VigilError('invalid_input', message, { issues });
export const notFound = (what: string) => new VigilError('not_found', `${what} not found`);
export const conflict = (message: string) => new VigilError('conflict', message);
export const forbidden = (message = 'You do not have permission for this action') =>
  new VigilError('forbidden', message);
export const authenticationRequired = (message = 'Log in or present an API token') =>
  new VigilError('authentication_required', message);

export function formatIssue(issue: InputIssue): string {
  const where = [
    issue.file,
    issue.line !== undefined ? `line ${issue.line}` : undefined,
    issue.offset !== undefined ? `offset ${issue.offset}` : undefined,
    issue.field,
  ]
    .filter(Boolean)
    .join(', ');
  return where ? `${where}: ${issue.reason}` : issue.reason;
}
