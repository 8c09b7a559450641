/**
 * @module The shape shared by finding-based rules: each open finding of one type seen in a source run
 * becomes one alert candidate, with the finding's evidence (first and latest sighting of this run) and
 * the device-aware severity the store gave it. Findings a person acknowledged or dismissed raise
 * nothing; a resolved finding seen again was re-opened by the apply, so it raises again.
 */
import type { FindingType } from '../../discovery/host-observation.js';
import type { AlertCandidate, AlertEvidence } from '../alert-candidate.js';
import type { DetectionRule, RunFinding, SourceRun } from './detection-rule.js';

/** Evidence items one candidate carries at most (the alert keeps the first and latest few anyway). */
const MAX_EVIDENCE = 10;

export function findingRule(opts: { id: string; finding: FindingType; description: string }): DetectionRule {
  return {
    id: opts.id,
    description: opts.description,
    evaluate(run: SourceRun): AlertCandidate[] {
      const byFinding = new Map<string, RunFinding[]>();
      for (const f of run.findings) {
        if (f.observation.type !== opts.finding || f.state !== 'open') continue;
        const list = byFinding.get(f.findingId);
        if (list) list.push(f);
        else byFinding.set(f.findingId, [f]);
      }
      const out: AlertCandidate[] = [];
      for (const [findingId, seen] of byFinding) {
        const first = seen[0]!;
        const evidence: AlertEvidence[] = [];
        for (const s of seen) {
          evidence.push(toAlertEvidence(s.observation.evidence, run.at));
          if (s.observation.lastEvidence) evidence.push(toAlertEvidence(s.observation.lastEvidence, run.at));
        }
        evidence.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
        const kept =
          evidence.length > MAX_EVIDENCE
            ? [...evidence.slice(0, MAX_EVIDENCE / 2), ...evidence.slice(-MAX_EVIDENCE / 2)]
            : evidence;
        out.push({
          rule: opts.id,
          severity: first.severity,
          title: first.title,
          deviceId: first.deviceId,
          siteId: first.siteId,
          subject: first.observation.subject,
          evidence: kept,
          details: {
            ...first.observation.details,
            findingId,
            findingType: opts.finding,
            sightings: seen.reduce((n, s) => n + (s.observation.occurrences ?? 1), 0),
          },
        });
      }
      return out;
    },
  };
}

function toAlertEvidence(
  e: { time?: string; connection?: string; file: string; packet?: number; summary: string },
  fallbackTime: string,
): AlertEvidence {
  return {
    time: e.time ?? fallbackTime,
    ...(e.connection ? { connection: e.connection } : {}),
    file: e.file,
    ...(e.packet !== undefined ? { packet: e.packet } : {}),
    summary: e.summary,
  };
}
