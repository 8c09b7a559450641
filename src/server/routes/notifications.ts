/**
 * @module The caller's own in-app notifications (`notifications:read`): an account sees only those of
 * the person linked to it; marking one read is the only change.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { NOTIFICATION_KINDS, notificationKindsOf } from '../../program/notifications/kinds.js';
import {
  listNotifications,
  markNotificationRead,
} from '../../program/notifications/notifications-service.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

const NotificationSchema = z
  .object({
    id: z.string(),
    personId: z.string(),
    person: z.string(),
    kind: z.string(),
    severity: z.string(),
    title: z.string(),
    body: z.string(),
    siteId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()),
    read: z.boolean(),
    readAt: z.string().nullable(),
    email: z.object({
      state: z.string(),
      attempts: z.number().int(),
      error: z.string().nullable(),
      sentAt: z.string().nullable(),
    }),
    createdAt: z.string(),
  })
  .openapi('Notification');

const IdParam = z.object({
  id: z
    .string()
    .max(64)
    .openapi({ param: { name: 'id', in: 'path' } }),
});

export const notificationRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('notifications:read', {
      method: 'get',
      path: '/notifications',
      tags: ['notifications'],
      summary: "The caller's notifications, newest first",
      request: {
        query: z.object({
          unread: z
            .enum(['true', 'false'])
            .transform((v) => v === 'true')
            .optional(),
          kind: z
            .preprocess(
              (v) => (v === undefined ? undefined : Array.isArray(v) ? v : String(v).split(',')),
              z.array(z.string().min(1).max(64)).optional(),
            )
            .optional()
            .openapi({ description: `Comma-separated or repeated; one of ${NOTIFICATION_KINDS.join(', ')}` }),
          limit: z.coerce.number().int().min(1).max(1000).default(100),
          offset: z.coerce.number().int().min(0).default(0),
        }),
      },
      responses: {
        200: json(
          z.object({
            items: z.array(NotificationSchema),
            total: z.number().int(),
            unread: z.number().int(),
            limit: z.number().int(),
            offset: z.number().int(),
          }),
          'Notifications',
        ),
      },
    }),
    async (c) => {
      const query = c.req.valid('query');
      // A misspelt kind is a 400 naming the valid ones, not an empty list that reads as "nothing new".
      if (query.kind) query.kind = notificationKindsOf(query.kind);
      const q = Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined));
      return c.json(await listNotifications(c.get('ctx').vdb, actorOf(c), q), 200);
    },
  )
  .openapi(
    defineRoute('notifications:read', {
      method: 'post',
      path: '/notifications/{id}/read',
      tags: ['notifications'],
      summary: 'Mark one of the caller’s notifications read',
      request: { params: IdParam },
      responses: { 200: json(NotificationSchema, 'Read') },
    }),
    async (c) =>
      c.json(await markNotificationRead(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  );
