/**
 * GET /dashboard: the forecast dashboard for product teams, a static page (HTML, one script, one style
 * sheet; charts are drawn as SVG by the script) served by this app, no build step. The page has no data of
 * its own: it calls /v1/forecasts* with an API key the person enters once, kept in the tab's
 * sessionStorage (gone when the tab closes; never in a cookie, so no CSRF surface). Public routes: the
 * files hold no data.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync } from 'fastify';

const DIR = fileURLToPath(new URL('../dashboard/', import.meta.url));
const FILES = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
} as const;

export const dashboardRoutes = (): FastifyPluginAsync =>
  async (app) => {
    for (const [path, { file, type }] of Object.entries(FILES)) {
      const body = readFileSync(`${DIR}${file}`);
      app.get(path, { schema: { hide: true } }, async (_req, reply) =>
        reply
          .type(type)
          .header('cache-control', 'no-cache')
          .header('content-security-policy', "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'")
          .header('x-content-type-options', 'nosniff')
          .send(body),
      );
    }
  };
