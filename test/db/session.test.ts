import { expect, inject, it } from 'vitest';
import { createSql, isUnavailable } from '../../src/db/client.js';
import { Session } from '../../src/db/session.js';

/**
 * A reserved connection whose server goes away before its transaction begins: the transaction is told at
 * once that the database is unavailable, and the pool serves the next query on a new connection.
 */
it('answers a transaction whose connection closed before it began, and keeps serving', async () => {
  const sql = createSql(inject('adminUrl'), { max: 1 });
  const other = createSql(inject('adminUrl'), { max: 1 });
  try {
    const [{ pid }] = await sql<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    const session = await Session.reserve(sql);
    await other`SELECT pg_terminate_backend(${pid})`;
    // The client sees the connection close.
    await new Promise((r) => setTimeout(r, 200));
    const begun = session.begin();
    const outcome = await Promise.race([
      session
        .guard(
          (async () => {
            begun.execute();
            await begun;
            return session.sql`SELECT 1 AS one`;
          })(),
        )
        .then(
          () => 'answered',
          (err: unknown) => (isUnavailable(err) ? 'unavailable' : `failed: ${String(err)}`),
        ),
      new Promise((r) => setTimeout(() => r('no answer within 3 s'), 3_000)),
    ]);
    expect(outcome).toBe('unavailable');
    session.release();
    const [row] = await Promise.race([
      sql<[{ one: number }]>`SELECT 1 AS one`,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the pool answered nothing')), 3_000)),
    ]);
    expect(row.one).toBe(1);
  } finally {
    await sql.end({ timeout: 1 });
    await other.end({ timeout: 1 });
  }
});

/** The driver, patched: a query on a reserved connection that closed is refused, not thrown from a timer. */
it('refuses a query sent on a reserved connection after its server closed it', async () => {
  const sql = createSql(inject('adminUrl'), { max: 2 });
  const other = createSql(inject('adminUrl'), { max: 1 });
  try {
    const reserved = await sql.reserve();
    const [{ pid }] = await reserved<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
    await other`SELECT pg_terminate_backend(${pid})`;
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 2; i++) {
      const err = await reserved`SELECT 1`.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isUnavailable(err), String(err)).toBe(true);
    }
    const [row] = await sql<[{ one: number }]>`SELECT 1 AS one`;
    expect(row.one).toBe(1);
  } finally {
    await sql.end({ timeout: 1 });
    await other.end({ timeout: 1 });
  }
});

/** A statement unanswered past the bound: the transaction is told at once, and its connection is ended. */
it('gives up on a statement that goes unanswered, ends its connection, and keeps serving', async () => {
  const sql = createSql(inject('adminUrl'), { max: 2 });
  const other = createSql(inject('adminUrl'), { max: 1 });
  try {
    const session = await Session.reserve(sql, { answer_ms: 300 });
    const begun = session.begin();
    const [{ pid }] = await session.guard(
      (async () => {
        begun.execute();
        await begun;
        return session.sql<[{ pid: number }]>`SELECT pg_backend_pid() AS pid`;
      })(),
    );
    const started = Date.now();
    const err = await session.guard(session.sql`SELECT pg_sleep(30)`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isUnavailable(err), String(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(2_000);
    session.release();
    // The server rolled the transaction back and let the backend go.
    for (let i = 0; i < 50; i++) {
      const [row] = await other<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`;
      if (row.n === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      (await other<[{ n: number }]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`)[0].n,
    ).toBe(0);
    const [row] = await sql<[{ one: number }]>`SELECT 1 AS one`;
    expect(row.one).toBe(1);
  } finally {
    await sql.end({ timeout: 1 });
    await other.end({ timeout: 1 });
  }
});

/** Rolling back is bounded as every other statement: a transaction always ends. */
it('rolls back within the bound when the server does not answer', async () => {
  const sql = createSql(inject('adminUrl'), { max: 2 });
  try {
    const session = await Session.reserve(sql, { answer_ms: 300 });
    const begun = session.begin();
    begun.execute();
    await session.guard(begun);
    const sleeping = session.sql`SELECT pg_sleep(30)`;
    sleeping.execute();
    sleeping.catch(() => {});
    const started = Date.now();
    await session.rollback();
    expect(Date.now() - started).toBeLessThan(2_000);
    session.release();
    const [row] = await sql<[{ one: number }]>`SELECT 1 AS one`;
    expect(row.one).toBe(1);
  } finally {
    await sql.end({ timeout: 1 });
  }
});
