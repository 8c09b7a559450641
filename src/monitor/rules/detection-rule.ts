/**
 * @module What every detection rule implements: facts of one source run in, alert candidates out. Rules
 * are pure (no I/O, no database, no clock: the run carries its time), so they can be tested on replayed
 * traffic and run in any process. `process-source-run.ts` builds the run and raises what rules return.
 */
import type { ApplyReport } from '../../discovery/apply-source-result.js';
import type { Severity } from '../../discovery/finding-severity.js';
import type { FindingObservation, SourceResult } from '../../discovery/host-observation.js';
import type { AlertCandidate } from '../alert-candidate.js';

/** The device a host of this run was tied to. */
export interface RunDevice {
  id: string;
  siteId: string | null;
}

/** A finding observation of this run with the finding it became (or counted on) in the store. */
export interface RunFinding {
  observation: FindingObservation;
  findingId: string;
  deviceId: string;
  siteId: string | null;
  /** The stored finding's state after the apply: `open` when new, re-opened or still open. */
  state: string;
  /** Severity as the store rated it for this device (criticality, ePHI). */
  severity: Severity;
  title: string;
}

export interface SourceRun {
  kind: string;
  /** Base name of the file, or the sensor interface. */
  file: string;
  /** When the run was processed (ISO-8601), for evidence that carries no time of its own. */
  at: string;
  result: SourceResult;
  report: ApplyReport;
  /** Any MAC or IP of a host of this run → its device. */
  devices: ReadonlyMap<string, RunDevice>;
  findings: readonly RunFinding[];
}

export interface DetectionRule {
  /** The alert's `rule` field; also the file name (`rules/<id>.ts`). */
  id: string;
  /** One line for `docs/alerts.md` and status output. */
  description: string;
  evaluate(run: SourceRun): AlertCandidate[];
}
