import { createRequire } from 'node:module';
import { type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { servedInBrowser } from '../support/browser.js';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { newCreditCode } from '../support/credit-codes.js';
import { fundPool, registerEnterprise, ROOMY_TERMS, signAgreement } from '../support/domain.js';

/**
 * The console in a real headless Chromium, as the people who use it: a bank officer uploads a tape with a
 * bad row, sees the row named, fixes it and files a claim; one treasury person reviews it and cannot approve
 * their own review, a second approves, proposes payment and the first confirms it; the position shows the
 * payment; an auditor verifies the chain. Around it: nobody sees another bank's loans, each role opens only
 * its pages, a name holding <script> is text, a form posted from another site is refused. Every page has
 * no console error and no serious axe-core violation, and its screenshot is kept in test-results/.
 */
let api: ApiFixture;
let t: Tenant;
let served: Awaited<ReturnType<typeof servedInBrowser>>;
let base: string;
let browser: Browser;
let agreement: string;
let enterprise: string;
const FIRST = 'initial-Secret-2026';
const OWN = 'my-Own-Secret-2026x';
const axePath = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const errors: string[] = [];
const sessions = new Map<string, { context: BrowserContext; page: Page }>();
let bankB: string;

const post = (key: string, path: string, body: unknown) =>
  api.call('POST', `/v1/pools/${t.poolId}${path}`, { key, body });

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant('控制台 Console pool', { fourEyes: true });
  await fundPool(api, t, '10000000');
  agreement = await signAgreement(api, t, { terms: ROOMY_TERMS });
  enterprise = await registerEnterprise(api, t);
  bankB = expectStatus(
    await post(t.treasury, '/participants', {
      kind: 'bank',
      name: '另一家银行 Other Bank',
      credit_code: newCreditCode(),
    }),
    201,
  ).id;
  expectStatus(
    await post(t.treasury, '/participants', {
      kind: 'insurer',
      name: '<script>window.__xss=1</script>保险',
      credit_code: newCreditCode(),
    }),
    201,
  );
  // The treasury's people are the admin's to create; the rest, the treasury's.
  const person = async (login: string, name: string, role: string, participant?: string) =>
    expectStatus(
      await api.call('POST', '/v1/people', {
        key: role === 'treasury' ? api.adminKey : t.treasury,
        body: {
          login,
          name,
          role,
          pool_id: t.poolId,
          password: FIRST,
          ...(participant ? { participant_id: participant } : {}),
        },
      }),
      201,
    );
  await person('li.review', '李初审', 'treasury');
  await person('wang.approve', '王审批', 'treasury');
  await person('zhao.bank', '赵信贷', 'bank', t.bankId);
  await person('qian.bank', '钱信贷', 'bank', bankB);
  await person('sun.audit', '孙审计', 'auditor');

  served = await servedInBrowser(api);
  base = served.base;
  browser = served.browser;
}, 120_000);
afterAll(async () => {
  await served?.close();
  await api?.close();
});

/** A person's browser, signed in (setting their own password at the first sign-in). */
async function as(login: string): Promise<Page> {
  const known = sessions.get(login);
  if (known) return known.page;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'zh-CN' });
  const page = await context.newPage();
  page.on('console', (m) => m.type() === 'error' && errors.push(`${login} ${page.url()}: ${m.text()}`));
  page.on('pageerror', (e) => errors.push(`${login} ${page.url()}: ${e.message}`));
  await page.goto(`${base}/login`);
  await page.getByLabel('账号').fill(login);
  await page.getByLabel('密码').fill(FIRST);
  await page.getByRole('button', { name: '登录' }).click();
  await page.waitForURL(/\/password$/);
  await page.getByLabel('当前密码').fill(FIRST);
  await page.getByLabel(/新密码/).fill(OWN);
  await page.getByRole('button', { name: '设置密码' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/password'));
  sessions.set(login, { context, page });
  return page;
}

/** The page as it stands: no serious accessibility violation (axe-core), and its screenshot kept. */
async function looked(page: Page, name: string) {
  await page.addScriptTag({ path: axePath });
  const violations: { id: string; impact: string; nodes: unknown[] }[] = await page.evaluate(async () => {
    const result = await (globalThis as any).axe.run();
    return result.violations.map((v: any) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n: any) => n.html) }));
  });
  expect(
    violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
    `${name}: ${JSON.stringify(violations)}`,
  ).toEqual([]);
  await page.screenshot({ path: `test-results/console-${name}.png`, fullPage: true });
}

