/**
 * `npm run bench`: the figures of DESIGN.md §6 on this machine, each beside a reference measured in the same
 * run on the same PostgreSQL (scripts/lib/references.ts) and its target as a ratio to that reference.
 * Runs against a fresh embedded PostgreSQL (durable: fsync and synchronous_commit on), or BENCH_DATABASE_URL
 * (an owner URL of a database it may fill). BENCH_SECONDS sets the length of each timed phase (default 5);
 * BENCH_ONLY=http skips the engine's phases and their references. The results go to bench.json too
 * (BENCH_JSON names another file), so that runs can be compared.
 */
import type autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { createDb, createSql } from '../src/db/client.js';
import { startEmbedded } from '../src/db/embedded.js';
import { enableAppLogin, migrate } from '../src/db/migrate.js';
import { readLoanTape } from '../src/http/routes/loan-tapes.js';
import { createLedger, type Ledger, type PostingRequest } from '../src/ledger/index.js';
import { creditCodeCheck } from '../src/pool/credit-code.js';
import { drive, percentile } from './lib/drive.js';
import { freePort } from './lib/ports.js';
import {
  BULK_ROWS,
  chainSample,
  openDatabaseReferences,
  sha256Rate,
  type DatabaseReferences,
} from './lib/references.js';
import type { LoadJob } from './http-load.js';
import { importTape } from './import-tape.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
/** BENCH_ONLY=http runs the HTTP phases alone (the server, its reads and writes, the loan tape). */
const HTTP_ONLY = process.env.BENCH_ONLY === 'http';
const JSON_PATH = resolve(process.env.BENCH_JSON ?? 'bench.json');

interface Row {
  figure: string;
  measured: string;
  reference: string;
  ratio: string;
  target: string;
  pass: boolean | null;
}
const rows: Row[] = [];
const record = (
  figure: string,
  measured: string,
  target: string,
  pass: boolean | null,
  against?: { reference: string; ratio: string },
) => {
  rows.push({ figure, measured, reference: against?.reference ?? '', ratio: against?.ratio ?? '', target, pass });
  console.error(`  ${figure}: ${measured}${against ? ` (${against.ratio}; ${against.reference})` : ''}`);
};

/** What bench.json holds: absolute figures and references by name, and each ratio with its target. */
interface Ratio {
  value: number;
  figure: string;
  reference: string;
  target: string;
  pass: boolean;
}
const results = {
  figures: {} as Record<string, number>,
  references: {} as Record<string, number>,
  ratios: {} as Record<string, Ratio>,
};

/**
 * A figure against its reference: `at_least` for rates (figure / reference must reach the target), `at_most`
 * for times (figure / reference must stay within it).
 */
function compare(
  key: string,
  figure: string,
  value: number,
  reference: { name: string; value: number },
  target: { at_least?: number; at_most?: number; percent?: boolean },
) {
  const ratio = value / reference.value;
  const limit = target.at_least ?? target.at_most!;
  const shown = (r: number) => (target.percent ? `${(r * 100).toFixed(0)} %` : `${r.toFixed(r < 10 ? 2 : 1)}×`);
  const targetText = `${target.at_least !== undefined ? '>=' : '<='} ${shown(limit)}`;
  const pass = target.at_least !== undefined ? ratio >= limit : ratio <= limit;
  results.ratios[key] = {
    value: Number(ratio.toFixed(4)),
    figure,
    reference: reference.name,
    target: targetText,
    pass,
  };
  return { ratio: shown(ratio), targetText, pass, reference: `${reference.name} ${formatNumber(reference.value)}` };
}

const formatNumber = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(n >= 10 ? 1 : 2));

async function setupPool(ledger: Ledger, poolId: bigint, accounts: number) {
  await ledger.openBook(poolId);
  await ledger.createAccount(poolId, {
    code: 'cash',
    name: 'Pool cash',
    type: 'asset',
    currency: 'CNY',
    noNegative: true,
  });
  await ledger.createAccount(poolId, { code: 'capital', name: 'Fund capital', type: 'net_assets', currency: 'CNY' });
  for (let i = 0; i < accounts; i++) {
    await ledger.createAccount(poolId, {
      code: `payable:${i}`,
      name: `Payable ${i}`,
      type: 'liability',
      currency: 'CNY',
    });
  }
  await ledger.post({
    type: 'post',
    poolId,
    externalId: 'fund',
    effectiveDate: '2026-01-01',
    entries: [
      { account: 'cash', amount: 10n ** 13n },
      { account: 'capital', amount: -(10n ** 13n) },
    ],
  });
}

