import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../support/ports.js';

/** The Node entry point as a user meets it: started as a process, with its one-line errors. */

let db: TestDatabase;
beforeAll(async () => {
  db = await testDatabase();
});
afterAll(() => db.close());

/** `detached`: the server leads a process group of its own, as a shell makes a foreground job. */
function start(env: Record<string, string>, options: { detached?: boolean } = {}) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited, out: () => stdout, err: () => stderr };
}

async function readyOn(port: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (await fetch(`http://127.0.0.1:${port}/readyz`).then((r) => r.ok, () => false)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const logLines = (out: string) => out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l));

// The application's own URL is given, so the server does not reset the shared role's password.
const env = () => ({ DATABASE_URL: db.ownerUrl, APP_DATABASE_URL: db.appUrl });

it('serves, answers ready, and on SIGTERM closes HTTP before the database, exiting 0', async () => {
  const port = await freePort();
  const s = start({ ...env(), PORT: String(port), ADMIN_API_KEY: `plk_1234abcd_${'A'.repeat(32)}` });
  expect(await readyOn(port), s.err()).toBe(true);
  const res = await fetch(`http://127.0.0.1:${port}/v1/pools`, { headers: { authorization: `Bearer plk_1234abcd_${'A'.repeat(32)}` } });
  expect(res.status).toBe(404); // no GET /v1/pools: a problem, authenticated
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  const lines = logLines(s.out());
  const messages = lines.map((l) => l.msg);
  expect(messages, JSON.stringify(messages)).toEqual(expect.arrayContaining(['shutting down', 'http server closed']));
  expect(messages.indexOf('http server closed'), JSON.stringify(messages)).toBeGreaterThan(messages.indexOf('shutting down'));
  const request = lines.find((l) => l.msg === 'request' && l.status === 404);
  expect(request).toMatchObject({ method: 'GET', request_id: expect.any(String), role: 'admin' });
  expect(s.out()).not.toContain('A'.repeat(32));
}, 30_000);

// Ctrl-C at a terminal interrupts the whole foreground process group, not the server alone.
it.skipIf(process.platform !== 'linux')('on an interrupt to its whole process group, still closes HTTP before its embedded database', async () => {
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-group-'));
  const s = start(
    { DATA_DIR: dataDir, PG_PORT: String(await freePort()), PORT: String(port), ADMIN_API_KEY: `plk_1234abcd_${'B'.repeat(32)}` },
    { detached: true },
  );
  const child = s.child;
  try {
    expect(await readyOn(port), s.err()).toBe(true);
    const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
    const group = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2]);
    expect(group(child.pid!)).toBe(child.pid);
    expect(group(postmaster)).not.toBe(child.pid);
    process.kill(-child.pid!, 'SIGINT');
    expect(await s.exited).toBe(0);
    const messages = logLines(s.out()).map((l) => l.msg);
    expect(messages.indexOf('http server closed'), JSON.stringify(messages)).toBeGreaterThan(-1);
    expect(messages.indexOf('embedded PostgreSQL stopped'), JSON.stringify(messages)).toBeGreaterThan(messages.indexOf('http server closed'));
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 60_000);

it('says in one line that the port is taken', async () => {
  const blocker = createServer();
  const port = await new Promise<number>((resolve) => blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)));
  const s = start({ ...env(), PORT: String(port) });
  expect(await s.exited).toBe(1);
  blocker.close();
  expect(s.err().trim()).toBe(`pool-ledger: port ${port} on 127.0.0.1 is already in use (set PORT to another)`);
}, 30_000);

it('says in one line that the database cannot be reached', async () => {
  const s = start({ DATABASE_URL: `postgres://nobody:x@127.0.0.1:${await freePort()}/none` });
  expect(await s.exited).toBe(1);
  expect(s.err().trim()).toMatch(/^pool-ledger: the database cannot be reached \(ECONNREFUSED\); check DATABASE_URL$/);
}, 30_000);

it('says in one line that the data folder is unusable', async () => {
  // A folder inside a regular file can never be made.
  const file = join(mkdtempSync(join(tmpdir(), 'pool-ledger-start-')), 'a-file');
  writeFileSync(file, '');
  const s = start({ DATA_DIR: join(file, 'data'), PG_PORT: String(await freePort()) });
  expect(await s.exited).toBe(1);
  expect(s.err().trim()).toMatch(/^pool-ledger: data folder .*a-file\/data is not usable: .*ENOTDIR.*$/);
  expect(s.err().trim().split('\n')).toHaveLength(1);
}, 30_000);

it('says in one line what is wrong with the configuration', async () => {
  const s = start({ PORT: 'eighty' });
  expect(await s.exited).toBe(1);
  expect(s.err().trim()).toMatch(/^pool-ledger: invalid configuration: PORT: /);
}, 30_000);
