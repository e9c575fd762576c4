import type { Context, Hono } from 'hono';
import { BONUS_KEYS, LOAN_KINDS } from '../../pool/agreements.js';
import { todayInChina } from '../../pool/days.js';
import type { Person } from '../../pool/people.js';
import { CREDIT_RATINGS } from '../../pool/pools.js';
import type { AppEnv } from '../env.js';
import {
  bpOfPercent,
  chinaTime,
  fenOfYuan,
  kindWord,
  loanKindWord,
  percentOfBp,
  say,
  yuan,
  zhOr,
  type Lang,
} from './format.js';
import { Facts, Field, OnceField, Rows, type PageProps } from './layout.js';
import type { ConsoleKit } from './money-pages.js';

/**
 * The treasury's set-up pages: the participants it registers, the agreements it signs with each bank (and
 * insurer) and their versions of terms, suspensions, and the API keys of the systems that call the pool.
 * Like every console page, they read and write through the API: its rules and its audit log are theirs.
 */
type C = Context<AppEnv>;
type Form = Record<string, unknown>;
const zh = zhOr;
const PARTICIPANT_KINDS = ['bank', 'insurer', 'guarantor', 'enterprise', 'vc'] as const;
const KEY_ROLES = ['treasury', 'auditor', 'bank', 'insurer', 'guarantor', 'enterprise'] as const;

/** Terms as the form shows them: shares in per cent, money in yuan (the API takes basis points and fen). */
const PERCENT_TERMS = [
  ['pool_share_bp', '资金池分担比例（%）', "Pool's share (%)"],
  ['insurer_share_bp', '保险公司分担比例（%）', "Insurer's share (%)"],
  ['bank_share_bp', '银行分担比例（%）', "Bank's share (%)"],
  ['public_ceiling_bp', '财政资金承担上限（%）', 'Ceiling of public money (%)'],
  ['suspension_loss_bp', '暂停合作的损失率阈值（%）', 'Loss ratio that suspends the agreement (%)'],
] as const;
const YUAN_TERMS = [
  ['credit_line', '授信额度（元）', 'Credit line (CNY)'],
  ['per_loan_cap', '单笔补偿上限（元）', 'Cap per loan (CNY)'],
  ['per_enterprise_year_cap', '单户企业年度补偿上限（元）', 'Cap per enterprise and year (CNY)'],
  ['per_bank_year_cap', '单家银行年度补偿上限（元）', 'Cap per bank and year (CNY)'],
  ['max_principal', '单笔贷款本金上限（元）', 'Largest principal of a loan (CNY)'],
] as const;
const DAY_TERMS = [
  ['overdue_days', '逾期多少天视为违约', 'Days past due that make a default'],
  ['filing_window_days', '申请代偿期限（天，自报告违约起）', 'Days to file a claim, from the default'],
  ['max_term_months', '贷款期限上限（月）', 'Longest term of a loan (months)'],
  ['step_deadline_days', '每个审批环节的办理期限（工作日）', 'Working days for each step of a claim'],
] as const;

/** The terms a new agreement starts from: the 25/45/30 split of practice; the treasury sets its own. */
const NEW_TERMS = {
  pool_share_bp: 2500,
  insurer_share_bp: 4500,
  bank_share_bp: 3000,
  public_ceiling_bp: 8000,
  suspension_loss_bp: 300,
  bonus_bp: {},
  credit_line: { amount: '10000000000' },
  per_loan_cap: { amount: '100000000' },
  per_enterprise_year_cap: { amount: '200000000' },
  per_bank_year_cap: { amount: '1000000000' },
  max_principal: { amount: '500000000' },
  overdue_days: 90,
  filing_window_days: 180,
  max_term_months: 36,
  step_deadline_days: 5,
  eligible_kinds: ['credit', 'performance_bond_insured'],
  covers_interest: false,
};

/**
 * The fields of a version of terms, filled with `terms` (the in-force version, or NEW_TERMS), or with what
 * the person typed (`typed`, a refused form) where they typed it.
 */
