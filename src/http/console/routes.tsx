import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { csrf } from 'hono/csrf';
import { raw } from 'hono/html';
import {
  changePassword,
  SESSION_MS,
  sessionPerson,
  signIn,
  SignInRefused,
  signOut,
  type Person,
} from '../../pool/people.js';
import { todayInChina } from '../../pool/days.js';
import { DomainError } from '../../pool/errors.js';
import type { AppEnv } from '../env.js';
import { SESSION_COOKIE } from '../middleware/auth.js';
import { chinaTime, fenOfYuan, kindWord, say, statusWord, yuan, zhOr, type Lang } from './format.js';
import { Facts, Field, homeOf, OnceField, Page, Rows, type PageProps } from './layout.js';
import { moneyPages } from './money-pages.js';
import { setupPages } from './setup-pages.js';

/**
 * The console: pages for the people who run the pool, rendered on the server (hono/jsx), Chinese first.
 * It is a client of the API, in-process: every read and write goes through the same /v1 route a program
 * calls, with the person's session, so the rules, four-eyes, idempotency (each form carries its key) and
 * the audit log are the API's. Forms work as plain posts; htmx, where loaded, adds the tape's progress bar.
 */
type Api = (request: Request) => Promise<Response>;
type Reply = { status: number; body: any };
type C = Context<AppEnv>;

const LANG_COOKIE = 'pool_lang';

const LENDING = ['treasury', 'auditor', 'bank', 'insurer'];
/**
 * Who may open which page, first match wins (the API then shows each role only its own: a bank its loans).
 * The inbox sends everyone but the treasury to their own first page; setting one's password is everyone's.
 */
const PAGE_ROLES: [RegExp, readonly string[]][] = [
  [/^\/tapes$/, ['bank']],
  [/^\/loans\/\d+\/claim$/, ['bank', 'insurer']],
  [/^\/claims\/\d+\/[a-z]+$/, ['treasury']],
  [/^\/(claims|loans)(\/|$)/, LENDING],
  [/^\/(journal|audit)(\/|$)/, ['treasury', 'auditor']],
  [/^\/people(\/\d+\/(reset|disable))?$/, ['treasury', 'admin']],
  [/^\/reconciliation\/.+$/, ['treasury']],
  [/^\/(reconciliation|reports)$/, ['treasury', 'auditor']],
  [/^\/awards\/(\d+\/[a-z]+|round)$/, ['treasury']],
  [/^\/awards\/apply$/, ['treasury', 'bank']],
  [/^\/appropriations(\/|$)/, ['treasury']],
  [/^\/agreements\/(new|\d+\/(terms|suspension))$/, ['treasury']],
  [/^\/agreements(\/\d+)?$/, LENDING],
  [/^\/participants\/new$/, ['treasury']],
  [/^\/participants$/, ['treasury', 'auditor']],
  [/^\/keys(\/.*)?$/, ['treasury', 'admin']],
  [/^\/loans\/\d+\/recoveries(\/receipt)?$/, ['bank', 'treasury']],
  [/^\/awards$/, ['treasury', 'auditor', 'bank', 'insurer']],
];
const langOf = (c: C): Lang => (getCookie(c, LANG_COOKIE) === 'en' ? 'en' : 'zh');
/**
 * Where a sign-in comes from, for its throttling: Cloudflare's connecting address on Workers (which a
 * client cannot set there), the socket's on Node; never X-Forwarded-For, which any client writes.
 */
