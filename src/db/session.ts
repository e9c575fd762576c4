import type postgres from 'postgres';
import type { Sql } from './client.js';

type Reserved = postgres.ReservedSql<{ bigint: bigint; day: string }>;

/**
 * How long a transaction waits for a connection. Under the heaviest load measured a reservation waits a few
 * milliseconds; five seconds is a database that is not answering.
 */
export const RESERVE_WAIT_MS = 5_000;

/** postgres.js's connection, as its `onexecute` hook hands it over: we only ever set its close hook. */
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
 * closes; `guard` bounds every wait on them by the connection's life.
 */
export class Session {
  private connection: DriverConnection | undefined;
  private closed = false;
  /** The pool's list of closed connections, when the connection had closed before BEGIN was sent. */
  private closedList: DriverQueue | undefined;
  private readonly lostSignal: Promise<never>;
  private signalLost!: (err: Error) => void;

  private constructor(readonly sql: Reserved) {
    this.lostSignal = new Promise<never>((_, reject) => (this.signalLost = reject));
    this.lostSignal.catch(() => {});
  }

  /** The statement's outcome, or the connection's loss if it closes first (the error the API answers 503 for). */
  guard<T>(statement: PromiseLike<T>): Promise<T> {
    return Promise.race([statement, this.lostSignal]);
  }

  /**
   * Reserves a connection, waiting at most `wait_ms`. postgres.js can drop a waiting reservation for good
   * (when the connection it was opening for is lost while it opens), and a request must never wait for
   * ever: past the bound it is told the database is unavailable (503, to retry). A connection that arrives
   * after that goes back to the pool.
   */
  static async reserve(pool: Sql, wait_ms = RESERVE_WAIT_MS): Promise<Session> {
    const reserving = pool.reserve();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`no database connection within ${wait_ms} ms`), { code: 'CONNECT_TIMEOUT' })), wait_ms);
    });
    try {
      return new Session(await Promise.race([reserving, bound]));
    } catch (err) {
      reserving.then((late) => late.release(), () => {});
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
  begin(): postgres.PendingQuery<postgres.Row[]> {
    return this.sql.unsafe('BEGIN', [], {
      onexecute: (connection: DriverConnection) => {
        this.connection = connection;
        const lost = () => {
          this.closed = true;
          this.signalLost(Object.assign(new Error('the database closed the connection during the transaction'), { code: 'CONNECTION_CLOSED' }));
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
  }

  /** Rolls back what is open, unless the server is gone (it rolled back itself). Never throws. */
  async rollback(): Promise<void> {
    if (this.closed) return;
    await this.sql`ROLLBACK`.catch(() => {});
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
