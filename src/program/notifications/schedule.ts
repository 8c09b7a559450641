/**
 * @module The notification runs inside `vigil serve`: one shortly after start, then every hour, each
 * with the weekly digest (sent once per ISO week, so the first run of a week sends it). Runs never
 * overlap; a failed run is logged and the next one tries again.
 */
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log.js';
import type { DbHandle } from '../../store/transaction.js';
import { smtpMailer } from './mailer.js';
import { runNotifications } from './run-notifications.js';

const HOUR_MS = 3_600_000;
const FIRST_RUN_MS = 60_000;

export function scheduleNotifications(
  h: DbHandle,
  config: Config,
  log: Logger,
  opts: { everyMs?: number; firstMs?: number } = {},
): { runNow(): Promise<void>; stop(): void } {
  const mailer = smtpMailer(config);
  let running: Promise<void> | undefined;
  const runNow = () => {
    running ??= runNotifications(h, { config, mailer, digest: true, log })
      .then((r) => {
        if (r.created || r.digests || r.emailed || r.emailFailed)
          log.info(
            {
              created: r.created,
              digests: r.digests,
              emailed: r.emailed,
              emailFailed: r.emailFailed,
              emailSkipped: r.emailSkipped,
            },
            'notifications run',
          );
      })
      .catch((err: unknown) => log.error({ err }, 'notifications run failed'))
      .finally(() => {
        running = undefined;
      });
    return running;
  };
  // Not at once: let the server come up (and an operator finish the first-run setup) first.
  const first = setTimeout(() => void runNow(), opts.firstMs ?? FIRST_RUN_MS);
  const timer = setInterval(() => void runNow(), opts.everyMs ?? HOUR_MS);
  first.unref();
  timer.unref();
  return {
    runNow,
    stop() {
      clearTimeout(first);
      clearInterval(timer);
      mailer?.close();
    },
  };
}
