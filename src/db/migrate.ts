import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Sql } from './client.js';

export const MIGRATIONS_DIR = new URL('../../sql/', import.meta.url).pathname;
/** The picture of the migrated schema (`npm run schema`), beside the migrations but never one of them. */
export const SCHEMA_FILE = 'schema.sql';

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export class MigrationError extends Error {
  override name = 'MigrationError';
}

export async function readMigrations(dir = MIGRATIONS_DIR): Promise<Migration[]> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.sql') && f !== SCHEMA_FILE).sort();
  const migrations: Migration[] = [];
  for (const file of files) {
    const match = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(file);
    if (!match) throw new MigrationError(`migration file name must look like 0001_name.sql: ${file}`);
    const sql = await readFile(join(dir, file), 'utf8');
    const version = Number(match[1]);
    if (migrations.some((m) => m.version === version)) throw new MigrationError(`two migrations numbered ${version}`);
    migrations.push({ version, name: match[2]!, sql, checksum: createHash('sha256').update(sql).digest('hex') });
  }
  return migrations;
}

/**
 * Applies the forward-only migrations in order, all in one transaction, recording a checksum for each. A
 * migration that was applied and has changed since is refused: migrations are never edited, only added.
 * Runs as the database owner; concurrent runners wait on an advisory lock.
 */
export async function migrate(owner: Sql, migrations?: Migration[]): Promise<{ applied: number[] }> {
  const all = migrations ?? (await readMigrations());
  const applied: number[] = [];
  await owner.unsafe(`
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version    int PRIMARY KEY,
      name       text NOT NULL,
      checksum   text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  await owner.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(hashtext('pool-ledger migrations'))`;
    const done = new Map<number, string>();
    for (const row of await tx<
      { version: number; checksum: string }[]
    >`SELECT version, checksum FROM schema_migrations`) {
      done.set(row.version, row.checksum);
    }
    for (const m of all) {
      const checksum = done.get(m.version);
      if (checksum !== undefined) {
        if (checksum !== m.checksum) {
          throw new MigrationError(
            `migration ${String(m.version).padStart(4, '0')}_${m.name} was changed after it was applied; add a new migration instead`,
          );
        }
        continue;
      }
      await tx.unsafe(m.sql);
      await tx`INSERT INTO schema_migrations (version, name, checksum) VALUES (${m.version}, ${m.name}, ${m.checksum})`;
      applied.push(m.version);
    }
  });
  return { applied };
}

/**
 * Gives the application role a login with this password. The application connects as that role, which can
 * append to the journal but never change or delete it.
 */
export async function enableAppLogin(owner: Sql, password: string): Promise<void> {
  await owner.unsafe(`ALTER ROLE pool_app WITH LOGIN PASSWORD ${quoteLiteral(password)}`);
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
