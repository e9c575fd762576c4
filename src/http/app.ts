import { Scalar } from '@scalar/hono-api-reference';
import { requestId } from 'hono/request-id';
import type { AppDeps, AppEnv } from './env.js';
import { bearerAuth } from './middleware/auth.js';
import { readBody } from './middleware/body.js';
import { idempotency } from './middleware/idempotency.js';
import { requestLog } from './middleware/logging.js';
import { errorToProblem, problem, PROBLEM_BASE, PROBLEM_TYPES } from './problem.js';
import { routeGroup } from './route-group.js';
import { KeyCache } from '../pool/keys.js';
import { IdempotencyStore } from '../db/idempotency.js';
import { agreementRoutes } from './routes/agreements.js';
import { claimRoutes } from './routes/claims.js';
import { incentiveRoutes } from './routes/incentives.js';
import { statementRoutes } from './routes/statements.js';
import { periodRoutes } from './routes/periods.js';
import { consoleRoutes } from './console/routes.js';
import { peopleRoutes } from './routes/people.js';
import { proposalRoutes } from './routes/proposals.js';
import { reportRoutes } from './routes/reports.js';
import { loanTapeRoutes } from './routes/loan-tapes.js';
import { moneyRoutes } from './routes/money.js';
import { loanRoutes } from './routes/loans.js';
import { eventRoutes } from './routes/events.js';
import { keyRoutes } from './routes/keys.js';
import { ledgerRoutes } from './routes/ledger.js';
import { poolRoutes } from './routes/pools.js';
import { systemRoutes } from './routes/system.js';

/**
 * The whole HTTP API, built the same way for the Node server, the Worker and the tests.
 */
export function createApp(deps: AppDeps) {
  const app = routeGroup();
  const keys = new KeyCache();
  const idempotencyStore = new IdempotencyStore(deps.db.sql, deps.db.kysely);

  app.use('*', requestId({ limitLength: 128 }));
  app.use('*', async function provideDeps(c, next) {
    c.set('deps', deps);
    c.set('keys', keys);
    c.set('idempotency', idempotencyStore);
    c.set('db', deps.db.kysely);
    await next();
  });
  app.use('*', requestLog);
  app.use('/v1/*', readBody);
  app.use('/v1/*', bearerAuth);
  app.use('/v1/*', idempotency);

  app.route('/', systemRoutes());
  app.route('/v1', poolRoutes());
  app.route('/v1', keyRoutes());
  app.route('/v1', ledgerRoutes());
  app.route('/v1', agreementRoutes());
  app.route('/v1', loanRoutes());
  app.route('/v1', loanTapeRoutes());
  app.route('/v1', moneyRoutes());
  app.route('/v1', claimRoutes());
  app.route('/v1', incentiveRoutes());
  app.route('/v1', statementRoutes());
  app.route('/v1', periodRoutes());
  app.route('/v1', proposalRoutes());
  app.route('/v1', peopleRoutes());
  app.route('/v1', reportRoutes());
  app.route('/v1', eventRoutes());

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: plk_<prefix>_<secret>',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Risk-compensation pool ledger',
      version: '1',
      description: [
        'The ledger of a government loan risk-compensation pool (government + bank + insurer).',
        'Money is `{ "amount": "<fen as a string of digits>", "currency": "CNY" }`. Every POST takes an `Idempotency-Key`.',
        'Errors are RFC 9457 problem+json; their types:',
        ...Object.entries(PROBLEM_TYPES).map(([t, s]) => `- \`${PROBLEM_BASE}${t}\` (${s.status}): ${s.title}`),
      ].join('\n'),
    },
    security: [{ bearerAuth: [] }],
  });
  app.get('/docs', Scalar({ url: '/openapi.json', pageTitle: 'Pool ledger API' }));
  // The dashboard: a page that asks for a treasury or auditor key and draws the reports with Chart.js.
  const dashboard = deps.dashboard;
  const noDashboard = (c: Parameters<typeof problem>[0]) =>
    problem(c, 'not-found', { detail: 'the dashboard is served by the Node server (npm start)' });
  app.get('/dashboard', (c) => (dashboard ? c.html(dashboard.html) : noDashboard(c)));
  const script = (js: string | undefined) => (c: Parameters<typeof problem>[0]) =>
    js
      ? c.body(js, 200, {
          'content-type': 'text/javascript; charset=utf-8',
          'cache-control': 'public, max-age=86400',
        })
      : noDashboard(c);
  app.get('/dashboard/chart.js', script(dashboard?.chartJs));
  app.get('/dashboard/charts.js', script(dashboard?.chartsJs));

  // The console: pages for people, a client of this very API (in-process).
  app.route(
    '/',
    consoleRoutes((request) => Promise.resolve(app.request(request))),
  );

  app.notFound((c) => problem(c, 'not-found', { detail: `no route for ${c.req.method} ${c.req.path}` }));
  app.onError((err, c) => {
    const { response, unexpected } = errorToProblem(c, err);
    if (unexpected) {
      deps.logger.error(
        {
          request_id: c.get('requestId'),
          err: { message: (err as Error).message, code: (err as { code?: string }).code },
        },
        'unexpected error',
      );
    }
    return response;
  });
  return app;
}

export type App = ReturnType<typeof createApp>;
