import postgres from 'postgres';
import { Kysely } from 'kysely';
import { PostgresJSDialect } from 'kysely-postgres-js';
import type { Database } from './schema.js';

type Types = { bigint: bigint; day: string };
export type Sql = postgres.Sql<Types>;
/** Either the pool or a transaction: query functions take this, so the caller owns the transaction. */
export type Queryable = postgres.Sql<Types> | postgres.TransactionSql<Types> | postgres.ReservedSql<Types>;

export interface DbOptions {
  /** Upper bound on pooled connections. */
  max?: number;
  /** Name shown in pg_stat_activity. */
  applicationName?: string;
}

/**
 * A postgres.js client that returns int8 as `bigint` (never a JS number, never a string past this line) and
 * keeps its notices out of the logs.
 */
export function createSql(url: string, options: DbOptions = {}): Sql {
  return postgres(url, {
    max: options.max ?? 10,
    types: {
      bigint: postgres.BigInt,
      // A calendar day stays the 'YYYY-MM-DD' it is; a Date would drag a time zone into it.
      day: { to: 1082, from: [1082], serialize: (day: string) => day, parse: (day: string) => day },
    },
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'pool-ledger' },
  }) as Sql;
}

export function createKysely(sql: Sql): Kysely<Database> {
  return new Kysely<Database>({ dialect: new PostgresJSDialect({ postgres: sql }) });
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
