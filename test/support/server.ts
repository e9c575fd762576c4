import { spawn, type ChildProcess } from 'node:child_process';
import type { TestDatabase } from './db.js';

/**
 * The Node server as a process on the test database (its application URL given, so that it does not reset
 * the role's password), ready once /readyz answers. A short lease, so that retries after a kill take over
 * the killed requests' keys quickly.
 */
export async function startServer(
  db: TestDatabase,
  port: number,
): Promise<{ child: ChildProcess; exited: Promise<unknown> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      ...process.env,
      DATABASE_URL: db.ownerUrl,
      APP_DATABASE_URL: db.appUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      IDEMPOTENCY_LEASE_MS: '1500',
    },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; i < 600; i++) {
    if (
      await fetch(`http://127.0.0.1:${port}/readyz`).then(
        (r) => r.ok,
        () => false,
      )
    )
      return { child, exited };
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error('server did not start');
}