const tape = (rows: string[]) =>
  Buffer.from(
    [
      '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期,首贷,保单号,保费（分）',
      ...rows,
    ].join('\n'),
  );
let claimId: string;
let loanId: string;

describe('the console', () => {
  it('lets a bank officer see a bad row of a tape named, fix it, and file a claim on the defaulted loan', async () => {
    const page = await as('zhao.bank');
    expect(new URL(page.url()).pathname).toBe('/loans');
    await page.goto(`${base}/tapes`);
    await page.getByLabel('台账文件（CSV）').setInputFiles({
      name: '台账.csv',
      mimeType: 'text/csv',
      buffer: tape([
        `${agreement},ZH-1,${enterprise},信用,100000,400,2026-02-01,2027-02-01,是,,`,
        `${agreement},ZH-2,${enterprise},信用,一百元,400,2026-02-01,2027-02-01,否,,`,
      ]),
    });
    await page.getByRole('button', { name: '提交' }).click();
    const refused = page.locator('#tape-result table');
    await refused.waitFor();
    const row = await refused.locator('tbody tr').first().innerText();
    expect(row).toMatch(/^3\s+ZH-2\s+principal/);
    await looked(page, 'bank-tape-refused');

    await page.getByLabel('台账文件（CSV）').setInputFiles({
      name: '台账.csv',
      mimeType: 'text/csv',
      buffer: tape([
        `${agreement},ZH-1,${enterprise},信用,100000,400,2026-02-01,2027-02-01,是,,`,
        `${agreement},ZH-2,${enterprise},信用,200000,400,2026-02-01,2027-02-01,否,,`,
      ]),
    });
    await page.getByRole('button', { name: '提交' }).click();
    await page.locator('#tape-result .notice.ok').waitFor();
    expect(await page.locator('#tape-result').innerText()).toContain('已入库: 2 / 2');
    expect(await page.locator('#tape-progress').getAttribute('value')).not.toBe('0');

    // The loan defaults (the bank's monthly report, as its system sends it).
    loanId = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/loans?reference=ZH-1`, { key: t.bank }), 200)
      .data[0].id;
    expectStatus(
      await post(t.bank, `/loans/${loanId}/reports`, {
        month: '2026-06-01',
        outstanding: '100000',
        overdue_principal: '100000',
        overdue_interest: '0',
        days_past_due: 95,
        classification: 'substandard',
      }),
      201,
    );
    await page.goto(`${base}/loans?state=defaulted`);
    await looked(page, 'bank-loans');
    await page.getByRole('link', { name: 'ZH-1' }).click();
    await page.getByLabel('本金损失（元）').fill('1,000.00');
    await page
      .getByLabel(/申请材料/)
      .setInputFiles({ name: '代偿申请书.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 申请书') });
    await looked(page, 'bank-loan');
    await page.getByRole('button', { name: '申请代偿' }).click();
    await page.waitForURL(/\/claims\/\d+$/);
    claimId = new URL(page.url()).pathname.split('/').at(-1)!;
    expect(await page.locator('table').first().innerText()).toContain('已提交');
    await looked(page, 'bank-claim');
  });

  it('takes a claim through 初审, 审批 and payment by two treasury people, never one alone', async () => {
    const li = await as('li.review');
    expect(new URL(li.url()).pathname).toBe('/');
    expect(await li.locator('main').innerText()).toContain(`#${claimId}`);
    await looked(li, 'treasury-inbox');
    await li.goto(`${base}/claims/${claimId}`);
    await li.getByLabel('理由').first().fill('初审：材料齐全');
    await li.getByRole('button', { name: '初审通过' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已提议');
    // The reviewer cannot approve their own review.
    await li.getByLabel('理由').first().fill('复审');
    await li.getByRole('button', { name: '审批通过' }).click();
    expect(await li.locator('.notice').innerText()).toContain('须由另一位财政人员复核确认');
    await looked(li, 'treasury-claim-own-review');

    const wang = await as('wang.approve');
    await wang.goto(`${base}/claims/${claimId}`);
    await wang.getByLabel('理由').first().fill('审批通过');
    await wang.getByRole('button', { name: '审批通过' }).click();
    expect(await wang.locator('.notice').innerText()).toContain('已办理');
    expect(await wang.locator('table').first().innerText()).toContain('已审批');
    await wang.getByLabel('理由').last().fill('专户支付');
    await wang.getByRole('button', { name: '提请支付' }).click();
    expect(await wang.locator('.notice').innerText()).toContain('已提议');

    await li.goto(`${base}/claims/${claimId}`);
    await li.getByLabel('理由').last().fill('复核无误');
    await li.getByRole('button', { name: '复核确认' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    expect(await li.locator('table').first().innerText()).toContain('已支付');
    const steps = await li.locator('table').nth(2).innerText();
    expect(steps).toContain('初审');
    expect(steps).toContain('已支付');
    await looked(li, 'treasury-claim-paid');

    // The position shows the payment.
    await li.goto(`${base}/`);
    const position = await li.locator('main table').last().innerText();
    const paid = expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/claims/${claimId}`, { key: t.auditor }), 200)
      .amount.amount as string;
    expect(BigInt(paid)).toBeGreaterThan(0n);
    expect(position).toMatch(/已支付补偿\s+[\d,.]+/);
    // The dashboard's charts are the inbox's own, drawn with the person's session, no key typed.
    await li.waitForFunction(() => Object.keys((globalThis as any).dashboard.drawn).length === 5, undefined, {
      timeout: 15_000,
    });
    expect(await li.evaluate(() => (globalThis as any).dashboard.errors)).toEqual([]);
    expect(position).toContain(
      `${(BigInt(paid) / 100n).toLocaleString('en')}.${(BigInt(paid) % 100n).toString().padStart(2, '0')}`,
    );
  });

  it('takes a report tape and a recovery from the bank, an appropriation and an award round from the treasury', async () => {
    const zhao = await as('zhao.bank');
    await zhao.goto(`${base}/tapes`);
    await zhao.getByLabel('台账类型').selectOption('reports');
    await zhao.getByLabel('台账文件（CSV）').setInputFiles({
      name: '月报.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [
          '贷款编号,报告月份,贷款余额（分）,逾期本金（分）,逾期利息（分）,逾期天数,五级分类',
          'ZH-2,2026-07,200000,0,0,0,正常',
        ].join('\n'),
      ),
    });
    await zhao.getByRole('button', { name: '提交' }).click();
    await zhao.locator('#tape-result .notice.ok').waitFor();
    expect(await zhao.locator('#tape-result').innerText()).toContain('已入库: 1 / 1');

    // Its exposure against the credit line: the two loans enrolled, less what was repaid.
    await zhao.goto(`${base}/agreements`);
    const line = await zhao.locator('main table').innerText();
    expect(line).toMatch(/1,000,000,000\.00\s+3,000\.00\s+999,997,000\.00/);
    await looked(zhao, 'bank-agreements');
    const qian = await as('qian.bank');
    await qian.goto(`${base}/agreements`);
    expect(await qian.locator('main').innerText()).not.toContain('3,000.00');

    await zhao.goto(`${base}/loans/${loanId}`);
    await zhao.getByLabel('编号').fill('R-1');
    await zhao.getByLabel('收回日期').fill('2026-10-15');
    await zhao.getByLabel('收回金额（元）').fill('400.00');
    await zhao.getByRole('button', { name: '提交' }).click();
    expect(await zhao.locator('.notice').innerText()).toContain('已办理');
    await looked(zhao, 'bank-recovery');

    const li = await as('li.review');
    await li.goto(`${base}/loans/${loanId}`);
    await li.getByLabel('编号').fill('R-1');
    await li.getByLabel('到账日期').fill('2026-10-20');
    await li.getByRole('button', { name: '提交' }).click();
    expect(await li.locator('.notice').innerText()).not.toContain('未能办理');

    await li.goto(`${base}/appropriations`);
    await li.getByLabel('文号').first().fill('财金〔2026〕8号');
    await li.getByLabel('金额（元）').fill('50,000.00');
    await li.getByLabel('通知日期').fill('2026-09-01');
    await li.getByRole('button', { name: '提交' }).first().click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    await li.getByLabel('文号').last().fill('财金〔2026〕8号');
    await li.getByLabel('到账日期').fill('2026-09-03');
    await li.getByRole('button', { name: '提交' }).last().click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    await looked(li, 'treasury-appropriations');

    await li.goto(`${base}/awards`);
    await li.getByLabel('第三条金融创新奖励：年度').fill('2026');
    await li.getByRole('button', { name: '计算本年度奖励' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    expect(await li.locator('main table').innerText()).toContain('第3条 科技银行金融创新奖');
  });

  it('lets the treasury import the statement, reconcile it, close a month by two people and find its reports', async () => {
    const li = await as('li.review');
    await li.goto(`${base}/reconciliation?as_of=2026-01-31`);
    await li.getByLabel('对账单文件（CSV）').setInputFiles({
      name: '专户对账单.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [
          '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
          '2026-01-03,S-1,贷,"100,000.00",财政局,"100,000.00",拨款',
        ].join('\n'),
      ),
    });
    await li.getByRole('button', { name: '提交' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已导入 1 行');
    await li.goto(`${base}/reconciliation?as_of=2026-01-31`);
    const summary = await li.locator('main table').first().innerText();
    expect(summary).toMatch(/差额（元）\s+0\.00/);
    await looked(li, 'treasury-reconciliation');

    await li.getByLabel('月份').fill('2026-01');
    await li.getByRole('button', { name: /月结/ }).click();
    expect(await li.locator('.notice').innerText()).toContain('已提议');
    const wang = await as('wang.approve');
    await wang.goto(`${base}/reconciliation`);
    await wang.getByLabel('月份').fill('2026-01');
    await wang.getByRole('button', { name: /月结/ }).click();
    expect(await wang.locator('.notice').innerText()).toContain('已办理');
    expect(
      expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/periods/2026-01`, { key: t.auditor }), 200).unchanged,
    ).toBe(true);

    // February's statement has the bank's fee, which the ledger has not booked: February closes only with a reason.
    await li.getByLabel('对账单文件（CSV）').setInputFiles({
      name: '专户对账单-2月.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        [
          '交易日期,交易流水号,借贷标志,交易金额,对方户名,账户余额,摘要',
          '2026-02-20,S-2,借,15.00,开户行,"99,985.00",手续费',
        ].join('\n'),
      ),
    });
    await li.getByRole('button', { name: '提交' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已导入 1 行');
    await li.getByLabel('月份').fill('2026-02');
    await li.getByRole('button', { name: /月结/ }).click();
    expect(await li.locator('.notice').innerText()).toContain('差额 -15.00 元，未达对账单 1 笔');
    await looked(li, 'treasury-close-unreconciled');
    await li.getByLabel('月份').fill('2026-02');
    await li.getByLabel('未对平时的原因').fill('手续费待银行回单后入账');
    await li.getByRole('button', { name: /月结/ }).click();
    expect(await li.locator('.notice').innerText()).toContain('已提议');
    await wang.goto(`${base}/reconciliation`);
    await wang.getByLabel('月份').fill('2026-02');
    await wang.getByRole('button', { name: /月结/ }).click();
    expect(await wang.locator('.notice').innerText()).toContain('已办理');
    expect(
      expectStatus(await api.call('GET', `/v1/pools/${t.poolId}/periods/2026-02`, { key: t.auditor }), 200).close
        .reconciliation,
    ).toMatchObject({ reconciled: false, unmatched_lines: 1, reason: '手续费待银行回单后入账' });

    // The bank's advice comes: the fee is booked from its line, into the open month since February is closed.
    await li.goto(`${base}/reconciliation`);
    const row = li.locator('tr', { hasText: 'S-2' });
    await row.getByLabel('理由').fill('2月手续费，银行回单已到');
    await row.getByRole('button', { name: '记为手续费并勾对' }).click();
    expect(await li.locator('.notice').innerText()).toContain('该笔所在月份已月结');
    await li.locator('tr', { hasText: 'S-2' }).getByLabel('理由').fill('2月手续费，银行回单已到');
    await li.locator('tr', { hasText: 'S-2' }).getByLabel('记账日（所在月已结账时填）').fill('2026-03-01');
    await li.locator('tr', { hasText: 'S-2' }).getByRole('button', { name: '记为手续费并勾对' }).click();
    // A second person confirms the booking as proposed: the date and the proposer's reason travel with it.
    expect(await li.locator('.notice').innerText()).toContain('已提议');
    expect(await li.locator('tr', { hasText: 'S-2' }).innerText()).toContain(
      '您已提议记为手续费，记账日 2026-03-01，待另一人确认：2月手续费，银行回单已到',
    );
    await looked(li, 'treasury-line-book-proposed');
    await wang.goto(`${base}/reconciliation`);
    expect(await wang.locator('tr', { hasText: 'S-2' }).innerText()).toContain('李初审 提议记为手续费');
    await wang.locator('tr', { hasText: 'S-2' }).getByRole('button', { name: '复核确认' }).click();
    expect(await wang.locator('.notice').innerText()).toContain('已办理');
    expect(await wang.locator('tr', { hasText: 'S-2' }).innerText()).toMatch(/#\d+/);
    await looked(wang, 'treasury-line-booked');

    await li.goto(`${base}/reports`);
    const link = li.getByRole('link', { name: '代偿申请进度.csv' });
    const download = await li.request.get(`${base}${await link.getAttribute('href')}`);
    expect(download.status()).toBe(200);
    expect(await download.text()).toContain('\ufeff');
    await looked(li, 'treasury-reports');
    await li.goto(`${base}/awards`);
    await looked(li, 'treasury-awards');
  });

  it('lets the treasury register a bank, sign its agreement, give it new terms, suspend it, and key its system', async () => {
    const li = await as('li.review');
    await li.goto(`${base}/participants`);
    await li.getByLabel('类别').selectOption('bank');
    await li.getByLabel('名称').fill('新城银行');
    await li.getByLabel(/统一社会信用代码/).fill(newCreditCode());
    await li.getByRole('button', { name: '登记' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    expect(await li.locator('main table').innerText()).toContain('新城银行');
    await looked(li, 'treasury-participants');

    // Shares that do not add up are refused, and the form comes back as it was typed.
    await li.goto(`${base}/agreements`);
    await li.getByLabel('协议名称').fill('新城银行科技信贷合作协议');
    await li.getByLabel('合作银行').selectOption({ label: '新城银行' });
    await li.getByLabel('合作保险公司').selectOption(t.insurerId);
    await li.getByLabel('生效日期').fill('2026-12-01');
    await li.getByLabel('资金池分担比例（%）').fill('50');
    await li.getByLabel('授信额度（元）').fill('30,000,000');
    await li.getByRole('button', { name: '签订' }).click();
    expect(await li.locator('.notice.bad').innerText()).toContain('10000');
    expect(await li.getByLabel('资金池分担比例（%）').inputValue()).toBe('50');
    expect(await li.getByLabel('协议名称').inputValue()).toBe('新城银行科技信贷合作协议');
    expect(await li.getByLabel('合作保险公司').inputValue()).toBe(t.insurerId);
    await li.getByLabel('资金池分担比例（%）').fill('25');
    await li.getByRole('button', { name: '签订' }).click();
    await li.waitForURL(/\/agreements\/\d+$/);
    expect(await li.locator('main').innerText()).toMatch(
      /v1\s*·\s*现行\s+2026-12-01\s+25% \/ 45% \/ 30%\s+30,000,000\.00/,
    );

    await li.getByLabel('生效日期').fill('2027-01-01');
    await li.getByLabel('授信额度（元）').fill('50000000.00');
    await li.getByRole('button', { name: '增加条款版本' }).click();
    expect(await li.locator('.notice').innerText()).toContain('已办理');
    expect(await li.locator('main table').nth(1).innerText()).toMatch(/v2\s+2027-01-01.+50,000,000\.00/);
    await li.getByLabel('理由').fill('损失率超过阈值，暂停新增');
    await li.getByRole('button', { name: '暂停合作' }).click();
    expect(await li.locator('main table').first().innerText()).toContain('暂停: 损失率超过阈值，暂停新增');
    await looked(li, 'treasury-agreement');

    await li.goto(`${base}/keys`);
    await li.getByLabel('角色').selectOption('bank');
    await li.getByLabel(/所属机构/).selectOption({ label: '新城银行' });
    await li.getByLabel('用途').fill('新城银行信贷系统');
    await li.getByRole('button', { name: '签发' }).click();
    const shown = await li.locator('.notice.ok code').innerText();
    expect(shown).toMatch(/^plk_[0-9a-f]{8}_/);
    // The system calls the served API with it (the server that revokes it below, whose key cache forgets it).
    const withKey = () =>
      li.request.get(`${base}/v1/pools/${t.poolId}/loans`, { headers: { authorization: `Bearer ${shown}` } });
    expect((await withKey()).status()).toBe(200);
    await looked(li, 'treasury-keys');
    await li.getByRole('button', { name: `吊销密钥 ${shown.slice(4, 12)}` }).click();
    expect(await li.locator('main table').innerText()).toMatch(/新城银行信贷系统\s+\S+ \S+\s+已吊销/);
    expect((await withKey()).status()).toBe(401);

    // A bank applies for an award of its own: half its rent of the year (Art. 1).
    const zhao = await as('zhao.bank');
    await zhao.goto(`${base}/awards`);
    await zhao.getByLabel('奖补项目').selectOption('art1_rent');
    await zhao.getByLabel('编号').fill('RENT-2026');
    await zhao.getByLabel(/事项/).fill('year:2026');
    await zhao.getByLabel('年度').fill('2026');
    await zhao.getByLabel(/计算基数/).fill('120,000.00');
    await zhao.getByRole('button', { name: '提交' }).click();
    expect(await zhao.locator('.notice').innerText()).toContain('已办理');
    expect(await zhao.locator('main table').innerText()).toMatch(
      /第1条 金融机构入驻房租减免 rent reduction\s+2026\s+已提交\s+60,000\.00\s+RENT-2026/,
    );
    await looked(zhao, 'bank-awards');
  });

  it('lets an auditor verify the chain and read who did what', async () => {
    const sun = await as('sun.audit');
    await sun.goto(`${base}/journal`);
    await sun.getByRole('button', { name: '校验哈希链' }).click();
    expect(await sun.locator('.notice').innerText()).toContain('哈希链完整');
    // The journal lists the transactions; an account's statement runs its balance.
    expect(await sun.locator('main').innerText()).toContain(`claim:${claimId}:pay`);
    await looked(sun, 'auditor-journal');
    await sun.getByRole('link', { name: 'pool_cash' }).click();
    await sun.waitForURL(/\/journal\/accounts\/pool_cash$/);
    expect(await sun.locator('main table').innerText()).toContain(`claim:${claimId}:pay`);
    await looked(sun, 'auditor-account-statement');
    await sun.goto(`${base}/audit`);
    const log = await sun.locator('main table').innerText();
    expect(log).toContain('李初审 (li.review)');
    expect(log).toContain('王审批 (wang.approve)');
    expect(log).toContain(`/claims/${claimId}/pay`);
    await looked(sun, 'auditor-audit-log');
  });

  it("shows nobody another bank's loans, and each role only its pages", async () => {
    const qian = await as('qian.bank');
    await qian.goto(`${base}/loans`);
    expect(await qian.locator('main').innerText()).not.toContain('ZH-1');
    const status = async (page: Page, path: string) =>
      (await page.request.get(`${base}${path}`, { maxRedirects: 0 })).status();
    expect(await status(qian, `/loans/${loanId}`)).toBe(404);
    expect(await status(qian, `/claims/${claimId}`)).toBe(404);

    const PAGES = [
      '/',
      '/claims',
      '/loans',
      '/tapes',
      '/journal',
      '/audit',
      '/people',
      '/reconciliation',
      '/awards',
      '/agreements',
      '/participants',
      '/keys',
    ];
    const expected: Record<string, number[]> = {
      'li.review': [200, 200, 200, 403, 200, 200, 200, 200, 200, 200, 200, 200],
      'zhao.bank': [303, 200, 200, 200, 403, 403, 403, 403, 200, 200, 403, 403],
      'sun.audit': [303, 200, 200, 403, 200, 200, 403, 200, 200, 200, 200, 403],
    };
    const seen: Record<string, number[]> = {};
    for (const login of Object.keys(expected)) {
      const page = await as(login);
      seen[login] = [];
      for (const path of PAGES) seen[login].push(await status(page, path));
    }
    const anonymous = await browser.newContext();
    seen.nobody = [];
    for (const path of PAGES)
      seen.nobody.push((await anonymous.request.get(`${base}${path}`, { maxRedirects: 0 })).status());
    await anonymous.close();
    expect(seen).toEqual({ ...expected, nobody: PAGES.map(() => 303) });
  });

  it('renders a name holding <script> as text, and refuses a form posted from another site', async () => {
    const li = await as('li.review');
    await li.goto(`${base}/people`);
    expect(await li.locator('select[name="participant_id"]').innerText()).toContain(
      '<script>window.__xss=1</script>保险',
    );
    expect(await li.evaluate(() => (globalThis as any).__xss)).toBeUndefined();
    await looked(li, 'treasury-people');
    const forged = await li.request.post(`${base}/claims/${claimId}/reject`, {
      headers: { origin: 'http://elsewhere.example' },
      form: { reason: 'forged', idem: 'forged-1' },
      maxRedirects: 0,
    });
    expect(forged.status()).toBe(403);
    const claim = expectStatus(
      await api.call('GET', `/v1/pools/${t.poolId}/claims/${claimId}`, { key: t.auditor }),
      200,
    );
    expect(claim.status).toBe('paid');
  });

  it('had no console error on any page', () => {
    expect(errors).toEqual([]);
  });
});
