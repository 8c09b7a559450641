/**
 * What the centre says when nats-server refuses its streams, and limits from the environment, with a
 * stand-in JetStreamManager (the refusal text is nats-server 2.9's, seen with `max_file_store: 1G`, which
 * cannot hold the default 1 GiB observation stream plus the 256 MiB event stream).
 */
import type { JetStreamManager } from 'nats';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { VigilError } from '../errors.js';
import { ensureStreams } from './streams.js';

const NAMES = { prefix: 'vt', stream: 'VT_OBS', durable: 'vt-ingest', eventStream: 'VT_OBS_EVENTS' };

/** A manager with no streams yet whose `add` fails for the named stream, recording what it was asked. */
function fakeJsm(refuse: { stream: string; message: string } | null): {
  jsm: JetStreamManager;
  added: { name: string; max_bytes: number; max_age: number }[];
} {
  const added: { name: string; max_bytes: number; max_age: number }[] = [];
  const missing = () => Promise.reject(new Error('stream not found'));
  const jsm = {
    streams: {
      info: missing,
      update: missing,
      add: (c: { name: string; max_bytes: number; max_age: number }) => {
        if (refuse && c.name === refuse.stream) return Promise.reject(new Error(refuse.message));
        added.push(c);
        return Promise.resolve({ config: c });
      },
    },
    consumers: { info: missing, add: () => Promise.resolve({}) },
  };
  return { jsm: jsm as unknown as JetStreamManager, added };
}

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

describe('ensureStreams', () => {
  it('turns a storage refusal into a configuration error naming the stream and what to change', async () => {
    const { jsm } = fakeJsm({ stream: 'VT_OBS_EVENTS', message: 'insufficient storage resources available' });
    const e = await ensureStreams(jsm, NAMES).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(VigilError);
    expect((e as VigilError).code).toBe('configuration');
    expect((e as VigilError).message).toMatch(
      /^NATS JetStream refused stream VT_OBS_EVENTS \(256 MiB, 24 h\): insufficient storage resources available; .*max_file_store.*VIGIL_NATS_STREAM_MAX_BYTES/,
    );
  });

  it('reads the observation stream limits from the environment, and refuses a value that is not a number', async () => {
    vi.stubEnv('VIGIL_NATS_STREAM_MAX_BYTES', '536870912');
    vi.stubEnv('VIGIL_NATS_STREAM_MAX_AGE_SECONDS', '86400');
    const { jsm, added } = fakeJsm(null);
    await ensureStreams(jsm, NAMES);
    expect(added[0]).toMatchObject({ name: 'VT_OBS', max_bytes: 536_870_912, max_age: 86_400 * 1e9 });

    vi.stubEnv('VIGIL_NATS_STREAM_MAX_BYTES', '10G');
    const e = await ensureStreams(fakeJsm(null).jsm, NAMES).catch((x: unknown) => x);
    expect((e as VigilError).code).toBe('configuration');
    expect((e as VigilError).message).toBe(
      'VIGIL_NATS_STREAM_MAX_BYTES must be a whole number above 0, not "10G"',
    );
  });
});
