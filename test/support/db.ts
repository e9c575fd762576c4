import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createDb, createSql, type Db, type Sql } from '../../src/db/client.js';
import { withDatabase } from './global-setup.js';

export interface TestDatabase {
  /** Connected as the application role: what the product runs with. */
  app: Db;
  /** Connected as the owner: for tests that act behind the application's back. */
  owner: Sql;
  appUrl: string;
  ownerUrl: string;
  close(): Promise<void>;
}

/** A fresh, migrated database of its own for one test file. */
export async function testDatabase(options: { max?: number } = {}): Promise<TestDatabase> {
  const adminUrl = inject('adminUrl');
  const name = `${inject('runPrefix')}_${randomBytes(4).toString('hex')}`;
  const admin = createSql(adminUrl, { max: 1 });
  // CREATE DATABASE from the same template may not run twice at once.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`CREATE DATABASE ${name} TEMPLATE ${inject('templateDatabase')}`);
      break;
    } catch (err) {
      if (attempt > 50 || !/being accessed by other users/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  await admin.end();
  const ownerUrl = withDatabase(adminUrl, name);
  const appUrlObject = new URL(ownerUrl);
  appUrlObject.username = 'pool_app';
  appUrlObject.password = inject('appPassword');
  const appUrl = appUrlObject.toString();
  const app = createDb(appUrl, { max: options.max ?? 10 });
  const owner = createSql(ownerUrl, { max: 2 });
  return {
    app,
    owner,
    appUrl,
    ownerUrl,
    close: async () => {
      await app.close();
      await owner.end();
    },
  };
}
