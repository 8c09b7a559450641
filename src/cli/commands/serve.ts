/**
 * @module `vigil serve`: migrates the database, then serves the API (HTTP, or HTTPS with TLS 1.2+
 * when given a certificate and key). On an empty database it prints a one-time setup token instead of
 * ever exposing an unauthenticated system.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Command } from 'commander';
import { Hono } from 'hono';
import { issueSetupToken, needsSetup } from '../../accounts/first-run.js';
import { SsoError, ssoProviderFor } from '../../accounts/sso.js';
import { backupDirFor, removeInterruptedWork } from '../../backup/backups.js';
import { scheduleBackups } from '../../backup/schedule.js';
import { VigilError } from '../../errors.js';
import { plural } from '../../format-count.js';
import { startAlertDispatcher } from '../../monitor/alert-dispatcher.js';
import { checkAvailability } from '../../monitor/baseline/availability.js';
import { scheduleNotifications } from '../../program/notifications/schedule.js';
import { queueOptionsFrom } from '../../risk/queue-service.js';
import { enableProcessMetrics, ingestMetricsFor } from '../../scaleout/metrics.js';
import { addNatsOptions, type NatsFlags, namesFrom, natsOptionsFrom } from '../../scaleout/nats-flags.js';
import { parseRoles, ROLES, startScaleoutRoles } from '../../scaleout/roles.js';
import { metricsHandler } from '../../server/routes/sensors.js';
import { scheduleTaskMaintenance } from '../../tasks/scheduler.js';
import { TaskEventDispatcher } from '../../tasks/task-event-dispatcher.js';
import { SYSTEM_ACTOR } from '../../tasks/tasks-service.js';
import type { CliContext } from '../cli-context.js';
import { printable } from '../io.js';
import { action } from '../run-command.js';

export function registerServeCommand(program: Command, cli: CliContext): void {
  const cmd = program
    .command('serve')
    .description('Run the Vigil server (API under /api/v1, OpenAPI at /api/docs)')
    .option('--host <address>', 'listen address (VIGIL_HOST; default 127.0.0.1)')
    .option('--port <port>', 'TCP port (VIGIL_PORT; default 7400)')
    .option('--tls-cert <file>', 'PEM certificate: serve HTTPS, TLS 1.2+ only (VIGIL_TLS_CERT)')
    .option('--tls-key <file>', 'PEM private key for --tls-cert (VIGIL_TLS_KEY)')
    .option(
      '--roles <list>',
      `roles this process runs: ${ROLES.join(',')} or all (default all; splitting needs --nats)`,
    )
    .option('--ingest-workers <n>', 'ingest workers in this process (--roles ingest; default 1)')
    .option('--ingest-max-batch <n>', 'most observation messages per ingest transaction (default 256)')
    .option('--metrics', 'serve Prometheus metrics at /metrics');
  addNatsOptions(cmd).action(
    action(
      async (
        o: {
          host?: string;
          port?: string;
          tlsCert?: string;
          tlsKey?: string;
          roles?: string;
          ingestWorkers?: string;
          ingestMaxBatch?: string;
          metrics?: boolean;
        } & NatsFlags,
      ) => {
        const roles = parseRoles(o.roles);
        const nats = natsOptionsFrom(o);
        if (!nats && roles.size !== ROLES.length)
          throw new VigilError(
            'configuration',
            '--roles splits the centre over processes that meet on NATS: give --nats URL',
          );
        const workers = o.ingestWorkers === undefined ? 1 : Number(o.ingestWorkers);
        if (!Number.isInteger(workers) || workers < 1 || workers > 64)
          throw new VigilError('configuration', '--ingest-workers: a whole number from 1 to 64');
        const maxBatch = o.ingestMaxBatch === undefined ? undefined : Number(o.ingestMaxBatch);
        if (maxBatch !== undefined && (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > 10_000))
          throw new VigilError('configuration', '--ingest-max-batch: a whole number from 1 to 10000');
        cli.keepOpen();
        const ctx = await cli.get({ host: o.host, port: o.port, tlsCert: o.tlsCert, tlsKey: o.tlsKey });
        const { config, log, vdb } = ctx;
        const registry = o.metrics ? enableProcessMetrics() : null;
        const scaleout = nats
          ? await startScaleoutRoles(ctx, {
              roles,
              nats,
              names: namesFrom(o),
              ingestWorkers: workers,
              ...(maxBatch ? { ingestMaxBatch: maxBatch } : {}),
              ...(registry ? { metrics: ingestMetricsFor(registry) } : {}),
            })
          : null;
        const { serve } = await import('@hono/node-server');
        const { createApp } = await import('../../server/app.js');
        const secure = Boolean(config.tlsCert);
        // A process without the api role answers /metrics only.
        const app = roles.has('api') ? createApp(ctx, { secure }) : metricsOnlyApp();
        let tls: { cert: Buffer; key: Buffer } | undefined;
        if (config.tlsCert && config.tlsKey) {
          try {
            tls = { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) };
          } catch (e) {
            throw new VigilError(
              'configuration',
              `Cannot read TLS certificate or key: ${(e as Error).message}`,
            );
          }
        }
        const server = serve({
          fetch: app.fetch,
          hostname: config.host,
          port: config.port,
          ...(tls
            ? { createServer: createHttpsServer, serverOptions: { ...tls, minVersion: 'TLSv1.2' as const } }
            : {}),
        });
        await new Promise<void>((resolve, reject) => {
          server.once('listening', resolve);
          server.once('error', (e) =>
            reject(
              new VigilError('configuration', `Cannot listen on ${config.host}:${config.port}: ${e.message}`),
            ),
          );
        });
        const addr = server.address() as AddressInfo;
        const url = `${secure ? 'https' : 'http'}://${addr.address.includes(':') ? `[${addr.address}]` : addr.address}:${addr.port}`;
        log.info({ url, database: vdb.description }, 'vigil listening');
        process.stderr.write(printable`Vigil listening on ${url} (database ${vdb.description})\n`);
        if (roles.has('api') && (await needsSetup(vdb))) {
          const token = await issueSetupToken(vdb);
          // Printed on the console only, never logged: it grants the first admin account.
          process.stderr.write(
            printable`\nNo accounts yet. Create the first admin with\n  vigil users add NAME --role admin\nor open ${url}/ in a browser (or POST ${url}/api/v1/setup) with this one-time setup token (valid 24 h):\n  ${token}\n\n`,
          );
        }
        // A misconfigured identity provider is said at start-up, not first at somebody's sign-in.
        const sso = roles.has('api') ? ssoProviderFor(config) : null;
        if (sso)
          sso.configuration().then(
            () => process.stderr.write(printable`Single sign-on: ${config.oidcIssuer} (discovery ok)\n`),
            (e: unknown) => {
              const detail = e instanceof SsoError ? e.detail : String(e);
              log.error({ detail }, 'single sign-on provider unusable');
              process.stderr.write(
                printable`Single sign-on: ${detail}; sign-in with it fails until this is fixed\n`,
              );
            },
          );
        // Task verification and risk-acceptance expiry, now and every hour (the match role).
        const maintenance = roles.has('match')
          ? scheduleTaskMaintenance(vdb, log, undefined, undefined, queueOptionsFrom(config))
          : null;
        void maintenance?.runNow();
        // Alerts raised in this process (API imports, state changes) go to the configured destinations.
        const dispatcher =
          roles.has('monitor') || roles.has('api') ? await startAlertDispatcher(vdb, { log }) : null;
        // Task events to ticketing systems and CMMS: what this process changes at once, what the CLI and
        // other roles queue within the sweep interval (docs/tasks.md). One process sends them: the match
        // role's, which also runs verification and expiry.
        const taskEvents = roles.has('match')
          ? new TaskEventDispatcher(vdb, {
              log,
              sweepIntervalMs: 15_000,
              message: { publicUrl: config.publicUrl, queue: queueOptionsFrom(config) },
            })
          : null;
        await taskEvents?.start();
        // Devices with an active baseline not seen for longer than expected (availability), hourly.
        const availability = setInterval(() => {
          if (!roles.has('monitor')) return;
          checkAvailability(vdb, SYSTEM_ACTOR, { rateLimit: config.alertRateLimitPerHour })
            .then((r) => {
              if (r.notSeen) log.info({ notSeen: r.notSeen, created: r.created }, 'availability check');
            })
            .catch((err: unknown) => log.error({ err }, 'availability check failed'));
        }, 3_600_000);
        availability.unref();
        // Officers' notifications (and the weekly digest), now and every hour: one scheduler in a split
        // deployment (the match role's process), not one per process.
        const notifications = roles.has('match') ? scheduleNotifications(vdb, config, log) : null;
        // Vigil's own database backups (backupIntervalHours): one scheduler, in the match role's process.
        const backups = roles.has('match') ? scheduleBackups(vdb, config, log) : null;
        // What a backup or restore killed in the middle left (plaintext copies among it) goes now, not
        // at the next backup, which may be a day away or never.
        if (roles.has('match') && !(vdb.dialect === 'sqlite' && !vdb.file))
          await removeInterruptedWork(vdb, backupDirFor(config), SYSTEM_ACTOR, log).catch((err: unknown) =>
            log.error({ err }, 'could not remove what an interrupted backup left'),
          );
        if (roles.has('match'))
          process.stderr.write(
            backups
              ? printable`Backups: every ${config.backupIntervalHours} h to ${backupDirFor(config)}, keeping ${config.backupKeep}, ${config.backupRecipients.length ? `encrypted to ${plural(config.backupRecipients.length, 'age recipient')}` : 'not encrypted (backupRecipients)'}\n`
              : vdb.dialect === 'sqlite' && !vdb.file
                ? ''
                : 'Backups: not scheduled (set backupIntervalHours, or run vigil db backup; docs/backup.md)\n',
          );
        const stop = () => {
          log.info('vigil stopping');
          maintenance?.stop();
          clearInterval(availability);
          notifications?.stop();
          backups?.stop();
          void dispatcher?.stop({ graceMs: 3000 });
          void taskEvents?.stop({ graceMs: 3000 });
          const closed = (scaleout?.stop() ?? Promise.resolve()).catch(() => undefined);
          server.close(() => void closed.then(() => cli.close()).then(() => process.exit(0)));
          setTimeout(() => process.exit(0), 5000).unref();
        };
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      },
    ),
  );
}

function metricsOnlyApp(): { fetch: (req: Request) => Response | Promise<Response> } {
  const app = new Hono();
  app.get('/metrics', metricsHandler);
  return app;
}
