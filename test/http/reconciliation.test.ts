import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

let api: ApiFixture;
let t: Tenant;
const post = (path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key: t.treasury, body });
const get = (path: string, key = t.treasury) => api.call('GET', `/v1/pools/${t.poolId}${path}`, { key });
const upload = (body: string) =>
  api.call('POST', `/v1/pools/${t.poolId}/bank-statements`, {
    key: t.treasury,
    body,
    headers: { 'content-type': 'text/csv' },
  });
const SAMPLE = readFileSync('samples/bank-statement.csv', 'utf8');
/** A money figure as responses carry it. */
type Money = { amount: string; currency: string };
const cny = (amount: string): Money => ({ amount, currency: 'CNY' });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  await api.openAccounts(t);
  expectStatus(
    await post('/appropriations', {
      reference: '大高新财〔2026〕7号',
      amount: '1000000000',
      notified_on: '2026-01-05',
    }),
    201,
  );
  expectStatus(
    await post(`/appropriations/${encodeURIComponent('大高新财〔2026〕7号')}/receipt`, { received_on: '2026-01-10' }),
    200,
  );
  expectStatus(await post('/interest', { reference: 'INT-0321', amount: '1234567', on: '2026-03-21' }), 201);
  expectStatus(await post('/returns', { reference: 'RET-1', amount: '100000000', on: '2026-04-02' }), 201);
});
afterAll(() => api.close());

