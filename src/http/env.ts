import type { Kysely } from 'kysely';
import type { RequestIdVariables } from 'hono/request-id';
import type { Db } from '../db/client.js';
import type { Database } from '../db/schema.js';
import type { Companion, Ledger } from '../ledger/index.js';
import type { Logger } from '../logger.js';
import type { Principal } from '../pool/access.js';
import type { KeyCache } from '../pool/keys.js';
import type { IdempotencyStore } from '../db/idempotency.js';

/** What the app needs from its host (Node server, Worker or a test): built once, shared by every request. */
export interface AppDeps {
  db: Db;
  /** Must not share `db`'s connection pool: write requests hold a transaction on `db` while they call it. */
  ledger: Ledger;
  logger: Logger;
  /** Highest migration this build expects, for /readyz. */
  latestMigration: number;
  /** How long an Idempotency-Key stays claimed by a request before a retry may take it over. */
  idempotencyLease_ms?: number;
  /**
   * The dashboard's page, its charting library and the console's htmx, where the entry point can read them
   * (the Node server). Without htmx the console's forms still work, as whole-page posts.
   */
  dashboard?: { html: string; chartJs: string; chartsJs?: string; htmx?: string };
}

/** Read a variable with `c.get(name)`: hono's `c.var` copies every variable into a new object on each access. */
export type AppEnv = {
  Variables: RequestIdVariables & {
    deps: AppDeps;
    keys: KeyCache;
    idempotency: IdempotencyStore;
    principal: Principal;
    /** The database handle for this request: inside a write, its transaction. */
    db: Kysely<Database>;
    /** What a replay of this response answers instead, when the response holds a secret shown only once. */
    replayBody: string | undefined;
    /**
     * The statement that records this request's answer, for a handler whose effect commits elsewhere (a
     * ledger posting): run in that transaction, the answer commits with the effect.
     */
    recordAnswer: ((answer: { status: number; body: string }) => Companion) | undefined;
    /** Set once the answer was committed through recordAnswer: by the caller's postAndRecord (routes/common.ts), never by hand. */
    recorded: boolean | undefined;
  };
};
