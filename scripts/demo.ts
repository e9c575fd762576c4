/**
 * `npm run demo`: a scripted year of the programme over the HTTP API, then a short report.
 *
 * Without --url it starts its own server (an embedded PostgreSQL in a temporary folder) and keeps it running
 * afterwards so that /docs and /dashboard can be looked at; Ctrl-C stops it (--exit stops at once). With
 * --url <base> it runs against a server already running, with the admin key in ADMIN_API_KEY.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { creditCodeCheck } from '../src/pool/credit-code.js';
import { freePort } from './lib/ports.js';

type Json = Record<string, any>;

class Api {
  constructor(readonly base: string) {}
  async call(
    method: 'GET' | 'POST',
    key: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
  ): Promise<Json> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${key}`,
        ...(method === 'POST' ? { 'idempotency-key': randomUUID(), 'content-type': contentType } : {}),
      },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return JSON.parse(text) as Json;
  }
}

/** Fen as yuan for people: a bigint, a string of digits, or the API's Money `{ amount, currency }`. */
const fenOf = (value: bigint | string | Json) => BigInt(typeof value === 'object' ? (value.amount as string) : value);
const yuan = (fen: bigint | string | Json) => {
  const f = fenOf(fen);
  const sign = f < 0n ? '-' : '';
  const a = f < 0n ? -f : f;
  return `${sign}${(a / 100n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${(a % 100n).toString().padStart(2, '0')}`;
};
let codes = 0;
const creditCode = () => {
  const first17 = `912102${String(process.pid % 100).padStart(2, '0')}${randomBytes(2).readUInt16BE(0).toString().padStart(5, '0')}${String(codes++).padStart(4, '0')}`;
  return first17 + creditCodeCheck(first17);
};
const step = (what: string) => console.log(`  · ${what}`);

