/**
 * The Cloudflare Workers entry point: the same app as the Node server, on PostgreSQL through a Hyperdrive
 * binding. Workers keep nothing between requests that the Node server keeps in memory: each request gets
 * its own postgres.js client (closed after the response), its own ledger writer (so a group commit of one)
 * and its own key cache. Migrations are not run here; run `npm run migrate` on the direct URL.
 */
import pino, { type Logger } from 'pino';
import { createDb } from './db/client.js';
import { LATEST_MIGRATION } from './db/latest-migration.js';
import { createApp } from './http/app.js';
import { PROBLEM_BASE, PROBLEM_TYPES } from './http/problem.js';
import { createLedger } from './ledger/index.js';

export interface Env {
  HYPERDRIVE: { connectionString: string };
  LOG_LEVEL?: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const loggers = new Map<string, Logger>();
/** The logger of the binding's LOG_LEVEL (info by default): JSON lines through console.log, as Workers have no pino transports. */
export function loggerFor(level: string | undefined): Logger {
  const name = LEVELS.includes(level as (typeof LEVELS)[number]) ? level! : 'info';
  let logger = loggers.get(name);
  if (!logger) {
    logger = pino({ level: name, browser: { write: (o) => console.log(JSON.stringify(o)) } });
    loggers.set(name, logger);
  }
  return logger;
}

/** What a Worker without its database binding answers: the API's problem+json, saying what is missing. */
function noDatabase(request: Request): Response {
  const requestId = request.headers.get('x-request-id') ?? crypto.randomUUID();
  return new Response(
    JSON.stringify({
      type: `${PROBLEM_BASE}unavailable`,
      title: PROBLEM_TYPES.unavailable.title,
      status: 503,
      detail: "this Worker has no HYPERDRIVE binding: bind the pool's PostgreSQL (docs/operations.md, Workers)",
      instance: new URL(request.url).pathname,
      request_id: requestId,
    }),
    { status: 503, headers: { 'content-type': 'application/problem+json', 'x-request-id': requestId } },
  );
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = env.HYPERDRIVE?.connectionString;
    if (!url) {
      loggerFor(env.LOG_LEVEL).error({ url: request.url }, 'HYPERDRIVE binding missing');
      return noDatabase(request);
    }
    // Requests hold a transaction on `db` while the ledger posts on its own client: two clients, as on Node.
    const db = createDb(url, { max: 2, nodeSocket: false });
    const ledgerDb = createDb(url, { max: 2, nodeSocket: false });
    try {
      const app = createApp({
        db,
        ledger: createLedger({ sql: ledgerDb.sql, kysely: ledgerDb.kysely }),
        logger: loggerFor(env.LOG_LEVEL),
        latestMigration: LATEST_MIGRATION,
      });
      return await app.fetch(request);
    } finally {
      ctx.waitUntil(Promise.all([db.close(), ledgerDb.close()]));
    }
  },
};
