/**
 * @module Per-device environmental CVSS, after MITRE's "Rubric for Applying CVSS to Medical Devices":
 * Confidentiality Requirement from ePHI handling, Integrity and Availability Requirements from clinical
 * criticality, Modified Attack Vector from the observed exposure, and for CVSS v4.0 the Safety
 * supplemental metric (S:P) for devices whose failure can harm a patient. The vector is built with the
 * strict `withEnvironmental` and scored with `scoreCvss`; a vector that does not parse is reported,
 * never guessed.
 */
import type { Criticality } from '../inventory/device.js';
import { parseCvssVector, scoreCvss, withEnvironmental } from './cvss/index.js';
import { type Evidence, evidence } from './evidence.js';
import type { Exposure } from './exposure.js';

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
  if (v !== '2.0') {
    const av = parsed.metrics['AV'] ?? 'N';
    // Routable networks (open or controlled) keep the published attack vector; a segmented or isolated
    // device ("small") is reachable only from its own segment: Adjacent at most.
    if (input.exposure === 'small' && AV_ORDER.indexOf(av) > AV_ORDER.indexOf('A')) {
      metrics['MAV'] = 'A';
      ev.push(evidence('MAV', 'A', 'network', 'exposure small (segmented or isolated): adjacent at most'));
    }
  }
  if (v === '4.0' && (input.criticality === 'life-sustaining' || input.criticality === 'life-supporting')) {
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