const addressOf = (c: C): string =>
  c.req.header('cf-connecting-ip') ??
  (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ??
  'unknown';
const isLocal = (c: C) => ['127.0.0.1', 'localhost', '[::1]'].includes(new URL(c.req.url).hostname);

export function consoleRoutes(api: Api) {
  const app = new Hono<AppEnv>();
  // A form posted from another site is refused (hono/csrf: its Origin must be this site's). Mounted at the
  // root, this middleware sees every request: the API's own are the API's business (see middleware/auth.ts).
  const sameOrigin = csrf();
  app.use('*', async (c, next) => (c.req.path.startsWith('/v1/') ? next() : sameOrigin(c, next)));

  /** Calls the API as the signed-in person, from this request. */
  const call = async (
    c: C,
    method: 'GET' | 'POST',
    path: string,
    send: { json?: unknown; text?: string; contentType?: string; idem?: string } = {},
  ): Promise<Reply> => {
    const url = new URL(c.req.url);
    const headers = new Headers({ cookie: c.req.header('cookie') ?? '', origin: url.origin });
    const id = c.get('requestId') as string | undefined;
    if (id) headers.set('x-request-id', id);
    let body: string | undefined;
    if (method === 'POST') {
      headers.set('idempotency-key', send.idem || crypto.randomUUID());
      body = send.text ?? JSON.stringify(send.json ?? {});
      headers.set('content-type', send.contentType ?? 'application/json');
    }
    const res = await api(new Request(new URL(path, url.origin), { method, headers, body }));
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed };
  };

  /** Sends a form's write to the API under the form's own Idempotency-Key: a form sent twice is taken once. */
  const submit = (
    c: C,
    path: string,
    form: Record<string, unknown>,
    send: { json?: unknown; text?: string; contentType?: string } = {},
  ) => call(c, 'POST', path, { ...send, idem: String(form.idem ?? '') });

  const personOf = async (c: C): Promise<Person | null> => {
    const token = getCookie(c, SESSION_COOKIE);
    return token ? sessionPerson(c.get('deps').db.kysely, token) : null;
  };

  /** A page for a signed-in person; anyone else is sent to sign in. */
  const page =
    (render: (c: C, person: Person, lang: Lang) => Promise<Response | PageProps>) =>
    async (c: C): Promise<Response> => {
      const person = await personOf(c);
      if (!person) return c.redirect('/login', 303);
      if (person.mustChange && c.req.path !== '/password') return c.redirect('/password', 303);
      const lang = langOf(c);
      const roles = PAGE_ROLES.find(([path]) => path.test(c.req.path))?.[1];
      if (roles && !roles.includes(person.role))
        return show(
          c,
          {
            title: say(lang, 'error'),
            lang,
            person,
            path: c.req.path,
            notice: { kind: 'bad', text: lang === 'zh' ? '此页面不属于您的角色。' : 'This page is not for your role.' },
          },
          403,
        );
      const out = await render(c, person, lang);
      if (out instanceof Response) return out;
      // A refused form comes back as the page with the refusal in an alert (200, as a page the person reads).
      return show(c, out);
    };

  const pool = (p: Person) => `/v1/pools/${p.poolId}`;
  /** What a write answered, as a notice: proposed under four-eyes, done, or refused with the API's words. */
  const noticeOf = (lang: Lang, r: Reply): NonNullable<PageProps['notice']> =>
    r.status === 202
      ? { kind: 'info', text: say(lang, 'proposed') }
      : r.status < 300
        ? { kind: 'ok', text: say(lang, 'done') }
        : String(r.body?.type ?? '').endsWith('/four-eyes')
          ? { kind: 'bad', text: `${say(lang, 'error')}: ${say(lang, 'fourEyes')}` }
          : { kind: 'bad', text: `${say(lang, 'error')}: ${r.body?.detail ?? r.body?.title ?? r.status}` };

  /** Answers a page, with htmx where the host serves it. */
  const show = (c: C, props: PageProps, status: 200 | 401 | 403 | 404 | 429 = 200) =>
    c.html(<Page {...props} htmx={Boolean(c.get('deps').dashboard?.htmx)} />, status);

  app.get('/assets/htmx.min.js', (c) => {
    const js = c.get('deps').dashboard?.htmx;
    if (!js) return c.body('', 404);
    return c.body(js, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=86400',
    });
  });

  app.get('/lang', (c) => {
    const to = c.req.query('to') === 'en' ? 'en' : 'zh';
    setCookie(c, LANG_COOKIE, to, { path: '/', sameSite: 'Lax', maxAge: 365 * 86400, secure: !isLocal(c) });
    // Back to a page of this site only: the path as resolved against this site's origin.
    const here = new URL(c.req.url).origin;
    const back = new URL(c.req.query('back') ?? '/', here);
    return c.redirect(back.origin === here ? `${back.pathname}${back.search}` : '/', 303);
  });

  // Signing in and out.
  const loginPage = (c: C, notice?: PageProps['notice'], status: 200 | 401 | 429 = 200) => {
    const lang = langOf(c);
    return show(
      c,
      {
        title: say(lang, 'signIn'),
        lang,
        person: null,
        path: '/login',
        notice: notice ?? null,
        children: (
          <form class="stack" method="post" action="/login">
            <Field label={say(lang, 'login')} name="login" autocomplete="username" required autofocus />
            <Field
              label={say(lang, 'password')}
              name="password"
              type="password"
              autocomplete="current-password"
              required
            />
            <button type="submit">{say(lang, 'signIn')}</button>
          </form>
        ),
      },
      status,
    );
  };
  app.get('/login', (c) => loginPage(c));
  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const lang = langOf(c);
    try {
      const { token, person } = await signIn(c.get('deps').db.kysely, {
        login: String(form.login ?? ''),
        password: String(form.password ?? ''),
        address: addressOf(c),
        userAgent: c.req.header('user-agent') ?? '',
      });
      // A new session id at every sign-in (the old cookie, if any, is replaced).
      setCookie(c, SESSION_COOKIE, token, {
        path: '/',
        httpOnly: true,
        secure: !isLocal(c),
        sameSite: 'Lax',
        maxAge: SESSION_MS / 1000,
      });
      return c.redirect(person.mustChange ? '/password' : homeOf(person), 303);
    } catch (err) {
      if (!(err instanceof SignInRefused)) throw err;
      if (err.reason === 'throttled') {
        c.header('retry-after', String(err.retryAfterS));
        return loginPage(
          c,
          { kind: 'bad', text: lang === 'zh' ? '登录失败次数过多，请 15 分钟后再试。' : err.message },
          429,
        );
      }
      const words =
        err.reason === 'expired' ? '一次性密码已过期，请联系管理您账号的人员重新设置。' : '账号或密码错误。';
      return loginPage(c, { kind: 'bad', text: lang === 'zh' ? words : err.message }, 401);
    }
  });
  app.post('/logout', async (c) => {
    const token = getCookie(c, SESSION_COOKIE);
    if (token) await signOut(c.get('deps').db.kysely, token);
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: !isLocal(c) });
    return c.redirect('/login', 303);
  });

  const passwordForm = (lang: Lang) => (
    <form class="stack" method="post" action="/password">
      <Field
        label={say(lang, 'currentPassword')}
        name="current"
        type="password"
        autocomplete="current-password"
        required
      />
      <Field
        label={say(lang, 'newPassword')}
        name="next"
        type="password"
        autocomplete="new-password"
        minlength={12}
        required
      />
      <button type="submit">{say(lang, 'setPassword')}</button>
    </form>
  );
  app.get(
    '/password',
    page(async (c, person, lang) => ({
      title: say(lang, 'setPassword'),
      lang,
      person,
      path: '/password',
      notice: person.mustChange ? { kind: 'info', text: say(lang, 'mustChange') } : null,
      children: passwordForm(lang),
    })),
  );
  app.post(
    '/password',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      try {
        await changePassword(
          c.get('deps').db.kysely,
          person,
          String(form.current ?? ''),
          String(form.next ?? ''),
          getCookie(c, SESSION_COOKIE),
        );
      } catch (err) {
        if (!(err instanceof DomainError)) throw err;
        return {
          title: say(lang, 'setPassword'),
          lang,
          person,
          path: '/password',
          notice: { kind: 'bad', text: err.message },
          children: passwordForm(lang),
        };
      }
      return c.redirect(homeOf(person), 303);
    }),
  );

  // The treasury's inbox: decisions waiting for a second person, claims to review and to pay, late first.
  app.get(
    '/',
    page(async (c, person, lang) => {
      if (person.role !== 'treasury') return c.redirect(homeOf(person), 303);
      const [proposals, submitted, approved, overdue, position] = await Promise.all([
        call(c, 'GET', `${pool(person)}/proposals?status=pending&limit=100`),
        call(c, 'GET', `${pool(person)}/claims?status=submitted&limit=100`),
        call(c, 'GET', `${pool(person)}/claims?status=approved&limit=100`),
        call(c, 'GET', `${pool(person)}/claims?overdue=true&limit=100`),
        call(c, 'GET', `${pool(person)}/position`),
      ]);
      const late = new Set<string>((overdue.body.data ?? []).map((x: { id: string }) => x.id));
      // The dashboard's charts, where the host serves Chart.js (the Node server does).
      const charts = Boolean(c.get('deps').dashboard?.chartsJs);
      const lateFirst = (rows: ClaimRow[]) => [...rows].sort((a, b) => Number(late.has(b.id)) - Number(late.has(a.id)));
      return {
        title: say(lang, 'inbox'),
        lang,
        person,
        path: '/',
        children: (
          <>
            <h2>{say(lang, 'proposals')}</h2>
            <ProposalTable lang={lang} rows={proposals.body.data ?? []} me={person.keyId.toString()} />
            <h2>{say(lang, 'toReview')}</h2>
            <ClaimTable lang={lang} rows={lateFirst(submitted.body.data ?? [])} late={late} />
            <h2>{say(lang, 'toPay')}</h2>
            <ClaimTable lang={lang} rows={lateFirst(approved.body.data ?? [])} late={late} />
            <h2>{say(lang, 'position')}</h2>
            <PositionTable lang={lang} position={position.body} />
            {charts && <PoolCharts lang={lang} pool={person.poolId!.toString()} />}
          </>
        ),
      };
    }),
  );

  app.get(
    '/claims',
    page(async (c, person, lang) => {
      const status = c.req.query('status');
      const q = status && /^[a-z]+$/.test(status) ? `&status=${status}` : '';
      const r = await call(c, 'GET', `${pool(person)}/claims?limit=200${q}`);
      return {
        title: say(lang, 'claims'),
        lang,
        person,
        path: '/claims',
        children: <ClaimTable lang={lang} rows={r.body.data ?? []} late={new Set()} />,
      };
    }),
  );

  const claimPage = async (c: C, person: Person, lang: Lang, id: string, notice?: PageProps['notice']) => {
    const r = await call(c, 'GET', `${pool(person)}/claims/${id}`);
    if (r.status !== 200)
      return show(c, { title: say(lang, 'claim'), lang, person, path: '/claims', notice: noticeOf(lang, r) }, 404);
    const claim = r.body as ClaimRow & Record<string, any>;
    const treasury = person.role === 'treasury';
    const proposals =
      treasury || person.role === 'auditor'
        ? ((await call(c, 'GET', `${pool(person)}/proposals?subject=claim/${id}`)).body.data ?? [])
        : [];
    const open = (decision: string) => proposals.find((p: any) => p.decision === decision && p.status === 'pending');
    // The claim's history in time order: its steps, and the proposals (初审, a payment proposed) between them.
    const proposalWord = (p: any) =>
      p.decision === 'claim.approve'
        ? lang === 'zh'
          ? '初审'
          : 'reviewed'
        : lang === 'zh'
          ? '提请支付'
          : 'payment proposed';
    const history = [
      ...proposals.map((p: any) => ({
        what: `${proposalWord(p)}（${statusWord(lang, p.status)}）`,
        reason: p.reason as string,
        by: (p.proposed_by_name ?? `key ${p.proposed_by}`) as string,
        at: p.created_at as string,
      })),
      ...(claim.steps ?? []).map((s: any) => ({
        what: statusWord(lang, s.status),
        reason: s.reason as string,
        by: (s.by_name ?? (s.by ? `key ${s.by}` : '—')) as string,
        at: s.at as string,
      })),
    ].sort((x, y) => (x.at < y.at ? -1 : x.at > y.at ? 1 : 0));
    const action = (name: 'approve' | 'defer' | 'reject' | 'pay', label: string) => (
      <form method="post" action={`/claims/${id}/${name}`}>
        <OnceField />
        {/* What the person saw: the open proposal the button confirms, or none (the button proposes). */}
        <input type="hidden" name="seen" value={open(`claim.${name}`)?.id ?? ''} />
        <label>
          {say(lang, 'reason')}
          <textarea name="reason" required rows={2} cols={30}></textarea>
        </label>
        <button type="submit">{label}</button>
      </form>
    );
    return {
      title: `${say(lang, 'claim')} #${claim.id}`,
      lang,
      person,
      path: '/claims',
      notice: notice ?? null,
      children: (
        <>
          <Facts
            rows={[
              [say(lang, 'status'), statusWord(lang, claim.status)],
              [say(lang, 'loan'), <a href={`/loans/${claim.loan_id}`}>#{claim.loan_id}</a>],
              [say(lang, 'amount'), yuan(claim.amount), 'num'],
              [say(lang, 'lossPrincipal'), yuan(claim.loss_principal), 'num'],
              [say(lang, 'dueBy'), claim.due_by ?? '—'],
            ]}
          />
          <h2>{say(lang, 'breakdown')}</h2>
          <Rows
            columns={[say(lang, 'rule'), [say(lang, 'limit'), 'num'], [say(lang, 'amount'), 'num'], '']}
            rows={(claim.breakdown?.steps ?? []).map((s: any) => [
              capWord(lang, s.step),
              yuan(s.limit),
              yuan(s.amount),
              s.bit ? say(lang, 'capped') : '',
            ])}
          />
          <h2>{say(lang, 'steps')}</h2>
          <Rows
            columns={[say(lang, 'status'), say(lang, 'reason'), say(lang, 'by'), say(lang, 'at')]}
            rows={history.map((h) => [h.what, h.reason, h.by, chinaTime(h.at)])}
          />
          {treasury && (
            <div class="actions">
              {(claim.status === 'submitted' || claim.status === 'deferred') &&
                action('approve', open('claim.approve') ? say(lang, 'approve') : say(lang, 'review'))}
              {claim.status === 'submitted' && action('defer', say(lang, 'defer'))}
              {['submitted', 'deferred', 'approved'].includes(claim.status) && action('reject', say(lang, 'reject'))}
              {claim.status === 'approved' &&
                action('pay', open('claim.pay') ? say(lang, 'confirm') : say(lang, 'proposePay'))}
            </div>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get(
    '/claims/:id{[0-9]+}',
    page(async (c, person, lang) => claimPage(c, person, lang, c.req.param('id')!)),
  );
  app.post(
    '/claims/:id{[0-9]+}/:action{approve|defer|reject|pay}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const id = c.req.param('id')!;
      const action = c.req.param('action')!;
      if (action === 'approve' || action === 'pay') {
        // Proposing, the person must not confirm a proposal made meanwhile by someone else (nor the
        // reverse): the button means what the page showed when it was pressed.
        const now = await call(c, 'GET', `${pool(person)}/proposals?subject=claim/${id}&status=pending`);
        const open = (now.body.data ?? []).find((p: any) => p.decision === `claim.${action}`)?.id ?? '';
        if (open !== String(form.seen ?? ''))
          return claimPage(c, person, lang, id, {
            kind: 'bad',
            text: zhOr(
              lang,
              '此申请刚刚有了变化（另一位同事提议或撤回了决定），请核对后再操作。',
              'The claim changed meanwhile (a colleague proposed or withdrew a decision): look again before you act.',
            ),
          });
      }
      const r = await submit(c, `${pool(person)}/claims/${id}/${action}`, form, {
        json: { reason: String(form.reason ?? '') },
      });
      return claimPage(c, person, lang, id, noticeOf(lang, r));
    }),
  );

  app.get(
    '/loans',
    page(async (c, person, lang) => {
      const reference = c.req.query('reference')?.trim();
      const state = c.req.query('state');
      const query = new URLSearchParams({ limit: '200' });
      if (reference) query.set('reference', reference);
      if (state && ['active', 'overdue', 'defaulted', 'repaid'].includes(state)) query.set('state', state);
      const r = await call(c, 'GET', `${pool(person)}/loans?${query}`);
      return {
        title: say(lang, 'loans'),
        lang,
        person,
        path: '/loans',
        notice: r.status === 200 ? null : noticeOf(lang, r),
        children: (
          <>
            <form class="inline" method="get" action="/loans" role="search">
              <Field label={say(lang, 'reference')} name="reference" value={reference ?? ''} />
              <label>
                {say(lang, 'state')}
                <select name="state">
                  <option value="">{say(lang, 'all')}</option>
                  {['active', 'overdue', 'defaulted', 'repaid'].map((s) => (
                    <option value={s} selected={s === state}>
                      {statusWord(lang, s)}
                    </option>
                  ))}
                </select>
              </label>
              <button type="submit">{say(lang, 'search')}</button>
            </form>
            <Rows
              columns={[
                say(lang, 'reference'),
                say(lang, 'state'),
                [say(lang, 'principal'), 'num'],
                [say(lang, 'outstanding'), 'num'],
              ]}
              rows={(r.body.data ?? []).map((l: any) => [
                <a href={`/loans/${l.id}`}>{l.reference}</a>,
                statusWord(lang, l.state),
                yuan(l.principal),
                yuan(l.outstanding),
              ])}
            />
          </>
        ),
      };
    }),
  );

  const loanPage = async (c: C, person: Person, lang: Lang, id: string, notice?: PageProps['notice']) => {
    const [loan, reports, claims] = await Promise.all([
      call(c, 'GET', `${pool(person)}/loans/${id}`),
      call(c, 'GET', `${pool(person)}/loans/${id}/reports`),
      call(c, 'GET', `${pool(person)}/claims?loan_id=${id}&limit=50`),
    ]);
    if (loan.status !== 200)
      return show(c, { title: say(lang, 'loan'), lang, person, path: '/loans', notice: noticeOf(lang, loan) }, 404);
    const l = loan.body;
    // One claim per loan and claimant: the form is offered until the viewer's own is filed.
    const claimable =
      l.state === 'defaulted' &&
      (person.role === 'bank' || person.role === 'insurer') &&
      !(claims.body.data ?? []).some((x: ClaimRow) => x.claimant_kind === person.role);
    // What the bank recovers after a default is shared back: the bank reports it, the treasury receives the
    // pool's part.
    const recovering = l.state === 'defaulted' && (person.role === 'bank' || person.role === 'treasury');
    return {
      title: `${say(lang, 'loan')} ${l.reference}`,
      lang,
      person,
      path: '/loans',
      notice: notice ?? null,
      children: (
        <>
          <Facts
            rows={[
              [say(lang, 'state'), statusWord(lang, l.state)],
              [say(lang, 'principal'), yuan(l.principal), 'num'],
              [say(lang, 'outstanding'), yuan(l.outstanding), 'num'],
              [lang === 'zh' ? '放款日 / 到期日' : 'Disbursed / matures', `${l.disbursed_on} / ${l.matures_on}`],
            ]}
          />
          <h2>{say(lang, 'monthlyReports')}</h2>
          <Rows
            columns={[
              say(lang, 'month'),
              [say(lang, 'outstanding'), 'num'],
              [lang === 'zh' ? '逾期本金（元）' : 'Overdue principal (CNY)', 'num'],
              [lang === 'zh' ? '逾期天数' : 'Days past due', 'num'],
              lang === 'zh' ? '五级分类' : 'Classification',
            ]}
            rows={(reports.body.data ?? []).map((r: any) => [
              r.month.slice(0, 7),
              yuan(r.outstanding),
              yuan(r.overdue_principal),
              r.days_past_due,
              classificationWord(lang, r.classification),
            ])}
          />
          <h2>{say(lang, 'claims')}</h2>
          <ClaimTable lang={lang} rows={claims.body.data ?? []} late={new Set()} />
          {recovering && person.role === 'bank' && (
            <>
              <h2>{zhOr(lang, '报告追偿收回', 'Report a recovery')}</h2>
              <form class="stack" method="post" action={`/loans/${id}/recoveries`}>
                <OnceField />
                <Field label={say(lang, 'reference')} name="reference" required />
                <Field label={zhOr(lang, '收回日期', 'Recovered on')} type="date" name="on" required />
                <Field
                  label={zhOr(lang, '收回金额（元）', 'Recovered (CNY)')}
                  name="gross"
                  inputmode="decimal"
                  required
                />
                <Field
                  label={zhOr(lang, '追偿费用（元）', 'Costs of recovery (CNY)')}
                  name="costs"
                  inputmode="decimal"
                  value="0.00"
                  required
                />
                <button type="submit">{say(lang, 'send')}</button>
              </form>
            </>
          )}
          {recovering && person.role === 'treasury' && (
            <>
              <h2>{zhOr(lang, '追偿款到账', 'Recovery received')}</h2>
              <form class="stack" method="post" action={`/loans/${id}/recoveries/receipt`}>
                <OnceField />
                <Field label={say(lang, 'reference')} name="reference" required />
                <Field label={zhOr(lang, '到账日期', 'Received on')} type="date" name="on" required />
                <button type="submit">{say(lang, 'send')}</button>
              </form>
            </>
          )}
          {claimable && (
            <>
              <h2>{say(lang, 'fileClaim')}</h2>
              <form class="stack" method="post" action={`/loans/${id}/claim`} enctype="multipart/form-data">
                <OnceField />
                <Field
                  label={say(lang, 'lossPrincipal')}
                  name="loss_principal"
                  inputmode="decimal"
                  required
                  placeholder="100,000.00"
                />
                {person.role === 'insurer' && (
                  <Field
                    label={lang === 'zh' ? '已向银行赔付（元）' : 'Paid to the bank (CNY)'}
                    name="paid_to_bank"
                    inputmode="decimal"
                    required
                  />
                )}
                <Field
                  label={
                    lang === 'zh' ? '申请材料（申请书、诉讼受理通知书等）' : 'Papers (application, court notice …)'
                  }
                  name="documents"
                  type="file"
                  multiple
                  required
                />
                <button type="submit">{say(lang, 'fileClaim')}</button>
              </form>
            </>
          )}
        </>
      ),
    } satisfies PageProps;
  };
  app.get(
    '/loans/:id{[0-9]+}',
    page(async (c, person, lang) => loanPage(c, person, lang, c.req.param('id')!)),
  );
  app.post(
    '/loans/:id{[0-9]+}/recoveries',
    page(async (c, person, lang) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody();
      const [gross, costs] = [fenOfYuan(String(form.gross ?? '')), fenOfYuan(String(form.costs ?? ''))];
      if (gross === null || costs === null)
        return loanPage(c, person, lang, id, { kind: 'bad', text: zhOr(lang, '金额无效。', 'Not an amount.') });
      const r = await submit(c, `${pool(person)}/loans/${id}/recoveries`, form, {
        json: { reference: String(form.reference ?? ''), recovered_on: String(form.on ?? ''), gross, costs },
      });
      return loanPage(c, person, lang, id, noticeOf(lang, r));
    }),
  );
  app.post(
    '/loans/:id{[0-9]+}/recoveries/receipt',
    page(async (c, person, lang) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody();
      const reference = encodeURIComponent(String(form.reference ?? ''));
      const r = await submit(c, `${pool(person)}/loans/${id}/recoveries/${reference}/receipt`, form, {
        json: { received_on: String(form.on ?? '') },
      });
      return loanPage(c, person, lang, id, noticeOf(lang, r));
    }),
  );
  app.post(
    '/loans/:id{[0-9]+}/claim',
    page(async (c, person, lang) => {
      const id = c.req.param('id')!;
      const form = await c.req.parseBody({ all: true });
      const bad = (text: string) => loanPage(c, person, lang, id, { kind: 'bad', text });
      const loss = fenOfYuan(String(form.loss_principal ?? ''));
      if (loss === null)
        return bad(
          lang === 'zh' ? '本金损失不是有效金额（元，最多两位小数）。' : 'The principal lost is not an amount in yuan.',
        );
      const paid = form.paid_to_bank === undefined ? undefined : fenOfYuan(String(form.paid_to_bank));
      if (paid === null)
        return bad(lang === 'zh' ? '已赔付金额不是有效金额。' : 'What was paid is not an amount in yuan.');
      // Each paper is kept by its SHA-256: the claim names the files and proves which ones they were.
      const files = [form.documents].flat().filter((f): f is File => f instanceof File && f.size > 0);
      if (files.length === 0) return bad(lang === 'zh' ? '请附上申请材料。' : 'Attach the papers.');
      const documents = await Promise.all(
        files.map(async (f) => ({
          name: f.name.slice(0, 200),
          sha256: [...new Uint8Array(await crypto.subtle.digest('SHA-256', await f.arrayBuffer()))]
            .map((b) => b.toString(16).padStart(2, '0'))
            .join(''),
        })),
      );
      const r = await submit(c, `${pool(person)}/claims`, form, {
        json: { loan_id: id, loss_principal: loss, ...(paid === undefined ? {} : { paid_to_bank: paid }), documents },
      });
      if (r.status === 201) return c.redirect(`/claims/${r.body.id}`, 303);
      return loanPage(c, person, lang, id, noticeOf(lang, r));
    }),
  );

  // A bank's loan tape: uploaded whole, with a progress bar; a tape with a bad row is refused and every bad
  // row named (line, field, rule), so the officer fixes the file and sends it again.
  const tapeForm = (lang: Lang, sent: boolean) => (
    <form
      class="stack"
      method="post"
      action="/tapes"
      enctype="multipart/form-data"
      hx-post="/tapes"
      hx-encoding="multipart/form-data"
      hx-target="#tape"
      hx-select="#tape"
      hx-swap="outerHTML"
    >
      <OnceField />
      <label>
        {zhOr(lang, '台账类型', 'Kind of tape')}
        <select name="kind">
          <option value="loans">{zhOr(lang, '新增贷款台账', 'Loans enrolled')}</option>
          <option value="reports">{zhOr(lang, '贷款月报台账', 'Monthly reports')}</option>
        </select>
      </label>
      <Field label={say(lang, 'file')} name="tape" type="file" accept=".csv,text/csv" required />
      <progress
        id="tape-progress"
        value={sent ? '100' : '0'}
        max="100"
        aria-label={lang === 'zh' ? '上传进度' : 'Upload progress'}
      ></progress>
      <button type="submit">{say(lang, 'send')}</button>
      <script>
        {raw(
          `document.currentScript.parentElement.addEventListener('htmx:xhr:progress', function (e) { if (e.detail.lengthComputable) document.getElementById('tape-progress').value = e.detail.loaded / e.detail.total * 100; });`,
        )}
      </script>
    </form>
  );
  /** The form and the last tape's result: swapped whole, so the next tape is sent under a key of its own. */
  const tapeSection = (lang: Lang, r: Reply | null) => (
    <div id="tape">
      {tapeForm(lang, r !== null)}
      {tapeResult(lang, r)}
    </div>
  );
  const tapeResult = (lang: Lang, r: Reply | null) => {
    if (!r) return <div id="tape-result"></div>;
    const errors: any[] = r.body?.row_errors ?? r.body?.errors ?? [];
    return (
      <div id="tape-result">
        <div class={`notice ${r.status === 200 ? 'ok' : 'bad'}`} role={r.status === 200 ? 'status' : 'alert'}>
          {r.status === 200
            ? `${say(lang, 'accepted')}: ${r.body.accepted} / ${r.body.rows} · ${say(lang, 'principal')} ${yuan(r.body.principal)}`
            : String(r.body?.type ?? '').endsWith('/tape-refused') && lang === 'zh'
              ? `未能办理：${r.body.rows} 行中有 ${r.body.refused} 行未通过校验，整个台账未写入。请修改下列各行后重新上传。`
              : `${say(lang, 'error')}: ${r.body?.detail ?? r.status}`}
        </div>
        {errors.length > 0 && (
          <>
            <h2>{say(lang, 'refusedRows')}</h2>
            <Rows
              columns={[
                [say(lang, 'line'), 'num'],
                say(lang, 'reference'),
                say(lang, 'field'),
                say(lang, 'rule'),
                say(lang, 'message'),
              ]}
              rows={errors.map((e) => [e.line, e.reference ?? '', e.field ?? '', e.rule ?? '', e.message])}
            />
          </>
        )}
      </div>
    );
  };
  app.get(
    '/tapes',
    page(async (c, person, lang) => ({
      title: say(lang, 'upload'),
      lang,
      person,
      path: '/tapes',
      children: tapeSection(lang, null),
    })),
  );
  app.post(
    '/tapes',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const file = form.tape;
      const text = file instanceof File ? await file.text() : '';
      const route = form.kind === 'reports' ? 'loan-report-tapes' : 'loan-tapes';
      const r = await submit(c, `${pool(person)}/${route}?mode=all_or_nothing`, form, {
        text,
        contentType: 'text/csv',
      });
      return {
        title: say(lang, 'upload'),
        lang,
        person,
        path: '/tapes',
        children: tapeSection(lang, r),
      };
    }),
  );

  // The auditor's journal: transactions, the trial balance, and the chain verified on request.
  app.get(
    '/journal',
    page(async (c, person, lang) => {
      const asOf = /^\d{4}-\d{2}-\d{2}$/.test(c.req.query('as_of') ?? '') ? c.req.query('as_of')! : undefined;
      const after = /^\d{1,18}$/.test(c.req.query('after') ?? '') ? c.req.query('after')! : undefined;
      const [txs, trial, verify] = await Promise.all([
        call(c, 'GET', `${pool(person)}/transactions?limit=50${after ? `&after=${after}` : ''}`),
        call(c, 'GET', `${pool(person)}/trial-balance${asOf ? `?as_of=${asOf}` : ''}`),
        c.req.query('verify') ? call(c, 'GET', `${pool(person)}/chain/verify`) : Promise.resolve(null),
      ]);
      return {
        title: say(lang, 'journal'),
        lang,
        person,
        path: '/journal',
        notice: verify
          ? verify.body.ok
            ? { kind: 'ok', text: `${say(lang, 'chainOk')}: ${verify.body.checked} · ${verify.body.head?.hash ?? ''}` }
            : {
                kind: 'bad',
                text: `${say(lang, 'chainBroken')}: ${verify.body.broken_at ?? ''} ${verify.body.reason ?? verify.body.detail ?? ''}`,
              }
          : null,
        children: (
          <>
            <form class="inline" method="get" action="/journal">
              <input type="hidden" name="verify" value="1" />
              <button type="submit">{say(lang, 'verify')}</button>
            </form>
            <h2>{say(lang, 'trialBalance')}</h2>
            <form class="inline" method="get" action="/journal">
              <Field label={zhOr(lang, '截至日期', 'As of')} type="date" name="as_of" value={asOf ?? ''} />
              <button type="submit">{say(lang, 'search')}</button>
            </form>
            <Rows
              columns={[say(lang, 'account'), [say(lang, 'debit'), 'num'], [say(lang, 'credit'), 'num']]}
              rows={(trial.body.lines ?? []).map((l: any) => {
                const code: string = l.account?.code ?? l.account;
                return [
                  <a href={`/journal/accounts/${encodeURIComponent(code)}`}>{code}</a>,
                  yuan(l.debit),
                  yuan(l.credit),
                ];
              })}
            />
            <h2>{say(lang, 'transactions')}</h2>
            <Rows
              columns={[
                '#',
                lang === 'zh' ? '记账日' : 'Date',
                lang === 'zh' ? '业务编号' : 'External id',
                lang === 'zh' ? '摘要' : 'Description',
              ]}
              rows={(txs.body.data ?? []).map((t: any) => [t.id, t.effective_date, t.external_id, t.description])}
            />
            {txs.body.next_cursor && (
              <p>
                <a href={`/journal?after=${txs.body.next_cursor}`}>{zhOr(lang, '下一页', 'Next page')}</a>
              </p>
            )}
          </>
        ),
      };
    }),
  );

  // An account's statement: its lines with the running balance, by effective date.
  app.get(
    '/journal/accounts/:code{[a-z0-9_:.-]{1,100}}',
    page(async (c, person, lang) => {
      const code = c.req.param('code')!;
      const r = await call(c, 'GET', `${pool(person)}/accounts/${encodeURIComponent(code)}/statement?limit=200`);
      return {
        title: `${zhOr(lang, '明细账', 'Account statement')} ${code}`,
        lang,
        person,
        path: '/journal',
        notice: r.status === 200 ? null : noticeOf(lang, r),
        children: (
          <>
            <p>
              {zhOr(lang, '期初余额（元）', 'Opening balance (CNY)')}: {yuan(r.body.opening_balance)}
            </p>
            <Rows
              columns={[
                zhOr(lang, '记账日', 'Date'),
                '#',
                zhOr(lang, '业务编号', 'External id'),
                zhOr(lang, '摘要', 'Description'),
                [say(lang, 'debit'), 'num'],
                [say(lang, 'credit'), 'num'],
                [zhOr(lang, '余额（元）', 'Balance (CNY)'), 'num'],
              ]}
              rows={(r.body.data ?? []).map((l: any) => [
                l.effective_date,
                l.transaction_id,
                l.external_id,
                l.description,
                l.side === 'debit' ? yuan(l.amount) : '',
                l.side === 'credit' ? yuan(l.amount) : '',
                yuan(l.balance),
              ])}
            />
          </>
        ),
      };
    }),
  );

  app.get(
    '/audit',
    page(async (c, person, lang) => {
      const r = await call(c, 'GET', `${pool(person)}/audit?limit=200`);
      return {
        title: say(lang, 'audit'),
        lang,
        person,
        path: '/audit',
        notice: r.status === 200 ? null : noticeOf(lang, r),
        children: (
          <Rows
            columns={[
              say(lang, 'at'),
              say(lang, 'who'),
              say(lang, 'method'),
              say(lang, 'path'),
              [say(lang, 'status'), 'num'],
              say(lang, 'requestId'),
            ]}
            rows={(r.body.data ?? []).map((a: any) => [
              chinaTime(a.at),
              a.person ? `${a.person.name} (${a.person.login})` : a.key_label || `key ${a.key_id}`,
              a.method,
              a.path,
              a.status,
              <code>{a.request_id}</code>,
            ])}
          />
        ),
      };
    }),
  );

  // People: the treasury those of its pool, the admin the platform's.
  const peoplePage = async (c: C, person: Person, lang: Lang, notice?: PageProps['notice'], children?: any) => {
    const [list, participants] = await Promise.all([
      call(c, 'GET', '/v1/people?limit=500'),
      person.poolId
        ? call(c, 'GET', `${pool(person)}/participants?limit=500`)
        : Promise.resolve({ status: 200, body: { data: [] } }),
    ]);
    const named = new Map<string, string>((participants.body.data ?? []).map((p: any) => [p.id, p.name]));
    const roles =
      person.role === 'admin'
        ? ['admin', 'treasury', 'auditor']
        : ['auditor', 'bank', 'insurer', 'guarantor', 'enterprise'];
    return {
      title: say(lang, 'people'),
      lang,
      person,
      path: '/people',
      notice: notice ?? null,
      children: (
        <>
          {children}
          <Rows
            columns={[
              say(lang, 'login'),
              say(lang, 'name'),
              say(lang, 'role'),
              say(lang, 'participant'),
              say(lang, 'status'),
              say(lang, 'method'),
            ]}
            rows={(list.body.data ?? []).map((p: any) => {
              const self = p.id === person.id.toString();
              // The treasury's people are the admin's to reset (createPerson and resetPassword say why).
              const resettable = !self && !p.disabled && (person.role === 'admin' || p.role !== 'treasury');
              const act = (action: 'reset' | 'disable', label: string) => (
                <form class="inline" method="post" action={`/people/${p.id}/${action}`}>
                  <OnceField />
                  <button class="secondary" type="submit" aria-label={`${label} ${p.login}`}>
                    {label}
                  </button>
                </form>
              );
              return [
                p.login,
                p.name,
                kindWord(lang, p.role),
                p.participant_id ? (named.get(p.participant_id) ?? `#${p.participant_id}`) : '—',
                p.disabled
                  ? zhOr(lang, '已停用', 'disabled')
                  : p.must_change_password
                    ? zhOr(lang, '待设置密码', 'password to set')
                    : zhOr(lang, '正常', 'active'),
                <>
                  {resettable && act('reset', zhOr(lang, '重置密码', 'Reset password'))}
                  {!self && !p.disabled && act('disable', zhOr(lang, '停用', 'Disable'))}
                </>,
              ];
            })}
          />
          <h2>{say(lang, 'create')}</h2>
          <form class="stack" method="post" action="/people">
            <OnceField />
            <Field label={say(lang, 'login')} name="login" required pattern="[a-z0-9][a-z0-9._@\-]{1,63}" />
            <Field label={say(lang, 'name')} name="name" required />
            <label>
              {say(lang, 'role')}
              <select name="role">
                {roles.map((r) => (
                  <option value={r}>{r}</option>
                ))}
              </select>
            </label>
            {person.poolId && (
              <label>
                {say(lang, 'participant')}
                <select name="participant_id">
                  <option value="">—</option>
                  {(participants.body.data ?? []).map((p: any) => (
                    <option value={p.id}>{`${p.name} (${p.kind})`}</option>
                  ))}
                </select>
              </label>
            )}
            <button type="submit">{say(lang, 'create')}</button>
          </form>
        </>
      ),
    } satisfies PageProps;
  };
  app.get(
    '/people',
    page(async (c, person, lang) => peoplePage(c, person, lang)),
  );
  app.post(
    '/people',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const participant = String(form.participant_id ?? '');
      const r = await submit(c, '/v1/people', form, {
        json: {
          login: String(form.login ?? ''),
          name: String(form.name ?? ''),
          role: String(form.role ?? ''),
          ...(person.poolId ? { pool_id: person.poolId.toString() } : {}),
          ...(participant ? { participant_id: participant } : {}),
        },
      });
      if (r.status !== 201) return peoplePage(c, person, lang, noticeOf(lang, r));
      return peoplePage(c, person, lang, { kind: 'ok', text: say(lang, 'done') }, oneTimeShown(lang, r.body));
    }),
  );

  app.post(
    '/people/:id{[0-9]+}/:action{reset|disable}',
    page(async (c, person, lang) => {
      const form = await c.req.parseBody();
      const reset = c.req.param('action') === 'reset';
      const r = await submit(c, `/v1/people/${c.req.param('id')!}/${reset ? 'password-reset' : 'disable'}`, form);
      if (r.status !== 200 || !reset) return peoplePage(c, person, lang, noticeOf(lang, r));
      return peoplePage(c, person, lang, { kind: 'ok', text: say(lang, 'done') }, oneTimeShown(lang, r.body));
    }),
  );

  const kit = { call, submit, page, pool, noticeOf };
  moneyPages(app, kit);
  setupPages(app, kit);

  return app;
}

