import { serve, type ServerType } from '@hono/node-server';
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { apiFixture, type ApiFixture } from '../support/api.js';
import { freePort } from '../../scripts/lib/ports.js';

let api: ApiFixture;
let server: ServerType;
let base: string;

beforeAll(async () => {
  api = await apiFixture();
  const port = await freePort();
  server = serve({ fetch: api.app.fetch, port, hostname: '127.0.0.1' });
  base = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  if (server) await new Promise((r) => server.close(r));
  await api.close();
});

it('npm run demo plays a year of the programme against a running server and proves the books', async () => {
  const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/demo.ts', '--url', base, '--exit'], {
      env: { ...process.env, ADMIN_API_KEY: api.adminKey },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
  expect(out.code, out.stderr + out.stdout).toBe(0);
  expect(out.stdout).toMatch(/enrolled 40 loans as one tape/);
  expect(out.stdout).toMatch(/was deferred while its agreement was suspended/);
  expect(out.stdout).toMatch(/trial balance: debits = credits/);
  expect(out.stdout).toMatch(/Hash chain: verified/);
  expect(out.stdout).toMatch(/difference explained by 1 unmatched statement line/);
  expect(out.stdout).toMatch(/\/dashboard/);
}, 120_000);