const payment = (poolId: bigint, externalId: string, payable: string): PostingRequest => ({
  type: 'post',
  poolId,
  externalId,
  effectiveDate: '2026-06-30',
  entries: [
    { account: payable, amount: 100n },
    { account: 'cash', amount: -100n },
  ],
});

async function main() {
  const started = performance.now();
  let ownerUrl = process.env.BENCH_DATABASE_URL;
  let stop = async () => {};
  if (!ownerUrl) {
    const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-bench-'));
    const server = await startEmbedded({ dataDir, port: await freePort() });
    ownerUrl = server.url('postgres');
    stop = async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    };
  }
  const owner = createSql(ownerUrl, { max: 2 });
  let machine: Record<string, string | number> = {};
  // The embedded server is stopped on failure too: a failed run leaves no PostgreSQL behind.
  try {
    await migrate(owner);
    const password = randomBytes(18).toString('base64url');
    await enableAppLogin(owner, password);
    const appUrl = new URL(ownerUrl);
    appUrl.username = 'pool_app';
    appUrl.password = password;
    const [settings] = await owner<[{ version: string; fsync: string; sync: string }]>`
      SELECT current_setting('server_version') AS version, current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS sync`;
    machine = {
      cpu: cpus()[0]?.model.trim() ?? 'unknown',
      cores: cpus().length,
      memory_gib: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      postgresql: settings.version,
      fsync: settings.fsync,
      synchronous_commit: settings.sync,
    };
    console.error(`bench: ${machineLine(machine)}; ${SECONDS} s per phase`);

    const db = createDb(appUrl.toString(), { max: 10 });
    const ledger = createLedger({ sql: db.sql, kysely: db.kysely });
    const run = randomBytes(3).toString('hex');

    if (!HTTP_ONLY) await ledgerPhases(ledger, db, run, ownerUrl);
    await db.close();

    // 6. The Node server under 64 concurrent HTTP clients: a write that posts to the ledger, then a read.
    await httpPhase(owner, ownerUrl);
  } finally {
    await owner.end();
    await stop();
  }

  const seconds = Math.round((performance.now() - started) / 1000);
  const columns: (keyof Row)[] = ['figure', 'measured', 'reference', 'ratio', 'target', 'pass'];
  const cells = (r: Row): Record<keyof Row, string> => ({ ...r, pass: r.pass === null ? '' : r.pass ? 'yes' : 'NO' });
  const width = (k: keyof Row) => Math.max(k.length, ...rows.map((r) => cells(r)[k].length));
  const line = (r: Record<keyof Row, string>) =>
    `| ${columns.map((k) => (k === 'measured' || k === 'ratio' ? r[k].padStart(width(k)) : r[k].padEnd(width(k)))).join(' | ')} |`;
  console.log(`\nmachine: ${machineLine(machine)}`);
  console.log(
    line({
      figure: 'figure',
      measured: 'measured',
      reference: 'reference',
      ratio: 'ratio',
      target: 'target',
      pass: 'pass',
    }),
  );
  console.log(`|${columns.map((k) => '-'.repeat(width(k) + 2)).join('|')}|`);
  for (const r of rows) console.log(line(cells(r)));
  writeFileSync(
    JSON_PATH,
    JSON.stringify(
      {
        at: new Date().toISOString(),
        seconds_per_phase: SECONDS,
        run_seconds: seconds,
        machine,
        ...results,
        table: rows,
      },
      null,
      2,
    ) + '\n',
  );
  console.log(`(${seconds} s; written to ${JSON_PATH})`);
}

