import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
} from 'kysely';
import type postgres from 'postgres';
import { Session } from './session.js';

type Types = { bigint: bigint; day: string };
type Runner = postgres.Sql<Types> | postgres.ReservedSql<Types>;

/**
 * Kysely over postgres.js, with prepared statements. (kysely-postgres-js sends every query unprepared,
 * which makes postgres.js describe it first, a second round trip per query with parameters, and reserves a
 * connection per query.) Here a query outside a transaction runs on the pool as postgres.js's own tagged
 * queries do; a transaction reserves one connection from BEGIN to COMMIT.
 */
export class PostgresJsDialect implements Dialect {
  constructor(private readonly sql: postgres.Sql<Types>) {}
  createAdapter = createAdapter;
  createIntrospector = createIntrospector;
  createQueryCompiler = createQueryCompiler;
  createDriver(): Driver {
    return new PostgresJsDriver(this.sql);
  }
}

/** The PostgreSQL parts of a Kysely dialect, shared by every dialect over postgres.js here. */
export const createAdapter = () => new PostgresAdapter();
export const createIntrospector = (db: Kysely<unknown>) => new PostgresIntrospector(db);
export const createQueryCompiler = () => new PostgresQueryCompiler();

/** Runs a compiled query as a prepared statement and shapes the result as Kysely expects. */
export async function runCompiled<R>(runner: Runner, query: CompiledQuery): Promise<QueryResult<R>> {
  const result = await runner.unsafe(query.sql, [...query.parameters] as never[], { prepare: true });
  const { command, count } = result;
  return {
    numAffectedRows:
      command === 'INSERT' || command === 'UPDATE' || command === 'DELETE' || command === 'MERGE'
        ? BigInt(count)
        : undefined,
    rows: Array.from(result.values()) as R[],
  };
}

class PostgresJsConnection implements DatabaseConnection {
  session: Session | undefined;
  get reserved(): postgres.ReservedSql<Types> | undefined {
    return this.session?.sql;
  }
  constructor(private readonly sql: postgres.Sql<Types>) {}

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.session ? this.session.guard(runCompiled<R>(this.session.sql, query)) : runCompiled<R>(this.sql, query);
  }

  async *streamQuery<R>(query: CompiledQuery, chunkSize = 100): AsyncIterableIterator<QueryResult<R>> {
    const cursor = (this.reserved ?? this.sql)
      .unsafe(query.sql, [...query.parameters] as never[], { prepare: true })
      .cursor(chunkSize);
    for await (const rows of cursor) yield { rows: rows as R[] };
  }
}

class PostgresJsDriver implements Driver {
  constructor(private readonly sql: postgres.Sql<Types>) {}
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return new PostgresJsConnection(this.sql);
  }
  async beginTransaction(
    connection: DatabaseConnection,
    settings: { isolationLevel?: string; accessMode?: string },
  ): Promise<void> {
    const c = connection as PostgresJsConnection;
    c.session = await Session.reserve(this.sql);
    const modes = [settings.isolationLevel && `isolation level ${settings.isolationLevel}`, settings.accessMode]
      .filter(Boolean)
      .join(' ');
    await c.session.guard(c.session.begin());
    if (modes) await c.session.guard(c.session.sql.unsafe(`set transaction ${modes}`));
  }
  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const { session } = connection as PostgresJsConnection;
    await session!.guard(session!.sql.unsafe('commit'));
  }
  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await (connection as PostgresJsConnection).session!.rollback();
  }
  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const c = connection as PostgresJsConnection;
    c.session?.release();
    c.session = undefined;
  }
  async destroy(): Promise<void> {}
}