function TermsFields(props: { lang: Lang; terms: any; typed?: Form }) {
  const { lang, terms, typed } = props;
  const as = (name: string, shown: string) => (typed ? one(typed, name) : shown);
  const kinds: string[] = typed ? many(typed, 'eligible_kinds') : terms.eligible_kinds;
  return (
    <>
      <fieldset class="grid">
        <legend>{zh(lang, '分担比例与阈值', 'Shares and thresholds')}</legend>
        {PERCENT_TERMS.map(([name, chinese, english]) => (
          <Field
            label={zh(lang, chinese, english)}
            name={name}
            inputmode="decimal"
            value={as(name, percentOfBp(terms[name]))}
            required
          />
        ))}
      </fieldset>
      <fieldset class="grid">
        <legend>{zh(lang, '按贷款品种的加成（%，可空）', 'Bonus shares by kind of loan (%, optional)')}</legend>
        {BONUS_KEYS.map((k) => (
          <Field
            label={loanKindWord(lang, k)}
            name={`bonus_${k}`}
            inputmode="decimal"
            value={as(`bonus_${k}`, terms.bonus_bp?.[k] === undefined ? '' : percentOfBp(terms.bonus_bp[k]))}
          />
        ))}
      </fieldset>
      <fieldset class="grid">
        <legend>{zh(lang, '额度与上限', 'Credit line and caps')}</legend>
        {YUAN_TERMS.map(([name, chinese, english]) => (
          <Field
            label={zh(lang, chinese, english)}
            name={name}
            inputmode="decimal"
            value={as(name, yuan(terms[name]))}
            required
          />
        ))}
      </fieldset>
      <fieldset class="grid">
        <legend>{zh(lang, '期限', 'Periods')}</legend>
        {DAY_TERMS.map(([name, chinese, english]) => (
          <Field
            label={zh(lang, chinese, english)}
            name={name}
            inputmode="numeric"
            pattern="[0-9]{1,4}"
            value={as(name, String(terms[name]))}
            required
          />
        ))}
      </fieldset>
      <fieldset class="grid">
        <legend>{zh(lang, '适用的贷款品种', 'Kinds of loan it covers')}</legend>
        {LOAN_KINDS.map((k) => (
          <label class="check">
            <input type="checkbox" name="eligible_kinds" value={k} checked={kinds.includes(k)} />
            {loanKindWord(lang, k)}
          </label>
        ))}
        <label class="check">
          <input
            type="checkbox"
            name="covers_interest"
            value="1"
            checked={typed ? one(typed, 'covers_interest') === '1' : terms.covers_interest}
          />
          {zh(lang, '损失基数包含合同利息', "The loss base includes the contract's interest")}
        </label>
      </fieldset>
    </>
  );
}

/** The form's terms as the API takes them, or the first field that is not a number of its kind. */
function termsOfForm(lang: Lang, form: Form): { terms: Record<string, unknown> } | { error: string } {
  const terms: Record<string, unknown> = {};
  const bad = (chinese: string, english: string) => ({
    error: zh(lang, `${chinese}不是有效的数值。`, `${english} is not a valid figure.`),
  });
  for (const [name, chinese, english] of PERCENT_TERMS) {
    const bp = bpOfPercent(one(form, name));
    if (bp === null) return bad(chinese, english);
    terms[name] = bp;
  }
  const bonus: Record<string, number> = {};
  for (const k of BONUS_KEYS) {
    const typed = one(form, `bonus_${k}`).trim();
    if (typed === '') continue;
    const bp = bpOfPercent(typed);
    if (bp === null) return bad(`${loanKindWord('zh', k)}加成`, `The bonus for ${loanKindWord('en', k)}`);
    bonus[k] = bp;
  }
  terms.bonus_bp = bonus;
  for (const [name, chinese, english] of YUAN_TERMS) {
    const fen = fenOfYuan(one(form, name));
    if (fen === null) return bad(chinese, english);
    terms[name] = fen;
  }
  for (const [name, chinese, english] of DAY_TERMS) {
    const typed = one(form, name).normalize('NFKC').trim();
    if (!/^\d{1,4}$/.test(typed)) return bad(chinese, english);
    terms[name] = Number(typed);
  }
  terms.eligible_kinds = many(form, 'eligible_kinds');
  terms.covers_interest = one(form, 'covers_interest') === '1';
  return { terms };
}

