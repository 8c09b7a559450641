/**
 * A real HTTP receiver on loopback standing in for a SIEM or a ticketing system's webhook endpoint: it
 * keeps every request Vigil sends, checks each one's HMAC signature with the destination's secret as a
 * receiver would, and answers `status.code` (tests flip it to 503 to make deliveries fail).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifyWebhookSignature } from '../src/monitor/delivery/webhook.js';

/** One request received: its path with the query, headers, the answer given, and the JSON body. */
export interface WebhookHit<Body> {
  path: string;
  headers: IncomingHttpHeaders;
  /** The status the receiver answered (2xx: Vigil counts the delivery done). */
  status: number;
  /** Whether `X-Vigil-Signature` verifies with the secret over the exact body bytes. */
  verified: boolean;
  body: Body;
}

export interface WebhookReceiver<Body> {
  /** `http://127.0.0.1:PORT`, to which tests add a path (and a query). */
  origin: string;
  /** Every request, in arrival order, accepted or not. */
  hits: WebhookHit<Body>[];
  /** The requests answered 2xx: the deliveries that counted. */
  accepted(): WebhookHit<Body>[];
  status: { code: number };
  close(): Promise<void>;
}

export async function webhookReceiver<Body = unknown>(secret: string): Promise<WebhookReceiver<Body>> {
  const hits: WebhookHit<Body>[] = [];
  const status = { code: 200 };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      hits.push({
        path: req.url ?? '',
        headers: req.headers,
        status: status.code,
        verified: verifyWebhookSignature(
          secret,
          req.headers['x-vigil-timestamp'] as string,
          req.headers['x-vigil-signature'] as string,
          raw,
        ),
        body: JSON.parse(raw.toString('utf8')) as Body,
      });
      res.writeHead(status.code).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    accepted: () => hits.filter((h) => h.status >= 200 && h.status < 300),
    status,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
