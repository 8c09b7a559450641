/**
 * @module Connecting to NATS the way every Vigil role does: a URL, optional credentials (a `.creds` file
 * with an nkey/JWT, or a user and password), optional TLS with a private CA, reconnecting forever (a
 * sensor outlives outages of the centre). Passwords never reach the logs.
 */
import { readFileSync } from 'node:fs';
import { connect, credsAuthenticator, type NatsConnection } from 'nats';
import { VigilError } from '../errors.js';

export interface NatsOptions {
  url: string;
  /** A NATS `.creds` file (JWT + nkey seed). */
  creds?: string;
  user?: string;
  password?: string;
  /** PEM CA that signed the server's certificate; turns TLS on. */
  tlsCa?: string;
  name?: string;
  /** Wait for the first connection instead of failing at once (sensors). */
  waitOnFirstConnect?: boolean;
}

export async function connectNats(o: NatsOptions): Promise<NatsConnection> {
  let authenticator: ReturnType<typeof credsAuthenticator> | undefined;
  let tls: { ca: string } | undefined;
  try {
    if (o.creds) authenticator = credsAuthenticator(readFileSync(o.creds));
    if (o.tlsCa) tls = { ca: readFileSync(o.tlsCa, 'utf8') };
  } catch (e) {
    throw new VigilError('configuration', `cannot read NATS credentials or CA: ${(e as Error).message}`);
  }
  try {
    return await connect({
      servers: o.url,
      ...(o.name ? { name: o.name } : {}),
      ...(authenticator ? { authenticator } : {}),
      ...(o.user !== undefined ? { user: o.user, pass: o.password ?? '' } : {}),
      ...(tls ? { tls } : {}),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 500,
      waitOnFirstConnect: o.waitOnFirstConnect ?? false,
    });
  } catch (e) {
    throw new VigilError('configuration', `cannot connect to NATS at ${o.url}: ${(e as Error).message}`);
  }
}
