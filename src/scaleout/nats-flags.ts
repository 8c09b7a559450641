/**
 * @module The NATS flags `vigil sensor` and `vigil serve` share, with their environment variables (the
 * password is better given as VIGIL_NATS_PASSWORD than on a command line other users can list).
 */
import type { Command } from 'commander';
import { invalidInput } from '../errors.js';
import type { NatsOptions } from './nats-connection.js';
import { DEFAULT_NAMES, type ScaleoutNames } from './subjects.js';

export interface NatsFlags {
  nats?: string;
  natsCreds?: string;
  natsUser?: string;
  natsPassword?: string;
  natsTlsCa?: string;
  natsPrefix?: string;
  natsStream?: string;
}

export function addNatsOptions(cmd: Command): Command {
  return cmd
    .option('--nats <url>', 'NATS server(s), e.g. tls://nats.example.org:4222 (VIGIL_NATS_URL)')
    .option('--nats-creds <file>', 'NATS credentials file (JWT + nkey) (VIGIL_NATS_CREDS)')
    .option('--nats-user <name>', 'NATS user (VIGIL_NATS_USER)')
    .option('--nats-password <password>', 'NATS password (better: VIGIL_NATS_PASSWORD)')
    .option('--nats-tls-ca <file>', 'PEM CA that signed the NATS server certificate (VIGIL_NATS_TLS_CA)')
    .option('--nats-prefix <prefix>', 'subject prefix of this deployment (default vigil)')
    .option('--nats-stream <name>', 'observation stream of this deployment (default VIGIL_OBS)');
}

const env = (k: string) => process.env[k] || undefined;

/** The connection options, or null when no NATS URL was given (the single-machine mode). */
export function natsOptionsFrom(f: NatsFlags): NatsOptions | null {
  const url = f.nats ?? env('VIGIL_NATS_URL');
  if (!url) {
    if (f.natsCreds || f.natsUser || f.natsTlsCa)
      throw invalidInput('--nats-creds, --nats-user and --nats-tls-ca need --nats URL');
    return null;
  }
  const creds = f.natsCreds ?? env('VIGIL_NATS_CREDS');
  const user = f.natsUser ?? env('VIGIL_NATS_USER');
  const password = f.natsPassword ?? env('VIGIL_NATS_PASSWORD');
  const tlsCa = f.natsTlsCa ?? env('VIGIL_NATS_TLS_CA');
  if (creds && user) throw invalidInput('give --nats-creds or --nats-user, not both');
  return {
    url,
    ...(creds ? { creds } : {}),
    ...(user ? { user, password: password ?? '' } : {}),
    ...(tlsCa ? { tlsCa } : {}),
  };
}

export function namesFrom(f: NatsFlags): ScaleoutNames {
  const prefix = f.natsPrefix ?? env('VIGIL_NATS_PREFIX') ?? DEFAULT_NAMES.prefix;
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(prefix))
    throw invalidInput('--nats-prefix: letters, digits, _ and - only');
  const stream = f.natsStream ?? env('VIGIL_NATS_STREAM') ?? DEFAULT_NAMES.stream;
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream))
    throw invalidInput('--nats-stream: letters, digits, _ and - only');
  return {
    prefix,
    stream,
    durable: `${stream.toLowerCase()}-ingest`,
    eventStream: `${stream}_EVENTS`,
  };
}
