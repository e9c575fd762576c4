/**
 * `npm run schema`: migrates a fresh embedded PostgreSQL and writes the schema it holds to sql/schema.sql,
 * the one picture of what the migrations build. A test fails while the file is not what this writes.
 *
 * With SCHEMA_DATABASE_URL (an owner URL of an empty database) it migrates and renders that database
 * instead of starting its own.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSql } from '../src/db/client.js';
import { startEmbedded, type EmbeddedServer } from '../src/db/embedded.js';
import { migrate, MIGRATIONS_DIR, SCHEMA_FILE } from '../src/db/migrate.js';
import { renderSchema } from '../src/db/schema-picture.js';
import { freePort } from './lib/ports.js';

let server: EmbeddedServer | undefined;
let dataDir: string | undefined;
let url = process.env.SCHEMA_DATABASE_URL;
try {
  if (!url) {
    dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-schema-'));
    server = await startEmbedded({ dataDir, port: await freePort() });
    url = server.url('postgres');
  }
  const owner = createSql(url, { max: 1, applicationName: 'pool-ledger-schema' });
  try {
    await migrate(owner);
    writeFileSync(join(MIGRATIONS_DIR, SCHEMA_FILE), await renderSchema(owner));
    process.stdout.write(`wrote sql/${SCHEMA_FILE}\n`);
  } finally {
    await owner.end({ timeout: 5 });
  }
} catch (err) {
  process.stderr.write(`schema: ${(err as Error).message ?? String(err)}\n`);
  process.exitCode = 1;
} finally {
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
}
