import type { Context, Hono } from 'hono';
import { isDay } from '../../ledger/index.js';
import { todayInChina } from '../../pool/days.js';
import type { Person } from '../../pool/people.js';
import type { AppEnv } from '../env.js';
import { bpOfPercent, fenOfYuan, say, statusWord, yuan, zhOr, type Lang } from './format.js';
import { Facts, Field, OnceField, Rows, type PageProps } from './layout.js';

/**
 * The treasury's money pages: the pool account's statement imported and reconciled (lines matched and
 * unmatched by hand, a manual match under four-eyes), the month closed, the reports to download, and the
 * awards decided and paid. Like every console page, they read and write through the API.
 */
type C = Context<AppEnv>;
type Reply = { status: number; body: any };
export interface ConsoleKit {
  call(
    c: C,
    method: 'GET' | 'POST',
    path: string,
    send?: { json?: unknown; text?: string; contentType?: string; idem?: string },
  ): Promise<Reply>;
  /** A form's write, under the form's own Idempotency-Key. */
  submit(
    c: C,
    path: string,
    form: Record<string, unknown>,
    send?: { json?: unknown; text?: string; contentType?: string },
  ): Promise<Reply>;
  page(render: (c: C, person: Person, lang: Lang) => Promise<Response | PageProps>): (c: C) => Promise<Response>;
  pool(p: Person): string;
  noticeOf(lang: Lang, r: Reply): NonNullable<PageProps['notice']>;
}

const REPORTS: [string, string, string][] = [
  ['position', '资金池头寸', 'Position of the pool'],
  ['agreements', '合作协议风险敞口', 'Exposure per agreement'],
  ['claims', '代偿申请进度', 'Claims and their state'],
  ['incentives', '奖补发放', 'Awards'],
  ['cash', '资金池日余额', 'Daily cash balance'],
];