const machineLine = (m: Record<string, string | number>) =>
  `${m.cores} cores (${m.cpu}), ${m.memory_gib} GiB, Node ${m.node}, PostgreSQL ${m.postgresql}, fsync=${m.fsync}, synchronous_commit=${m.synchronous_commit}`;

async function ledgerPhases(ledger: Ledger, db: ReturnType<typeof createDb>, run: string, ownerUrl: string) {
  const references = await openDatabaseReferences(ownerUrl, 20);
  try {
    await ledgerFigures(ledger, db, run, references);
  } finally {
    await references.close();
  }
}

async function ledgerFigures(
  ledger: Ledger,
  db: ReturnType<typeof createDb>,
  run: string,
  references: DatabaseReferences,
) {
  // 1. One hot account: every posting pays out of the pool's cash, 20 callers at once; against the same on
  // a plain row lock.
  const rowLock = await references.rowLock(20, SECONDS);
  results.references.row_lock_transfers_per_s = Math.round(rowLock.perSecond);
  record(
    'reference: row-lock hot-account transfer, 20 clients (transfers/s)',
    rowLock.perSecond.toFixed(0),
    'reference',
    null,
  );
  record(
    'reference: row-lock latency p50 / p99 (ms)',
    `${rowLock.p50.toFixed(1)} / ${rowLock.p99.toFixed(1)}`,
    'reported',
    null,
  );
  const hotPool = 1n;
  await setupPool(ledger, hotPool, 50);
  const hot = await drive(20, SECONDS, async (c, i) => {
    const o = await ledger.post(payment(hotPool, `hot-${run}-${c}-${i}`, `payable:${i % 50}`));
    if (o.status !== 'posted') throw new Error(`refused: ${JSON.stringify(o)}`);
    return 1;
  });
  results.figures.hot_account_transfers_per_s = Math.round(hot.perSecond);
  results.figures.hot_account_p99_ms = Number(hot.p99.toFixed(1));
  const hotVsRowLock = compare(
    'hot_vs_row_lock',
    'hot_account_transfers_per_s',
    hot.perSecond,
    { name: 'row lock', value: rowLock.perSecond },
    { at_least: 10 },
  );
  record(
    'hot account, 20 callers (transfers/s)',
    hot.perSecond.toFixed(0),
    hotVsRowLock.targetText,
    hotVsRowLock.pass,
    hotVsRowLock,
  );
  record('hot account latency p50 / p99 (ms)', `${hot.p50.toFixed(1)} / ${hot.p99.toFixed(1)}`, 'reported', null);

  // 2. Spread: transfers between random pairs of 50 accounts, no account shared by all.
  const spreadPool = 2n;
  await setupPool(ledger, spreadPool, 50);
  const spread = await drive(20, SECONDS, async (c, i) => {
    const a = (c * 7 + i * 13) % 50;
    const b = (a + 1 + ((c + i) % 49)) % 50;
    const o = await ledger.post({
      type: 'post',
      poolId: spreadPool,
      externalId: `spread-${run}-${c}-${i}`,
      effectiveDate: '2026-06-30',
      entries: [
        { account: `payable:${a}`, amount: 5n },
        { account: `payable:${b}`, amount: -5n },
      ],
    });
    if (o.status !== 'posted') throw new Error('refused');
    return 1;
  });
  results.figures.spread_transfers_per_s = Math.round(spread.perSecond);
  record(
    'spread over 50 accounts, 20 callers (transfers/s)',
    spread.perSecond.toFixed(0),
    '> pgledger 599',
    spread.perSecond > 599,
  );

  // 3. Batches of 50 through the hot account, atomically, 16 callers; against the durable commit rate of
  // one-row INSERTs (20 clients), and the rows/s of 1,000-row INSERTs (16 clients, as many as the batches).
  const commits = await references.commits(20, SECONDS);
  results.references.one_row_commits_per_s = Math.round(commits);
  record('reference: one-row INSERT commits, 20 clients (commits/s)', commits.toFixed(0), 'reference', null);
  const bulkRows = await references.bulkRows(16, SECONDS);
  results.references.bulk_insert_rows_per_s = Math.round(bulkRows);
  record(
    `reference: ${BULK_ROWS.toLocaleString('en')}-row INSERT per commit, 16 clients (rows/s)`,
    bulkRows.toFixed(0),
    'reported',
    null,
  );
  const batch = await drive(16, SECONDS, async (c, i) => {
    const requests = Array.from({ length: 50 }, (_, k) =>
      payment(hotPool, `batch-${run}-${c}-${i}-${k}`, `payable:${k}`),
    );
    const outcomes = await ledger.postBatch(requests);
    if (outcomes.some((o) => o.status !== 'posted')) throw new Error('refused');
    return outcomes.length;
  });
  results.figures.batch_transfers_per_s = Math.round(batch.perSecond);
  const batchVsCommit = compare(
    'batch_vs_commit',
    'batch_transfers_per_s',
    batch.perSecond,
    { name: 'commits', value: commits },
    { at_least: 1.5 },
  );
  record(
    'batches of 50 on the hot account, 16 callers (transfers/s)',
    batch.perSecond.toFixed(0),
    batchVsCommit.targetText,
    batchVsCommit.pass,
    batchVsCommit,
  );

  // 4. Balance reads stay flat as the journal grows; the hot account now has the most entries.
  const [{ n: journal }] = await db.sql<[{ n: bigint }]>`SELECT count(*) AS n FROM transactions`;
  const timeRead = async (asOf?: string) => {
    const t: number[] = [];
    for (let i = 0; i < 200; i++) {
      const t0 = performance.now();
      await ledger.balance(hotPool, 'cash', asOf);
      t.push(performance.now() - t0);
    }
    return percentile(
      t.sort((a, b) => a - b),
      50,
    );
  };
  const now = await timeRead();
  const asOf = await timeRead('2026-06-30');
  results.figures.balance_read_p50_ms = Number(now.toFixed(3));
  results.figures.balance_read_as_of_p50_ms = Number(asOf.toFixed(3));
  record(
    `balance read at ${journal} transactions, now / as-of (ms, p50)`,
    `${now.toFixed(2)} / ${asOf.toFixed(2)}`,
    'index, no scan',
    null,
  );

  // 5. Seal the journal and verify it.
  const t0 = performance.now();
  await ledger.seal(hotPool);
  const sealMs = performance.now() - t0;
  const t1 = performance.now();
  const verified = await ledger.verify(hotPool);
  const verifyMs = performance.now() - t1;
  if (!verified.ok)
    throw new Error(`verify failed: ${JSON.stringify(verified, (_, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  const verifyRate = Number(verified.checked) / (verifyMs / 1000);
  const sealRate = Number(verified.checked) / (sealMs / 1000);
  results.figures.seal_transactions_per_s = Math.round(sealRate);
  results.figures.verify_transactions_per_s = Math.round(verifyRate);
  record(`seal ${verified.checked} transactions (transactions/s)`, sealRate.toFixed(0), 'reported', null);
  // Against SHA-256 in this process of the very bytes verify hashes: links of the hot pool's chain.
  const sha256 = sha256Rate(await chainSample(db.sql, hotPool, 2_000), SECONDS);
  results.references.sha256_links_per_s = Math.round(sha256);
  record('reference: SHA-256 of chain links in Node, one core (hashes/s)', sha256.toFixed(0), 'reference', null);
  const verifyVsSha = compare(
    'verify_vs_sha256',
    'verify_transactions_per_s',
    verifyRate,
    { name: 'SHA-256', value: sha256 },
    { at_least: 0.5, percent: true },
  );
  record(
    'hash-chain verify (transactions/s)',
    verifyRate.toFixed(0),
    verifyVsSha.targetText,
    verifyVsSha.pass,
    verifyVsSha,
  );
}

async function httpPhase(owner: ReturnType<typeof createSql>, ownerUrl: string) {
  const database = `pool_ledger_http_${randomBytes(3).toString('hex')}`;
  await owner.unsafe(`CREATE DATABASE ${database}`);
  const url = new URL(ownerUrl);
  url.pathname = `/${database}`;
  const port = await freePort();
  const adminKey = `plk_0badc0de_${randomBytes(24).toString('base64url')}`;
  const server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: url.toString(),
      PORT: String(port),
      ADMIN_API_KEY: adminKey,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    for (let i = 0; ; i++) {
      const ready = await fetch(`${base}/readyz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ready) break;
      if (i > 300) throw new Error('the server did not become ready');
      await new Promise((r) => setTimeout(r, 100));
    }
    const call = async (key: string, path: string, body: unknown) => {
      const res = await fetch(base + path, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${key}`,
          'idempotency-key': randomUUID(),
          'content-type': 'application/json',
        },
        body: JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, string>>;
    };
    const pool = await call(adminKey, '/v1/pools', { name: 'bench' });
    const treasury = (await call(adminKey, '/v1/keys', { role: 'treasury', pool_id: pool.id })).key!;
    // The pool opens its chart of accounts (pool cash, fund capital, ...) itself.

    let peakRss = 0;
    const sampler = setInterval(() => {
      const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
      if (m) peakRss = Math.max(peakRss, Number(m[1]) / 1024);
    }, 200);
    // The load comes from a process of its own (scripts/http-load.ts), with a heap of its own.
    const load = (job: LoadJob) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/http-load.ts', JSON.stringify(job)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.once('error', reject);
        child.once('exit', (code) =>
          code === 0
            ? resolve(JSON.parse(out) as autocannon.Result)
            : reject(new Error(`load generator exited with ${code}`)),
        );
      });
    const writeOptions = (seconds: number): LoadJob => ({
      url: `${base}/v1/pools/${pool.id}/transactions`,
      connections: 64,
      seconds,
      warmupSeconds: 3,
      method: 'POST',
      headers: { authorization: `Bearer ${treasury}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        effective_date: '2026-06-30',
        entries: [
          { account: 'pool_cash', debit: '100' },
          { account: 'fund_capital', credit: '100' },
        ],
      }),
      idempotencyKeys: true,
    });
    const readOptions = (seconds: number): LoadJob => ({
      url: `${base}/v1/pools/${pool.id}/accounts/pool_cash/balance`,
      connections: 64,
      seconds,
      warmupSeconds: 1,
      headers: { authorization: `Bearer ${treasury}` },
    });
    // Each route is warmed up first (JIT of server and load generator, prepared statements, connections),
    // then measured.
    const write = await load(writeOptions(SECONDS));
    const read = await load(readOptions(SECONDS));
    clearInterval(sampler);
    for (const [name, key, r] of [
      ['write (journal entry)', 'http_write', write],
      ['read (balance)', 'http_read', read],
    ] as const) {
      const failed = r.non2xx + r.errors + r.timeouts;
      results.figures[`${key}_requests_per_s`] = Math.round(r.requests.average);
      results.figures[`${key}_p50_ms`] = r.latency.p50;
      results.figures[`${key}_p99_ms`] = r.latency.p99;
      results.figures[`${key}_failed`] = failed;
      record(
        `HTTP ${name}, 64 clients (requests/s)`,
        r.requests.average.toFixed(0),
        `reported; ${failed} failed`,
        failed === 0 ? null : false,
      );
      record(
        `HTTP ${name} latency p50 / p99 (ms)`,
        `${r.latency.p50} / ${r.latency.p99}`,
        'p99 <= 50',
        r.latency.p99 <= 50,
      );
    }
    results.figures.server_peak_rss_mib = Math.round(peakRss);
    record('server RSS under that load, peak (MiB)', peakRss.toFixed(0), 'reported', null);

    // 7. A bank's tape of 100,000 loans, each checked against its terms, borrower and the credit line.
    await tapePhase(base, pool.id!, treasury, call);
  } finally {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
}