export async function runDemo(base: string, adminKey: string): Promise<{ ok: boolean }> {
  const api = new Api(base);
  const today = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
  console.log(`\n政银保 risk-compensation pool — a year of the programme, on ${base}\n`);

  const pool = await api.call('POST', adminKey, '/v1/pools', { name: `演示资金池 Demo pool ${today}` });
  const P = `/v1/pools/${pool.id}`;
  const treasury = (
    await api.call('POST', adminKey, '/v1/keys', { role: 'treasury', pool_id: pool.id, label: 'demo treasury' })
  ).key as string;
  // Money decisions are four-eyes: one person of the finance office proposes (经办), another confirms (复核).
  const reviewer = (
    await api.call('POST', adminKey, '/v1/keys', { role: 'treasury', pool_id: pool.id, label: 'demo reviewer 复核' })
  ).key as string;
  const T = (
    path: string,
    body?: unknown,
    method: 'GET' | 'POST' = body === undefined ? 'GET' : 'POST',
    type?: string,
  ) => api.call(method, treasury, P + path, body, type);
  /** A money decision: proposed by the treasury key, confirmed by the reviewer with the same request. */
  const decide = async (path: string, body: Json) => {
    const proposal = await T(path, body);
    if (proposal.status !== 'pending') return proposal;
    return api.call('POST', reviewer, P + path, body);
  };
  step(`pool ${pool.id} created, with two treasury keys: one proposes money decisions, the other confirms them`);

  const participant = async (kind: string, name: string, enterprise?: Json) =>
    T('/participants', { kind, name, credit_code: creditCode(), ...(enterprise ? { enterprise } : {}) });
  const keyFor = async (role: string, id: string) =>
    (await api.call('POST', treasury, '/v1/keys', { role, pool_id: pool.id, participant_id: id })).key as string;
  const bankA = await participant('bank', '大连银行高新园区支行 Bank of Dalian');
  const bankB = await participant('bank', '招商银行大连分行 China Merchants Bank');
  const insurer = await participant('insurer', '人保财险大连分公司 PICC Dalian');
  const firms: Json[] = [];
  for (let i = 0; i < 6; i++)
    firms.push(
      await participant('enterprise', `高新科技${i + 1}号 Tech firm ${i + 1}`, {
        in_zone: true,
        tech_sme_certificate: `GR2026${i}`,
        tech_sme_expires: '2030-12-31',
        credit_rating: 'BBB',
      }),
    );
  const keyA = await keyFor('bank', bankA.id);
  const keyB = await keyFor('bank', bankB.id);
  const keyI = await keyFor('insurer', insurer.id);
  step('two banks, an insurer and six tech firms of the zone registered (统一社会信用代码 checked), with keys');

  const terms = (over: Json) => ({
    pool_share_bp: 3000,
    insurer_share_bp: 0,
    bank_share_bp: 7000,
    public_ceiling_bp: 8000,
    per_loan_cap: '500000000',
    per_enterprise_year_cap: '1000000000',
    per_bank_year_cap: '5000000000',
    credit_line: '20000000000',
    filing_window_days: 3650,
    eligible_kinds: ['credit', 'ip_pledge', 'performance_bond_insured'],
    max_principal: '1000000000',
    max_term_months: 36,
    suspension_loss_bp: 5000,
    ...over,
  });
  const agreementA = await T('/agreements', {
    bank_id: bankA.id,
    insurer_id: insurer.id,
    name: '政银保 2026 大连银行',
    effective_from: '2026-01-01',
    terms: terms({ pool_share_bp: 2500, insurer_share_bp: 4500, bank_share_bp: 3000, bonus_bp: { credit: 500 } }),
  });
  const agreementB = await T('/agreements', {
    bank_id: bankB.id,
    name: '银政 2026 招商银行',
    effective_from: '2026-01-01',
    terms: terms({}),
  });
  step('agreements signed: 25/45/30 with the insurer (+5 % for credit loans), 30/70 bank-only');

  await T('/appropriations', { reference: '大高新财〔2026〕7号', amount: '2000000000', notified_on: '2026-01-05' });
  await T(`/appropriations/${encodeURIComponent('大高新财〔2026〕7号')}/receipt`, { received_on: '2026-01-10' });
  await T('/award-budget', { reference: '大高新财〔2026〕8号', amount: '50000000', on: '2026-01-10' });
  step('pool funded with 20,000,000.00 CNY; award budget 500,000.00 CNY');

  const rows = [
    '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期,首贷,保单号,保费（分）',
  ];
  for (let i = 0; i < 40; i++) {
    const insured = i < 20;
    rows.push(
      [
        agreementA.id,
        `DLB-2026-${String(i + 1).padStart(4, '0')}`,
        firms[i % 6]!.credit_code,
        insured ? '履约保证保险' : '信用',
        String(20_000_000 + (i % 5) * 10_000_000),
        '385',
        `2026-0${2 + (i % 4)}-15`,
        `2027-0${2 + (i % 4)}-14`,
        i % 7 === 0 ? '是' : '否',
        insured ? `PICC-LY-${i}` : '',
        insured ? '300000' : '',
      ].join(','),
    );
  }
  const tape = await api.call('POST', keyA, `${P}/loan-tapes`, rows.join('\n'), 'text/csv');
  const loansB: Json[] = [];
  for (let i = 0; i < 3; i++) {
    loansB.push(
      await api.call('POST', keyB, `${P}/loans`, {
        agreement_id: agreementB.id,
        reference: `CMB-2026-${i + 1}`,
        borrower_credit_code: firms[i]!.credit_code,
        kind: 'credit',
        principal: '80000000',
        rate_bp: 420,
        disbursed_on: '2026-03-01',
        matures_on: '2027-02-28',
      }),
    );
  }
  step(`大连银行 enrolled ${tape.accepted} loans as one tape; 招商银行 3 loans one by one`);

  const loansA = (await api.call('GET', keyA, `${P}/loans?limit=100`)).data as Json[];
  const insuredDefault = loansA.find((l) => l.reference === 'DLB-2026-0002')!;
  const creditDefault = loansA.find((l) => l.reference === 'DLB-2026-0022')!;
  const reports = ['贷款编号,报告月份,贷款余额（分）,逾期本金（分）,逾期利息（分）,逾期天数,五级分类'];
  for (const l of loansA) {
    const bad = l.id === insuredDefault.id || l.id === creditDefault.id;
    reports.push(
      `${l.reference},2026-07,${fenOf(l.principal)},${bad ? fenOf(l.principal) : 0},${bad ? 120000 : 0},${bad ? 95 : 0},${bad ? '次级' : '正常'}`,
    );
  }
  await api.call('POST', keyA, `${P}/loan-report-tapes`, reports.join('\n'), 'text/csv');
  await api.call('POST', keyB, `${P}/loans/${loansB[0]!.id}/reports`, {
    month: '2026-07-01',
    outstanding: '80000000',
    overdue_principal: '80000000',
    overdue_interest: '150000',
    days_past_due: 100,
    classification: 'doubtful',
  });
  step('July reports: three loans 90+ days past due, now defaulted and claimable');

  const doc = (name: string) => ({ name, sha256: createHash('sha256').update(name).digest('hex') });
  const claimI = await api.call('POST', keyI, `${P}/claims`, {
    loan_id: insuredDefault.id,
    loss_principal: insuredDefault.principal,
    paid_to_bank: '9000000',
    documents: [doc('理赔通知书.pdf')],
  });
  const claimA = await api.call('POST', keyA, `${P}/claims`, {
    loan_id: creditDefault.id,
    loss_principal: creditDefault.principal,
    documents: [doc('代偿申请书.pdf'), doc('催收记录.pdf')],
  });
  const claimB = await api.call('POST', keyB, `${P}/claims`, {
    loan_id: loansB[0]!.id,
    loss_principal: '80000000',
    documents: [doc('代偿申请书.pdf')],
  });
  step(
    `claims filed: the insurer's performance-bond claim (${yuan(claimI.amount)}), 大连银行 (${yuan(claimA.amount)}), 招商银行 (${yuan(claimB.amount)})`,
  );

  const act = (id: string, action: string, reason: string) => decide(`/claims/${id}/${action}`, { reason });
  await act(claimI.id, 'approve', '风险补偿委员会 2026-08 审议通过');
  await act(claimA.id, 'approve', '风险补偿委员会 2026-08 审议通过');
  await T(`/agreements/${agreementB.id}/suspension`, { suspended: true, reason: '贷后管理检查 post-lending review' });
  const deferred = await act(claimB.id, 'approve', '风险补偿委员会 2026-08');
  await T(`/agreements/${agreementB.id}/suspension`, { suspended: false, reason: '检查完成 review done' });
  await act(claimB.id, 'approve', '复议通过 approved on review');
  step(`approved two claims; 招商银行's was ${deferred.status} while its agreement was suspended, then approved`);
  const paid: Json[] = [];
  for (const c of [claimI, claimA, claimB]) paid.push(await act(c.id, 'pay', '专户付款 paid from the pool account'));
  step(`paid ${yuan(paid.reduce((s, c) => s + fenOf(c.amount), 0n))} CNY of compensation`);

  const recovery = await api.call('POST', keyA, `${P}/loans/${creditDefault.id}/recoveries`, {
    reference: 'DLB-ZC-2026-01',
    recovered_on: '2026-10-15',
    gross: '12000000',
    costs: '500000',
  });
  await T(`/loans/${creditDefault.id}/recoveries/DLB-ZC-2026-01/receipt`, { received_on: '2026-10-20' });
  await T('/interest', { reference: 'INT-2026Q3', amount: '4567890', on: '2026-09-21' });
  step(
    `recovery shared back: the pool's part ${yuan(recovery.pool_part)} received; interest ${yuan('4567890')} credited`,
  );

  const round = (await T('/award-rounds', { programme: 'art3_innovation', year: 2026 })).data as Json[];
  for (const award of round.filter((a) => fenOf(a.amount) > 0n)) {
    await decide(`/awards/${award.id}/approve`, { reason: 'Art. 3 round 2026' });
    await decide(`/awards/${award.id}/pay`, { reason: '奖补资金支付' });
  }
  step(`Art. 3 innovation award round 2026: ${round.map((a) => `${yuan(a.amount)}`).join(', ')} CNY to the banks`);

  // The pool account's statement as the bank exports it: every cash movement, and a bank fee.
  const lines: [string, string, bigint, string][] = [
    ['2026-01-10', 'BOC0001', 2_000_000_000n, '大高新财〔2026〕7号'],
    ['2026-09-21', 'BOC0002', 4_567_890n, '结息 INT-2026Q3'],
    ['2026-10-20', 'BOC0003', fenOf(recovery.pool_part), '追偿款 DLB-ZC-2026-01'],
    ...paid.map((c, i): [string, string, bigint, string] => [
      today,
      `BOC01${i}`,
      -fenOf(c.amount),
      `代偿款 claim ${c.id}`,
    ]),
    [today, 'BOC0099', -1_500n, '手续费 bank fee'],
  ];
  let balance = 0n;
  const csv = [
    '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
    ...lines.map(([day, ref, amount, memo]) => {
      balance += amount;
      return `${day},${ref},${amount > 0n ? '贷' : '借'},"${yuan(amount < 0n ? -amount : amount)}",,"${yuan(balance)}",${memo}`;
    }),
  ];
  const imported = await T('/bank-statements', csv.join('\n'), 'POST', 'text/csv');
  step(`bank statement imported: ${imported.new_lines} lines, ${imported.matched} matched to the ledger`);

  const position = await T('/position');
  const trial = await T('/trial-balance');
  const verify = await T('/chain/verify');
  const rec = await T(`/reconciliation?as_of=${today}`);

  console.log('\nPool position (CNY)');
  for (const [label, key] of [
    ['cash 专户余额', 'cash'],
    ['reserved 已批待付', 'reserved'],
    ['available 可用', 'available'],
    ['appropriated 拨款', 'appropriated'],
    ['compensation paid 代偿支出', 'compensation_paid'],
    ['recoveries 追偿', 'recoveries'],
    ['interest 利息', 'interest'],
  ] as const) {
    console.log(`  ${label.padEnd(30)} ${yuan(position[key]).padStart(18)}`);
  }
  console.log('\nTrial balance (CNY)');
  for (const l of trial.lines as Json[])
    console.log(
      `  ${String(l.account).padEnd(30)} ${yuan(l.debit.amount).padStart(18)} ${yuan(l.credit.amount).padStart(18)}`,
    );
  const totals = trial.totals[0];
  const balanced = totals.debit.amount === totals.credit.amount;
  console.log(
    `  ${'total'.padEnd(30)} ${yuan(totals.debit.amount).padStart(18)} ${yuan(totals.credit.amount).padStart(18)}   ${balanced ? 'trial balance: debits = credits' : 'TRIAL BALANCE DOES NOT BALANCE'}`,
  );
  console.log(
    `\nHash chain: ${verify.ok ? `verified, ${verify.checked} transactions, head ${verify.head.hash.slice(0, 16)}…` : `BROKEN at ${verify.broken_at}: ${verify.reason}`}`,
  );
  const explained = fenOf(rec.explained) === fenOf(rec.difference);
  console.log(
    `Reconciliation at ${today}: statement ${yuan(rec.statement_balance)} vs ledger ${yuan(rec.ledger_cash)}, difference ${yuan(rec.difference)} — ${explained ? `difference explained by ${rec.unmatched_lines.length} unmatched statement line(s) and ${rec.unmatched_postings.length} unmatched posting(s)` : 'NOT EXPLAINED'}`,
  );
  console.log(`\nLook next: ${base}/docs (the API), ${base}/dashboard (pool ${pool.id}; the treasury key below)`);
  console.log(`  treasury key: ${treasury}`);
  console.log(`  reviewer key (confirms the treasury key's money decisions): ${reviewer}\n`);
  return { ok: balanced && verify.ok && explained };
}

