import type postgres from 'postgres';
import type { Sql } from './client.js';

type Reserved = postgres.ReservedSql<{ bigint: bigint; day: string }>;

/**
 * How long a transaction waits for a connection. Under the heaviest load measured a reservation waits a few
 * milliseconds; five seconds is a database that is not answering.
 */
export const RESERVE_WAIT_MS = 5_000;

/**
 * How long a statement of a transaction may go unanswered. Transactions here answer in milliseconds; ten
 * seconds is a database, a network or a driver that has lost the statement (it happened after the database
 * restarted under load, for reasons inside postgres.js). The transaction is then told the database is
 * unavailable (503, to retry with the same Idempotency-Key) and its connection is ended, which rolls back
 * whatever the server still holds of it.
 */
export const ANSWER_WAIT_MS = 10_000;

/** postgres.js's connection, as its `onexecute` hook hands it over: the parts a session uses. */
interface DriverConnection {
  onclose: ((err: unknown) => void) | null;
  /** Set while the connection is reserved; postgres.js clears it when the connection closes. */
  reserved: unknown;
  /** Refuses what is sent on the connection (CONNECTION_DESTROYED) and drops its unsent writes. */
  terminate(): void;
  /** The pool's list the connection is in (open, busy, full, closed, ...). */
  queue: DriverQueue;
}

interface DriverQueue {
  push(connection: DriverConnection): void;
  remove(connection: DriverConnection): void;
}

/**
 * A connection reserved from the pool for one transaction, that knows when its server went away.
 *
 * postgres.js (3.4) does not guard a reserved connection whose socket closed: a query sent on it afterwards
 * writes to a socket that is gone and throws from a timer (an uncaught TypeError that ends the process), and
 * releasing it puts the dead connection back among the open ones, where the next queries wait behind it
 * for ever. Both happened when the database was lost under load. So the session hooks the connection's
 * close (as postgres.js's own `begin` does) and, once it closed, sends nothing more on it and does not give
 * it back: the pool already counts it as closed and connects it again when it is next needed. Statements
 * that postgres.js had queued on the connection (past its pipeline's bound) are never settled when it
 * closes; `guard` bounds every wait on them by the connection's life, and by `answer_ms`: a statement the
 * server never answers (lost on the way, after a restart under load) ends the connection.
 */
export class Session {
  private connection: DriverConnection | undefined;
  private closed = false;
  /** The pool's list of closed connections, when the connection had closed before BEGIN was sent. */
  private closedList: DriverQueue | undefined;
  private readonly lostSignal: Promise<never>;
  private signalLost!: (err: Error) => void;

  /** BEGIN, which learns the server process the transaction runs in. */
  private beginQuery: { state?: { pid?: number } } | undefined;

  private constructor(
    readonly sql: Reserved,
    private readonly pool: Sql,
    private readonly answer_ms: number,
  ) {
    this.lostSignal = new Promise<never>((_, reject) => (this.signalLost = reject));
    this.lostSignal.catch(() => {});
  }

  /**
   * The statement's outcome, or the connection's loss if it closes first or the statement goes unanswered
   * for `answer_ms` (the errors the API answers 503 for).
   */
  guard<T>(statement: PromiseLike<T>): Promise<T> {
    const timer = setTimeout(() => this.abandon(), this.answer_ms);
    return Promise.race([statement, this.lostSignal]).finally(() => clearTimeout(timer));
  }

  /** Gives up on a transaction whose statement went unanswered: ends its connection, tells its waits. */
  private abandon(): void {
    if (this.closed) return;
    this.signalLost(
      Object.assign(new Error(`the database did not answer within ${this.answer_ms} ms`), { code: 'ANSWER_TIMEOUT' }),
    );
    if (!this.connection) return; // nothing sent on it yet: it goes back to the pool as it is
    this.closed = true;
    // A server still busy with the statement would read the connection's end only once it finishes:
    // end its process now (on another connection), so that it lets go of the transaction's locks.
    const pid = this.beginQuery?.state?.pid;
    if (pid) this.pool`SELECT pg_terminate_backend(${pid})`.catch(() => {});
    // Refuse what is outstanding on the connection and close it; the pool counts it as closed once its
    // socket is, and connects it again when next needed.
    this.connection.terminate();
  }

  /**
   * Reserves a connection, waiting at most `wait_ms`, for statements answered within `answer_ms` each. postgres.js can drop a waiting reservation for good
   * (when the connection it was opening for is lost while it opens), and a request must never wait for
   * ever: past the bound it is told the database is unavailable (503, to retry). A connection that arrives
   * after that goes back to the pool.
   */
  static async reserve(pool: Sql, { wait_ms = RESERVE_WAIT_MS, answer_ms = ANSWER_WAIT_MS } = {}): Promise<Session> {
    const reserving = pool.reserve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(Object.assign(new Error(`no database connection within ${wait_ms} ms`), { code: 'CONNECT_TIMEOUT' })),
        wait_ms,
      );
    });
    try {
      return new Session(await Promise.race([reserving, bound]), pool, answer_ms);
    } catch (err) {
      reserving.then(
        (late) => late.release(),
        () => {},
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Whether the server closed the connection while it was reserved. */
  get lost(): boolean {
    return this.closed;
  }

  /** BEGIN, not sent yet (it travels with the next statement): the statement that learns the connection. */
  begin() {
    const query = this.sql.unsafe('BEGIN', [], {
      onexecute: (connection: DriverConnection) => {
        this.connection = connection;
        const lost = () => {
          this.closed = true;
          this.signalLost(
            Object.assign(new Error('the database closed the connection during the transaction'), {
              code: 'CONNECTION_CLOSED',
            }),
          );
        };
        if (connection.reserved == null) {
          // It closed between its reservation and this BEGIN: postgres.js would write BEGIN to a socket
          // that is gone (from a timer, an uncaught TypeError) and nothing would ever answer it. Drop the
          // write, refuse the statement (and every one after it), and tell the transaction. The driver
          // then counts the connection as busy for good, and the pool never opens it again: release
          // puts it back among the closed ones.
          this.closedList = connection.queue;
          lost();
          connection.terminate();
          return true;
        }
        connection.onclose = lost;
        // Go on pipelining: the statements after BEGIN are sent at once.
        return true;
      },
    } as postgres.UnsafeQueryOptions);
    // postgres.js hands an executed query its server process (`state`).
    this.beginQuery = query as unknown as { state?: { pid?: number } };
    return query;
  }

  /** Rolls back what is open, unless the server is gone (it rolled back itself), as bounded as any statement. Never throws. */
  async rollback(): Promise<void> {
    if (this.closed) return;
    await this.guard(this.sql`ROLLBACK`).catch(() => {});
  }

  /** Gives the connection back to the pool, unless it closed (then the pool reconnects it when needed). */
  release(): void {
    const connection = this.connection;
    if (connection && this.closedList && connection.queue !== this.closedList) {
      connection.queue.remove(connection);
      this.closedList.push(connection);
      connection.queue = this.closedList;
    }
    if (connection && !this.closed) connection.onclose = null;
    if (!this.closed) this.sql.release();
  }
}
