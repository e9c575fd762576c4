import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { createSql } from '../../src/db/client.js';
import { startEmbedded, type EmbeddedServer } from '../../src/db/embedded.js';
import { enableAppLogin, migrate } from '../../src/db/migrate.js';
import { renderSchema } from '../../src/db/schema-picture.js';
import { freePort } from '../../scripts/lib/ports.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Owner URL of the cluster's maintenance database (creates the per-file databases). */
    adminUrl: string;
    templateDatabase: string;
    appPassword: string;
    /** Prefix of every database this run creates, so that teardown drops exactly those. */
    runPrefix: string;
    /** The template's schema as `npm run schema` renders it, read before any test file runs. */
    schemaPicture: string;
  }
}

/**
 * Starts one PostgreSQL for the whole run (embedded, or the server in TEST_DATABASE_URL), migrates a
 * template database once, and lets each test file clone it.
 */
export default async function setup(project: TestProject) {
  let server: EmbeddedServer | undefined;
  let dataDir: string | undefined;
  let adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) {
    dataDir = mkdtempSync(join(tmpdir(), 'pool-ledger-test-'));
    server = await startEmbedded({ dataDir, port: await freePort() });
    adminUrl = server.url('postgres');
  }
  const runPrefix = `pool_ledger_${randomBytes(3).toString('hex')}`;
  const templateDatabase = `${runPrefix}_template`;
  const admin = createSql(adminUrl, { max: 1 });
  await admin.unsafe(`DROP DATABASE IF EXISTS ${templateDatabase}`);
  await admin.unsafe(`CREATE DATABASE ${templateDatabase}`);
  const template = createSql(withDatabase(adminUrl, templateDatabase), { max: 1 });
  await migrate(template);
  // Rendered here, from a database migrated from nothing: a copy lacks the database's own privileges
  // (CREATE DATABASE does not copy them), and a database migrated by a test file would race the other
  // files' migrations on the application role, a row the whole cluster shares.
  const schemaPicture = await renderSchema(template);
  const appPassword = randomBytes(18).toString('base64url');
  await enableAppLogin(template, appPassword);
  await template.end();
  await admin.end();

  project.provide('adminUrl', adminUrl);
  project.provide('templateDatabase', templateDatabase);
  project.provide('appPassword', appPassword);
  project.provide('runPrefix', runPrefix);
  project.provide('schemaPicture', schemaPicture);

  return async () => {
    const cleanup = createSql(adminUrl, { max: 1 });
    const dbs = await cleanup<
      { datname: string }[]
    >`SELECT datname FROM pg_database WHERE datname LIKE ${runPrefix + '%'}`;
    for (const { datname } of dbs) await cleanup.unsafe(`DROP DATABASE IF EXISTS ${datname} WITH (FORCE)`);
    await cleanup.end();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}
