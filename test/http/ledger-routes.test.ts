import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';

let api: ApiFixture;
let a: Tenant;
let b: Tenant;

beforeAll(async () => {
  api = await apiFixture();
  a = await api.tenant();
  b = await api.tenant();
  for (const t of [a, b])
    await api.openAccounts(t, [{ code: 'compensation', name: 'Risk compensation', type: 'expense' }]);
});
afterAll(() => api.close());

const fund = (t: Tenant, amount: string, idem?: string) =>
  api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
    key: t.treasury,
    idem,
    body: {
      effective_date: '2026-03-01',
      description: 'appropriation received',
      entries: [
        { account: 'pool_cash', debit: amount },
        { account: 'fund_capital', credit: amount },
      ],
    },
  });

describe('ledger routes', () => {
  it('posts a journal entry and shows it in balances, statement and trial balance', async () => {
    const tx = expectStatus(await fund(a, '3000000000'), 201);
    expect(tx.entries).toEqual([
      expect.objectContaining({
        account: 'pool_cash',
        side: 'debit',
        amount: { amount: '3000000000', currency: 'CNY' },
      }),
      expect.objectContaining({
        account: 'fund_capital',
        side: 'credit',
        amount: { amount: '3000000000', currency: 'CNY' },
      }),
    ]);
    const balance = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/balance`, { key: a.auditor }),
      200,
    );
    expect(balance.posted).toEqual({ amount: '3000000000', currency: 'CNY' });
    const statement = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/statement`, { key: a.auditor }),
      200,
    );
    expect(statement.data[0]).toMatchObject({
      transaction_id: tx.id,
      side: 'debit',
      balance: { amount: '3000000000' },
    });
    const tb = expectStatus(await api.call('GET', `/v1/pools/${a.poolId}/trial-balance`, { key: a.treasury }), 200);
    expect(tb.totals).toEqual([
      { debit: { amount: '3000000000', currency: 'CNY' }, credit: { amount: '3000000000', currency: 'CNY' } },
    ]);
    // As of the day before its effective date (2026-03-01), the posting is not there yet.
    const before = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/balance?as_of=2026-02-28`, { key: a.auditor }),
      200,
    );
    expect(before.posted).toEqual({ amount: '0', currency: 'CNY' });
    const onTheDay = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/balance?as_of=2026-03-01`, { key: a.auditor }),
      200,
    );
    expect(onTheDay.posted).toEqual({ amount: '3000000000', currency: 'CNY' });
    const tbBefore = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/trial-balance?as_of=2026-02-28`, { key: a.treasury }),
      200,
    );
    expect(tbBefore.lines.find((l: { account: string }) => l.account === 'pool_cash').debit).toEqual({
      amount: '0',
      currency: 'CNY',
    });
    expect(tbBefore.totals).toEqual([
      { debit: { amount: '0', currency: 'CNY' }, credit: { amount: '0', currency: 'CNY' } },
    ]);
  });

  it('replays a posting sent twice with one Idempotency-Key: one transaction, same answer', async () => {
    const before = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/balance`, { key: a.treasury }),
      200,
    );
    const first = expectStatus(await fund(a, '500', 'fund-twice'), 201);
    const second = await fund(a, '500', 'fund-twice');
    expect(second.status).toBe(201);
    expect(second.body.id).toBe(first.id);
    const after = expectStatus(
      await api.call('GET', `/v1/pools/${a.poolId}/accounts/pool_cash/balance`, { key: a.treasury }),
      200,
    );
    expect(BigInt(after.posted.amount) - BigInt(before.posted.amount)).toBe(500n);
  });

  it('records the answer with the posting, byte for byte, refusals included', async () => {
    const ok = await fund(a, '7', 'recorded-ok');
    expect(ok.status).toBe(201);
    const refusedBody = {
      effective_date: '2026-03-02',
      entries: [
        { account: 'compensation', debit: '999999999999' },
        { account: 'pool_cash', credit: '999999999999' },
      ],
    };
    const refused = await api.call('POST', `/v1/pools/${a.poolId}/transactions`, {
      key: a.treasury,
      idem: 'recorded-refusal',
      body: refusedBody,
    });
    expect(refused.status).toBe(422);
    const rows = await api.db.owner<{ key: string; status: number; body: string }[]>`
      SELECT key, status, body FROM idempotency_keys WHERE key IN ('recorded-ok', 'recorded-refusal') ORDER BY key`;
    expect(rows.map((r) => [r.key, r.status])).toEqual([
      ['recorded-ok', 201],
      ['recorded-refusal', 422],
    ]);
    expect(rows[0]!.body).toBe(ok.text);
    expect(rows[1]!.body).toBe(refused.text);
    const again = await api.call('POST', `/v1/pools/${a.poolId}/transactions`, {
      key: a.treasury,
      idem: 'recorded-refusal',
      body: refusedBody,
    });
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(refused.text);
  });

  it('posts with the longest Idempotency-Key the API accepts', async () => {
    const long = 'k'.repeat(255);
    const first = expectStatus(await fund(a, '3', long), 201);
    const again = expectStatus(await fund(a, '3', long), 201);
    expect(again.id).toBe(first.id);
  });

  it('refuses an overdraft of the pool cash with a problem naming the refusal, and nothing is written', async () => {
    const before = expectStatus(
      await api.call('GET', `/v1/pools/${b.poolId}/accounts/pool_cash/balance`, { key: b.treasury }),
      200,
    );
    const r = await api.call('POST', `/v1/pools/${b.poolId}/transactions`, {
      key: b.treasury,
      body: {
        effective_date: '2026-03-02',
        entries: [
          { account: 'compensation', debit: '100' },
          { account: 'pool_cash', credit: '100' },
        ],
      },
    });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ refusal: 'insufficient_funds' });
    expect(r.body.type).toMatch(/posting-refused$/);
    const after = expectStatus(
      await api.call('GET', `/v1/pools/${b.poolId}/accounts/pool_cash/balance`, { key: b.treasury }),
      200,
    );
    expect(after).toEqual(before);
  });

  it('refuses an unbalanced entry', async () => {
    const r = await api.call('POST', `/v1/pools/${a.poolId}/transactions`, {
      key: a.treasury,
      body: {
        effective_date: '2026-03-02',
        entries: [
          { account: 'compensation', debit: '100' },
          { account: 'pool_cash', credit: '99' },
        ],
      },
    });
    expect(r.status).toBe(422);
    expect(r.body.type).toMatch(/invalid-posting$/);
  });

  it('reverses a transaction once; a second reversal is refused', async () => {
    const pay = expectStatus(
      await api.call('POST', `/v1/pools/${a.poolId}/transactions`, {
        key: a.treasury,
        body: {
          effective_date: '2026-03-03',
          entries: [
            { account: 'compensation', debit: '700' },
            { account: 'pool_cash', credit: '700' },
          ],
        },
      }),
      201,
    );
    const rev = expectStatus(
      await api.call('POST', `/v1/pools/${a.poolId}/transactions/${pay.id}/reversal`, {
        key: a.treasury,
        body: { effective_date: '2026-03-04' },
      }),
      201,
    );
    expect(rev).toMatchObject({ kind: 'reversal', refers_to: pay.id });
    const again = await api.call('POST', `/v1/pools/${a.poolId}/transactions/${pay.id}/reversal`, {
      key: a.treasury,
      body: { effective_date: '2026-03-04' },
    });
    expect(again.status).toBe(422);
    expect(again.body.refusal).toBe('already_reversed');
    expect(
      (
        await api.call('POST', `/v1/pools/${a.poolId}/transactions/999999/reversal`, {
          key: a.treasury,
          body: { effective_date: '2026-03-04' },
        })
      ).status,
    ).toBe(404);
  });

  it('pages a statement with a cursor and carries the running balance across pages', async () => {
    const t = await api.tenant();
    await api.call('POST', `/v1/pools/${t.poolId}/accounts`, {
      key: t.treasury,
      body: { code: 'cash', name: 'Cash', type: 'asset' },
    });
    await api.call('POST', `/v1/pools/${t.poolId}/accounts`, {
      key: t.treasury,
      body: { code: 'capital', name: 'Capital', type: 'net_assets' },
    });
    for (let i = 1; i <= 7; i++) {
      expectStatus(
        await api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
          key: t.treasury,
          body: {
            effective_date: `2026-04-0${i}`,
            entries: [
              { account: 'cash', debit: String(i * 10) },
              { account: 'capital', credit: String(i * 10) },
            ],
          },
        }),
        201,
      );
    }
    const balances: string[] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 10; page++) {
      const q: string = cursor ? `&cursor=${cursor}` : '';
      const r: any = expectStatus(
        await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?limit=3${q}`, { key: t.auditor }),
        200,
      );
      balances.push(...r.data.map((l: { balance: { amount: string } }) => l.balance.amount));
      cursor = r.next_cursor;
      if (!cursor) break;
    }
    expect(balances).toEqual(['10', '30', '60', '100', '150', '210', '280']);
    const from = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?from=2026-04-05`, { key: t.auditor }),
      200,
    );
    expect(from.opening_balance.amount).toBe('100');
    expect(
      (await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?cursor=garbage`, { key: t.auditor }))
        .status,
    ).toBe(400);

    // A cursor names a position; the balance there comes from the journal, not from the cursor's text.
    const first: any = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?limit=3`, { key: t.auditor }),
      200,
    );
    const position = JSON.parse(Buffer.from(first.next_cursor, 'base64url').toString('utf8'));
    const forged = Buffer.from(JSON.stringify({ ...position, b: '999999' })).toString('base64url');
    const after: any = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?limit=3&cursor=${forged}`, {
        key: t.auditor,
      }),
      200,
    );
    expect(after.opening_balance.amount).toBe('60');
    expect(after.data.map((l: { balance: { amount: string } }) => l.balance.amount)).toEqual(['100', '150', '210']);
    // A posting dated before the cursor, made between two pages, is in the next page's running balance.
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/transactions`, {
        key: t.treasury,
        body: {
          effective_date: '2026-04-01',
          entries: [
            { account: 'cash', debit: '1' },
            { account: 'capital', credit: '1' },
          ],
        },
      }),
      201,
    );
    const later: any = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/cash/statement?limit=3&cursor=${first.next_cursor}`, {
        key: t.auditor,
      }),
      200,
    );
    expect(later.data.map((l: { balance: { amount: string } }) => l.balance.amount)).toEqual(['101', '151', '211']);
  });

  it('verifies the chain and gives a digest', async () => {
    const v = expectStatus(await api.call('GET', `/v1/pools/${a.poolId}/chain/verify`, { key: a.auditor }), 200);
    expect(v).toMatchObject({ ok: true, unsealed: '0' });
    const d = expectStatus(await api.call('GET', `/v1/pools/${a.poolId}/chain/digest`, { key: a.auditor }), 200);
    expect(d.seq).toBe(v.head.seq);
    expect(d.hash).toBe(v.head.hash);
  });
});

describe('the chart of accounts', () => {
  it('keeps the codes the chart uses for the pool: opening one through the API is refused, and money keeps moving', async () => {
    const t = await api.tenant();
    // Each code the domain opens for itself: the chart's own and a party's or an article's account.
    for (const code of [
      'pool_cash',
      'fund_capital',
      'appropriation_receivable',
      'award_budget_cash',
      `recovery_receivable:${t.bankId}`,
      `awards_payable:${t.bankId}`,
      'incentive_expense:art3',
    ]) {
      const r = await api.call('POST', `/v1/pools/${t.poolId}/accounts`, {
        key: t.treasury,
        body: { code, name: 'squatter', type: 'liability' },
      });
      expect(r.status, `${code}: ${r.text}`).toBe(422);
      expect(r.body).toMatchObject({
        type: 'https://pool-ledger.example/problems/account-code-reserved',
        details: { field: 'code' },
      });
    }
    // A code of the treasury's own stays free, and the domain's accounts open as the chart says.
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/accounts`, {
        key: t.treasury,
        body: { code: 'pool_cash_adjustments', name: 'Adjustments', type: 'asset' },
      }),
      201,
    );
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/appropriations`, {
        key: t.treasury,
        body: { reference: 'CHART-1', amount: '5000', notified_on: '2026-03-01' },
      }),
      201,
    );
    expectStatus(
      await api.call('POST', `/v1/pools/${t.poolId}/appropriations/CHART-1/receipt`, {
        key: t.treasury,
        body: { received_on: '2026-03-02' },
      }),
      200,
    );
    const cash = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts/pool_cash/balance`, { key: t.auditor }),
      200,
    );
    expect(cash.posted).toEqual({ amount: '5000', currency: 'CNY' });
    const accounts = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/accounts?limit=100`, { key: t.auditor }),
      200,
    );
    expect(accounts.data.find((x: { code: string }) => x.code === 'pool_cash')).toMatchObject({
      type: 'asset',
      no_negative: true,
    });
  });
});

describe('bad ids, days and cursors', () => {
  it('answers each with a problem, never a 500', async () => {
    const forged = (v: object) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const p = a.poolId;
    const urls = [
      `/v1/pools/${p}/accounts/pool_cash/balance?as_of=2026-02-30`,
      `/v1/pools/${p}/accounts/pool_cash/balance?as_of=2026-13-01`,
      `/v1/pools/${p}/trial-balance?as_of=2026-02-30`,
      `/v1/pools/${p}/accounts/pool_cash/statement?from=2026-13-01`,
      `/v1/pools/${p}/transactions/9999999999999999999`,
      `/v1/pools/9999999999999999999`,
      `/v1/pools/${p}/participants/9999999999999999999`,
      `/v1/pools/${p}/participants?after=9999999999999999999`,
      `/v1/pools/${p}/chain/digest?seq=9999999999999999999`,
      `/v1/events?after=${forged({ x: '99999999999999999999', i: '1' })}`,
      `/v1/pools/${p}/accounts/pool_cash/statement?cursor=${forged({ d: '2026-99-99', e: '1', b: '0' })}`,
    ];
    for (const url of urls) {
      const r = await api.call('GET', url, { key: a.treasury });
      expect(r.status, `${url}: ${r.text}`).toBe(400);
      expect(r.headers.get('content-type')).toContain('application/problem+json');
    }
    const post = await api.call('POST', `/v1/pools/${p}/transactions/9999999999999999999/reversal`, {
      key: a.treasury,
      body: { effective_date: '2026-03-04' },
    });
    expect(post.status).toBe(400);
  });
});

describe('ledger routes: who may', () => {
  it('banks and insurers read no ledger; auditors read but never write', async () => {
    for (const key of [a.bank, a.insurer]) {
      expect((await api.call('GET', `/v1/pools/${a.poolId}/accounts`, { key })).status).toBe(403);
      expect((await api.call('GET', `/v1/pools/${a.poolId}/trial-balance`, { key })).status).toBe(403);
    }
    expect((await fund({ ...a, treasury: a.auditor }, '1')).status).toBe(403);
    expect(
      (
        await api.call('POST', `/v1/pools/${a.poolId}/accounts`, {
          key: a.auditor,
          body: { code: 'x', name: 'x', type: 'asset' },
        })
      ).status,
    ).toBe(403);
  });

  it('a treasury key cannot read or post in another pool', async () => {
    expect(
      (await api.call('GET', `/v1/pools/${b.poolId}/accounts/pool_cash/balance`, { key: a.treasury })).status,
    ).toBe(404);
    expect((await fund({ ...b, treasury: a.treasury }, '1')).status).toBe(404);
    const tx = expectStatus(await fund(b, '1'), 201);
    expect((await api.call('GET', `/v1/pools/${a.poolId}/transactions/${tx.id}`, { key: a.treasury })).status).toBe(
      404,
    );
  });
});

describe('event feed', () => {
  it("lists the pool's events in commit order, pages with a cursor, and shows a bank only its own", async () => {
    const all: any[] = [];
    let after = '';
    for (let i = 0; i < 20; i++) {
      const page: any = expectStatus(await api.call('GET', `/v1/events?limit=2${after}`, { key: a.treasury }), 200);
      all.push(...page.data);
      if (page.data.length === 0) break;
      after = `&after=${page.next_cursor}`;
    }
    expect(all[0].type).toBe('pool.created');
    expect(all.map((e) => e.type)).toEqual(expect.arrayContaining(['participant.created', 'key.issued']));
    expect(new Set(all.map((e) => e.id)).size).toBe(all.length);
    const mine = expectStatus(await api.call('GET', '/v1/events?limit=100', { key: a.bank }), 200);
    expect(mine.data.length).toBeGreaterThan(0);
    expect(mine.data.every((e: { participant_id: string }) => e.participant_id === a.bankId)).toBe(true);
    expect((await api.call('GET', `/v1/events?pool_id=${b.poolId}`, { key: a.treasury })).status).toBe(404);
  });
});