export function moneyPages(app: Hono<AppEnv>, kit: ConsoleKit): void {
  const { call, submit, page, pool, noticeOf } = kit;
  const zh = zhOr;

  const reconciliationPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => {
    const asked = c.req.query('as_of');
    const asOf = asked !== undefined && isDay(asked) ? asked : todayInChina();
    const treasury = person.role === 'treasury';
    const [rec, lines, open] = await Promise.all([
      call(c, 'GET', `${pool(person)}/reconciliation?as_of=${asOf}`),
      call(c, 'GET', `${pool(person)}/bank-statements/lines?limit=200`),
      treasury ? call(c, 'GET', `${pool(person)}/proposals?status=pending&limit=100`) : null,
    ]);
    const r = rec.status === 200 ? rec.body : null;
    const postings: any[] = r?.unmatched_postings ?? [];
    /** A line's open proposal (a match or a booking another person confirms), by line id. */
    const proposalOf = new Map<string, any>(
      (open?.body.data ?? [])
        .filter((p: any) => String(p.subject).startsWith('statement_line/'))
        .map((p: any) => [String(p.subject).slice('statement_line/'.length), p]),
    );
    const me = person.keyId.toString();
    /** A line's open proposal: its proposer sees it waits and may withdraw it; another person confirms it as proposed. */
    const proposalAction = (l: any, p: any) => {
      const what =
        p.decision === 'statement.match'
          ? zh(lang, `勾对凭证 #${p.body.transaction_id}`, `match to posting #${p.body.transaction_id}`)
          : p.body.as === 'interest'
            ? zh(lang, '记为利息收入', 'book as interest')
            : zh(lang, '记为手续费', 'book as bank charge');
      const on = p.body.on ? zh(lang, `，记账日 ${p.body.on}`, `, dated ${p.body.on}`) : '';
      const mine = p.proposed_by === me;
      return (
        <div class="stack">
          <p>
            {mine
              ? zh(lang, `您已提议${what}${on}，待另一人确认`, `You proposed to ${what}${on}; another person confirms`)
              : zh(
                  lang,
                  `${p.proposed_by_name ?? `key ${p.proposed_by}`} 提议${what}${on}`,
                  `${p.proposed_by_name ?? `key ${p.proposed_by}`} proposes to ${what}${on}`,
                )}
            {`：${p.reason}`}
          </p>
          {!mine && (
            <form
              class="inline"
              method="post"
              action={`/reconciliation/lines/${l.id}/${p.decision === 'statement.match' ? 'match' : 'book'}`}
            >
              <OnceField />
              <input type="hidden" name="proposal" value={p.id} />
              {Object.entries(p.body as Record<string, string>).map(([k, v]) => (
                <input type="hidden" name={k} value={v} />
              ))}
              {p.decision === 'statement.match' ? (
                <Field label={say(lang, 'reason')} name="reason" required />
              ) : (
                <input type="hidden" name="reason" value={p.reason} />
              )}
              <button type="submit">{zh(lang, '复核确认', 'Confirm')}</button>
            </form>
          )}
          <form class="inline" method="post" action={`/reconciliation/proposals/${p.id}/withdraw`}>
            <OnceField />
            <button class="secondary" type="submit">
              {mine ? zh(lang, '撤回', 'Withdraw') : zh(lang, '退回', 'Turn down')}
            </button>
          </form>
        </div>
      );
    };
    /** An unmatched line the ledger lacks, booked as the bank's charge (out) or its interest (in) and matched. */
    const bookForm = (l: any) => {
      const out = String(l.amount.amount).startsWith('-');
      return (
        <form class="inline" method="post" action={`/reconciliation/lines/${l.id}/book`}>
          <OnceField />
          <input type="hidden" name="proposal" value="" />
          <input type="hidden" name="as" value={out ? 'bank_charge' : 'interest'} />
          <Field label={say(lang, 'reason')} name="reason" required />
          <Field
            label={zh(lang, '记账日（所在月已结账时填）', 'Posting date (if the month is closed)')}
            name="on"
            type="date"
          />
          <button class="secondary" type="submit">
            {out
              ? zh(lang, '记为手续费并勾对', 'Book as bank charge')
              : zh(lang, '记为利息收入并勾对', 'Book as interest')}
          </button>
        </form>
      );
    };
    /** Unmatch a matched line; match an unmatched one to a posting of the same amount, or book it. */
    const lineAction = (l: any) =>
      !l.matched_transaction && proposalOf.has(l.id) ? (
        proposalAction(l, proposalOf.get(l.id))
      ) : l.matched_transaction ? (
        <form class="inline" method="post" action={`/reconciliation/lines/${l.id}/unmatch`}>
          <OnceField />
          <Field label={say(lang, 'reason')} name="reason" required />
          <button class="secondary" type="submit">
            {zh(lang, '取消勾对', 'Unmatch')}
          </button>
        </form>
      ) : !postings.some((p) => p.amount.amount === l.amount.amount) ? (
        bookForm(l)
      ) : (
        <form class="inline" method="post" action={`/reconciliation/lines/${l.id}/match`}>
          <OnceField />
          <input type="hidden" name="proposal" value="" />
          <label>
            {zh(lang, '凭证', 'Posting')}
            <select name="transaction_id" required>
              {postings
                .filter((p) => p.amount.amount === l.amount.amount)
                .map((p) => (
                  <option
                    value={p.transaction_id}
                  >{`#${p.transaction_id} ${p.effective_date} ${p.external_id}`}</option>
                ))}
            </select>
          </label>
          <Field label={say(lang, 'reason')} name="reason" required />
          <button type="submit">{zh(lang, '手工勾对', 'Match')}</button>
        </form>
      );
    return {
      title: zh(lang, '专户对账与月结', 'Reconciliation and month close'),
      lang,
      person,
      path: '/reconciliation',
      notice: notice ?? (rec.status === 200 ? null : noticeOf(lang, rec)),
      children: (
        <>
          <form class="inline" method="get" action="/reconciliation">
            <Field label={zh(lang, '对账日', 'As of')} type="date" name="as_of" value={asOf} />
            <button type="submit">{say(lang, 'search')}</button>
          </form>
          {r && (
            <Facts
              rows={[
                [zh(lang, '银行对账单余额（元）', 'Statement balance (CNY)'), yuan(r.statement_balance), 'num'],
                [zh(lang, '账面现金（元）', 'Ledger cash (CNY)'), yuan(r.ledger_cash), 'num'],
                [zh(lang, '差额（元）', 'Difference (CNY)'), yuan(r.difference), 'num'],
                [
                  zh(lang, '未达账项可解释', 'Explained by unmatched items'),
                  r.reconciled ? zh(lang, '是', 'yes') : zh(lang, '否：请核查', 'no: look into it'),
                ],
              ]}
            />
          )}
          <h2>{zh(lang, '对账单明细', 'Statement lines')}</h2>
          <Rows
            columns={[
              zh(lang, '交易日期', 'Booked on'),
              zh(lang, '流水号', 'Reference'),
              zh(lang, '对方户名', 'Counterparty'),
              [say(lang, 'amount'), 'num'],
              zh(lang, '对应凭证', 'Matched to'),
              ...(treasury ? [say(lang, 'method')] : []),
            ]}
            rows={(lines.body.data ?? []).map((l: any) => [
              l.booked_on,
              l.reference,
              l.counterparty,
              yuan(l.amount),
              l.matched_transaction ? `#${l.matched_transaction}` : zh(lang, '未达', 'unmatched'),
              ...(treasury ? [lineAction(l)] : []),
            ])}
          />
          {treasury && (
            <>
              <h2>{zh(lang, '导入专户对账单', 'Import the pool account statement')}</h2>
              <form class="stack" method="post" action="/reconciliation/statement" enctype="multipart/form-data">
                <OnceField />
                <Field
                  label={zh(lang, '对账单文件（CSV）', 'Statement file (CSV)')}
                  name="statement"
                  type="file"
                  accept=".csv,text/csv"
                  required
                />
                <button type="submit">{say(lang, 'send')}</button>
              </form>
              <h2>{zh(lang, '月结', 'Close a month')}</h2>
              <form class="inline" method="post" action="/reconciliation/close">
                <OnceField />
                <Field label={say(lang, 'month')} type="month" name="month" required />
                <Field
                  label={zh(lang, '未对平时的原因', 'Reason, if it does not reconcile')}
                  name="reason"
                  placeholder={zh(lang, '月末与对账单未对平时必填', 'Required when the month does not reconcile')}
                />
                <button type="submit">{zh(lang, '提请 / 复核月结', 'Propose / confirm the close')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get('/reconciliation', page(reconciliationPage));
  app.post(
    '/reconciliation/statement',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const file = form.statement;
      const r = await submit(c, `${pool(person)}/bank-statements`, form, {
        text: file instanceof File ? await file.text() : '',
        contentType: 'text/csv',
      });
      return reconciliationPage(
        c,
        person,
        lang,
        r.status === 200
          ? {
              kind: 'ok',
              text: zh(
                lang,
                `已导入 ${r.body.new_lines} 行，自动勾对 ${r.body.matched} 行。`,
                `${r.body.new_lines} lines imported, ${r.body.matched} matched.`,
              ),
            }
          : noticeOf(lang, r),
      );
    }),
  );
  /**
   * A button on a line means what its page showed: the line's open proposal then (its id in the form, or
   * none). Where another person proposed, withdrew or confirmed since, the page is shown again instead, so
   * no one confirms a proposal unseen, or proposes anew under another's reason.
   */
  const unseen = async (c: C, person: Person, lang: Lang, form: Record<string, unknown>) => {
    if (form.proposal === undefined) return null;
    const open = await call(
      c,
      'GET',
      `${pool(person)}/proposals?subject=statement_line/${c.req.param('id')!}&status=pending&limit=10`,
    );
    const now = (open.body?.data ?? [])[0]?.id ?? '';
    if (open.status === 200 && now === String(form.proposal)) return null;
    return reconciliationPage(c, person, lang, {
      kind: 'bad',
      text: zh(
        lang,
        '该笔的提议已有变化（另一人已提议、撤回或确认）：请查看后再操作。',
        "This line's proposal changed since the page was shown (proposed, withdrawn or confirmed by another person): look again first.",
      ),
    });
  };
  app.post(
    '/reconciliation/lines/:id{[0-9]+}/:action{match|unmatch}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const changed = await unseen(c, person, lang, form);
      if (changed) return changed;
      const action = c.req.param('action')!;
      const r = await submit(c, `${pool(person)}/bank-statements/lines/${c.req.param('id')!}/${action}`, form, {
        json: {
          reason: String(form.reason ?? ''),
          ...(action === 'match' ? { transaction_id: String(form.transaction_id ?? '') } : {}),
        },
      });
      return reconciliationPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/reconciliation/lines/:id{[0-9]+}/book',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const changed = await unseen(c, person, lang, form);
      if (changed) return changed;
      const on = String(form.on ?? '');
      const r = await submit(c, `${pool(person)}/bank-statements/lines/${c.req.param('id')!}/book`, form, {
        json: { as: String(form.as ?? ''), reason: String(form.reason ?? ''), ...(on ? { on } : {}) },
      });
      if (r.status === 422 && String(r.body?.type ?? '').endsWith('/period-closed'))
        return reconciliationPage(c, person, lang, {
          kind: 'bad',
          text: zh(
            lang,
            '该笔所在月份已月结：请填写记账日（未结月份中的一天）后再记账。',
            "The line's month is closed: give a posting date in the open month.",
          ),
        });
      return reconciliationPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/reconciliation/proposals/:id{[0-9]+}/withdraw',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await submit(c, `${pool(person)}/proposals/${c.req.param('id')!}/withdraw`, form, { json: {} });
      return reconciliationPage(
        c,
        person,
        lang,
        r.status === 200
          ? { kind: 'ok', text: zh(lang, '提议已撤回。', 'The proposal is withdrawn.') }
          : noticeOf(lang, r),
      );
    }),
  );
  app.post(
    '/reconciliation/close',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const month = String(form.month ?? '');
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month))
        return reconciliationPage(c, person, lang, { kind: 'bad', text: zh(lang, '请选择月份。', 'Choose a month.') });
      const reason = String(form.reason ?? '').trim();
      const r = await submit(c, `${pool(person)}/periods/${month}/close`, form, {
        json: reason ? { reason } : {},
      });
      const d = r.body?.details;
      if (r.status === 422 && String(r.body?.type ?? '').endsWith('/unreconciled') && d)
        return reconciliationPage(c, person, lang, {
          kind: 'bad',
          text: zh(
            lang,
            `${month} 月末（${d.as_of}）与银行对账单未对平：对账单减账面差额 ${yuan(d.difference)} 元，未达对账单 ${d.unmatched_lines} 笔、账面 ${d.unmatched_postings} 笔。请先勾对或入账，或填写原因后月结。`,
            `${month} does not reconcile at ${d.as_of}: the statement less the ledger is ${yuan(d.difference)} CNY, with ${d.unmatched_lines} statement line(s) and ${d.unmatched_postings} posting(s) unmatched. Match or book them, or give a reason to close it.`,
          ),
        });
      return reconciliationPage(c, person, lang, noticeOf(lang, r));
    }),
  );

  // Money coming into the pool: an appropriation notified (财政拨款通知), then received into the account.
  const appropriationsPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => ({
    title: zh(lang, '财政拨款', 'Appropriations'),
    lang,
    person,
    path: '/appropriations',
    notice: notice ?? null,
    children: (
      <>
        <h2>{zh(lang, '登记拨款通知', 'Record an appropriation notified')}</h2>
        <form class="stack" method="post" action="/appropriations">
          <OnceField />
          <Field label={zh(lang, '文号', 'Reference')} name="reference" required />
          <Field label={say(lang, 'amount')} name="amount" inputmode="decimal" required placeholder="1,000,000.00" />
          <Field label={zh(lang, '通知日期', 'Notified on')} type="date" name="on" required />
          <button type="submit">{say(lang, 'send')}</button>
        </form>
        <h2>{zh(lang, '登记到账', 'Record its receipt')}</h2>
        <form class="stack" method="post" action="/appropriations/receipt">
          <OnceField />
          <Field label={zh(lang, '文号', 'Reference')} name="reference" required />
          <Field label={zh(lang, '到账日期', 'Received on')} type="date" name="on" required />
          <button type="submit">{say(lang, 'send')}</button>
        </form>
      </>
    ),
  });
  app.get('/appropriations', page(appropriationsPage));
  app.post(
    '/appropriations',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const amount = fenOfYuan(String(form.amount ?? ''));
      if (amount === null)
        return appropriationsPage(c, person, lang, { kind: 'bad', text: zh(lang, '金额无效。', 'Not an amount.') });
      const r = await submit(c, `${pool(person)}/appropriations`, form, {
        json: { reference: String(form.reference ?? ''), amount, notified_on: String(form.on ?? '') },
      });
      return appropriationsPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/appropriations/receipt',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const reference = encodeURIComponent(String(form.reference ?? ''));
      const r = await submit(c, `${pool(person)}/appropriations/${reference}/receipt`, form, {
        json: { received_on: String(form.on ?? '') },
      });
      return appropriationsPage(c, person, lang, noticeOf(lang, r));
    }),
  );

  app.get(
    '/reports',
    page(async (c, person, lang) => ({
      title: zh(lang, '报表下载', 'Reports'),
      lang,
      person,
      path: '/reports',
      children: (
        <Rows
          columns={[zh(lang, '报表', 'Report'), zh(lang, '下载', 'Download')]}
          rows={REPORTS.map(([code, chinese, english]) => [
            lang === 'zh' ? chinese : english,
            <a href={`${pool(person)}/reports/${code}?format=csv`} download>
              {`${chinese}.csv`}
            </a>,
          ])}
        />
      ),
    })),
  );

  const awardsPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => {
    const treasury = person.role === 'treasury';
    const applies = treasury || person.role === 'bank';
    const [r, programmes, participants] = await Promise.all([
      call(c, 'GET', `${pool(person)}/awards?limit=200`),
      call(c, 'GET', `${pool(person)}/incentive-programmes`),
      treasury ? call(c, 'GET', `${pool(person)}/participants?limit=1000`) : null,
    ]);
    // A bank applies for itself, under the programmes for banks and financial firms; the treasury enters an
    // award for any beneficiary. Awards over a bank's new loans are the round's (above), not applied for.
    const programmeName = new Map<string, string>(
      ((programmes?.body.data ?? []) as any[]).map((p) => [p.code, `第${p.article}条 ${p.name}`]),
    );
    const offered = ((programmes?.body.data ?? []) as any[]).filter(
      (p) =>
        p.basis !== 'new_credit_loans' && (treasury || p.beneficiary === 'bank' || p.beneficiary === 'financial_firm'),
    );
    const decide = (id: string, action: 'approve' | 'pay' | 'reject', label: string) => (
      <form class="inline" method="post" action={`/awards/${id}/${action}`}>
        <OnceField />
        <Field label={say(lang, 'reason')} name="reason" required />
        <button class={action === 'reject' ? 'secondary' : undefined} type="submit">
          {label}
        </button>
      </form>
    );
    return {
      title: zh(lang, '奖补', 'Awards'),
      lang,
      person,
      path: '/awards',
      notice: notice ?? (r.status === 200 ? null : noticeOf(lang, r)),
      children: (
        <>
          {treasury && (
            <form class="inline" method="post" action="/awards/round">
              <OnceField />
              <Field
                label={zh(lang, '第三条金融创新奖励：年度', 'Art. 3 innovation round: year')}
                name="year"
                inputmode="numeric"
                pattern="[0-9]{4}"
                required
              />
              <button type="submit">{zh(lang, '计算本年度奖励', 'Run the round')}</button>
            </form>
          )}
          <Rows
            columns={[
              '#',
              zh(lang, '项目', 'Programme'),
              zh(lang, '年度', 'Year'),
              say(lang, 'status'),
              [say(lang, 'amount'), 'num'],
              say(lang, 'reference'),
              ...(treasury ? [say(lang, 'method')] : []),
            ]}
            rows={(r.body.data ?? []).map((a: any) => [
              a.id,
              programmeName.get(a.programme) ?? a.programme,
              a.year,
              statusWord(lang, a.status),
              yuan(a.amount),
              a.reference,
              ...(treasury
                ? [
                    <>
                      {a.status === 'submitted' && decide(a.id, 'approve', say(lang, 'approve'))}
                      {a.status === 'approved' && decide(a.id, 'pay', say(lang, 'pay'))}
                      {(a.status === 'submitted' || a.status === 'approved') &&
                        decide(a.id, 'reject', say(lang, 'reject'))}
                    </>,
                  ]
                : []),
            ])}
          />
          {applies && offered.length > 0 && (
            <>
              <h2>{zh(lang, '申请奖补', 'Apply for an award')}</h2>
              <form class="stack" method="post" action="/awards/apply">
                <OnceField />
                <label>
                  {zh(lang, '奖补项目', 'Programme')}
                  <select name="programme">
                    {offered.map((p) => (
                      <option value={p.code}>{`第${p.article}条 ${p.name}`}</option>
                    ))}
                  </select>
                </label>
                {treasury && (
                  <label>
                    {zh(lang, '受益机构', 'Beneficiary')}
                    <select name="beneficiary_id" required>
                      {((participants?.body.data ?? []) as any[]).map((p) => (
                        <option value={p.id}>{p.name}</option>
                      ))}
                    </select>
                  </label>
                )}
                <Field label={say(lang, 'reference')} name="reference" required maxlength={100} />
                <Field
                  label={zh(lang, '事项（如 loan:42、listing、year:2026）', 'Item (e.g. loan:42, listing, year:2026)')}
                  name="item"
                  required
                  maxlength={200}
                />
                <Field label={zh(lang, '年度', 'Year')} name="year" inputmode="numeric" pattern="[0-9]{4}" required />
                <Field
                  label={zh(lang, '计算基数（元，定额奖励填 0）', 'Basis (CNY; 0 for a fixed award)')}
                  name="basis"
                  inputmode="decimal"
                  required
                />
                <Field
                  label={zh(lang, '比例（%，项目为区间时填写）', 'Rate (%, where the programme gives a range)')}
                  name="rate"
                  inputmode="decimal"
                />
                <Field
                  label={zh(
                    lang,
                    '细分类别（如 pure_credit 纯信用担保，可空）',
                    'Sub-kind (e.g. pure_credit; optional)',
                  )}
                  name="subkind"
                  maxlength={50}
                />
                <button type="submit">{say(lang, 'send')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get('/awards', page(awardsPage));
  app.post(
    '/awards/apply',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const basis = fenOfYuan(String(form.basis ?? ''));
      const rateTyped = String(form.rate ?? '').trim();
      const rate = rateTyped === '' ? undefined : bpOfPercent(rateTyped);
      if (basis === null || rate === null)
        return awardsPage(c, person, lang, {
          kind: 'bad',
          text: zh(lang, '计算基数或比例不是有效的数值。', 'The basis or the rate is not a valid figure.'),
        });
      const beneficiary = String(form.beneficiary_id ?? '');
      const subkind = String(form.subkind ?? '').trim();
      const r = await submit(c, `${pool(person)}/awards`, form, {
        json: {
          programme: String(form.programme ?? ''),
          reference: String(form.reference ?? '').trim(),
          item: String(form.item ?? '').trim(),
          year: Number(form.year ?? 0),
          basis_amount: basis,
          ...(rate === undefined ? {} : { rate_bp: rate }),
          ...(beneficiary ? { beneficiary_id: beneficiary } : {}),
          ...(subkind ? { subkind } : {}),
        },
      });
      return awardsPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/awards/round',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await submit(c, `${pool(person)}/award-rounds`, form, {
        json: { programme: 'art3_innovation', year: Number(form.year ?? 0) },
      });
      return awardsPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/awards/:id{[0-9]+}/:action{approve|pay|reject}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await submit(c, `${pool(person)}/awards/${c.req.param('id')!}/${c.req.param('action')!}`, form, {
        json: { reason: String(form.reason ?? '') },
      });
      return awardsPage(c, person, lang, noticeOf(lang, r));
    }),
  );
}
