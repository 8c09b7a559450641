/**
 * @module Health, first-run setup and system status.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { completeSetup, needsSetup } from '../../accounts/first-run.js';
import { backupStatus } from '../../backup/backups.js';
import { CONFIG_OPTIONS, type Config } from '../../config/config.js';
import { VERSION } from '../../version.js';
import { clientIp } from '../authenticate.js';
import { type AppEnv, defineRoute, json } from '../route.js';
import { UserSchema } from './users.js';

/** Options whose values are credentials: the API says only whether they are set. */
const SECRET_OPTIONS = new Set<string>(['smtpUser', 'smtpPassword', 'oidcClientSecret']);

/** Lists and maps (the SSO role map, acr values) as one line, the way their environment variable spells them. */
function displayValue(raw: unknown): string | number | boolean {
  if (Array.isArray(raw)) return raw.join(',');
  if (raw && typeof raw === 'object')
    return Object.entries(raw)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(';');
  return raw as string | number | boolean;
}

/** Every configuration option with its value as this process runs it, credentials left out. */
function configurationOf(config: Config, database: string) {
  return Object.entries(CONFIG_OPTIONS).map(([key, opt]) => {
    const raw = (config as Record<string, unknown>)[key];
    const secret = SECRET_OPTIONS.has(key);
    const set = raw !== undefined && raw !== null && raw !== '';
    // The database URL may carry a password: show it as the database layer redacts it.
    const value = secret || !set ? null : key === 'db' ? database : displayValue(raw);
    return { key, env: opt.env, value, set, secret, doc: opt.doc };
  });
}

const ConfigOptionSchema = z.object({
  key: z.string(),
  env: z.string(),
  value: z
    .union([z.string(), z.number(), z.boolean()])
    .nullable()
    .openapi({ description: 'null when unset or a credential' }),
  set: z.boolean(),
  secret: z.boolean().openapi({ description: 'A credential: its value is never sent' }),
  doc: z.string(),
});

export const BackupRecordSchema = z
  .object({
    id: z.string(),
    trigger: z.string().openapi({ description: 'manual | scheduled | before-restore' }),
    startedAt: z.string(),
    finishedAt: z.string(),
    status: z.string().openapi({ description: 'ok | failed' }),
    file: z.string().nullable(),
    bytes: z.number().nullable(),
    sha256: z.string().nullable(),
    schemaVersion: z.string().nullable(),
    auditEntries: z.number().nullable(),
    error: z.string().nullable(),
    actor: z.string(),
  })
  .openapi('BackupRecord');

const BackupStatusSchema = z.object({
  directory: z.string(),
  intervalHours: z.number().openapi({ description: '0: no scheduled backups (vigil db backup by hand)' }),
  keep: z.number(),
  encryption: z
    .object({
      format: z.literal('age'),
      recipients: z.array(z.string()).openapi({ description: 'age public keys (age1…)' }),
    })
    .nullable()
    .openapi({
      description:
        'Backups are encrypted to these age public keys (backupRecipients); null: backups are not encrypted',
    }),
  unencrypted: z.number().nullable().openapi({
    description:
      'With encryption on: plaintext backups still in the directory, taken before it was on (vigil db encrypt-backup --all); null: backups are not encrypted',
  }),
  lastGood: BackupRecordSchema.nullable(),
  lastAttempt: BackupRecordSchema.nullable(),
  overdue: z.boolean().openapi({
    description:
      'Scheduled backups are on and the newest good one is older than twice the interval (or none)',
  }),
});

export const CONFIGURATION_SOURCES =
  'Read once at start-up from (lowest to highest precedence) defaults, the JSON file named by VIGIL_CONFIG or --config, VIGIL_* environment variables and vigil serve flags; change it there and restart Vigil (README, Configuration).';

export const systemRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('public', {
      method: 'get',
      path: '/health',
      tags: ['system'],
      summary: 'Liveness: the server answers and the database responds',
      responses: { 200: json(z.object({ status: z.literal('ok') }), 'Healthy') },
    }),
    async (c) => {
      await needsSetup(c.get('ctx').vdb);
      return c.json({ status: 'ok' as const }, 200);
    },
  )
  .openapi(
    defineRoute('public', {
      method: 'get',
      path: '/setup',
      tags: ['system'],
      summary: 'Whether the first admin still has to be created',
      responses: { 200: json(z.object({ needed: z.boolean() }), 'Setup state') },
    }),
    async (c) => c.json({ needed: await needsSetup(c.get('ctx').vdb) }, 200),
  )
  .openapi(
    defineRoute('public', {
      method: 'post',
      path: '/setup',
      tags: ['system'],
      summary: 'Create the first admin with the one-time setup token printed by `vigil serve`',
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                setupToken: z.string().min(1).max(200),
                username: z.string(),
                password: z.string().max(1024),
              }),
            },
          },
        },
      },
      responses: { 201: json(UserSchema, 'First admin created'), 409: { description: 'Already set up' } },
    }),
    async (c) => {
      const body = c.req.valid('json');
      return c.json(await completeSetup(c.get('ctx').vdb, { ...body, ip: clientIp(c) }), 201);
    },
  )
  .openapi(
    defineRoute('system:read', {
      method: 'get',
      path: '/system',
      tags: ['system'],
      summary:
        "Version, runtime, database, configuration (never secrets) and the state of Vigil's own backups",
      responses: {
        200: json(
          z.object({
            version: z.string(),
            node: z.string(),
            database: z.object({ dialect: z.string(), location: z.string() }),
            configuration: z.array(ConfigOptionSchema),
            configurationSource: z.string().openapi({ description: 'Where the configuration is changed' }),
            backups: BackupStatusSchema,
          }),
          'Status',
        ),
      },
    }),
    async (c) => {
      const { vdb, config } = c.get('ctx');
      return c.json(
        {
          version: VERSION,
          node: process.version,
          database: { dialect: vdb.dialect, location: vdb.description },
          configuration: configurationOf(config, vdb.description),
          configurationSource: CONFIGURATION_SOURCES,
          backups: await backupStatus(vdb, config),
        },
        200,
      );
    },
  );
