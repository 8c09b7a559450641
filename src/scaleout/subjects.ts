/**
 * @module Subject and stream names. Observations travel on `<prefix>.obs.<site>.<kind>`, one subject
 * tree per site, so a site's NATS credential can be limited to publishing `<prefix>.obs.<site>.>` and the
 * centre reads the site from the subject (which that credential restricts), never from the body. Events
 * the central roles share (the EventBus topics) travel on `<prefix>.events.<topic>`. The prefix and the
 * stream names are per deployment (tests use unique ones, since two streams may not share subjects).
 */
import type { ObservationKind } from './observation-schema.js';
import { SITE_TOKEN } from './observation-schema.js';

export interface ScaleoutNames {
  /** Subject prefix, default `vigil`. */
  prefix: string;
  /** The observation stream, default `VIGIL_OBS`. */
  stream: string;
  /** The durable pull consumer every ingest process shares, default `vigil-ingest`. */
  durable: string;
  /** The stream the central roles' events go through, default `VIGIL_EVENTS`. */
  eventStream: string;
}

export const DEFAULT_NAMES: ScaleoutNames = {
  prefix: 'vigil',
  stream: 'VIGIL_OBS',
  durable: 'vigil-ingest',
  eventStream: 'VIGIL_EVENTS',
};

export function observationSubject(prefix: string, site: string, kind: ObservationKind): string {
  if (!SITE_TOKEN.test(site)) throw new Error(`site ${JSON.stringify(site)} is not one subject token`);
  return `${prefix}.obs.${site}.${kind}`;
}

/** Every observation of every site (the stream's and the ingest consumer's filter). */
export const allObservations = (prefix: string) => `${prefix}.obs.>`;

/** The site and kind a subject names, or null when it is not an observation subject of this prefix. */
export function parseObservationSubject(
  prefix: string,
  subject: string,
): { site: string; kind: string } | null {
  const head = `${prefix}.obs.`;
  if (!subject.startsWith(head)) return null;
  const rest = subject.slice(head.length).split('.');
  if (rest.length !== 2 || !SITE_TOKEN.test(rest[0]!)) return null;
  return { site: rest[0]!, kind: rest[1]! };
}

export const eventSubject = (prefix: string, topic: string) => `${prefix}.events.${topic}`;
export const allEvents = (prefix: string) => `${prefix}.events.>`;

/** JetStream de-duplication id: the same message published twice (a retry, a re-drained spool) is one. */
export const messageId = (sensor: string, epoch: number, seq: number) => `${sensor}:${epoch}:${seq}`;
