/**
 * @module Per-device environmental CVSS, after MITRE's "Rubric for Applying CVSS to Medical Devices":
 * Confidentiality Requirement from ePHI handling, Integrity and Availability Requirements from clinical
 * criticality, Modified Attack Vector from the observed exposure, and for CVSS v4.0 the Safety
 * supplemental metric (S:P) for devices whose failure can harm a patient. When the model's rubric
 * questionnaire has been answered (rubric/), its answers set the requirements and the modified
 * exploitability metrics instead, each justified by the answers. The vector is built with the
 * strict `withEnvironmental` and scored with `scoreCvss`; a vector that does not parse is reported,
 * never guessed.
 */
import type { Criticality } from '../inventory/device.js';
import { parseCvssVector, scoreCvss, withEnvironmental } from './cvss/index.js';
import { type Evidence, evidence } from './evidence.js';
import type { Exposure } from './exposure.js';
import { type ModelRubric, rubricMetrics } from './rubric/rubric.js';

export interface EnvironmentalCvss {
  base: number | null;
  environmental: number | null;
  /** Base vector as published. */
  baseVector: string | null;
  /** The vector with the device's environmental (and v4.0 Safety) metrics. */
  vector: string | null;
  version: string | null;
  evidence: Evidence[];
  /** Set when the published vector could not be parsed. */
  error?: string;
}

const REQ_BY_CRITICALITY: Record<Criticality, 'H' | 'M' | 'L'> = {
  'life-sustaining': 'H',
  'life-supporting': 'H',
  diagnostic: 'M',
  'therapeutic-non-critical': 'M',
  'non-clinical': 'L',
};

const AV_ORDER = ['P', 'L', 'A', 'N'];

export function environmentalCvss(input: {
  vector: string | null;
  baseScore: number | null;
  criticality: Criticality | null;
  ephi: boolean | null;
  exposure: Exposure;
  /** The model's answered rubric questionnaire, when there is one. */
  rubric?: ModelRubric | null;
}): EnvironmentalCvss {
  const empty = {
    base: input.baseScore,
    environmental: null,
    baseVector: input.vector,
    vector: null,
    version: null,
    evidence: [],
  };
  if (!input.vector) return empty;
  const parsed = parseCvssVector(input.vector);
  if (!parsed.ok) return { ...empty, error: parsed.message };
  const v = parsed.version;
  const cr = input.ephi === true ? 'H' : input.ephi === false ? 'L' : 'M';
  const req = input.criticality ? REQ_BY_CRITICALITY[input.criticality] : 'M';
  const metrics: Record<string, string> = { CR: cr, IR: req, AR: req };
  const ev: Evidence[] = [
    evidence(
      'CR',
      cr,
      input.ephi === null ? 'default' : 'inventory',
      input.ephi === true
        ? 'the device stores or transmits ePHI'
        : input.ephi === false
          ? 'the device handles no ePHI'
          : 'ePHI handling unknown',
    ),
    evidence(
      'IR/AR',
      req,
      input.criticality ? 'inventory' : 'default',
      input.criticality ? `criticality ${input.criticality}` : 'criticality unknown',
    ),
  ];
  if (input.rubric) {
    // The questionnaire's answers are the better knowledge: they replace the inventory-derived values.
    const r = rubricMetrics(input.rubric, v, parsed.metrics);
    for (const [k, val] of Object.entries(r.metrics)) metrics[k] = val;
    const replaced = new Set(Object.keys(r.metrics));
    const kept = ev.filter((e) =>
      e.point === 'IR/AR' ? !(replaced.has('IR') && replaced.has('AR')) : !replaced.has(e.point),
    );
    ev.length = 0;
    ev.push(...kept, ...r.evidence);
  }
  if (v !== '2.0') {
    const av = metrics['MAV'] ?? parsed.metrics['AV'] ?? 'N';
    // Routable networks (open or controlled) keep the published attack vector; a segmented or isolated
    // device ("small") is reachable only from its own segment: Adjacent at most.
    if (input.exposure === 'small' && AV_ORDER.indexOf(av) > AV_ORDER.indexOf('A')) {
      metrics['MAV'] = 'A';
      ev.push(evidence('MAV', 'A', 'network', 'exposure small (segmented or isolated): adjacent at most'));
    }
  }
  if (
    v === '4.0' &&
    metrics['S'] === undefined &&
    (input.criticality === 'life-sustaining' || input.criticality === 'life-supporting')
  ) {
    metrics['S'] = 'P';
    ev.push(evidence('S', 'P', 'inventory', `a ${input.criticality} device's failure can harm a patient`));
  }
  const env = withEnvironmental(input.vector, metrics);
  if (!env.ok) return { ...empty, error: env.message };
  const scored = scoreCvss(env.vector);
  if (!scored.ok) return { ...empty, error: scored.message };
  return {
    base: scored.score.baseScore,
    environmental: scored.score.environmentalScore ?? scored.score.baseScore,
    baseVector: parsed.vector,
    vector: env.vector,
    version: v,
    evidence: ev,
  };
}
