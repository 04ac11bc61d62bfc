/**
 * 405 IOB_ERR_METHOD_NOT_ALLOWED, with `Allow`, for a path of the API called with a method it does not
 * have. Fastify's router answers such a request 404 as if the path did not exist. Here the paths are noted
 * as routes register, and just before the app is ready the methods missing on each path are routed to a
 * 405: ordinary routes, so the routes that exist pay nothing for it. The answer is given on
 * request, before any body is parsed or any key checked: the method is wrong whoever asks, and the route
 * list is public (OpenAPI).
 */
import type { FastifyInstance } from 'fastify';
import { IobError } from '../engine/index.ts';

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** Call before any route registers; call the function it returns after the last one. */
export function trackRouteMethods(app: FastifyInstance): () => void {
  const urls = new Set<string>();
  let done = false;
  app.addHook('onRoute', (route) => {
    if (!done) urls.add(route.url);
  });
  return () => {
    done = true;
    for (const url of urls) {
      // asked of the router, which also knows the HEAD routes Fastify adds for GET routes
      const routed = METHODS.filter((method) => app.hasRoute({ method, url }));
      const others = METHODS.filter((m) => !routed.includes(m));
      if (others.length === 0) continue;
      const allow = routed.join(', ');
      app.route({
        method: others,
        url,
        schema: { hide: true },
        exposeHeadRoute: false,
        onRequest: async (_req, reply) => {
          reply.header('allow', allow);
          throw new IobError('IOB_ERR_METHOD_NOT_ALLOWED');
        },
        handler: async () => undefined,
      });
    }
  };
}
