/**
 * @module What a capture reader counted, and the problems it met in the file (each with the file and
 * byte offset), capped in number so a file full of garbage cannot grow memory.
 */

/** A problem in the input: where (byte offset in the decompressed stream) and why. */
export interface CaptureIssue {
  file: string;
  offset: number;
  reason: string;
}

export const DEFAULT_MAX_ISSUES = 100;

export class CaptureStats {
  /** Packets handed out. */
  packets = 0;
  /** Bytes of the (decompressed) capture stream consumed so far, headers included. */
  bytes = 0;
  /** Bytes read from the source before decompression (equals `bytes` for uncompressed input); for progress. */
  sourceBytes = 0;
  /** Records or blocks dropped because they were corrupt, truncated or referred to an unknown interface. */
  skippedRecords = 0;
  /** Bytes of the stream not turned into packets because of problems (not counting ignored block types). */
  skippedBytes = 0;
  /** pcapng blocks skipped on purpose (NRB, ISB, DSB, custom, unknown types). */
  ignoredBlocks = 0;
  /** The first `maxIssues` issues. */
  readonly issues: CaptureIssue[] = [];
  /** All issues, including those beyond the cap. */
  issueCount = 0;
  /** Reading stopped before the end of the stream because the rest could not be parsed. */
  stopped = false;

  constructor(
    readonly file: string,
    readonly maxIssues = DEFAULT_MAX_ISSUES,
  ) {}

  issue(offset: number, reason: string): void {
    this.issueCount++;
    if (this.issues.length < this.maxIssues) this.issues.push({ file: this.file, offset, reason });
  }
}