async function main() {
  const { values } = parseArgs({ options: { url: { type: 'string' }, exit: { type: 'boolean', default: false } } });
  let base = values.url;
  let adminKey = process.env.ADMIN_API_KEY;
  let server: ChildProcess | null = null;
  let dataDir: string | null = null;
  const stop = async () => {
    if (server && server.exitCode === null) {
      server.kill('SIGTERM');
      await new Promise((r) => server!.once('exit', r));
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
  if (!base) {
    dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-demo-'));
    adminKey = `plk_${randomBytes(4).toString('hex')}_${randomBytes(24).toString('base64url')}`;
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    console.log(`starting a server on ${base} (an embedded PostgreSQL in ${dataDir})…`);
    const { DATABASE_URL: _external, APP_DATABASE_URL: _app, ...env } = process.env;
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: {
        ...env,
        PORT: String(port),
        PG_PORT: String(await freePort()),
        DATA_DIR: dataDir,
        ADMIN_API_KEY: adminKey,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (let i = 0; ; i++) {
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      if (i > 600 || server.exitCode !== null) {
        await stop();
        throw new Error('the server did not start');
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  } else if (!adminKey) {
    console.error(
      'usage: npm run demo [-- --url http://127.0.0.1:8787] (with the admin key in ADMIN_API_KEY) [--exit]',
    );
    process.exit(2);
  }
  let ok = false;
  try {
    ok = (await runDemo(base, adminKey!)).ok;
  } catch (err) {
    console.error(`demo: ${(err as Error).message}`);
  }
  if (server && !values.exit && ok) {
    console.log('The server stays up for a look; Ctrl-C stops it (its data goes with it).');
    await new Promise<void>((resolve) => process.once('SIGINT', () => resolve()));
  }
  await stop();
  process.exit(ok ? 0 : 1);
}

void main();
