import type { Context, Hono } from 'hono';
import type { Person } from '../../pool/people.js';
import type { AppEnv } from '../env.js';
import { say, statusWord, yuan, type Lang } from './format.js';
import { OnceField, type PageProps } from './layout.js';

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

const todayInChina = () => new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
const isDay = (s: string | undefined): s is string => s !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(s);

export function moneyPages(app: Hono<AppEnv>, kit: ConsoleKit): void {
  const { call, page, pool, noticeOf } = kit;
  const zh = (lang: Lang, chinese: string, english: string) => (lang === 'zh' ? chinese : english);

  const reconciliationPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => {
    const asOf = isDay(c.req.query('as_of')) ? c.req.query('as_of')! : todayInChina();
    const [rec, lines] = await Promise.all([
      call(c, 'GET', `${pool(person)}/reconciliation?as_of=${asOf}`),
      call(c, 'GET', `${pool(person)}/bank-statements/lines?limit=200`),
    ]);
    const treasury = person.role === 'treasury';
    const r = rec.status === 200 ? rec.body : null;
    const postings: any[] = r?.unmatched_postings ?? [];
    return {
      title: zh(lang, '专户对账与月结', 'Reconciliation and month close'),
      lang,
      person,
      path: '/reconciliation',
      notice: notice ?? (rec.status === 200 ? null : noticeOf(lang, rec)),
      children: (
        <>
          <form class="inline" method="get" action="/reconciliation">
            <label>
              {zh(lang, '对账日', 'As of')}
              <input type="date" name="as_of" value={asOf} />
            </label>
            <button type="submit">{say(lang, 'search')}</button>
          </form>
          {r && (
            <table>
              <tbody>
                <tr>
                  <th scope="row">{zh(lang, '银行对账单余额（元）', 'Statement balance (CNY)')}</th>
                  <td class="num">{yuan(r.statement_balance)}</td>
                </tr>
                <tr>
                  <th scope="row">{zh(lang, '账面现金（元）', 'Ledger cash (CNY)')}</th>
                  <td class="num">{yuan(r.ledger_cash)}</td>
                </tr>
                <tr>
                  <th scope="row">{zh(lang, '差额（元）', 'Difference (CNY)')}</th>
                  <td class="num">{yuan(r.difference)}</td>
                </tr>
                <tr>
                  <th scope="row">{zh(lang, '未达账项可解释', 'Explained by unmatched items')}</th>
                  <td>{r.reconciled ? zh(lang, '是', 'yes') : zh(lang, '否：请核查', 'no: look into it')}</td>
                </tr>
              </tbody>
            </table>
          )}
          <h2>{zh(lang, '对账单明细', 'Statement lines')}</h2>
          <table>
            <thead>
              <tr>
                <th>{zh(lang, '交易日期', 'Booked on')}</th>
                <th>{zh(lang, '流水号', 'Reference')}</th>
                <th>{zh(lang, '对方户名', 'Counterparty')}</th>
                <th class="num">{say(lang, 'amount')}</th>
                <th>{zh(lang, '对应凭证', 'Matched to')}</th>
                {treasury && <th>{say(lang, 'method')}</th>}
              </tr>
            </thead>
            <tbody>
              {(lines.body.data ?? []).map((l: any) => (
                <tr>
                  <td>{l.booked_on}</td>
                  <td>{l.reference}</td>
                  <td>{l.counterparty}</td>
                  <td class="num">{yuan(l.amount)}</td>
                  <td>{l.matched_transaction ? `#${l.matched_transaction}` : zh(lang, '未达', 'unmatched')}</td>
                  {treasury && (
                    <td>
                      {l.matched_transaction ? (
                        <form class="inline" method="post" action={`/reconciliation/lines/${l.id}/unmatch`}>
                          <OnceField />
                          <label>
                            {say(lang, 'reason')}
                            <input name="reason" required />
                          </label>
                          <button class="secondary" type="submit">
                            {zh(lang, '取消勾对', 'Unmatch')}
                          </button>
                        </form>
                      ) : (
                        <form class="inline" method="post" action={`/reconciliation/lines/${l.id}/match`}>
                          <OnceField />
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
                          <label>
                            {say(lang, 'reason')}
                            <input name="reason" required />
                          </label>
                          <button type="submit">{zh(lang, '手工勾对', 'Match')}</button>
                        </form>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
          {treasury && (
            <>
              <h2>{zh(lang, '导入专户对账单', 'Import the pool account statement')}</h2>
              <form class="stack" method="post" action="/reconciliation/statement" enctype="multipart/form-data">
                <OnceField />
                <label>
                  {zh(lang, '对账单文件（CSV）', 'Statement file (CSV)')}
                  <input name="statement" type="file" accept=".csv,text/csv" required />
                </label>
                <button type="submit">{say(lang, 'send')}</button>
              </form>
              <h2>{zh(lang, '月结', 'Close a month')}</h2>
              <form class="inline" method="post" action="/reconciliation/close">
                <OnceField />
                <label>
                  {say(lang, 'month')}
                  <input type="month" name="month" required />
                </label>
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
      const r = await call(c, 'POST', `${pool(person)}/bank-statements`, {
        text: file instanceof File ? await file.text() : '',
        contentType: 'text/csv',
        idem: String(form.idem ?? ''),
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
  app.post(
    '/reconciliation/lines/:id{[0-9]+}/:action{match|unmatch}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const action = c.req.param('action')!;
      const r = await call(c, 'POST', `${pool(person)}/bank-statements/lines/${c.req.param('id')!}/${action}`, {
        json: {
          reason: String(form.reason ?? ''),
          ...(action === 'match' ? { transaction_id: String(form.transaction_id ?? '') } : {}),
        },
        idem: String(form.idem ?? ''),
      });
      return reconciliationPage(c, person, lang, noticeOf(lang, r));
    }),
  );
  app.post(
    '/reconciliation/close',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await call(c, 'POST', `${pool(person)}/periods/${String(form.month ?? '')}/close`, {
        idem: String(form.idem ?? ''),
      });
      return reconciliationPage(c, person, lang, noticeOf(lang, r));
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
        <table>
          <thead>
            <tr>
              <th>{zh(lang, '报表', 'Report')}</th>
              <th>{zh(lang, '下载', 'Download')}</th>
            </tr>
          </thead>
          <tbody>
            {REPORTS.map(([code, chinese, english]) => (
              <tr>
                <td>{lang === 'zh' ? chinese : english}</td>
                <td>
                  <a href={`${pool(person)}/reports/${code}?format=csv`} download>
                    {`${chinese}.csv`}
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ),
    })),
  );

  const awardsPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => {
    const r = await call(c, 'GET', `${pool(person)}/awards?limit=200`);
    const treasury = person.role === 'treasury';
    const decide = (id: string, action: 'approve' | 'pay' | 'reject', label: string) => (
      <form class="inline" method="post" action={`/awards/${id}/${action}`}>
        <OnceField />
        <label>
          {say(lang, 'reason')}
          <input name="reason" required />
        </label>
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
        <table>
          <thead>
            <tr>
              <th>#</th>
              <th>{zh(lang, '项目', 'Programme')}</th>
              <th>{zh(lang, '年度', 'Year')}</th>
              <th>{say(lang, 'status')}</th>
              <th class="num">{say(lang, 'amount')}</th>
              <th>{say(lang, 'reference')}</th>
              {treasury && <th>{say(lang, 'method')}</th>}
            </tr>
          </thead>
          <tbody>
            {(r.body.data ?? []).map((a: any) => (
              <tr>
                <td>{a.id}</td>
                <td>{a.programme}</td>
                <td>{a.year}</td>
                <td>{statusWord(lang, a.status)}</td>
                <td class="num">{yuan(a.amount)}</td>
                <td>{a.reference}</td>
                {treasury && (
                  <td>
                    {a.status === 'submitted' && decide(a.id, 'approve', say(lang, 'approve'))}
                    {a.status === 'approved' && decide(a.id, 'pay', say(lang, 'pay'))}
                    {(a.status === 'submitted' || a.status === 'approved') &&
                      decide(a.id, 'reject', say(lang, 'reject'))}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      ),
    } satisfies PageProps;
  };
  app.get('/awards', page(awardsPage));
  app.post(
    '/awards/:id{[0-9]+}/:action{approve|pay|reject}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await call(c, 'POST', `${pool(person)}/awards/${c.req.param('id')!}/${c.req.param('action')!}`, {
        json: { reason: String(form.reason ?? '') },
        idem: String(form.idem ?? ''),
      });
      return awardsPage(c, person, lang, noticeOf(lang, r));
    }),
  );
}
