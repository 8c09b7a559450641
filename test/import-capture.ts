/** The usual test setup of a capture: analysed and stored as `vigil import` does (without the detection rules). */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { type ApplyReport, applySourceResult } from '../src/discovery/apply-source-result.js';
import { analyzeCapture } from '../src/discovery/capture-analyzer.js';
import type { DbHandle } from '../src/store/transaction.js';
import { cliActor } from './factories.js';

export async function importCaptureFile(
  vdb: DbHandle,
  path: string,
  file = basename(path),
): Promise<ApplyReport> {
  const result = await analyzeCapture(createReadStream(path), { file });
  return applySourceResult(vdb, cliActor, result, { kind: 'capture', file });
}
