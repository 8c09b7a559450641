/**
 * @module Runs one sensor: a packet source feeding the live analysis, a flush every N seconds, and one last
 * flush when the source ends (stdin closed) or the sensor is told to stop (SIGINT/SIGTERM), so nothing
 * captured is left unstored. A hard failure of the source (tool missing, interface unknown) still gets its
 * last flush before the error is raised.
 */
import type { FlushReport, LiveAnalysis, LiveAnalysisStatus } from './live-analysis.js';
import type { PacketSource } from './packet-source.js';

export interface SensorStatus extends LiveAnalysisStatus {
  /** Why this status was emitted. */
  event: 'flush' | 'final';
  at: string;
  mode: PacketSource['mode'];
  source: string;
  /** Source figures: capture tool state, pid, starts and restarts; files read and done … */
  input: Record<string, unknown>;
}

export interface RunSensorOptions {
  source: PacketSource;
  analysis: LiveAnalysis;
  flushSeconds: number;
  /** Aborting it stops the sensor (after a final flush). */
  signal: AbortSignal;
  onStatus?: (s: SensorStatus) => void;
}

export function sensorStatus(
  source: PacketSource,
  analysis: LiveAnalysis,
  event: SensorStatus['event'],
): SensorStatus {
  return {
    event,
    at: new Date().toISOString(),
    mode: source.mode,
    source: source.label,
    ...analysis.status(),
    input: source.status(),
  };
}

/** Resolves with the final status once the source ended or the signal aborted and the last flush is done. */
export async function runSensor(o: RunSensorOptions): Promise<SensorStatus> {
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  if (o.signal.aborted) stop.abort();
  else o.signal.addEventListener('abort', onAbort, { once: true });
  const tick = () => {
    // A flush that is still storing is not queued behind: the next tick takes everything since.
    if (o.analysis.busy) return;
    void o.analysis.flush().then((r: FlushReport) => {
      if (!stop.signal.aborted || r.stored) o.onStatus?.(sensorStatus(o.source, o.analysis, 'flush'));
    });
  };
  const timer = setInterval(tick, Math.max(1, o.flushSeconds) * 1000);
  let failure: unknown;
  try {
    await o.source.run(o.analysis, stop.signal);
  } catch (e) {
    failure = e;
  } finally {
    clearInterval(timer);
    o.signal.removeEventListener('abort', onAbort);
  }
  await o.analysis.flush({ final: true });
  const final = sensorStatus(o.source, o.analysis, 'final');
  o.onStatus?.(final);
  if (failure) throw failure;
  return final;
}
