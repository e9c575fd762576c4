/**
 * The Cloudflare Workers entry point: the same app as the Node server, on PostgreSQL through a Hyperdrive
 * binding. Workers keep nothing between requests that the Node server keeps in memory: each request gets
 * its own postgres.js client (closed after the response), its own ledger writer (so a group commit of one)
 * and its own key cache. Migrations are not run here; run `npm run migrate` on the direct URL.
 */
import pino from 'pino';
import { createDb } from './db/client.js';
import { LATEST_MIGRATION } from './db/latest-migration.js';
import { createApp } from './http/app.js';
import { createLedger } from './ledger/index.js';

export interface Env {
  HYPERDRIVE: { connectionString: string };
  LOG_LEVEL?: string;
}

interface ExecutionContext {
  waitUntil(promise: Promise<unknown>): void;
}

// JSON lines through console.log: Workers have no pino transports.
const logger = pino({ level: 'info', browser: { write: (o) => console.log(JSON.stringify(o)) } });

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const url = env.HYPERDRIVE?.connectionString;
    if (!url) return new Response('HYPERDRIVE binding missing', { status: 500 });
    // Requests hold a transaction on `db` while the ledger posts on its own client: two clients, as on Node.
    const db = createDb(url, { max: 2, nodeSocket: false });
    const ledgerDb = createDb(url, { max: 2, nodeSocket: false });
    try {
      const app = createApp({
        db,
        ledger: createLedger({ sql: ledgerDb.sql, kysely: ledgerDb.kysely }),
        logger,
        latestMigration: LATEST_MIGRATION,
      });
      return await app.fetch(request);
    } finally {
      ctx.waitUntil(Promise.all([db.close(), ledgerDb.close()]));
    }
  },
};
