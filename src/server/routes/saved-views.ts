/**
 * @module Saved views over the API: the caller's own and everyone's shared named filter sets of the
 * dashboard's pages (list, save or replace, remove). See accounts/saved-views.ts for who may do what.
 */
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { listSavedViews, removeSavedView, SAVED_VIEW_PAGES, saveView } from '../../accounts/saved-views.js';
import { type AppEnv, actorOf, defineRoute, json } from '../route.js';

export const SavedViewSchema = z
  .object({
    id: z.string(),
    owner: z.string(),
    page: z.enum(SAVED_VIEW_PAGES),
    name: z.string(),
    query: z.string().openapi({ description: "The page's URL query without the leading '?'" }),
    shared: z.boolean(),
    createdAt: z.string(),
    removable: z.boolean().openapi({ description: 'Whether the caller may remove it' }),
  })
  .openapi('SavedView');

export const savedViewRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    defineRoute('devices:read', {
      method: 'get',
      path: '/saved-views',
      tags: ['saved views'],
      summary: "The caller's saved views and everyone's shared ones, by page and name",
      request: { query: z.object({ page: z.enum(SAVED_VIEW_PAGES).optional() }) },
      responses: { 200: json(z.object({ items: z.array(SavedViewSchema) }), 'Views') },
    }),
    async (c) =>
      c.json({ items: await listSavedViews(c.get('ctx').vdb, actorOf(c), c.req.valid('query').page) }, 200),
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'post',
      path: '/saved-views',
      tags: ['saved views'],
      summary: "Save a view under the caller's name; one of the same page and name is replaced",
      request: {
        body: {
          required: true,
          content: {
            'application/json': {
              schema: z.object({
                page: z.enum(SAVED_VIEW_PAGES),
                name: z.string().min(1).max(100),
                query: z.string().max(2000),
                shared: z.boolean().optional(),
              }),
            },
          },
        },
      },
      responses: { 201: json(SavedViewSchema, 'Created'), 200: json(SavedViewSchema, 'Replaced') },
    }),
    async (c) => {
      const r = await saveView(c.get('ctx').vdb, actorOf(c), c.req.valid('json'));
      return r.created ? c.json(r.view, 201) : c.json(r.view, 200);
    },
  )
  .openapi(
    defineRoute('devices:read', {
      method: 'delete',
      path: '/saved-views/{id}',
      tags: ['saved views'],
      summary: "Remove one of the caller's views (someone else's shared view needs users:write)",
      request: {
        params: z.object({
          id: z
            .string()
            .max(64)
            .openapi({ param: { name: 'id', in: 'path' } }),
        }),
      },
      responses: { 200: json(SavedViewSchema, 'Removed') },
    }),
    async (c) => c.json(await removeSavedView(c.get('ctx').vdb, actorOf(c), c.req.valid('param').id), 200),
  );
