/**
 * `npm run migrate`: applies the migrations to the PostgreSQL in DATABASE_URL (an owner URL; on a
 * deployment behind a pooler, the direct URL) and exits. `npm start` does the same on every start.
 */
import { createSql } from '../src/db/client.js';
import { migrate, MigrationError, readMigrations } from '../src/db/migrate.js';

const url = process.env.DATABASE_URL;
if (!url) {
  process.stderr.write('migrate: set DATABASE_URL to the owner URL of the database\n');
  process.exit(1);
}
const sql = createSql(url, { max: 1, applicationName: 'pool-ledger-migrate' });
try {
  const migrations = await readMigrations();
  const { applied } = await migrate(sql, migrations);
  process.stdout.write(
    applied.length ? `applied ${applied.join(', ')}\n` : `up to date at ${migrations.at(-1)?.version ?? 0}\n`,
  );
} catch (err) {
  process.stderr.write(
    `migrate: ${err instanceof MigrationError ? err.message : String((err as Error).message ?? err)}\n`,
  );
  process.exitCode = 1;
} finally {
  await sql.end({ timeout: 5 });
}
