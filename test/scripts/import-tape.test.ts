import { serve, type ServerType } from '@hono/node-server';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiFixture, expectStatus, type ApiFixture, type Tenant } from '../support/api.js';
import { registerEnterprise, signAgreement } from '../support/domain.js';
import { freePort } from '../../scripts/lib/ports.js';

let api: ApiFixture;
let t: Tenant;
let server: ServerType;
let base: string;
let dir: string;
let agreementId: string;
let borrower: string;

beforeAll(async () => {
  api = await apiFixture();
  t = await api.tenant();
  const port = await freePort();
  server = serve({ fetch: api.app.fetch, port, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
  dir = mkdtempSync(join(tmpdir(), 'import-tape-'));
  agreementId = await signAgreement(api, t, {
    insurer: false,
    name: 'Tape',
    terms: {
      per_loan_cap: '1',
      per_enterprise_year_cap: '1',
      per_bank_year_cap: '1',
      credit_line: '100000000',
      eligible_kinds: ['credit'],
      max_principal: '100000',
      max_term_months: 36,
    },
  });
  borrower = await registerEnterprise(api, t);
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
  await api.close();
});

function importTape(args: string[], key = t.bank): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/import-tape.ts', ...args, '--url', base], {
      env: { ...process.env, POOL_API_KEY: key },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run import-tape', () => {
  it('streams a tape to the server and prints what was taken and every refused row', async () => {
    const file = join(dir, 'loans.csv');
    const row = (ref: string, principal: string) =>
      `${agreementId},${ref},${borrower},信用,${principal},400,2026-02-01,2027-02-01`;
    writeFileSync(
      file,
      [
        '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期',
        row('I-1', '1000'),
        row('I-2', '100001'),
        row('I-3', '2000'),
      ].join('\n'),
    );

    const refused = await importTape([file, '--pool', t.poolId]);
    expect(refused.code, refused.stderr).toBe(1);
    expect(refused.stdout).toMatch(/refused: 1 of 3 rows are not valid/);
    expect(refused.stdout).toMatch(/line 3 \(I-2\): max_principal:/);

    const valid = await importTape([file, '--pool', t.poolId, '--mode', 'accept_valid']);
    expect(valid.code).toBe(1);
    expect(valid.stdout).toMatch(/3 rows: 2 loans enrolled, 0 unchanged, 1 refused/);

    writeFileSync(
      file,
      [
        '协议编号,贷款编号,统一社会信用代码,贷款类型,本金（分）,利率（基点）,放款日期,到期日期',
        row('I-1', '1000'),
        row('I-3', '2000'),
      ].join('\n'),
    );
    const again = await importTape([file, '--pool', t.poolId]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/2 rows: 0 loans enrolled, 2 unchanged, 0 refused/);
  });

  it('says how to use it, and exits 2 when the server refuses the key', async () => {
    const usage = await importTape([]);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage:/);
    const file = join(dir, 'x.csv');
    writeFileSync(file, 'agreement_id\n1');
    const denied = await importTape([file, '--pool', t.poolId], 'plk_nope_nope');
    expect(denied.code).toBe(2);
    expect(denied.stderr).toMatch(/HTTP 401/);
  });
});
