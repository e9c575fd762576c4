import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createSql } from '../../src/db/client.js';
import { startEmbedded } from '../../src/db/embedded.js';
import { freePort } from '../../scripts/lib/ports.js';

describe('the embedded PostgreSQL', () => {
  // PostgreSQL reads its socket folders as a comma-separated list: such a folder cannot hold the socket.
  it('is reached by TCP when its folder cannot hold a Unix socket', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'pool,ledger-'));
    const server = await startEmbedded({ dataDir, port: await freePort() });
    try {
      expect(new URL(server.url()).searchParams.has('host')).toBe(false);
      const sql = createSql(server.url(), { max: 1 });
      const [row] = await sql<
        [{ tcp: boolean }]
      >`SELECT client_addr IS NOT NULL AS tcp FROM pg_stat_activity WHERE pid = pg_backend_pid()`;
      await sql.end();
      expect(row.tcp).toBe(true);
    } finally {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
