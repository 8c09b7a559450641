/**
 * @module Counting refused logins per client and service, and turning repeated ones into `failed-login`
 * findings. Shared by the capture analyzer (FTP 530, Telnet refusals, HTTP 401, MQTT CONNACK) and the Zeek
 * log reader (ftp.log 530 replies), so both raise the same finding with the same subject.
 */
import type { Evidence } from './host-observation.js';
import type { HostTable } from './host-table.js';

/**
 * Refused logins from one client to one service, over the whole source (or a live sensor's window), at
 * which a `failed-login` finding is raised: a person mistyping once or twice stays below it, a password
 * guesser does not.
 */
export const FAILED_LOGIN_THRESHOLD = 5;

/** Distinct client–service pairs counted at once; beyond it new pairs are not counted (a flood of sources). */
const MAX_PAIRS = 100_000;

interface Refusals {
  protocol: string;
  clientIp: string;
  serverIp: string;
  port: number;
  count: number;
  first: Evidence;
  last: Evidence;
}

export class FailedLogins {
  private readonly pairs = new Map<string, Refusals>();

  /** One refused login of `clientIp` by the `protocol` service on `serverIp`:`port`. */
  refused(protocol: string, clientIp: string, serverIp: string, port: number, evidence: Evidence): void {
    const key = `${protocol}|${clientIp}|${serverIp}|${port}`;
    const f = this.pairs.get(key);
    if (f) {
      f.count++;
      f.last = evidence;
    } else if (this.pairs.size < MAX_PAIRS) {
      this.pairs.set(key, { protocol, clientIp, serverIp, port, count: 1, first: evidence, last: evidence });
    }
  }

  /** Pairs refused at least {@link FAILED_LOGIN_THRESHOLD} times become `failed-login` findings; counts restart. */
  flush(hosts: HostTable): void {
    for (const f of this.pairs.values()) {
      if (f.count < FAILED_LOGIN_THRESHOLD) continue;
      hosts.finding({
        type: 'failed-login',
        host: { ip: f.serverIp },
        subject: `${f.protocol}:${f.port}:${f.clientIp}`,
        evidence: { ...f.first, summary: `${f.first.summary} (first of ${f.count} from ${f.clientIp})` },
        lastEvidence: f.last,
        occurrences: f.count,
        details: {
          protocol: f.protocol,
          port: f.port,
          client: f.clientIp,
          failures: f.count,
          threshold: FAILED_LOGIN_THRESHOLD,
        },
      });
    }
    this.pairs.clear();
  }
}
