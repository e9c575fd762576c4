import {
  Kysely,
  type CompiledQuery,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type QueryResult,
} from 'kysely';
import type postgres from 'postgres';
import type { Sql } from './client.js';
import { createAdapter, createIntrospector, createQueryCompiler, runCompiled as run } from './kysely-dialect.js';
import type { Database } from './schema.js';
import { Session } from './session.js';

type Reserved = postgres.ReservedSql<{ bigint: bigint; day: string }>;

/**
 * The database transaction of one write request, begun only when the request first queries, on a
 * connection held until it ends. BEGIN travels with the first query and COMMIT with the last statement,
 * so a request that writes a row costs two round trips; a request that never queries (a ledger posting,
 * which the ledger commits on its own connections) holds no connection while it waits.
 */
export class RequestTransaction {
  private session: Session | undefined;
  private reserved: Reserved | undefined;
  private opening: Promise<Reserved> | undefined;
  private begun: Promise<unknown> | undefined;
  private ended = false;
  readonly kysely: Kysely<Database>;

  constructor(private readonly sql: Sql) {
    this.kysely = new Kysely<Database>({ dialect: new RequestDialect(this) });
  }

  get started(): boolean {
    return this.reserved !== undefined;
  }

  /** @internal the connection, begun on first use. */
  async connection(): Promise<{ reserved: Reserved; begun: Promise<unknown>; session: Session }> {
    if (this.ended) throw new Error('the request transaction has ended');
    // Concurrent first queries share one connection and one BEGIN.
    this.opening ??= Session.reserve(this.sql).then((session) => {
      this.session = session;
      this.reserved = session.sql;
      this.begun = session.begin();
      this.begun.catch(() => {});
      return session.sql;
    });
    const reserved = await this.opening;
    return { reserved, begun: this.begun!, session: this.session! };
  }

  /**
   * Runs `last` and commits, in one round trip. Throws (and nothing is committed) if `last` fails; the
   * transaction is then rolled back by PostgreSQL and the connection released.
   */
  async commitWith(last: CompiledQuery): Promise<QueryResult<unknown>> {
    const { reserved, begun, session } = await this.connection();
    this.ended = true;
    try {
      const [, result] = await session.guard(Promise.all([begun, run(reserved, last), reserved`COMMIT`]));
      return result;
    } catch (err) {
      await this.session!.rollback();
      throw err;
    } finally {
      this.session!.release();
    }
  }

  async commit(): Promise<void> {
    this.ended = true;
    if (this.opening) await this.opening;
    if (!this.reserved) return;
    try {
      await this.session!.guard(Promise.all([this.begun, this.reserved`COMMIT`]));
    } finally {
      this.session!.release();
    }
  }

  async rollback(): Promise<void> {
    this.ended = true;
    if (this.opening) await this.opening.catch(() => {});
    if (!this.reserved) return;
    try {
      await this.session!.rollback();
    } finally {
      this.session!.release();
    }
  }
}

class RequestConnection implements DatabaseConnection {
  private first = true;
  constructor(private readonly tx: RequestTransaction) {}

  async executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    const { reserved, begun, session } = await this.tx.connection();
    if (this.first) {
      this.first = false;
      const [, result] = await session.guard(Promise.all([begun, run(reserved, query)]));
      return result as QueryResult<R>;
    }
    return (await session.guard(run(reserved, query))) as QueryResult<R>;
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not available inside a request transaction');
  }
}

class RequestDriver implements Driver {
  private readonly connection: RequestConnection;
  constructor(tx: RequestTransaction) {
    this.connection = new RequestConnection(tx);
  }
  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> {
    return this.connection;
  }
  async beginTransaction(): Promise<void> {
    throw new Error("a request already runs in a transaction; use the request's database handle as it is");
  }
  async commitTransaction(): Promise<void> {}
  async rollbackTransaction(): Promise<void> {}
  async releaseConnection(): Promise<void> {}
  async destroy(): Promise<void> {}
}

class RequestDialect implements Dialect {
  constructor(private readonly tx: RequestTransaction) {}
  createAdapter = createAdapter;
  createIntrospector = createIntrospector;
  createQueryCompiler = createQueryCompiler;
  createDriver(): Driver {
    return new RequestDriver(this.tx);
  }
}
