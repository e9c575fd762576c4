import { createLedger, type Ledger, type WriterOptions } from '../../src/ledger/index.js';
import { testDatabase, type TestDatabase } from './db.js';

let nextPool = 1n;

export interface LedgerFixture {
  db: TestDatabase;
  ledger: Ledger;
  /** A new pool with its books open. */
  newPool(): Promise<bigint>;
}

export async function ledgerFixture(options: { max?: number; writer?: WriterOptions } = {}): Promise<LedgerFixture> {
  const db = await testDatabase({ max: options.max });
  const ledger = createLedger({ sql: db.app.sql, kysely: db.app.kysely, writer: options.writer });
  return {
    db,
    ledger,
    async newPool() {
      const poolId = nextPool++;
      await ledger.openBook(poolId);
      return poolId;
    },
  };
}

export const CNY = 'CNY';
