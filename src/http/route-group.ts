import { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from './env.js';
import { problem } from './problem.js';

/** A route group: an OpenAPIHono app whose validation failures answer problem+json. */
export function routeGroup() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (result.success) return;
      return problem(c, 'validation', {
        detail: 'the request does not match the schema',
        errors: result.error.issues.map((i) => ({
          path: [result.target, ...i.path.map(String)].join('.'),
          message: i.message,
        })),
      });
    },
  });
}
