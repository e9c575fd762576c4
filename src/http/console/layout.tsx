import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { Person } from '../../pool/people.js';
import { say, type Lang, type Word } from './format.js';

/** Where each role works: the console's menu, in the order people reach for it. */
const MENU: Record<string, [Word, string][]> = {
  treasury: [
    ['inbox', '/'],
    ['claims', '/claims'],
    ['awards', '/awards'],
    ['loans', '/loans'],
    ['agreements', '/agreements'],
    ['appropriations', '/appropriations'],
    ['reconciliation', '/reconciliation'],
    ['reports', '/reports'],
    ['journal', '/journal'],
    ['audit', '/audit'],
    ['participants', '/participants'],
    ['people', '/people'],
    ['keys', '/keys'],
  ],
  bank: [
    ['loans', '/loans'],
    ['upload', '/tapes'],
    ['claims', '/claims'],
    ['agreements', '/agreements'],
    ['awards', '/awards'],
  ],
  insurer: [
    ['loans', '/loans'],
    ['claims', '/claims'],
  ],
  auditor: [
    ['journal', '/journal'],
    ['audit', '/audit'],
    ['reconciliation', '/reconciliation'],
    ['reports', '/reports'],
    ['claims', '/claims'],
    ['participants', '/participants'],
  ],
  admin: [
    ['people', '/people'],
    ['keys', '/keys'],
  ],
};

export const homeOf = (person: Person): string => MENU[person.role]?.[0]?.[1] ?? '/password';

const STYLE = `
:root { color-scheme: light; --ink: #1a2433; --muted: #5b6675; --line: #d9dee5; --accent: #0b5cab; --bad: #a4161a; --ok: #1b6e3a; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.55 system-ui, "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; color: var(--ink); background: #f6f7f9; }
header { display: flex; align-items: center; gap: 1.5rem; padding: .6rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
header strong { font-size: 1.05rem; }
nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; flex-wrap: wrap; }
nav a { color: var(--accent); text-decoration: none; padding: .2rem .1rem; }
nav a[aria-current="page"] { font-weight: 700; border-bottom: 2px solid var(--accent); }
.who { margin-left: auto; display: flex; gap: .8rem; align-items: center; color: var(--muted); }
main { max-width: 72rem; margin: 1.5rem auto; padding: 0 1.5rem; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
h2 { font-size: 1.1rem; margin: 1.5rem 0 .5rem; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); background: #fafbfc; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
form.stack { display: grid; gap: .7rem; max-width: 30rem; background: #fff; padding: 1rem; border: 1px solid var(--line); }
form.inline { display: inline-flex; gap: .5rem; align-items: end; flex-wrap: wrap; }
label { display: grid; gap: .2rem; font-weight: 600; }
label.check { display: flex; gap: .4rem; align-items: center; font-weight: 400; }
fieldset { border: 1px solid var(--line); display: grid; gap: .5rem; padding: .6rem .8rem; }
legend { font-weight: 600; padding: 0 .3rem; }
form.stack.wide { max-width: 60rem; }
fieldset.grid { grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); align-items: end; }
input, select, textarea, button { font: inherit; padding: .4rem .5rem; border: 1px solid #9aa5b1; border-radius: 4px; }
button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
button.secondary { background: #fff; color: var(--accent); }
:focus-visible { outline: 3px solid #f0b400; outline-offset: 2px; }
.notice { padding: .7rem 1rem; border-left: 4px solid var(--accent); background: #eaf2fb; margin-bottom: 1rem; }
.notice.bad { border-color: var(--bad); background: #fbeaea; }
.notice.ok { border-color: var(--ok); background: #eaf6ee; }
.muted { color: var(--muted); }
.actions { display: flex; gap: 1rem; flex-wrap: wrap; margin-top: 1rem; }
.actions form { background: #fff; border: 1px solid var(--line); padding: .8rem; display: grid; gap: .5rem; }
progress { width: 100%; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(28rem, 1fr)); gap: 1rem; margin-bottom: 1rem; }
.charts > p { grid-column: 1 / -1; margin: 0; }
.charts figure { margin: 0; background: #fff; border: 1px solid var(--line); padding: .6rem .8rem; }
.charts figure.wide { grid-column: 1 / -1; }
.charts figcaption { font-weight: 600; margin-bottom: .4rem; }
.charts canvas { max-height: 300px; }
.skip { position: absolute; left: -999px; }
.skip:focus { left: 1rem; top: .5rem; background: #fff; padding: .3rem; }
`;

