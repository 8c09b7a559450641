/**
 * @module Creates (or checks) the deployment's streams and the shared ingest consumer. The centre does
 * this at start; sensors never do (their credentials only allow publishing). Retention is by age and
 * size (limits), not work-queue, so a stream can be replayed into a rebuilt database while it lasts;
 * the duplicate window is how long JetStream drops a re-published message id on its own (the applied-
 * message ledger covers the rest).
 */
import { AckPolicy, DeliverPolicy, type JetStreamManager, RetentionPolicy, StorageType } from 'nats';
import { allEvents, allObservations, type ScaleoutNames } from './subjects.js';

export interface StreamLimits {
  /** Seconds observations are kept (default 7 days; VIGIL_NATS_STREAM_MAX_AGE_SECONDS). */
  maxAgeSeconds?: number;
  /** Bytes the observation stream may hold (default 1 GiB; VIGIL_NATS_STREAM_MAX_BYTES). */
  maxBytes?: number;
  /** De-duplication window in seconds (default 2 hours: covers a sensor draining a long outage's spool). */
  duplicateWindowSeconds?: number;
  /** Seconds a pulled message may stay unacknowledged before another worker gets it (default 30). */
  ackWaitSeconds?: number;
}

const NS = 1_000_000_000;

export async function ensureStreams(
  jsm: JetStreamManager,
  names: ScaleoutNames,
  limits: StreamLimits = {},
): Promise<void> {
  const obs = {
    name: names.stream,
    subjects: [allObservations(names.prefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age:
      (limits.maxAgeSeconds ?? (Number(process.env['VIGIL_NATS_STREAM_MAX_AGE_SECONDS']) || 7 * 86_400)) * NS,
    max_bytes: limits.maxBytes ?? (Number(process.env['VIGIL_NATS_STREAM_MAX_BYTES']) || 1024 ** 3),
    duplicate_window: (limits.duplicateWindowSeconds ?? 7200) * NS,
  };
  await jsm.streams.info(names.stream).then(
    () => jsm.streams.update(names.stream, obs),
    () => jsm.streams.add(obs),
  );
  const events = {
    name: names.eventStream,
    subjects: [allEvents(names.prefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: 86_400 * NS,
    max_bytes: 256 * 1024 ** 2,
  };
  await jsm.streams.info(names.eventStream).then(
    () => jsm.streams.update(names.eventStream, events),
    () => jsm.streams.add(events),
  );
  await ensureIngestConsumer(jsm, names, limits.ackWaitSeconds);
}

/** One durable pull consumer for every ingest process: each pulls its own batches from it. */
export async function ensureIngestConsumer(
  jsm: JetStreamManager,
  names: ScaleoutNames,
  ackWaitSeconds = 30,
): Promise<void> {
  await jsm.consumers.info(names.stream, names.durable).catch(() =>
    jsm.consumers.add(names.stream, {
      durable_name: names.durable,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: allObservations(names.prefix),
      // A batch not acknowledged in time (worker killed mid-batch) goes to another worker.
      ack_wait: ackWaitSeconds * NS,
      // Bounded in flight across all workers: backpressure reaches the stream, not memory.
      max_ack_pending: 4096,
      max_deliver: -1,
    }),
  );
}

/** Removes the streams (tests, `vigil sensors` housekeeping never calls this). */
export async function deleteStreams(jsm: JetStreamManager, names: ScaleoutNames): Promise<void> {
  for (const s of [names.stream, names.eventStream]) await jsm.streams.delete(s).catch(() => false);
}
