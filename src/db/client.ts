import { connect } from 'node:net';
import postgres from 'postgres';
import { Kysely } from 'kysely';
import { PostgresJsDialect } from './kysely-dialect.js';
import type { Database } from './schema.js';
import { SQLSTATE } from './sqlstate.js';

type Types = { bigint: bigint; day: string };
export type Sql = postgres.Sql<Types>;
/** Either the pool or a transaction: query functions take this, so the caller owns the transaction. */
export type Queryable = postgres.Sql<Types> | postgres.TransactionSql<Types> | postgres.ReservedSql<Types>;

/** How long a new connection may take to open, in seconds (postgres.js's default is 30). */
export const CONNECT_TIMEOUT_S = 5;

export interface DbOptions {
  /** Upper bound on pooled connections. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
  /** Node's own sockets (TCP with TCP_NODELAY, or a Unix socket); false on Cloudflare Workers, where postgres.js brings its own. */
  nodeSocket?: boolean;
}

/**
 * A postgres.js client that returns int8 as `bigint` (never a JS number, never a string past this line) and
 * keeps its notices out of the logs.
 */
export function createSql(url: string, options: DbOptions = {}): Sql {
  const { url: target, path } = socketPath(url);
  const config = {
    ...(path ? { path } : {}),
    max: options.max ?? 10,
    types: {
      bigint: postgres.BigInt,
      // A calendar day stays the 'YYYY-MM-DD' it is; a Date would drag a time zone into it.
      day: { to: 1082, from: [1082], serialize: (day: string) => day, parse: (day: string) => day },
    },
    onnotice: () => {},
    // A connection that has not opened within this many seconds is given up (and its query told the
    // database is unavailable): while PostgreSQL restarts, a socket can be accepted and never answered.
    connect_timeout: CONNECT_TIMEOUT_S,
    // A query waits for its connection to open again after a loss: postgres.js's own backoff grows to 20 s
    // after the failed attempts of a short outage (counted across the pool), so a request sent while the
    // database restarted waited that long once it was back. A retry at most a second apart keeps that
    // wait short and costs a down database one attempt a second per connection.
    backoff: (retries: number) => Math.min(0.05 * 2 ** retries, 1),
    connection: { application_name: options.applicationName ?? 'pool-ledger' },
    // Typed for Cloudflare's sockets in postgres.js's declarations; on Node it takes a connected net.Socket.
    ...(options.nodeSocket === false ? {} : { socket: noDelaySocket }),
  };
  return postgres(target, config as unknown as postgres.Options<{}>) as unknown as Sql;
}

const UNAVAILABLE_CODES = new Set<string>([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ANSWER_TIMEOUT',
  SQLSTATE.admin_shutdown,
  SQLSTATE.crash_shutdown,
  SQLSTATE.cannot_connect_now,
  SQLSTATE.too_many_connections,
  SQLSTATE.connection_exception,
  SQLSTATE.sqlclient_unable_to_establish_sqlconnection,
  SQLSTATE.connection_does_not_exist,
  SQLSTATE.connection_failure,
]);

/** True for errors that mean "the database is not there right now", as opposed to a bug. */
export function isUnavailable(err: unknown): boolean {
  const code = (err as { code?: string } | null)?.code;
  if ((code && UNAVAILABLE_CODES.has(code)) || isMissingSocket(err)) return true;
  const cause = (err as { cause?: unknown } | null)?.cause;
  return cause !== undefined && cause !== err && isUnavailable(cause);
}

/** A Unix socket that is not there: the server is down (PostgreSQL removes its socket when it stops). */
export function isMissingSocket(err: unknown): boolean {
  const { code, syscall } = (err ?? {}) as { code?: string; syscall?: string };
  return code === 'ENOENT' && syscall === 'connect';
}

/**
 * A URL may name a Unix socket folder the way libpq reads it, `?host=/folder` (the embedded server's URLs
 * do): postgres.js takes the socket as a separate option, and would send an unknown query parameter to the
 * server as a setting.
 */
function socketPath(url: string): { url: string; path?: string } {
  if (!/[?&]host=/.test(url)) return { url };
  const parsed = new URL(url);
  const host = parsed.searchParams.get('host');
  if (!host?.startsWith('/')) return { url };
  parsed.searchParams.delete('host');
  return { url: parsed.toString(), path: `${host}/.s.PGSQL.${parsed.port || 5432}` };
}

/**
 * postgres.js opens plain TCP sockets with Nagle's algorithm on: a pipelined query then waits for the
 * server's delayed ACK (tens of milliseconds). Every TCP connection here has TCP_NODELAY (on a Unix socket,
 * which has no such delay, setting it does nothing).
 *
 * The socket is handed over at once, still connecting (writes wait for the connection): postgres.js then
 * sees a failed connection as the socket's error and close, and counts the connection as closed. A factory
 * that rejects instead leaves the connection counted as connecting for good; with the database down for a
 * while, every connection of the pool ended there and the pool answered nothing once the database was back.
 */
function noDelaySocket(options: { host: string[]; port: number[]; path?: string | false }) {
  const socket = options.path ? connect(options.path) : connect(options.port[0]!, options.host[0]!);
  socket.setNoDelay(true);
  return socket;
}

export function createKysely(sql: Sql): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresJsDialect(sql) });
}

export interface Db {
  sql: Sql;
  kysely: Kysely<Database>;
  close(): Promise<void>;
}

export function createDb(url: string, options: DbOptions = {}): Db {
  const sql = createSql(url, options);
  const kysely = createKysely(sql);
  return {
    sql,
    kysely,
    async close() {
      await sql.end({ timeout: 5 });
    },
  };
}