export interface PageProps {
  title: string;
  lang: Lang;
  person: Person | null;
  path: string;
  notice?: { kind: 'ok' | 'bad' | 'info'; text: string } | null;
  /** Whether the host serves htmx (the Node server does): without it, forms post whole pages. */
  htmx?: boolean;
  children?: Child;
}

/** Every page: the menu of the person's role, who is signed in, the language switch and sign-out. */
export function Page(props: PageProps) {
  const { lang, person } = props;
  const menu = person ? (MENU[person.role] ?? []) : [];
  return (
    <>
      {raw('<!doctype html>')}
      <html lang={lang === 'zh' ? 'zh-CN' : 'en'}>
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <link rel="icon" href="data:," />
          <title>{`${props.title} · ${say(lang, 'product')}`}</title>
          <style>{raw(STYLE)}</style>
          {props.htmx && <script src="/assets/htmx.min.js" defer></script>}
        </head>
        <body>
          <a class="skip" href="#main">
            {lang === 'zh' ? '跳到正文' : 'Skip to content'}
          </a>
          <header>
            <strong>{say(lang, 'product')}</strong>
            {menu.length > 0 && (
              <nav aria-label={lang === 'zh' ? '主菜单' : 'Main menu'}>
                <ul>
                  {menu.map(([word, href]) => (
                    <li>
                      <a href={href} aria-current={props.path === href ? 'page' : undefined}>
                        {say(lang, word)}
                      </a>
                    </li>
                  ))}
                </ul>
              </nav>
            )}
            <div class="who">
              <a
                href={`/lang?to=${lang === 'zh' ? 'en' : 'zh'}&back=${encodeURIComponent(props.path)}`}
                lang={lang === 'zh' ? 'en' : 'zh-CN'}
              >
                {say(lang, 'language')}
              </a>
              {person && (
                <>
                  <span>{person.name}</span>
                  <form method="post" action="/logout">
                    <button class="secondary" type="submit">
                      {say(lang, 'signOut')}
                    </button>
                  </form>
                </>
              )}
            </div>
          </header>
          <main id="main">
            <h1>{props.title}</h1>
            {props.notice && (
              <div class={`notice ${props.notice.kind}`} role={props.notice.kind === 'bad' ? 'alert' : 'status'}>
                {props.notice.text}
              </div>
            )}
            {props.children}
          </main>
        </body>
      </html>
    </>
  );
}

/** A hidden field every form carries: its Idempotency-Key, so a form sent twice is taken once. */
export const OnceField = () => <input type="hidden" name="idem" value={crypto.randomUUID()} />;

/** A table of facts about one thing: a label and its value a row; amounts align right. */
export function Facts(props: { rows: [label: string, value: Child, kind?: 'num'][] }) {
  return (
    <table>
      <tbody>
        {props.rows.map(([label, value, kind]) => (
          <tr>
            <th scope="row">{label}</th>
            <td class={kind}>{value}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A table of records: a header, then a row each; columns marked 'num' (amounts, counts) align right. */
export function Rows(props: { columns: (string | [label: string, kind: 'num'])[]; rows: Child[][] }) {
  const kinds = props.columns.map((c) => (typeof c === 'string' ? undefined : c[1]));
  return (
    <table>
      <thead>
        <tr>
          {props.columns.map((c, i) => (
            <th class={kinds[i]}>{typeof c === 'string' ? c : c[0]}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {props.rows.map((cells) => (
          <tr>
            {cells.map((cell, i) => (
              <td class={kinds[i]}>{cell}</td>
            ))}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A labelled input: the label names it for screen readers and for the tests that fill it by its words. */
export function Field(props: { label: string } & Record<string, unknown>) {
  const { label, ...input } = props;
  return (
    <label>
      {label}
      <input {...input} />
    </label>
  );
}
