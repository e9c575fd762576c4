import { describe, expect, inject, it } from 'vitest';
import { createSql } from '../../src/db/client.js';

/** Connection URLs: a Unix socket folder named the way libpq reads it, `?host=/folder`. */
describe('a URL naming a Unix socket folder', () => {
  const adminUrl = inject('adminUrl');
  const socketFolder = new URL(adminUrl).searchParams.get('host');

  it('connects through the socket in that folder, not to the host and port', async () => {
    const url = new URL(adminUrl);
    url.searchParams.set('host', '/no/such/folder');
    const sql = createSql(url.toString(), { max: 1 });
    try {
      await expect(sql`SELECT 1`).rejects.toThrow(/\/no\/such\/folder\/\.s\.PGSQL\./);
    } finally {
      await sql.end();
    }
  });

  // The embedded server's URLs name its socket; a server given in TEST_DATABASE_URL may be reached by TCP.
  it.skipIf(!socketFolder)(
    'reaches the server through it (no client address) and sends no "host" setting',
    async () => {
      const sql = createSql(adminUrl, { max: 1 });
      try {
        const [row] = await sql<
          [{ client_addr: string | null }]
        >`SELECT client_addr FROM pg_stat_activity WHERE pid = pg_backend_pid()`;
        expect(row.client_addr).toBeNull();
      } finally {
        await sql.end();
      }
    },
  );
});
