import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../../src/db/client.js';
import { createLedger, type Ledger } from '../../src/ledger/index.js';
import { ledgerFixture, type LedgerFixture } from '../support/ledger.js';
import { insertRawPosting } from '../support/raw-posting.js';

let f: LedgerFixture;
let other: { db: Db; ledger: Ledger };
beforeAll(async () => {
  f = await ledgerFixture();
  const db = createDb(f.db.appUrl, { max: 4 });
  other = { db, ledger: createLedger({ sql: db.sql, kysely: db.kysely, writer: { optimisticFrom: 1 } }) };
});
afterAll(async () => {
  await other.db.close();
  await f.db.close();
});

async function pool(): Promise<bigint> {
  const p = await f.newPool();
  await f.ledger.createAccount(p, { code: 'cash', name: 'Cash', type: 'asset', currency: 'CNY' });
  await f.ledger.createAccount(p, { code: 'capital', name: 'Capital', type: 'net_assets', currency: 'CNY' });
  return p;
}
const pay = (ledger: Ledger, poolId: bigint, externalId: string, effectiveDate: string) =>
  ledger.post({
    type: 'post',
    poolId,
    externalId,
    effectiveDate,
    entries: [
      { account: 'cash', amount: 10n },
      { account: 'capital', amount: -10n },
    ],
  });

describe('closing a period', () => {
  it('refuses postings dated on or before the close, and takes those after it', async () => {
    const p = await pool();
    expect((await pay(f.ledger, p, 'march', '2026-03-15')).status).toBe('posted');
    expect(await f.ledger.closeThrough(p, '2026-03-31')).toBe('2026-03-31');
    const late = await pay(f.ledger, p, 'late-march', '2026-03-31');
    expect(late).toMatchObject({ status: 'refused', refusal: { type: 'period_closed' } });
    expect((await pay(f.ledger, p, 'april', '2026-04-01')).status).toBe('posted');
    // Closing again, or through an earlier day, changes nothing.
    expect(await f.ledger.closeThrough(p, '2026-02-28')).toBe('2026-03-31');
    expect(await f.ledger.closedThrough(p)).toBe('2026-03-31');
    // Another pool's books stay open.
    const q = await pool();
    expect((await pay(f.ledger, q, 'march', '2026-03-15')).status).toBe('posted');
  });

  it('closes through a day once when closes of it arrive at once on two engines: each answers the day', async () => {
    const pools = [await pool(), await pool(), await pool()];
    const answers = await Promise.allSettled(
      pools.flatMap((p) =>
        Array.from({ length: 6 }, (_, i) => (i % 2 ? f.ledger : other.ledger).closeThrough(p, '2026-04-30')),
      ),
    );
    expect(
      answers.filter((a) => a.status === 'rejected').map((a) => String((a as PromiseRejectedResult).reason)),
    ).toEqual([]);
    expect(answers.map((a) => (a as PromiseFulfilledResult<string>).value)).toEqual(Array(18).fill('2026-04-30'));
    for (const p of pools) {
      expect(await f.db.owner`SELECT through::text FROM ledger_closes WHERE pool_id = ${p.toString()}`).toEqual([
        { through: '2026-04-30' },
      ]);
    }
  });

  it('lets no posting dated into the period slip past a close that races it', async () => {
    const p = await pool();
    let stop = false;
    let n = 0;
    const outcomes: Awaited<ReturnType<typeof pay>>[] = [];
    // Eight callers on two engines keep posting into May while the close comes.
    const callers = Array.from({ length: 8 }, async (_, c) => {
      while (!stop) outcomes.push(await pay(c % 2 ? f.ledger : other.ledger, p, `race-${c}-${n++}`, '2026-05-10'));
    });
    await new Promise((r) => setTimeout(r, 150));
    // The books as they stood the moment the close committed...
    const cashAtClose = await f.ledger
      .closeThrough(p, '2026-05-31')
      .then(
        async () =>
          (await f.ledger.trialBalance(p, '2026-05-31')).lines.find((l) => l.account.code === 'cash')?.debit ?? 0n,
      );
    await new Promise((r) => setTimeout(r, 100));
    stop = true;
    await Promise.all(callers);
    // ...hold every posting that got in, and only those: the rest were refused as dated into the period.
    const posted = outcomes.filter((o) => o.status === 'posted').length;
    expect(posted).toBeGreaterThan(0);
    expect(outcomes.length).toBeGreaterThan(posted);
    expect(
      outcomes.every((o) => o.status === 'posted' || (o.status === 'refused' && o.refusal.type === 'period_closed')),
    ).toBe(true);
    expect(cashAtClose).toBe(BigInt(posted) * 10n);
  });

  it('has the database stop a posting into a closed period that bypasses the writer', async () => {
    const p = await pool();
    await f.ledger.closeThrough(p, '2026-06-30');
    const [cash, capital] = await Promise.all([f.ledger.getAccount(p, 'cash'), f.ledger.getAccount(p, 'capital')]);
    // A whole, balanced transaction, so that the closed period is the only thing wrong with it.
    const sneak = (day: string) =>
      insertRawPosting(f.db.app.sql, {
        pool: p,
        externalId: `sneak-${day}`,
        day,
        entries: [
          { account: cash.id, amount: 10n },
          { account: capital.id, amount: -10n },
        ],
      });
    await expect(sneak('2026-06-01')).rejects.toThrow(/closed through 2026-06-30/);
    await expect(sneak('2026-07-01')).resolves.toBeDefined();
    await expect(
      f.db.app.sql`INSERT INTO ledger_closes (pool_id, through) VALUES (${p.toString()}, '2026-01-31')`,
    ).rejects.toThrow(/permission denied/);
  });
});