/** A form's field (parsed with `all`, so that checkboxes that repeat come as arrays): its first value. */
const one = (form: Form, name: string): string => {
  const v = form[name];
  return String((Array.isArray(v) ? v[0] : v) ?? '');
};
/** Every value of a field that may repeat (checkboxes). */
const many = (form: Form, name: string): string[] => {
  const v = form[name];
  return (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
};

export function setupPages(app: Hono<AppEnv>, kit: ConsoleKit): void {
  const { call, submit, page, pool, noticeOf } = kit;

  // Participants: the banks, insurers, guarantee institutions, enterprises and VC firms of the pool.
  const participantsPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice']) => {
    const r = await call(c, 'GET', `${pool(person)}/participants?limit=1000`);
    return {
      title: zh(lang, '参与机构', 'Participants'),
      lang,
      person,
      path: '/participants',
      notice: notice ?? (r.status === 200 ? null : noticeOf(lang, r)),
      children: (
        <>
          <Rows
            columns={[
              '#',
              zh(lang, '类别', 'Kind'),
              zh(lang, '名称', 'Name'),
              zh(lang, '统一社会信用代码', 'Credit code'),
              zh(lang, '企业情况', 'Enterprise'),
              zh(lang, '登记时间', 'Registered'),
            ]}
            rows={(r.body.data ?? []).map((p: any) => [
              p.id,
              kindWord(lang, p.kind),
              p.name,
              p.credit_code ?? '—',
              p.enterprise
                ? [
                    p.enterprise.in_zone ? zh(lang, '园区内', 'in the zone') : zh(lang, '园区外', 'outside the zone'),
                    p.enterprise.tech_sme_certificate
                      ? `${zh(lang, '科技型中小企业', 'tech SME')} ${p.enterprise.tech_sme_certificate}（${p.enterprise.tech_sme_expires ?? '—'}）`
                      : null,
                    p.enterprise.credit_rating ? `${zh(lang, '评级', 'rating')} ${p.enterprise.credit_rating}` : null,
                  ]
                    .filter(Boolean)
                    .join(' · ')
                : '—',
              chinaTime(p.created_at),
            ])}
          />
          {person.role === 'treasury' && (
            <>
              <h2>{zh(lang, '登记机构', 'Register a participant')}</h2>
              <form class="stack" method="post" action="/participants/new">
                <OnceField />
                <label>
                  {zh(lang, '类别', 'Kind')}
                  <select name="kind">
                    {PARTICIPANT_KINDS.map((k) => (
                      <option value={k}>{kindWord(lang, k)}</option>
                    ))}
                  </select>
                </label>
                <Field label={zh(lang, '名称', 'Name')} name="name" required maxlength={200} />
                <Field
                  label={zh(lang, '统一社会信用代码（18 位）', 'Unified social credit code (18 characters)')}
                  name="credit_code"
                  required
                  pattern="[0-9A-HJ-NPQRTUWXY]{18}"
                />
                <fieldset>
                  <legend>{zh(lang, '企业填写', 'For an enterprise')}</legend>
                  <label class="check">
                    <input type="checkbox" name="in_zone" value="1" />
                    {zh(lang, '注册在园区内', 'Registered in the zone')}
                  </label>
                  <Field
                    label={zh(lang, '科技型中小企业证书编号', 'Tech-SME certificate')}
                    name="tech_sme_certificate"
                  />
                  <Field
                    label={zh(lang, '证书有效期至', 'Certificate valid until')}
                    name="tech_sme_expires"
                    type="date"
                  />
                  <label>
                    {zh(lang, '信用评级', 'Credit rating')}
                    <select name="credit_rating">
                      <option value="">—</option>
                      {CREDIT_RATINGS.map((r) => (
                        <option value={r}>{r}</option>
                      ))}
                    </select>
                  </label>
                </fieldset>
                <button type="submit">{zh(lang, '登记', 'Register')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get('/participants', page(participantsPage));
  app.post(
    '/participants/new',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const kind = String(form.kind ?? '');
      const certificate = String(form.tech_sme_certificate ?? '').trim();
      const expires = String(form.tech_sme_expires ?? '');
      const rating = String(form.credit_rating ?? '');
      const r = await submit(c, `${pool(person)}/participants`, form, {
        json: {
          kind,
          name: String(form.name ?? '').trim(),
          credit_code: String(form.credit_code ?? '')
            .trim()
            .toUpperCase(),
          ...(kind === 'enterprise'
            ? {
                enterprise: {
                  in_zone: form.in_zone === '1',
                  ...(certificate ? { tech_sme_certificate: certificate } : {}),
                  ...(expires ? { tech_sme_expires: expires } : {}),
                  ...(rating ? { credit_rating: rating } : {}),
                },
              }
            : {}),
        },
      });
      return participantsPage(c, person, lang, noticeOf(lang, r));
    }),
  );

  /** The participants of one kind, for a form's choice. */
  const participantsOf = async (c: C, person: Person, kinds: string[]) => {
    const r = await call(c, 'GET', `${pool(person)}/participants?limit=1000`);
    return ((r.body.data ?? []) as any[]).filter((p) => kinds.includes(p.kind));
  };

  // Agreements: each bank's credit line and what its loans take of it, signing one, one agreement's versions.
  const agreementsPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice'], typed?: Form) => {
    const treasury = person.role === 'treasury';
    const [r, banks, insurers] = await Promise.all([
      call(c, 'GET', `${pool(person)}/agreements`),
      treasury ? participantsOf(c, person, ['bank']) : [],
      treasury ? participantsOf(c, person, ['insurer']) : [],
    ]);
    const agreements = (r.body.data ?? []) as any[];
    // A new agreement starts from the terms of the latest signed one, which the office edits.
    const latest = agreements.at(-1)?.in_force ?? NEW_TERMS;
    return {
      title: zh(lang, '合作协议与授信额度', 'Agreements and credit lines'),
      lang,
      person,
      path: '/agreements',
      notice: notice ?? (r.status === 200 ? null : noticeOf(lang, r)),
      children: (
        <>
          <Rows
            columns={[
              '#',
              zh(lang, '协议', 'Agreement'),
              zh(lang, '条款版本', 'Terms version'),
              [zh(lang, '授信额度（元）', 'Credit line (CNY)'), 'num'],
              [zh(lang, '已占用（元）', 'Used (CNY)'), 'num'],
              [zh(lang, '可用（元）', 'Available (CNY)'), 'num'],
              say(lang, 'state'),
            ]}
            rows={agreements.map((a) => [
              <a href={`/agreements/${a.id}`}>{`#${a.id}`}</a>,
              a.name,
              a.in_force ? `v${a.in_force.version} / ${a.versions.length}` : '—',
              a.in_force ? yuan(a.in_force.credit_line) : '—',
              yuan(a.exposure),
              yuan(a.credit_available),
              a.suspended
                ? `${zh(lang, '暂停', 'suspended')}: ${a.suspension_reason ?? ''}`
                : zh(lang, '正常', 'in force'),
            ])}
          />
          {treasury && (
            <>
              <h2>{zh(lang, '签订合作协议', 'Sign an agreement')}</h2>
              <form class="stack wide" method="post" action="/agreements/new">
                <OnceField />
                <Field
                  label={zh(lang, '协议名称', 'Name of the agreement')}
                  name="name"
                  value={typed && one(typed, 'name')}
                  required
                  maxlength={200}
                />
                <label>
                  {zh(lang, '合作银行', 'Bank')}
                  <select name="bank_id" required>
                    {banks.map((b) => (
                      <option value={b.id} selected={typed && one(typed, 'bank_id') === b.id}>
                        {b.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label>
                  {zh(lang, '合作保险公司', 'Insurer')}
                  <select name="insurer_id">
                    <option value="">{zh(lang, '无（银政合作）', 'none (bank and government only)')}</option>
                    {insurers.map((i) => (
                      <option value={i.id} selected={typed && one(typed, 'insurer_id') === i.id}>
                        {i.name}
                      </option>
                    ))}
                  </select>
                </label>
                <Field
                  label={zh(lang, '生效日期', 'In force from')}
                  name="effective_from"
                  type="date"
                  value={typed ? one(typed, 'effective_from') : todayInChina()}
                  required
                />
                <TermsFields lang={lang} terms={latest} typed={typed} />
                <button type="submit">{zh(lang, '签订', 'Sign')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get('/agreements', page(agreementsPage));
  app.post(
    '/agreements/new',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody({ all: true });
      const read = termsOfForm(lang, form);
      if ('error' in read) return agreementsPage(c, person, lang, { kind: 'bad', text: read.error }, form);
      const insurer = one(form, 'insurer_id');
      const r = await submit(c, `${pool(person)}/agreements`, form, {
        json: {
          name: one(form, 'name').trim(),
          bank_id: one(form, 'bank_id'),
          ...(insurer ? { insurer_id: insurer } : {}),
          effective_from: one(form, 'effective_from'),
          terms: read.terms,
        },
      });
      if (r.status === 201) return c.redirect(`/agreements/${r.body.id}`, 303);
      // Refused: the form again as it was typed, with the API's words.
      return agreementsPage(c, person, lang, noticeOf(lang, r), form);
    }),
  );

  const agreementPage = async (
    c: C,
    person: Person,
    lang: Lang,
    id: string,
    notice?: PageProps['notice'],
    typed?: Form,
  ) => {
    const [r, participants] = await Promise.all([
      call(c, 'GET', `${pool(person)}/agreements/${id}`),
      call(c, 'GET', `${pool(person)}/participants?limit=1000`),
    ]);
    const title = zh(lang, '合作协议', 'Agreement');
    if (r.status !== 200) return { title, lang, person, path: '/agreements', notice: noticeOf(lang, r) };
    const a = r.body;
    const nameOf = (pid: string | null) =>
      pid === null ? '—' : ((participants.body.data ?? []).find((p: any) => p.id === pid)?.name ?? `#${pid}`);
    const treasury = person.role === 'treasury';
    return {
      title: `${title} #${a.id} ${a.name}`,
      lang,
      person,
      path: '/agreements',
      notice: notice ?? null,
      children: (
        <>
          <Facts
            rows={[
              [zh(lang, '合作银行', 'Bank'), nameOf(a.bank_id)],
              [zh(lang, '合作保险公司', 'Insurer'), nameOf(a.insurer_id)],
              [
                say(lang, 'state'),
                a.suspended
                  ? `${zh(lang, '暂停', 'suspended')}: ${a.suspension_reason ?? ''}`
                  : zh(lang, '正常', 'in force'),
              ],
              [zh(lang, '已占用授信（元）', 'Credit line used (CNY)'), yuan(a.exposure), 'num'],
              [zh(lang, '可用授信（元）', 'Credit line available (CNY)'), yuan(a.credit_available), 'num'],
            ]}
          />
          <h2>{zh(lang, '条款版本', 'Versions of the terms')}</h2>
          <Rows
            columns={[
              zh(lang, '版本', 'Version'),
              zh(lang, '生效日期', 'From'),
              zh(lang, '分担比例 资金池/保险/银行', 'Shares pool/insurer/bank'),
              [zh(lang, '授信额度（元）', 'Credit line (CNY)'), 'num'],
              [zh(lang, '单笔上限（元）', 'Cap per loan (CNY)'), 'num'],
              zh(lang, '申请期限（天）', 'Days to file'),
              zh(lang, '适用品种', 'Kinds'),
            ]}
            rows={(a.versions as any[]).map((v) => [
              `v${v.version}${a.in_force?.version === v.version ? ` · ${zh(lang, '现行', 'in force')}` : ''}`,
              v.effective_from,
              `${percentOfBp(v.pool_share_bp)}% / ${percentOfBp(v.insurer_share_bp)}% / ${percentOfBp(v.bank_share_bp)}%`,
              yuan(v.credit_line),
              yuan(v.per_loan_cap),
              String(v.filing_window_days),
              (v.eligible_kinds as string[]).map((k) => loanKindWord(lang, k)).join('、'),
            ])}
          />
          {treasury && (
            <>
              <h2>{zh(lang, '暂停或恢复合作', 'Suspend or reinstate')}</h2>
              <form class="inline" method="post" action={`/agreements/${a.id}/suspension`}>
                <OnceField />
                <input type="hidden" name="suspended" value={a.suspended ? '0' : '1'} />
                <Field label={say(lang, 'reason')} name="reason" required maxlength={500} />
                <button class="secondary" type="submit">
                  {a.suspended ? zh(lang, '恢复合作', 'Reinstate') : zh(lang, '暂停合作', 'Suspend')}
                </button>
              </form>
              <h2>
                {zh(
                  lang,
                  '新条款版本（自某日起生效，此前的条款不变）',
                  'New terms from a later day (earlier terms stay)',
                )}
              </h2>
              <form class="stack wide" method="post" action={`/agreements/${a.id}/terms`}>
                <OnceField />
                <Field
                  label={zh(lang, '生效日期', 'In force from')}
                  name="effective_from"
                  type="date"
                  value={typed && one(typed, 'effective_from')}
                  required
                />
                <TermsFields lang={lang} terms={a.in_force ?? a.versions.at(-1)} typed={typed} />
                <button type="submit">{zh(lang, '增加条款版本', 'Add the version')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get(
    '/agreements/:id{[0-9]+}',
    page(async (c, person, lang) => agreementPage(c, person, lang, c.req.param('id')!)),
  );
  app.post(
    '/agreements/:id{[0-9]+}/terms',
    page(async (c, person, lang) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody({ all: true });
      const read = termsOfForm(lang, form);
      if ('error' in read) return agreementPage(c, person, lang, id, { kind: 'bad', text: read.error }, form);
      const r = await submit(c, `${pool(person)}/agreements/${id}/terms`, form, {
        json: { effective_from: one(form, 'effective_from'), terms: read.terms },
      });
      return agreementPage(c, person, lang, id, noticeOf(lang, r), r.status === 201 ? undefined : form);
    }),
  );
  app.post(
    '/agreements/:id{[0-9]+}/suspension',
    page(async (c, person, lang) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody();
      const r = await submit(c, `${pool(person)}/agreements/${id}/suspension`, form, {
        json: { suspended: form.suspended === '1', reason: String(form.reason ?? '') },
      });
      return agreementPage(c, person, lang, id, noticeOf(lang, r));
    }),
  );

  // API keys: the systems that call the pool (a bank's core system, the insurer's claims system).
  const keysPage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice'], issued?: any) => {
    const scope = person.poolId ? `?pool_id=${person.poolId}&limit=1000` : '?limit=1000';
    const [keys, participants] = await Promise.all([
      call(c, 'GET', `/v1/keys${scope}`),
      person.poolId ? call(c, 'GET', `${pool(person)}/participants?limit=1000`) : Promise.resolve({ body: {} }),
    ]);
    const named = new Map<string, string>(((participants.body as any).data ?? []).map((p: any) => [p.id, p.name]));
    const roles = person.role === 'admin' ? ['admin', 'treasury', 'auditor'] : KEY_ROLES;
    return {
      title: zh(lang, 'API 密钥', 'API keys'),
      lang,
      person,
      path: '/keys',
      notice: notice ?? (keys.status === 200 ? null : noticeOf(lang, keys)),
      children: (
        <>
          {issued && (
            <p class="notice ok">
              {zh(
                lang,
                '新密钥（仅显示这一次，请交给对方系统保存）',
                'The new key (shown this once: hand it to the system)',
              )}
              :{' '}
              <strong>
                <code>{issued.key}</code>
              </strong>
            </p>
          )}
          <Rows
            columns={[
              '#',
              zh(lang, '前缀', 'Prefix'),
              say(lang, 'role'),
              say(lang, 'participant'),
              zh(lang, '用途', 'Label'),
              zh(lang, '签发时间', 'Issued'),
              say(lang, 'state'),
              say(lang, 'method'),
            ]}
            rows={((keys.body.data ?? []) as any[]).map((k) => [
              k.id,
              <code>{k.prefix}</code>,
              kindWord(lang, k.role),
              k.participant_id ? (named.get(k.participant_id) ?? `#${k.participant_id}`) : '—',
              k.person_login ? `${zh(lang, '人员账号', 'person')} ${k.person_login}` : k.label || '—',
              chinaTime(k.created_at),
              k.revoked_at ? `${zh(lang, '已吊销', 'revoked')} ${chinaTime(k.revoked_at)}` : zh(lang, '有效', 'active'),
              // A person's own key goes with the person (disabled on the people page), not from here.
              !k.revoked_at && !k.person_login ? (
                <form class="inline" method="post" action={`/keys/${k.id}/revoke`}>
                  <OnceField />
                  <button
                    class="secondary"
                    type="submit"
                    aria-label={`${zh(lang, '吊销密钥', 'Revoke key')} ${k.prefix}`}
                  >
                    {zh(lang, '吊销', 'Revoke')}
                  </button>
                </form>
              ) : (
                '—'
              ),
            ])}
          />
          <h2>{zh(lang, '签发密钥', 'Issue a key')}</h2>
          <form class="stack" method="post" action="/keys/new">
            <OnceField />
            <label>
              {say(lang, 'role')}
              <select name="role">
                {roles.map((r) => (
                  <option value={r}>{kindWord(lang, r)}</option>
                ))}
              </select>
            </label>
            {person.poolId && (
              <label>
                {zh(lang, '所属机构（银行、保险等必填）', 'Participant (for a bank, insurer…)')}
                <select name="participant_id">
                  <option value="">—</option>
                  {[...named].map(([id, name]) => (
                    <option value={id}>{name}</option>
                  ))}
                </select>
              </label>
            )}
            {person.role === 'admin' && (
              <Field label={zh(lang, '资金池编号', 'Pool')} name="pool_id" inputmode="numeric" pattern="[0-9]{1,18}" />
            )}
            <Field label={zh(lang, '用途', 'Label')} name="label" maxlength={200} />
            <button type="submit">{zh(lang, '签发', 'Issue')}</button>
          </form>
        </>
      ),
    } satisfies PageProps;
  };
  app.get('/keys', page(keysPage));
  app.post(
    '/keys/new',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const role = String(form.role ?? '');
      const participant = String(form.participant_id ?? '');
      const poolId = person.poolId?.toString() ?? String(form.pool_id ?? '').trim();
      const r = await submit(c, '/v1/keys', form, {
        json: {
          role,
          ...(role !== 'admin' && poolId ? { pool_id: poolId } : {}),
          ...(participant ? { participant_id: participant } : {}),
          label: String(form.label ?? ''),
        },
      });
      // A form sent twice answers the key's record without the key (shown once): say so.
      if (r.status === 201 && r.body.key === null)
        return keysPage(c, person, lang, {
          kind: 'info',
          text: zh(
            lang,
            '该密钥已签发，密钥本身只显示一次。',
            'That key was issued already; the key itself is shown once.',
          ),
        });
      return keysPage(c, person, lang, noticeOf(lang, r), r.status === 201 ? r.body : undefined);
    }),
  );
  app.post(
    '/keys/:id{[0-9]+}/revoke',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const r = await submit(c, `/v1/keys/${c.req.param('id')!}/revoke`, form);
      return keysPage(c, person, lang, noticeOf(lang, r));
    }),
  );
}
