import { z } from 'zod';

/** Configuration of the Node server, read from the environment once at start and validated. */
const Env = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8787),
  HOST: z.string().min(1).default('127.0.0.1'),
  /** Owner URL of an external PostgreSQL; without it the embedded server under DATA_DIR is used. */
  DATABASE_URL: z.string().url().optional(),
  /** URL the application connects with (the pool_app role); derived from DATABASE_URL when absent. */
  APP_DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  /** Port of the embedded PostgreSQL. */
  PG_PORT: z.coerce.number().int().min(1).max(65535).default(54329),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** An admin key to create on first start instead of a random one (at least 32 characters). */
  ADMIN_API_KEY: z.string().min(32).optional(),
  /** Connections for requests (each write holds one for its transaction). */
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(20),
  /** How long a request holds its Idempotency-Key before a retry may take it over (after a crash). */
  IDEMPOTENCY_LEASE_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Connections of the ledger engine (group-commit writer, ledger reads). */
  LEDGER_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(8),
});

export type Config = z.infer<typeof Env>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function readConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`invalid configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