describe('bank statement and reconciliation', () => {
  it('imports the sample statement, matches what it can, and adds nothing the second time', async () => {
    expect(expectStatus(await upload(SAMPLE), 200)).toEqual({ lines: 3, new_lines: 3, matched: 2 });
    expect(expectStatus(await upload(SAMPLE), 200)).toEqual({ lines: 3, new_lines: 0, matched: 0 });
    const unmatched = expectStatus(await get('/bank-statements/lines?unmatched=true'), 200).data;
    expect(unmatched.map((l: { reference: string; amount: Money }) => [l.reference, l.amount])).toEqual([
      ['BOC2026032500101', cny('-1500')],
    ]);
  });

  it('explains the difference between the statement and the ledger to the fen', async () => {
    const r = expectStatus(await get('/reconciliation?as_of=2026-04-30', t.auditor), 200);
    // Statement 10,012,330.67; ledger 10,000,000.00 + 12,345.67 − 1,000,000.00 returned (not yet on the statement).
    expect(r).toMatchObject({ reconciled: false });
    expect({
      statement_balance: r.statement_balance,
      ledger_cash: r.ledger_cash,
      difference: r.difference,
      explained: r.explained,
      opening_balance: r.opening_balance,
    }).toEqual({
      statement_balance: cny('1001233067'),
      ledger_cash: cny('901234567'),
      difference: cny('99998500'),
      explained: cny('99998500'),
      opening_balance: cny('0'),
    });
    expect(r.unmatched_lines.map((l: { memo: string }) => l.memo)).toEqual(['手续费']);
    expect(
      r.unmatched_postings.map((p: { amount: Money; effective_date: string }) => [p.amount, p.effective_date]),
    ).toEqual([[cny('-100000000'), '2026-04-02']]);
    // Before the return, only the bank's fee stands between them.
    const march = expectStatus(await get('/reconciliation?as_of=2026-03-31'), 200);
    expect(march).toMatchObject({ unmatched_postings: [] });
    expect([march.difference, march.explained]).toEqual([cny('-1500'), cny('-1500')]);
    const csv = await get('/reconciliation?as_of=2026-04-30&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(csv.text).toMatch(/^item,date,reference,amount_fen,detail\n/);
    expect(csv.text).toMatch(/unmatched_posting,2026-04-02,return:[^,]+,-100000000/);
    expect(csv.text).toMatch(/explained,2026-04-30,,99998500,equals the difference/);
  });

  it('lets treasury unmatch and match by hand, recording who and why', async () => {
    const lines = expectStatus(await get('/bank-statements/lines'), 200).data;
    const interest = lines.find((l: { memo: string }) => l.memo === '结息');
    const tx = interest.matched_transaction;
    expect(tx).not.toBeNull();
    expect(
      expectStatus(
        await post(`/bank-statements/lines/${interest.id}/unmatch`, { reason: 'checking the value date' }),
        200,
      ).matched_transaction,
    ).toBeNull();
    const fee = lines.find((l: { memo: string }) => l.memo === '手续费');
    expect(
      (await post(`/bank-statements/lines/${fee.id}/match`, { transaction_id: tx, reason: 'wrong' })).body.details,
    ).toEqual({ field: 'transaction_id' });
    expect(
      expectStatus(
        await post(`/bank-statements/lines/${interest.id}/match`, {
          transaction_id: tx,
          reason: 'value date confirmed with the bank',
        }),
        200,
      ).matched_transaction,
    ).toBe(tx);
    const history = await api.db.owner<{ action: string; by_key: bigint | null; reason: string }[]>`
      SELECT action, by_key, reason FROM statement_matches WHERE line_id = ${interest.id} ORDER BY id`;
    expect(history.map((h) => [h.action, h.by_key === null ? 'auto' : 'treasury', h.reason])).toEqual([
      ['match', 'auto', 'auto: amount, within 3 days'],
      ['unmatch', 'treasury', 'checking the value date'],
      ['match', 'treasury', 'value date confirmed with the bank'],
    ]);
    expect(
      (
        await api.call('POST', `/v1/pools/${t.poolId}/bank-statements/lines/${interest.id}/unmatch`, {
          key: t.auditor,
          body: { reason: 'x' },
        })
      ).status,
    ).toBe(403);
  });

  it('refuses a statement whose running balances do not add up, naming the first bad line, and a reference reused with other figures', async () => {
    const bad = [
      '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
      '2026-05-01,X1,贷,100.00,a,"10,012,430.67",x',
      '2026-05-02,X2,贷,100.00,a,"10,012,630.67",x',
    ].join('\n');
    const r = await upload(bad);
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ type: expect.stringMatching(/statement-refused$/), details: { line: 3 } });
    const changed = SAMPLE.replace('"12,345.67",中国', '"12,345.68",中国')
      .replace('"10,012,345.67"', '"10,012,345.68"')
      .replace('"10,012,330.67"', '"10,012,330.68"');
    expect((await upload(changed)).status).toBe(409);
    expect((await upload('date,reference\n2026-01-01,x')).status).toBe(400);
  });

  it('closes a month that does not reconcile only with a reason, and says so in the close', async () => {
    // The bank's fee of 15.00 on 2026-03-25 is on the statement, not in the ledger.
    const refused = await post('/periods/2026-03/close', {});
    expect([refused.status, refused.body.type]).toEqual([422, expect.stringMatching(/unreconciled$/)]);
    expect(refused.body.details).toEqual({
      as_of: '2026-03-31',
      difference: '-1500',
      unmatched_lines: 1,
      unmatched_postings: 0,
    });
    expect(refused.body.detail).toMatch(/-15\.00 CNY/);
    expect((await post('/periods/2026-03/close', { reason: '  ' })).status).toBe(400);
    expect((await get('/periods/2026-03')).status).toBe(404);
  });

  it('closes a month: postings dated into it are refused, and a later check proves it unchanged until someone tampers with it', async () => {
    const reason = '手续费待银行回单后入账 (fee booked when the bank sends its advice)';
    const close = expectStatus(await post('/periods/2026-03/close', { reason }), 200);
    expect(close).toMatchObject({ month: '2026-03', through: '2026-03-31' });
    expect(close.reconciliation).toEqual({
      as_of: '2026-03-31',
      reconciled: false,
      statement_balance: cny('1001233067'),
      ledger_cash: cny('1001234567'),
      difference: cny('-1500'),
      unmatched_lines: 1,
      unmatched_postings: 0,
      reason,
    });
    const cash = close.trial_balance.find((l: { account: string }) => l.account === 'pool_cash');
    expect(cash).toBeDefined();
    expect(cash.debit).toEqual(cny('1001234567'));
    // Asked again, with or without the reason, the close is answered as it was recorded.
    expect(expectStatus(await post('/periods/2026-03/close', {}), 200)).toEqual(close);
    const late = await post('/interest', { reference: 'INT-LATE', amount: '1', on: '2026-03-30' });
    expect([late.status, late.body.type]).toEqual([422, expect.stringMatching(/period-closed$/)]);
    // The refusal does not hold the reference: dated into the open month, it posts.
    expect((await post('/interest', { reference: 'INT-LATE', amount: '1', on: '2026-04-02' })).status).toBe(201);
    expect((await post('/interest', { reference: 'INT-LATE', amount: '2', on: '2026-04-02' })).status).toBe(409);
    const entry = {
      effective_date: '2026-02-10',
      entries: [
        { account: 'pool_cash', debit: '1' },
        { account: 'fund_capital', credit: '1' },
      ],
    };
    expect((await post('/transactions', entry)).status).toBe(422);
    expect((await post('/transactions', { ...entry, effective_date: '2026-04-10' })).status).toBe(201);
    expect((await post('/periods/2026-02/close', {})).status).toBe(409);
    expect((await post('/periods/2099-01/close', {})).body.details).toEqual({ field: 'month' });
    expect((await post('/periods/2026-05/close', {})).body.detail).toMatch(/close 2026-04 first/);
    expect(expectStatus(await get('/periods/2026-03', t.auditor), 200)).toMatchObject({
      unchanged: true,
      trial_balance_unchanged: true,
      chain_unchanged: true,
    });
    // Behind the application's back, an entry of March is changed: the check finds it.
    await api.db.owner.unsafe('ALTER TABLE entries DISABLE TRIGGER entries_append_only');
    await api.db
      .owner`UPDATE entries SET amount = amount + 1 WHERE pool_id = ${t.poolId} AND effective_date = '2026-03-21' AND amount > 0`;
    await api.db.owner.unsafe('ALTER TABLE entries ENABLE TRIGGER entries_append_only');
    expect(expectStatus(await get('/periods/2026-03', t.auditor), 200)).toMatchObject({
      unchanged: false,
      chain_unchanged: false,
    });
  });

  it('closes a month once when six closes of it arrive at once in each of three pools: one wins, the others replay it or conflict, none fails', async () => {
    const pools = await Promise.all([1, 2, 3].map(() => api.tenant()));
    for (const p of pools) {
      expectStatus(
        await api.call('POST', `/v1/pools/${p.poolId}/interest`, {
          key: p.treasury,
          body: { reference: 'INT-RACE', amount: '100', on: '2026-02-14' },
        }),
        201,
      );
    }
    const closes = await Promise.all(
      pools.flatMap((p) =>
        Array.from({ length: 6 }, async () => ({
          pool: p.poolId,
          r: await api.call('POST', `/v1/pools/${p.poolId}/periods/2026-02/close`, {
            key: p.treasury,
            // The interest is in the ledger, and no statement is: February closes with a reason.
            body: { reason: 'statement to follow' },
          }),
        })),
      ),
    );
    expect(
      closes.filter(({ r }) => r.status !== 200 && r.status !== 409).map(({ r }) => `${r.status} ${r.text}`),
    ).toEqual([]);
    for (const p of pools) {
      const won = closes.filter(({ pool, r }) => pool === p.poolId && r.status === 200).map(({ r }) => r.body);
      expect(won.length).toBeGreaterThan(0);
      // Every success answers the one close the pool recorded.
      const stored = expectStatus(
        await api.call('GET', `/v1/pools/${p.poolId}/periods/2026-02`, { key: p.auditor }),
        200,
      );
      expect(new Set(won.map((c) => JSON.stringify(c)))).toEqual(new Set([JSON.stringify(stored.close)]));
      expect(stored).toMatchObject({ unchanged: true });
    }
  });

  it('finishes a close whose books were closed but whose record was lost, instead of asking for the next month', async () => {
    const p = await api.tenant();
    // The books closed through February, and then the request failed before it recorded the close.
    await api.ledger.closeThrough(BigInt(p.poolId), '2026-02-28');
    // No later month closes before it: February would stay closed without its record, standing or reason.
    const later = await api.call('POST', `/v1/pools/${p.poolId}/periods/2026-03/close`, { key: p.treasury, body: {} });
    expect([later.status, later.body.detail]).toEqual([409, expect.stringContaining('close 2026-02 first')]);
    const close = expectStatus(
      await api.call('POST', `/v1/pools/${p.poolId}/periods/2026-02/close`, { key: p.treasury, body: {} }),
      200,
    );
    expect(close).toMatchObject({ month: '2026-02', through: '2026-02-28' });
    expect(
      expectStatus(await api.call('GET', `/v1/pools/${p.poolId}/periods/2026-02`, { key: p.auditor }), 200),
    ).toMatchObject({ unchanged: true });
  });

  it("books the bank's charge and its interest straight from their statement lines, matched at once, and the month reconciles", async () => {
    const p = await api.tenant();
    const as = (key: string) => (path: string, body?: unknown) =>
      api.call(body === undefined ? 'GET' : 'POST', `/v1/pools/${p.poolId}${path}`, { key, body });
    const [treasury, auditor] = [as(p.treasury), as(p.auditor)];
    expectStatus(
      await treasury('/appropriations', {
        reference: '大高新财〔2026〕7号',
        amount: '1000000000',
        notified_on: '2026-01-05',
      }),
      201,
    );
    expectStatus(
      await treasury(`/appropriations/${encodeURIComponent('大高新财〔2026〕7号')}/receipt`, {
        received_on: '2026-01-10',
      }),
      200,
    );
    const statement = (csv: string) =>
      api.call('POST', `/v1/pools/${p.poolId}/bank-statements`, {
        key: p.treasury,
        body: csv,
        headers: { 'content-type': 'text/csv' },
      });
    expect(expectStatus(await statement(SAMPLE), 200)).toMatchObject({ matched: 1 });
    const lines = expectStatus(await treasury('/bank-statements/lines?unmatched=true'), 200).data;
    const fee = lines.find((l: { memo: string }) => l.memo === '手续费');
    const interest = lines.find((l: { memo: string }) => l.memo === '结息');
    const book = (line: { id: string }, body: unknown) => treasury(`/bank-statements/lines/${line.id}/book`, body);

    // The direction is the bank's: a line out is no interest, a line in no charge; an auditor books nothing.
    expect((await book(fee, { as: 'interest', reason: 'x' })).body.details).toMatchObject({ field: 'as' });
    expect((await book(interest, { as: 'bank_charge', reason: 'x' })).body.details).toMatchObject({ field: 'as' });
    expect((await book(fee, { as: 'bank_charge', reason: 'x', on: '2026-03-24' })).body.details).toMatchObject({
      field: 'on',
    });
    expect(
      (
        await api.call('POST', `/v1/pools/${p.poolId}/bank-statements/lines/${fee.id}/book`, {
          key: p.auditor,
          body: { as: 'bank_charge', reason: 'x' },
        })
      ).status,
    ).toBe(403);

    const charged = expectStatus(await book(fee, { as: 'bank_charge', reason: '3月账户管理费' }), 201);
    expect(charged.line).toMatchObject({ id: fee.id, matched_transaction: charged.transaction_id });
    const tx = expectStatus(await auditor(`/transactions/${charged.transaction_id}`), 200);
    expect(tx.effective_date).toBe('2026-03-25');
    expect(
      Object.fromEntries(
        tx.entries.map((e: { account: string; side: string; amount: Money }) => [e.account, [e.side, e.amount.amount]]),
      ),
    ).toEqual({ bank_charges: ['debit', '1500'], pool_cash: ['credit', '1500'] });
    const credited = expectStatus(await book(interest, { as: 'interest', reason: '一季度结息' }), 201);
    expect((await book(fee, { as: 'bank_charge', reason: 'again' })).status).toBe(409);

    const march = expectStatus(await auditor('/reconciliation?as_of=2026-03-31'), 200);
    expect([march.reconciled, march.difference]).toEqual([true, cny('0')]);
    const history = await api.db.owner<{ tx_id: bigint; reason: string }[]>`
      SELECT tx_id, reason FROM statement_matches WHERE pool_id = ${p.poolId} AND by_key IS NOT NULL ORDER BY id`;
    expect(history.map((h) => [h.tx_id.toString(), h.reason])).toEqual([
      [charged.transaction_id, 'booked as bank charge: 3月账户管理费'],
      [credited.transaction_id, 'booked as interest: 一季度结息'],
    ]);
    // Reconciled, the months close without a reason.
    for (const month of ['2026-01', '2026-02', '2026-03'])
      expect(expectStatus(await treasury(`/periods/${month}/close`, {}), 200).reconciliation).toMatchObject({
        reconciled: true,
      });

    // A charge the bank took in a month closed since is booked into the open month, and still matched.
    expectStatus(
      await statement(
        [
          '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
          '2026-03-31,BOC2026033100007,借,10.00,中国银行大连高新园区支行,"10,012,320.67",汇划费',
        ].join('\n'),
      ),
      200,
    );
    const late = expectStatus(await treasury('/bank-statements/lines?unmatched=true'), 200).data[0];
    const refused = await book(late, { as: 'bank_charge', reason: '汇划费' });
    expect([refused.status, refused.body.type]).toEqual([422, expect.stringMatching(/period-closed$/)]);
    const booked = expectStatus(await book(late, { as: 'bank_charge', reason: '汇划费', on: '2026-04-01' }), 201);
    expect(expectStatus(await auditor(`/transactions/${booked.transaction_id}`), 200).effective_date).toBe(
      '2026-04-01',
    );
    expect(expectStatus(await auditor('/reconciliation?as_of=2026-04-30'), 200).reconciled).toBe(true);
  });
});