/** A one-time password just made (an account created, a password reset), shown this once. */
const oneTimeShown = (lang: Lang, body: { one_time_password: string | null; person: { login: string } }) =>
  body.one_time_password && (
    <p class="notice ok">
      {say(lang, 'oneTimePassword')}:{' '}
      <strong>
        <code>{body.one_time_password}</code>
      </strong>{' '}
      ({body.person.login})
    </p>
  );

interface ClaimRow {
  id: string;
  loan_id: string;
  status: string;
  amount: { amount: string };
  claimant_kind: string;
  due_by: string | null;
}

/** The five-level loan classification (五级分类), as the bank's own reports name it. */
const CLASSES: Record<string, [string, string]> = {
  normal: ['正常', 'normal'],
  special_mention: ['关注', 'special mention'],
  substandard: ['次级', 'substandard'],
  doubtful: ['可疑', 'doubtful'],
  loss: ['损失', 'loss'],
};
const classificationWord = (lang: Lang, c: string) => CLASSES[c]?.[lang === 'zh' ? 0 : 1] ?? c;

/** The caps of a claim's amount (claim-amount.ts), as a reviewer reads them. */
const CAPS: Record<string, [string, string]> = {
  share: ['资金池分担比例', "the pool's share"],
  loan_already_granted: ['该笔贷款已获补偿', 'already granted on the loan'],
  paid_to_bank: ['保险已赔付银行', 'paid by the insurer to the bank'],
  per_loan_cap: ['单笔贷款上限', 'cap per loan'],
  enterprise_year_cap: ['企业年度上限', "the enterprise's cap of the year"],
  bank_year_cap: ['银行年度上限', "the bank's cap of the year"],
  available: ['资金池可用余额', "the pool's available balance"],
};
const capWord = (lang: Lang, step: string) => CAPS[step]?.[lang === 'zh' ? 0 : 1] ?? step;

