import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

/** The newest migration the database has applied (0 before the first). */
export async function currentMigration(db: Kysely<Database>): Promise<number> {
  const { rows } = await sql<{ v: number | null }>`SELECT max(version) AS v FROM schema_migrations`.execute(db);
  return rows[0]?.v ?? 0;
}
