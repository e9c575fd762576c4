import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, createSql, type Db, type Queryable, type Sql } from '../../src/db/client.js';
import { withDatabase } from './global-setup.js';

export interface TestDatabase {
  /** Connected as the application role: what the product runs with. */
  app: Db;
  /** Connected as the owner: for tests that act behind the application's back. */
  owner: Sql;
  appUrl: string;
  ownerUrl: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function testDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `${inject('runPrefix')}_${randomBytes(4).toString('hex')}`;
  const admin = createSql(adminUrl, { max: 1 });
  // CREATE DATABASE from the same template may not run twice at once.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
      break;
    } catch (err) {
      if (attempt > 50 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  await admin.end();
  const ownerUrl = withDatabase(adminUrl, name);
  const appUrlObject = new URL(ownerUrl);
  appUrlObject.username = 'pool_app';
  appUrlObject.password = inject('appPassword');
  const appUrl = appUrlObject.toString();
  const app = createDb(appUrl, { max: options.max ?? 10 });
  const owner = createSql(ownerUrl, { max: 2 });
  return {
    app,
    owner,
    appUrl,
    ownerUrl,
    close: async () => {
      await app.close();
      await owner.end();
    },
  };
}

/**
 * The query of a backend that waits behind a lock `holder` (a backend id) holds, once one does. With
 * `writing`, only a backend that also holds that table for writing (its rows there, uncommitted). Other waits
 * elsewhere in the database (a moment's wait of some other statement) are not taken for it.
 */
export async function queryBlockedBy(owner: Sql, holder: number, writing?: string): Promise<string> {
  for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
    const rows = await owner<{ query: string }[]>`
      SELECT a.query FROM pg_stat_activity a
       WHERE a.datname = current_database() AND ${holder}::int = ANY(pg_blocking_pids(a.pid))
         AND (${writing ?? null}::text IS NULL OR EXISTS (
               SELECT 1 FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation'
                  AND l.relation = ${writing ?? 'pg_class'}::regclass AND l.mode = 'RowExclusiveLock'))`;
    if (rows[0]) return rows[0].query;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`nothing queued behind backend ${holder}`);
}

/** The id of the backend that runs `sql` (a reserved connection or a transaction). */
export async function backendOf(sql: Queryable): Promise<number> {
  const [row] = await sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
  return row!.pid;
}