function ClaimTable(props: { lang: Lang; rows: ClaimRow[]; late: Set<string> }) {
  const { lang } = props;
  if (props.rows.length === 0) return <p class="muted">{say(lang, 'none')}</p>;
  return (
    <Rows
      columns={[
        '#',
        say(lang, 'loan'),
        zhOr(lang, '申请方', 'Claimant'),
        say(lang, 'status'),
        [say(lang, 'amount'), 'num'],
        say(lang, 'dueBy'),
      ]}
      rows={props.rows.map((r) => [
        <a href={`/claims/${r.id}`}>{`#${r.id}`}</a>,
        <a href={`/loans/${r.loan_id}`}>{`#${r.loan_id}`}</a>,
        r.claimant_kind === 'bank' ? zhOr(lang, '银行', 'bank') : zhOr(lang, '保险', 'insurer'),
        statusWord(lang, r.status),
        yuan(r.amount),
        `${r.due_by ?? '—'}${props.late.has(r.id) ? ` · ${say(lang, 'overdue')}` : ''}`,
      ])}
    />
  );
}

function ProposalTable(props: { lang: Lang; rows: any[]; me: string }) {
  const { lang } = props;
  if (props.rows.length === 0) return <p class="muted">{say(lang, 'none')}</p>;
  return (
    <Rows
      columns={[zhOr(lang, '事项', 'Decision'), say(lang, 'reason'), say(lang, 'proposedBy'), say(lang, 'at')]}
      rows={props.rows.map((p) => {
        const [kind, id] = String(p.subject).split('/');
        const what = `${p.decision} ${p.subject}`;
        return [
          kind === 'claim' ? (
            <a href={`/claims/${id}`}>{what}</a>
          ) : kind === 'statement_line' || kind === 'period' ? (
            <a href="/reconciliation">{what}</a>
          ) : (
            what
          ),
          p.reason,
          p.proposed_by === props.me
            ? zhOr(lang, '本人（需另一人确认）', 'you (another person confirms)')
            : (p.proposed_by_name ?? `key ${p.proposed_by}`),
          chinaTime(p.created_at),
        ];
      })}
    />
  );
}

