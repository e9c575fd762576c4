import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { testDatabase, type TestDatabase } from '../support/db.js';
import { freePort } from '../../scripts/lib/ports.js';

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
    if (
      await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

const logLines = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

// The application's own URL is given, so the server does not reset the shared role's password.
const env = () => ({ DATABASE_URL: db.ownerUrl, APP_DATABASE_URL: db.appUrl });

it('serves, answers ready, and on SIGTERM closes HTTP before the database, exiting 0', async () => {
  const port = await freePort();
  const s = start({ ...env(), PORT: String(port), ADMIN_API_KEY: `plk_1234abcd_${'A'.repeat(32)}` });
  expect(await readyOn(port), s.err()).toBe(true);
  const res = await fetch(`http://127.0.0.1:${port}/v1/pools`, {
    headers: { authorization: `Bearer plk_1234abcd_${'A'.repeat(32)}` },
  });
  expect(res.status).toBe(404); // no GET /v1/pools: a problem, authenticated
  s.child.kill('SIGTERM');
  expect(await s.exited).toBe(0);
  const lines = logLines(s.out());
  const messages = lines.map((l) => l.msg);
  expect(messages, JSON.stringify(messages)).toEqual(expect.arrayContaining(['shutting down', 'http server closed']));
  expect(messages.indexOf('http server closed'), JSON.stringify(messages)).toBeGreaterThan(
    messages.indexOf('shutting down'),
  );
  const request = lines.find((l) => l.msg === 'request' && l.status === 404);
  expect(request).toMatchObject({ method: 'GET', request_id: expect.any(String), role: 'admin' });
  expect(s.out()).not.toContain('A'.repeat(32));
}, 30_000);

// Ctrl-C at a terminal interrupts the whole foreground process group, not the server alone.
it.skipIf(process.platform !== 'linux')(
  'on an interrupt to its whole process group, still closes HTTP before its embedded database',
  async () => {
    const port = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-group-'));
    const s = start(
      {
        DATA_DIR: dataDir,
        PG_PORT: String(await freePort()),
        PORT: String(port),
        ADMIN_API_KEY: `plk_1234abcd_${'B'.repeat(32)}`,
      },
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
      expect(messages.indexOf('embedded PostgreSQL stopped'), JSON.stringify(messages)).toBeGreaterThan(
        messages.indexOf('http server closed'),
      );
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
  60_000,
);

it('says in one line that the port is taken', async () => {
  const blocker = createServer();
  const port = await new Promise<number>((resolve) =>
    blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
  );
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

// Invariant 8 for the embedded default: a server killed with SIGKILL (only the server) takes its PostgreSQL
// with it, and `npm start` again serves on the same data within seconds, nothing lost.
it.skipIf(process.platform === 'win32')(
  'comes back by itself after a SIGKILL of the server alone, on the same data',
  async () => {
    const port = await freePort();
    const pgPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-kill-'));
    const adminKey = `plk_1234abcd_${'C'.repeat(32)}`;
    const config = { DATA_DIR: dataDir, PG_PORT: String(pgPort), PORT: String(port), ADMIN_API_KEY: adminKey };
    let s = start(config);
    try {
      expect(await readyOn(port), s.err()).toBe(true);
      const created = await fetch(`http://127.0.0.1:${port}/v1/pools`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${adminKey}`,
          'idempotency-key': 'pool-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'kept' }),
      });
      expect(created.status, await created.clone().text()).toBe(201);
      const pool = (await created.json()) as { id: string };
      const postmaster = Number(readFileSync(join(dataDir, 'pg', 'postmaster.pid'), 'utf8').split('\n')[0]);
      s.child.kill('SIGKILL');
      await s.exited;
      // Its PostgreSQL does not outlive it.
      const gone = async () => {
        for (let i = 0; i < 100; i++) {
          try {
            process.kill(postmaster, 0);
          } catch {
            return true;
          }
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      };
      expect(await gone()).toBe(true);

      const startedAt = Date.now();
      s = start(config);
      expect(await readyOn(port), s.err()).toBe(true);
      expect(Date.now() - startedAt).toBeLessThan(15_000);
      const replay = await fetch(`http://127.0.0.1:${port}/v1/pools`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${adminKey}`,
          'idempotency-key': 'pool-1',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'kept' }),
      });
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      expect(((await replay.json()) as { id: string }).id).toBe(pool.id);
    } finally {
      if (s.child.exitCode === null) {
        s.child.kill('SIGTERM');
        await s.exited;
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
  90_000,
);

it.skipIf(process.platform === 'win32')(
  'takes over a PostgreSQL left running on its data folder by a server that is gone',
  async () => {
    const port = await freePort();
    const pgPort = await freePort();
    const dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-orphan-'));
    const config = { DATA_DIR: dataDir, PG_PORT: String(pgPort), PORT: String(port) };
    // An orphan: the cluster started on the data folder by a process that then went away without stopping it.
    const { startEmbedded } = await import('../../src/db/embedded.js');
    await startEmbedded({ dataDir, port: pgPort, ownProcessGroup: true });
    writeFileSync(join(dataDir, 'server.pid'), '999999999\n');
    const s = start(config);
    try {
      expect(await readyOn(port), s.err()).toBe(true);
    } finally {
      s.child.kill('SIGTERM');
      await s.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  },
  90_000,
);
