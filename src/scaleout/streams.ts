/**
 * @module Creates (or checks) the deployment's streams and the shared ingest consumer. The centre does
 * this at start; sensors never do (their credentials only allow publishing). Retention is by age and
 * size (limits), not work-queue, so a stream can be replayed into a rebuilt database while it lasts;
 * the duplicate window is how long JetStream drops a re-published message id on its own (the applied-
 * message ledger covers the rest).
 */
import {
  AckPolicy,
  DeliverPolicy,
  type JetStreamManager,
  RetentionPolicy,
  StorageType,
  type StreamConfig,
} from 'nats';
import { VigilError } from '../errors.js';
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
const EVENT_STREAM_BYTES = 256 * 1024 ** 2;

/**
 * A limit from the environment. A typo such as `10G` must not quietly become the 1 GiB default: the
 * retention someone sized for a week of observations would silently be a day's.
 */
function envLimit(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d*$/.test(raw))
    throw new VigilError(
      'configuration',
      `${name} must be a whole number above 0, not ${JSON.stringify(raw)}`,
    );
  return Number(raw);
}

/**
 * Creates or updates one stream. nats-server's refusals ("insufficient storage resources available" when
 * the stream's max_bytes does not fit the server's max_file_store) would otherwise reach the operator as
 * an internal error that names neither the stream nor the setting to change.
 */
async function putStream(
  jsm: JetStreamManager,
  config: Partial<StreamConfig> & { name: string; max_bytes: number; max_age: number },
): Promise<void> {
  try {
    await jsm.streams.info(config.name).then(
      () => jsm.streams.update(config.name, config),
      () => jsm.streams.add(config),
    );
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    const size = `${Math.round(config.max_bytes / 1024 ** 2)} MiB, ${Math.round(config.max_age / NS / 3600)} h`;
    const hint = /insufficient storage/i.test(why)
      ? `; the centre's two streams need VIGIL_NATS_STREAM_MAX_BYTES (default 1 GiB) + 256 MiB of JetStream storage: raise max_file_store in nats-server's jetstream block or lower VIGIL_NATS_STREAM_MAX_BYTES`
      : '';
    throw new VigilError(
      'configuration',
      `NATS JetStream refused stream ${config.name} (${size}): ${why}${hint}`,
      {
        cause: e,
      },
    );
  }
}

export async function ensureStreams(
  jsm: JetStreamManager,
  names: ScaleoutNames,
  limits: StreamLimits = {},
): Promise<void> {
  await putStream(jsm, {
    name: names.stream,
    subjects: [allObservations(names.prefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: (limits.maxAgeSeconds ?? envLimit('VIGIL_NATS_STREAM_MAX_AGE_SECONDS', 7 * 86_400)) * NS,
    max_bytes: limits.maxBytes ?? envLimit('VIGIL_NATS_STREAM_MAX_BYTES', 1024 ** 3),
    duplicate_window: (limits.duplicateWindowSeconds ?? 7200) * NS,
  });
  await putStream(jsm, {
    name: names.eventStream,
    subjects: [allEvents(names.prefix)],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    max_age: 86_400 * NS,
    max_bytes: EVENT_STREAM_BYTES,
  });
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