const CHARTS: [id: string, chinese: string, english: string][] = [
  ['cash', '资金池余额（元）', 'Pool cash over time (CNY)'],
  ['exposure', '各银行授信使用（元）', 'Exposure per bank against its credit line (CNY)'],
  ['claims', '代偿申请进度', 'Claims pipeline'],
  ['loss', '损失率与暂停阈值（%）', 'Loss ratio against the suspension threshold (%)'],
  ['reconciliation', '对账：银行对账单与账面（元）', 'Reconciliation: statement against ledger (CNY)'],
];

/** The dashboard's charts, drawn in the page by its script with the person's session (their cookie). */
function PoolCharts(props: { lang: Lang; pool: string }) {
  const { lang } = props;
  return (
    <section class="charts" data-pool-charts data-pool={props.pool} data-year={todayInChina().slice(0, 4)}>
      <p class="muted" role="status"></p>
      {CHARTS.map(([id, chinese, english]) => (
        <figure class={id === 'cash' ? 'wide' : undefined}>
          <figcaption>{zhOr(lang, chinese, english)}</figcaption>
          <canvas id={id} role="img" aria-label={zhOr(lang, chinese, english)}></canvas>
        </figure>
      ))}
      <script src="/dashboard/chart.js" defer></script>
      <script src="/dashboard/charts.js" defer></script>
    </section>
  );
}

/** The position's figures (GET /position), named as the finance office names them. */
const POSITION: Record<string, [string, string]> = {
  cash: ['资金池现金', 'cash'],
  reserved: ['已预留（待支付补偿）', 'reserved for approved claims'],
  available: ['可用余额', 'available'],
  appropriated: ['财政已拨付', 'appropriated'],
  appropriations_receivable: ['应收拨款', 'appropriations receivable'],
  returned: ['已退回财政', 'returned'],
  compensation_paid: ['已支付补偿', 'compensation paid'],
  recoveries: ['已收回追偿款', 'recoveries received'],
  recoveries_receivable: ['应收追偿款', 'recoveries receivable'],
  interest: ['利息收入', 'interest'],
};

function PositionTable(props: { lang: Lang; position: Record<string, any> }) {
  const figures = Object.entries(props.position ?? {}).filter(([, v]) => v && typeof v === 'object' && 'amount' in v);
  return (
    <Facts
      rows={figures.map(([k, v]) => [
        POSITION[k]?.[props.lang === 'zh' ? 0 : 1] ?? k,
        yuan(v as { amount: string }),
        'num',
      ])}
    />
  );
}