async function tapePhase(
  base: string,
  poolId: string,
  treasury: string,
  call: (key: string, path: string, body: unknown) => Promise<Record<string, string>>,
) {
  const code = (n: number) => {
    const first17 = `91210200${String(n).padStart(9, '0')}`;
    return first17 + creditCodeCheck(first17);
  };
  const bank = await call(treasury, `/v1/pools/${poolId}/participants`, {
    kind: 'bank',
    name: 'Tape bank',
    credit_code: code(1),
  });
  const bankKey = (await call(treasury, '/v1/keys', { role: 'bank', pool_id: poolId, participant_id: bank.id })).key!;
  const borrowers = Array.from({ length: 200 }, (_, i) => code(1000 + i));
  for (const c of borrowers) {
    await call(treasury, `/v1/pools/${poolId}/participants`, {
      kind: 'enterprise',
      name: `Enterprise ${c}`,
      credit_code: c,
      enterprise: { in_zone: true, tech_sme_certificate: 'GR2026', tech_sme_expires: '2030-12-31' },
    });
  }
  const agreement = await call(treasury, `/v1/pools/${poolId}/agreements`, {
    bank_id: bank.id,
    name: 'Tape agreement',
    effective_from: '2026-01-01',
    terms: {
      pool_share_bp: 5000,
      insurer_share_bp: 0,
      bank_share_bp: 5000,
      public_ceiling_bp: 8000,
      per_loan_cap: '100000000',
      per_enterprise_year_cap: '200000000',
      per_bank_year_cap: '1000000000',
      credit_line: '1000000000000000',
      filing_window_days: 180,
      eligible_kinds: ['credit', 'ip_pledge'],
      max_principal: '1000000000',
      max_term_months: 36,
      suspension_loss_bp: 300,
    },
  });
  const rows = 100_000;
  const dir = mkdtempSync(join(tmpdir(), 'pool-ledger-tape-'));
  const file = join(dir, 'tape.csv');
  const lines = ['协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期,首贷'];
  for (let i = 0; i < rows; i++) {
    lines.push(
      `${agreement.id},BENCH-${i},${borrowers[i % borrowers.length]},${i % 3 ? '信用' : '知识产权质押'},${100_000 + (i % 997) * 1000},${350 + (i % 200)},2026-0${1 + (i % 9)}-15,2027-0${1 + (i % 9)}-15,${i % 10 === 0 ? '是' : '否'}`,
    );
  }
  writeFileSync(file, lines.join('\n') + '\n');
  try {
    // The reference: the same file read and every row validated by the server's own reader, no database.
    // A tenth of it first, uncounted, so that the JIT has compiled the reader.
    const text = readFileSync(file, 'utf8');
    await readLoanTape(lines.slice(0, rows / 10).join('\n'), 'csv');
    const tp = performance.now();
    const parsed = await readLoanTape(text, 'csv');
    const parseSeconds = (performance.now() - tp) / 1000;
    const unread = parsed.find((r) => 'error' in r);
    if (parsed.length !== rows || unread)
      throw new Error(`tape parse: ${parsed.length} rows, ${JSON.stringify(unread)}`);
    results.references.tape_parse_s = Number(parseSeconds.toFixed(3));
    record(
      `reference: parse and validate that tape alone, no database (s)`,
      parseSeconds.toFixed(2),
      'reference',
      null,
    );

    const t0 = performance.now();
    const first = await importTape({ url: base, key: bankKey, poolId, file });
    const seconds = (performance.now() - t0) / 1000;
    if (first.status !== 200 || first.body.accepted !== rows)
      throw new Error(`tape: ${first.status} ${JSON.stringify(first.body).slice(0, 500)}`);
    results.figures.tape_import_s = Number(seconds.toFixed(2));
    const tapeVsParse = compare(
      'tape_vs_parse',
      'tape_import_s',
      seconds,
      { name: 'parse', value: parseSeconds },
      { at_most: 3 },
    );
    record(
      `loan tape of ${rows} rows, CSV over HTTP, all checked (s)`,
      seconds.toFixed(1),
      tapeVsParse.targetText,
      tapeVsParse.pass,
      tapeVsParse,
    );
    const t1 = performance.now();
    const again = await importTape({ url: base, key: bankKey, poolId, file });
    if (again.status !== 200 || again.body.unchanged !== rows)
      throw new Error(`tape again: ${again.status} ${JSON.stringify(again.body).slice(0, 500)}`);
    const againSeconds = (performance.now() - t1) / 1000;
    results.figures.tape_again_s = Number(againSeconds.toFixed(2));
    record('the same tape again: nothing changes (s)', againSeconds.toFixed(1), 'reported', null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
